/// @file connection_logic.hpp
/// @brief The decisions a connection makes, without I/O: what its setup sends and what the
/// replies mean, how long to back off, when to PING, which subscriptions to restore, where
/// push messages wait. Tested without sockets; connection.cpp only carries them out.
#pragma once

#include <respool/protocol/adapt.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool::detail {

using clock = std::chrono::steady_clock;

/// The subscriptions a connection holds, learnt from the server's confirmations (RESP3 pushes
/// or RESP2 arrays `[subscribe|psubscribe|ssubscribe|…unsubscribe, name, count]`), so that a
/// new connection can restore them.
class subscriptions {
 public:
  /// Updates the sets when `reply` is a (un)subscription confirmation; ignores anything else.
  void observe(resp3::reply_view reply);
  /// Appends the commands that restore every subscription (none when there is none).
  void append_restore(request& req) const;
  [[nodiscard]] bool empty() const noexcept {
    return channels_.empty() && patterns_.empty() && shard_channels_.empty();
  }
  [[nodiscard]] const std::set<std::string, std::less<>>& channels() const noexcept {
    return channels_;
  }
  [[nodiscard]] const std::set<std::string, std::less<>>& patterns() const noexcept {
    return patterns_;
  }
  [[nodiscard]] const std::set<std::string, std::less<>>& shard_channels() const noexcept {
    return shard_channels_;
  }

 private:
  std::set<std::string, std::less<>> channels_;
  std::set<std::string, std::less<>> patterns_;
  std::set<std::string, std::less<>> shard_channels_;
};

/// Whether `reply` is a client-side-caching invalidation (`>2 invalidate [keys]`, or
/// `>2 invalidate _` for everything); if so, `keys` receives views of its keys (none: all).
bool read_invalidation(resp3::reply_view reply, std::vector<std::string_view>& keys);

/**
 * Fills `out` with the setup sent after connecting: `cfg.setup` when given, else HELLO 3
 * [AUTH] [SETNAME] for protocol 3, or AUTH and CLIENT SETNAME for protocol 2, then SELECT;
 * then ROLE when the server was found through sentinels (evaluate_role() reads it); then a
 * PING; then the subscriptions to restore.
 *
 * The PING is the readiness check. A server loading its dataset (after a restart, or a replica
 * during a full sync) accepts HELLO, AUTH, CLIENT and SELECT, which are flagged as allowed
 * while loading, but answers nearly everything else, PING included, with `-LOADING`. Its
 * answer tells whether the server can serve, in the same round trip, for a few bytes, and
 * needs no permission an ACL user could lack (unlike INFO).
 */
void build_setup(const config& cfg, int protocol, const subscriptions& subs, request& out);

/// What the replies to a setup mean.
struct setup_outcome {
  enum kind : std::uint8_t {
    established,         ///< every reply succeeded
    fall_back_to_resp2,  ///< HELLO is unknown or the protocol refused: send the RESP2 setup
    refused,             ///< the server refused the setup; `message` says why
    loading,             ///< the server is loading its dataset: ask again later
    wrong_role,          ///< ROLE is not the role asked for; `message` says what it is
  };
  kind verdict = established;
  int protocol = 3;     ///< the protocol the connection speaks now
  std::string message;  ///< the server's first error, when refused or loading
};

/**
 * Reads the replies to a setup sent with `protocol` (`custom`: config::setup).
 *
 * HELLO refused with `ERR unknown command` or `NOPROTO` (servers before Redis 6, or without
 * RESP3) means RESP2: the rest of that round is ignored, since it failed for want of the AUTH
 * HELLO carried, and the RESP2 setup sends it all again. A custom setup speaks RESP3 when one
 * of its replies is a map (HELLO 3's).
 *
 * A `LOADING` answer to any command means the server cannot serve yet, whatever the other
 * answers (a command refused for want of an AUTH that was itself refused for loading is no
 * refusal): the connection waits and tries again.
 */
[[nodiscard]] setup_outcome evaluate_setup(std::span<const generic_reply> replies, bool custom,
                                           int protocol);

/// With Sentinel (config::sentinel), the ROLE reply of the setup (the one before the PING's)
/// against the role wanted: `outcome` becomes wrong_role when the server is not what was asked
/// for, a replica named as the master during a failover, say.
void evaluate_role(std::span<const generic_reply> replies, sentinel_role wanted,
                   setup_outcome& outcome);

/// How long a request waits for a connection when none is up: config::wait_for_connection,
/// else the connect timeout. Zero: no bound.
[[nodiscard]] std::chrono::milliseconds connection_wait(const config& cfg) noexcept;

/// Why a request found no connection, for the message of error::not_connected: where the
/// connection goes and `last_error`, what ended its last attempt (none yet: empty), e.g.
/// "no connection to 127.0.0.1:6379 (last error: Connection refused)".
[[nodiscard]] std::string describe_not_connected(const config& cfg, std::error_code last_error);

/// Whether `reply` is an error that proves its command did not run: `LOADING`, `MASTERDOWN`,
/// `READONLY`, and a cluster node's `TRYAGAIN` and `CLUSTERDOWN`.
[[nodiscard]] bool did_not_run(resp3::reply_view reply) noexcept;

