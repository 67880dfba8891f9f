/// @file connection_pool.hpp
/// @brief Connections lent one at a time, for blocking code on many threads that needs a
/// connection of its own (WATCH, blocking pops, MULTI spread over several calls).
#pragma once

#include <respool/client/sync_client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/error.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace respool {

struct connection_pool_config {
  config connection;           ///< for every connection of the pool
  std::size_t size = 8;        ///< connections at most
  std::size_t io_threads = 1;  ///< threads running the connections' io_context
  /// How long acquire() waits for a connection to come back before error::pool_timeout.
  std::chrono::milliseconds wait_timeout{1000};
  /// A connection idle this long is checked with a PING when lent (zero: never).
  std::chrono::milliseconds check_after_idle{5000};
  /// A connection idle this long is closed instead of lent (zero: never).
  std::chrono::milliseconds max_idle{0};
  /// A connection this old is closed when it comes back (zero: never).
  std::chrono::milliseconds max_lifetime{0};
  /// How long giving a connection back may wait for its UNWATCH; one that does not answer in
  /// time is closed instead of kept.
  std::chrono::milliseconds reset_timeout{1000};
};

/// connection_pool's counters.
struct connection_pool_stats {
  std::size_t created = 0;   ///< connections made
  std::size_t replaced = 0;  ///< connections closed by a check or a limit
  /// Connections closed when they came back, their session not clean (see connection_pool).
  std::size_t discarded = 0;
  std::size_t timeouts = 0;  ///< acquire() calls that gave up
};

/**
 * A bounded pool of connections for blocking use from many threads.
 *
 * @code
 *     respool::connection_pool pool({.connection = respool::config_from_uri("redis://h")});
 *     {
 *       auto c = pool.acquire();              // waits up to wait_timeout
 *       c->exec<std::string>("WATCH", "k");   // this connection only, until the lease ends
 *     }                                       // back to the pool, unwatched
 * @endcode
 *
 * Connections are made as needed, up to `size`, and run on the pool's own io_context
 * threads. The pool's lock is held only to take or give back a connection, never during I/O:
 * checks, connects and closes happen outside it. A connection that failed its check, or
 * outlived its limits, is replaced.
 *
 * A connection comes back clean: UNWATCH is sent when its lease ends, so no borrower inherits
 * another's WATCH. One whose session state cannot be put right so cheaply is closed and
 * replaced instead: left inside MULTI, holding subscriptions, or with a request still
 * outstanding (a call that timed out, a blocking pop still blocked on the server). Other
 * session state (SELECT, CLIENT settings) is the borrower's to restore.
 *
 * A sync_client is already safe to share between threads;
 * take a pooled one when a caller needs a connection to itself.
 *
 * @par Thread safety
 * acquire() from any thread; a lease belongs to one thread at a time.
 */
class connection_pool {
 public:
  class lease;

  explicit connection_pool(connection_pool_config cfg);
  /// Closes every connection; leases must have ended.
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  /// A connection, waiting up to wait_timeout; throws std::system_error(error::pool_timeout).
  [[nodiscard]] lease acquire();
  /// acquire() without exceptions: an empty lease and `ec` on failure.
  [[nodiscard]] lease acquire(std::error_code& ec);

  [[nodiscard]] connection_pool_stats stats() const;
  /// Connections idle in the pool now.
  [[nodiscard]] std::size_t idle() const;

 private:
  struct entry {
    std::unique_ptr<sync_client> client;
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point last_used;
  };

  void give_back(entry e) noexcept;
  [[nodiscard]] std::unique_ptr<sync_client> make_client();
  [[nodiscard]] bool usable(entry& e, std::chrono::steady_clock::time_point now);
  [[nodiscard]] bool reset_session(sync_client& c);

  connection_pool_config cfg_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<entry> idle_;  // taken from the back: the most recently used first
  std::size_t lent_ = 0;     // out on lease, or being made
  connection_pool_stats stats_;
};

/// A connection on loan; goes back to its pool when destroyed.
class connection_pool::lease {
 public:
  lease() = default;
  lease(lease&& other) noexcept
      : pool_{std::exchange(other.pool_, nullptr)}, entry_{std::move(other.entry_)} {}
  lease& operator=(lease&& other) noexcept {
    if (this != &other) {
      reset();
      pool_ = std::exchange(other.pool_, nullptr);
      entry_ = std::move(other.entry_);
    }
    return *this;
  }
  ~lease() { reset(); }

  [[nodiscard]] explicit operator bool() const noexcept { return pool_ != nullptr; }
  sync_client& operator*() const noexcept { return *entry_.client; }
  sync_client* operator->() const noexcept { return entry_.client.get(); }

  /// Gives the connection back now.
  void reset() noexcept {
    if (pool_ != nullptr) std::exchange(pool_, nullptr)->give_back(std::move(entry_));
  }

 private:
  friend class connection_pool;
  lease(connection_pool* p, entry e) noexcept : pool_{p}, entry_{std::move(e)} {}
  connection_pool* pool_ = nullptr;
  entry entry_;
};

/**
 * Optimistic transaction: WATCH `keys`, call `body(client)`, which reads what it needs and
 * returns a cmd::transaction(...) command; run it; when WATCH aborts it (a key changed in
 * between), start again, up to `attempts` times. Returns the transaction's results; throws
 * std::system_error(error::too_many_conflicts) when every attempt was aborted.
 *
 * `client` must be a connection of the caller's own (a pool lease): WATCH belongs to a
 * connection, and other callers' commands on a shared one would disturb it. The command
 * `body` returns views its arguments: keep them in variables that outlive the call.
 */
template <class Body>
auto optimistic_transaction(sync_client& client, std::span<const std::string_view> keys,
                            Body&& body, int attempts = 16) {
  for (int i = 0; i < attempts; ++i) {
    client.exec_range<std::string>("WATCH", keys);
    auto result = client.exec(body(client));
    if (result) return std::move(*result);
  }
  throw std::system_error(error::too_many_conflicts);
}

}  // namespace respool
