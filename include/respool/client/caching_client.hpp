/// @file caching_client.hpp
/// @brief Client-side caching of GET, kept right by the server's invalidations (RESP3).
#pragma once

#include <respool/client/client.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/commands.hpp>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace respool {

namespace detail {

// CLIENT TRACKING ON, its +OK ignored (an error still fails the call).
inline auto client_tracking_on() {
  return make_command<ignore_t>([](request& r) { r.push("CLIENT", "TRACKING", "ON"); });
}

}  // namespace detail

/// caching_client's counters.
struct caching_client_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t invalidations = 0;  ///< keys dropped because the server said so
  std::uint64_t flushes = 0;        ///< times everything was dropped
  std::uint64_t evictions = 0;      ///< values dropped to stay within the bound
};

/**
 * GET through a bounded cache that the server keeps right (CLIENT TRACKING, RESP3).
 *
 * @code
 *     respool::config cfg = respool::config_from_uri("redis://localhost");
 *     cfg.client_tracking = true;             // CLIENT TRACKING ON with every setup
 *     respool::connection conn(ioc, cfg);
 *     respool::caching_client cache(conn, 10000);
 *     auto v = co_await cache.async_get("user:42", asio::use_awaitable);
 * @endcode
 *
 * A value read is kept (nothing, for a missing key, is kept too) until the server says the
 * key changed; the least recently used values go first when the cache is full. A value whose
 * key is invalidated while its GET is in flight is not kept. When the server flushes,
 * everything goes; when the connection is re-established, every value read on an earlier
 * connection goes, since invalidations may have been missed, while the GETs waiting for the
 * new connection are kept when they complete. The caching_client takes the connection's
 * invalidations (connection::on_invalidation) for as long as it lives.
 *
 * Only values the server tracks are kept. With config::client_tracking, the setup of every
 * connection switches tracking on. Without it, each GET that misses goes out with a CLIENT
 * TRACKING ON before it, in the same write (one more command per miss: set
 * config::client_tracking to save it). A connection that speaks RESP2 gets no invalidations:
 * its values are passed through, never kept, and a config asking for RESP2 is refused.
 *
 * Not thread-safe, like the connection.
 */
class caching_client {
 public:
  /// Throws std::invalid_argument when `conn`'s config asks for RESP2 (config::protocol 2),
  /// which has no invalidation pushes.
  caching_client(connection& conn, std::size_t max_entries);
  ~caching_client();
  caching_client(const caching_client&) = delete;
  caching_client& operator=(const caching_client&) = delete;

  /// GET `key`, from the cache when it holds it: `void(std::error_code,
  /// std::optional<std::string>)`. A hit completes without I/O (posted). A miss fails with
  /// the server's error when tracking cannot be switched on.
  template <class CompletionToken>
  auto async_get(std::string_view key, CompletionToken&& token) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::optional<std::string>)>(
        [this, key](auto handler) {
          auto ex = asio::get_associated_executor(handler, conn_->get_executor());
          if (const std::optional<std::string>* v = lookup(key)) {
            ++stats_.hits;
            asio::post(ex, [h = std::move(handler), value = *v]() mutable {
              std::move(h)(std::error_code{}, std::move(value));
            });
            return;
          }
          ++stats_.misses;
          const std::uint64_t ticket = begin_fetch(key);
          // Runs on the connection's executor, as soon as the reply has been read (see
          // invalidate()); the caller's handler then runs on its own.
          auto done = [this, k = std::string(key), ticket, ex, h = std::move(handler)](
                          std::error_code ec, std::optional<std::string> value) mutable {
            if (!ec) end_fetch(k, ticket, value);
            asio::dispatch(ex, [h = std::move(h), ec, v = std::move(value)]() mutable {
              std::move(h)(ec, std::move(v));
            });
          };
          if (tracked_by_setup_) return client_.async_exec(cmd::get(key), std::move(done));
          client_.async_exec(cmd::pipeline(detail::client_tracking_on(), cmd::get(key)),
                             [d = std::move(done)](std::error_code ec, auto results) mutable {
                               d(ec, std::move(std::get<1>(results)));
                             });
        },
        token);
  }

  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  [[nodiscard]] const caching_client_stats& stats() const noexcept { return stats_; }

 private:
  struct entry {
    std::string key;
    std::optional<std::string> value;
  };

  const std::optional<std::string>* lookup(std::string_view key);
  std::uint64_t begin_fetch(std::string_view key);
  void end_fetch(const std::string& key, std::uint64_t ticket,
                 const std::optional<std::string>& value);
  void invalidate(std::span<const std::string_view> keys);

  connection* conn_;
  client client_;
  std::size_t max_entries_;
  bool tracked_by_setup_;  // the connection's setup switches tracking on
  std::uint64_t epoch_;    // the connection's stats().connects when last seen
  std::list<entry> lru_;   // most recently used first
  std::unordered_map<std::string_view, std::list<entry>::iterator> index_;
  // Keys whose GET is in flight, with the ticket of the latest; an invalidation removes them.
  std::unordered_map<std::string, std::uint64_t> pending_;
  std::uint64_t next_ticket_ = 0;
  caching_client_stats stats_;
};

}  // namespace respool
