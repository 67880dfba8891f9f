/// @file
/// @brief What a cluster node's error reply says about where a command should go, read
/// without I/O.
#pragma once

#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace respool::cluster::detail {

/// What a reply means for routing.
enum class redirect_kind : std::uint8_t {
  none,        ///< an answer (possibly an ordinary error): give it to the caller
  moved,       ///< `MOVED <slot> <host>:<port>`: the slot lives there now
  ask,         ///< `ASK <slot> <host>:<port>`: this one command, preceded by ASKING, there
  try_later,   ///< `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`: not run; retry later
  wrong_role,  ///< `READONLY`: a write reached a replica; not run, the topology changed
};

/// A reply read for routing: its kind, and for MOVED and ASK the slot and the address.
struct redirect {
  redirect_kind kind = redirect_kind::none;
  std::uint16_t slot = 0;
  /// The host the error names; empty when it names none (`MOVED 12 :6380`): the node that
  /// answered, then.
  std::string_view host;
  std::uint16_t port = 0;
  /// The whole error text, for the error that ends a redirection loop.
  std::string_view text;
};

/// Reads `reply`: a top-level simple or bulk error whose first word is one of the above makes
/// a redirect; a MOVED or ASK that does not parse (no slot, slot out of range, no port) is
/// `none`, and so reaches the caller as the error it is.
[[nodiscard]] redirect read_redirect(resp3::reply_view reply) noexcept;

/// Splits "host:port" at its last colon ("[::1]:6379" keeps its brackets off). False when the
/// port is missing or not a port.
bool split_address(std::string_view address, std::string_view& host, std::uint16_t& port) noexcept;

/**
 * Decides when the cluster's topology is read again. Many reasons may ask at once (10 000
 * MOVED replies in a millisecond): one refresh runs at a time, refreshes start at least
 * `min_spacing` apart, and asks that come while one runs make one more afterwards, since
 * that one may have read the topology before the change they saw. Time comes from the caller,
 * so tests drive it.
 */
class refresh_gate {
 public:
  using clock = std::chrono::steady_clock;

  explicit refresh_gate(clock::duration min_spacing) noexcept : spacing_{min_spacing} {}

  /// A refresh is wanted at `now`. Returns when to start it: `now` (start it, and call
  /// started()), a later time (arm a timer and call want() again then), or time_point::max()
  /// when nothing is to be done (one is running, or a timer is already armed).
  clock::time_point want(clock::time_point now) noexcept;
  /// The timer armed after want() returned a later time has fired.
  void timer_fired() noexcept { armed_ = false; }
  void started(clock::time_point now) noexcept;
  /// The refresh is over (whether it succeeded or not). Returns when to start the next one
  /// (a time to arm a timer for), or time_point::max() when none was asked for meanwhile.
  clock::time_point finished(clock::time_point now) noexcept;

  [[nodiscard]] bool running() const noexcept { return running_; }
  [[nodiscard]] std::uint64_t starts() const noexcept { return starts_; }

 private:
  clock::duration spacing_;
  clock::time_point last_start_ = clock::time_point::min();
  std::uint64_t starts_ = 0;
  bool running_ = false;
  bool armed_ = false;
  bool again_ = false;  // asked for while running
};

}  // namespace respool::cluster::detail