/// Whether every command of `req` is read-only by the command flags of Redis 7.0 (the built-in
/// command table): such a request may run twice. `argv` is scratch space, kept for reuse.
[[nodiscard]] bool read_only_request(const request& req, std::vector<std::string_view>& argv);

/// A block timeout of 0: the command may block forever.
inline constexpr std::chrono::milliseconds blocks_forever = std::chrono::milliseconds::max();

/// How long the command `argv` (argv[0] its name) may keep the server from answering anything
/// on its connection: the timeout of BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN, BZPOPMAX,
/// BLMPOP, BZMPOP, XREAD and XREADGROUP with BLOCK, WAIT and WAITAOF (blocks_forever for 0);
/// nothing for a command that does not block, or whose timeout the server would refuse.
[[nodiscard]] std::optional<std::chrono::milliseconds> block_timeout(
    std::span<const std::string_view> argv) noexcept;

/// The longest block_timeout() of the commands of `req`; nothing when none blocks. `argv` is
/// scratch space, kept for reuse.
[[nodiscard]] std::optional<std::chrono::milliseconds> longest_block(
    const request& req, std::vector<std::string_view>& argv);

/// What a request's outcome allows under a retry policy (retry_policy's rules).
struct retry_facts {
  std::error_code ec;           ///< the outcome
  std::size_t expected = 0;     ///< replies the request expects
  std::size_t refused = 0;      ///< replies that proved their command did not run
  bool safe_to_repeat = false;  ///< idempotent, or read-only commands only
};
[[nodiscard]] bool may_retry(const retry_facts& f) noexcept;

/// The wait before retry number `n` (1 for the first): initial_delay doubled n − 1 times, capped
/// at max_delay, and jittered by `unit` (uniform in [0, 1)).
[[nodiscard]] std::chrono::milliseconds retry_delay(const retry_policy& p, std::uint32_t n,
                                                    double unit) noexcept;

/// A uniform random number in [0, 1), for jitter. Each thread has its own generator, seeded on
/// its first draw; the seeds come from one std::random_device read per process, so making a
/// connection never touches the random device.
[[nodiscard]] double jitter_unit() noexcept;

/// Capped exponential backoff with jitter (reconnect_config).
class backoff {
 public:
  explicit backoff(const reconnect_config& cfg) : cfg_{cfg}, current_{cfg.initial_delay} {}
  /// Back to the initial delay (after a successful connection).
  void reset() noexcept { current_ = cfg_.initial_delay; }
  /// The next delay; `unit` is a uniform random number in [0, 1) drawn by the caller. Each
  /// delay is in [d·(1 − jitter), d], d growing by `multiplier` up to `max_delay`.
  [[nodiscard]] std::chrono::milliseconds next(double unit) noexcept;

 private:
  reconnect_config cfg_;
  std::chrono::milliseconds current_;
};

/**
 * The idle-only health check. tick() is called periodically (every tick_period()); it says to
 * send a PING when nothing has been read for the interval, and declares the connection dead
 * when, a PING being out, nothing has been read for the timeout since it was sent.
 */
class health_check {
 public:
  enum class action : std::uint8_t { none, send_ping, dead };

  health_check(std::chrono::milliseconds interval, std::chrono::milliseconds timeout) noexcept
      : interval_{interval}, timeout_{timeout.count() > 0 ? timeout : interval} {}

  [[nodiscard]] bool enabled() const noexcept { return interval_.count() > 0; }
  [[nodiscard]] std::chrono::milliseconds interval() const noexcept { return interval_; }
  /// How often tick() should run: half the shorter of interval and timeout, at least 1 ms.
  [[nodiscard]] std::chrono::milliseconds tick_period() const noexcept;
  /// A new connection: no PING out.
  void reset() noexcept { ping_out_ = false; }
  /// The PING's reply came (or the connection failed it).
  void answered() noexcept { ping_out_ = false; }
  [[nodiscard]] bool ping_out() const noexcept { return ping_out_; }

  /// `last_read`: when bytes last came from the server. `paused`: reading is paused by a full
  /// push queue, so silence proves nothing. `quiet_until`: until when the server may rightly
  /// say nothing (it runs a blocking command; time_point::max(): for as long as it likes), from
  /// when on silence counts. Records the PING as sent when it says send_ping.
  [[nodiscard]] action tick(clock::time_point now, clock::time_point last_read, bool paused,
                            clock::time_point quiet_until = clock::time_point::min()) noexcept;

 private:
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  bool ping_out_ = false;
  clock::time_point ping_sent_{};
};

/// Push messages waiting for a receiver: a ring of owning replies, grown up to its limit and
/// reused, so a steady flow of pushes allocates nothing once the replies' buffers are large
/// enough.
class push_queue {
 public:
  explicit push_queue(std::size_t limit) noexcept : limit_{limit} {}
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] bool full() const noexcept { return count_ == limit_; }
  /// Copies `reply` in; false (nothing kept) when full.
  bool push(resp3::reply_view reply);
  /// Moves the oldest message into `out` (an owning copy); the queue must not be empty.
  void pop(generic_reply& out);
  /// Makes `out` an owning copy of `reply`, reusing its buffers.
  static void copy(resp3::reply_view reply, generic_reply& out);

 private:
  std::size_t limit_;
  std::vector<generic_reply> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace respool::detail
