/// @file subscriber.hpp
/// @brief Pub/sub over a connection's push messages.
#pragma once

#include <respool/cluster/cluster_connection.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/pool.hpp>
#include <respool/protocol/request.hpp>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/compose.hpp>
#include <asio/post.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace respool {

/// A pub/sub message.
struct message {
  enum kind_t : std::uint8_t {
    channel,  ///< "message": published on a channel subscribed to by name
    pattern,  ///< "pmessage": on a channel matching a subscribed pattern
    shard,    ///< "smessage": on a shard channel
  };
  kind_t kind = channel;
  std::string channel_name;  ///< the channel it was published on
  std::string pattern_text;  ///< the pattern it matched (pattern messages)
  std::string payload;
};

/**
 * Subscriptions and their messages on a connection (RESP3).
 *
 * @code
 *     respool::subscriber sub(conn);
 *     const std::string_view channels[] = {"news"};
 *     co_await sub.async_subscribe(channels, asio::use_awaitable);
 *     for (respool::message m;;) {
 *       co_await sub.async_next(m, asio::use_awaitable);
 *       handle(m.channel_name, m.payload);
 *     }
 * @endcode
 *
 * The subscribing calls complete once the server has confirmed every name, so a message
 * published after that reaches this connection. Messages come through
 * connection::async_receive; subscription confirmations and other push messages (client-side
 * caching invalidations) are skipped by async_next. The connection restores its
 * subscriptions after a reconnection by itself. The connection can go on running ordinary
 * commands meanwhile (RESP3 allows it; on a connection that speaks RESP2 the calls fail with
 * error::resp3_required).
 *
 * Not thread-safe, like the connection; one async_next at a time. A pending async_next
 * receives into the subscriber: keep the subscriber alive until it completes (it does with
 * asio::error::operation_aborted once the connection is cancelled).
 */
class subscriber {
 public:
  explicit subscriber(connection& conn) : conn_{&conn} {}
  /// Over a cluster: see cluster_connection::async_pubsub (SSUBSCRIBE follows each channel's
  /// slot to its master; SUBSCRIBE and PSUBSCRIBE use one master).
  explicit subscriber(cluster_connection& cluster) : cluster_{&cluster} {}

  /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, and their UNSUBSCRIBE forms (`void(std::error_code)`):
  /// complete once the server has confirmed every name. The subscribing forms need at least
  /// one name (std::errc::invalid_argument otherwise); an empty list unsubscribes from all.
  template <class CompletionToken>
  auto async_subscribe(std::span<const std::string_view> channels, CompletionToken&& token) {
    return send("SUBSCRIBE", channels, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_psubscribe(std::span<const std::string_view> patterns, CompletionToken&& token) {
    return send("PSUBSCRIBE", patterns, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_ssubscribe(std::span<const std::string_view> channels, CompletionToken&& token) {
    return send("SSUBSCRIBE", channels, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_unsubscribe(std::span<const std::string_view> channels, CompletionToken&& token) {
    return send("UNSUBSCRIBE", channels, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_punsubscribe(std::span<const std::string_view> patterns, CompletionToken&& token) {
    return send("PUNSUBSCRIBE", patterns, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_sunsubscribe(std::span<const std::string_view> channels, CompletionToken&& token) {
    return send("SUNSUBSCRIBE", channels, std::forward<CompletionToken>(token));
  }

  /// The next message into `out` (`void(std::error_code)`).
  template <class CompletionToken>
  auto async_next(message& out, CompletionToken&& token) {
    return asio::async_compose<CompletionToken, void(std::error_code)>(
        next_op{this, &out, false}, token,
        cluster_ != nullptr ? cluster_->get_executor() : conn_->get_executor());
  }

  /// Reads a push message into `out`; false when it is not a message (a confirmation).
  static bool read_message(const generic_reply& push, message& out);

 private:
  struct next_op {
    subscriber* self;
    message* out;
    bool started;
    template <class Self>
    void operator()(Self& op, std::error_code ec = {}) {
      if (started) {
        if (ec) return op.complete(ec);
        if (read_message(self->push_, *out)) return op.complete(std::error_code{});
      }
      started = true;
      if (self->cluster_ != nullptr) {
        self->cluster_->async_receive(self->push_, std::move(op));
      } else {
        self->conn_->async_receive(self->push_, std::move(op));
      }
    }
  };

  // Why the call cannot start (an error), or nothing.
  [[nodiscard]] std::error_code refuse(std::string_view cmd, std::size_t names) const noexcept;

  template <class CompletionToken>
  auto send(std::string_view cmd, std::span<const std::string_view> names,
            CompletionToken&& token) {
    // A request of its own per call: several may be in flight.
    std::unique_ptr<request> req;
    if (cluster_ == nullptr) {
      req = requests_.get();
      req->push_range(cmd, names);
      // The server answers (un)subscriptions with push messages, in order with its replies,
      // and they go through the connection's push path as they are read. PING's reply, after
      // them in the same request, comes once every confirmation has been read: the call
      // completes then.
      req->push("PING");
    }
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this, cmd, names, r = std::move(req)](auto handler) mutable {
          if (cluster_ != nullptr) return cluster_->async_pubsub(cmd, names, std::move(handler));
          request& sent = *r;
          const std::size_t n = names.size();
          auto ex = asio::get_associated_executor(handler, conn_->get_executor());
          if (const std::error_code ec = refuse(cmd, n)) {
            requests_.put(std::move(r));
            return asio::post(ex, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
          }
          conn_->async_exec(
              sent, asio::bind_executor(ex, [this, r = std::move(r), h = std::move(handler)](
                                                std::error_code ec, std::size_t) mutable {
                requests_.put(std::move(r));
                std::move(h)(ec);
              }));
        },
        token);
  }

  connection* conn_ = nullptr;
  cluster_connection* cluster_ = nullptr;
  pool<request> requests_{8};
  generic_reply push_{generic_reply::owning};
};

}  // namespace respool
