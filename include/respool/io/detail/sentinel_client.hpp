// What a connection to a Sentinel-watched deployment asks the sentinels (config::sentinel):
// where the server it wants is, before every connection attempt, and, on a subscription kept
// on one sentinel, when the master changes. Private to the library.
//
// Each question goes on a short-lived respool::connection to one sentinel (its own settings:
// credentials, TLS, a timeout), the sentinels taken in turn from a starting point that moves on
// whenever the server a sentinel named did not work out: a sentinel that lags or lies (names a
// replica as the master) is not asked first again.
#pragma once

#include <respool/io/connection.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/generic_reply.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace respool::detail {

/// A server's address as a sentinel gives it.
struct sentinel_address {
  std::string host;
  std::uint16_t port = 0;
};

/// Reads the address of `SENTINEL GET-MASTER-ADDR-BY-NAME` ([host, port], or null when the
/// sentinel does not know the name); false when the reply is not that.
bool read_master_address(const generic_reply& reply, sentinel_address& out);

/// From `SENTINEL REPLICAS`, the replicas that are up (no s_down, o_down or disconnected flag,
/// and a master link that is "ok"); the `pick`-th of them, modulo their number. False when
/// none is.
bool read_replica_address(const generic_reply& reply, std::size_t pick, sentinel_address& out);

/// From a `+switch-master` message ("<name> <old host> <old port> <new host> <new port>"), the
/// new master's address when `name` is the name; false otherwise.
bool read_switch_master(std::string_view payload, std::string_view name, sentinel_address& out);

class sentinel_client : public std::enable_shared_from_this<sentinel_client> {
 public:
  /// config::logger's type; may be empty.
  using log_fn = std::function<void(log_level, std::string_view)>;
  using located_fn = std::function<void(std::error_code, sentinel_address)>;
  using switched_fn = std::function<void(sentinel_address)>;

  sentinel_client(asio::any_io_executor ex, sentinel_config cfg, log_fn log);

  /// Asks the sentinels in turn where the server of config::sentinel's role is; `done` gets
  /// its address, or error::no_sentinel_answer once every sentinel failed or did not know.
  void async_locate(located_fn done);
  /// The address async_locate() gave last did not work out: start with the sentinel after the
  /// one that gave it.
  void distrust() noexcept;
  /// Keeps a subscription to `+switch-master` on one sentinel (the next one when it goes) and
  /// calls `on_switch` with the new master of the monitored name.
  void watch(switched_fn on_switch);
  /// Ends every question and the watch; their handlers are not called.
  void cancel();

 private:
  struct query;
  void ask(const std::shared_ptr<query>& q);
  void answered(const std::shared_ptr<query>& q, std::error_code ec);
  void watch_next();
  void receive(const std::shared_ptr<connection>& conn, std::uint64_t generation);
  [[nodiscard]] config node_config(std::size_t i) const;
  // Keeps `conn` until its run has ended, then lets it go from the loop.
  void run_detached(const std::shared_ptr<connection>& conn, std::function<void()> ended);
  void say(log_level level, std::string_view text) const {
    if (log_) log_(level, text);
  }

  asio::any_io_executor ex_;
  sentinel_config cfg_;
  log_fn log_;
  std::size_t start_ = 0;         // the sentinel asked first
  std::size_t answered_ = 0;      // the sentinel that gave the last address
  std::uint64_t generation_ = 0;  // bumped by cancel(): stale handlers do nothing
  std::shared_ptr<connection> asking_;
  std::shared_ptr<connection> watching_;
  std::size_t watched_ = 0;  // the sentinel watched (or to watch next)
  switched_fn on_switch_;
  generic_reply push_{generic_reply::owning};
  asio::steady_timer watch_timer_;
};

}  // namespace respool::detail
