/// @file client.hpp
/// @brief Commands by name with typed replies, on a connection or a Redis Cluster.
#pragma once

#include <respool/cluster/cluster_connection.hpp>
#include <respool/io/connection.hpp>
#include <respool/io/detail/erased_response.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/pool.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/script.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/bind_executor.hpp>
#include <asio/compose.hpp>
#include <asio/recycling_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace respool {

namespace detail {

// One command in flight: the request (from the client's pool) and the value its reply is
// adapted into, until the completion hands the value over.
template <class T>
struct call {
  std::unique_ptr<request> req;
  T value{};
};

// True when the last type is not one request::push takes: a completion token, presumably.
// When it is an argument, the caller has forgotten the token.
template <class... Ts>
consteval bool ends_with_token() {
  if constexpr (sizeof...(Ts) == 0) {
    return false;
  } else {
    using last = std::tuple_element_t<sizeof...(Ts) - 1, std::tuple<Ts...>>;
    return !direct_arg_ref<last> && !has_to_bulk<std::remove_cvref_t<last>> &&
           !std::is_convertible_v<last, std::string_view>;
  }
}

}  // namespace detail

/**
 * Commands by name, each reply adapted to the type asked for, on a connection or on a
 * cluster_connection.
 *
 * @code
 *     respool::client c(conn);
 *     auto v = co_await c.async_exec<std::optional<std::string>>("GET", "key", asio::use_awaitable);
 * @endcode
 *
 * Completion signature: `void(std::error_code, T)`. Errors are the connection's (see
 * connection::async_exec); a server error reply is error::server_error (error::server_loading
 * for LOADING), and T default constructed. With no connection up, a call waits for one up to
 * config::wait_for_connection, then completes with error::not_connected;
 * connection::last_error() says why there was none. Use `result<U>` as T to receive the server's
 * message with the value.
 *
 * Arguments are copied into a request the client keeps (the client's requests copy every
 * argument, large ones too), so they need not outlive the call; for zero-copy large values,
 * build a request and use connection::async_exec. Requests come from a pool, and each call's
 * state is allocated with the handler's allocator (Asio's recycling allocator by default):
 * in steady state a call allocates nothing beyond what T itself needs.
 *
 * @par Over a cluster
 * Made on a cluster_connection, every call works as on a connection: each command goes to the
 * master of its keys' slot, a pipeline's commands to their nodes with the replies in order, a
 * transaction to the node of its keys, and a script's EVALSHA to its key's node, where the
 * NOSCRIPT fallback loads it. The client keeps no session state of its own, so nothing of it is
 * left out; what a cluster refuses (keys in several slots, subscriptions) fails as
 * cluster_connection::async_exec says. Calls on a connection pay nothing for this: which of the
 * two the client has is one branch per call.
 *
 * Not thread-safe, like the connection: use it from the connection's executor.
 */
class client {
 public:
  explicit client(connection& conn, std::size_t pooled_requests = 64)
      : conn_{&conn}, requests_{pooled_requests} {}
  explicit client(cluster_connection& cluster, std::size_t pooled_requests = 64)
      : cluster_{&cluster}, requests_{pooled_requests} {}

  /// True when the client was made on a cluster_connection.
  [[nodiscard]] bool on_cluster() const noexcept { return cluster_ != nullptr; }

  /// The connection the client was made on; throws std::logic_error when it was made on a
  /// cluster_connection (see get_cluster()).
  [[nodiscard]] connection& get_connection() const {
    if (conn_ == nullptr) {
      throw std::logic_error("respool::client: made on a cluster_connection, not a connection");
    }
    return *conn_;
  }

  /// The cluster_connection the client was made on; throws std::logic_error when it was made
  /// on a connection (see get_connection()).
  [[nodiscard]] cluster_connection& get_cluster() const {
    if (cluster_ == nullptr) {
      throw std::logic_error("respool::client: made on a connection, not a cluster_connection");
    }
    return *cluster_;
  }

  /// The executor of the connection or cluster_connection the client was made on.
  [[nodiscard]] asio::any_io_executor get_executor() const noexcept {
    return conn_ != nullptr ? conn_->get_executor() : cluster_->get_executor();
  }

  /// `async_exec<T>(cmd, args..., token)`: runs `cmd args...`, adapts the reply to T.
  template <class T, class... ArgsThenToken>
  auto async_exec(std::string_view cmd, ArgsThenToken&&... args_then_token) {
    // Checked first, and nothing else instantiated when it fails: a forgotten token would
    // otherwise be taken for one, deep inside asio::async_initiate.
    if constexpr (!detail::ends_with_token<ArgsThenToken...>()) {
      static_assert(detail::ends_with_token<ArgsThenToken...>(),
                    "respool: the last argument of async_exec must be a completion token "
                    "(asio::use_awaitable, a callback, ...)");
    } else {
      auto all = std::forward_as_tuple(std::forward<ArgsThenToken>(args_then_token)...);
      return exec_split<T>(cmd, all, std::make_index_sequence<sizeof...(ArgsThenToken) - 1>{});
    }
  }

  /// `async_exec(command, token)`: runs a typed command (commands.hpp); completes with
  /// `void(std::error_code, command::result_type)`.
  template <class W, class E, class C, class CompletionToken>
  auto async_exec(const command<W, E, C>& cmd, CompletionToken&& token) {
    using result_type = typename command<W, E, C>::result_type;
    std::unique_ptr<request> req = acquire_request();
    cmd.encode(*req);
    return asio::async_initiate<CompletionToken, void(std::error_code, result_type)>(
        [this, r = std::move(req), conv = cmd.convert](auto handler) mutable {
          this->template start<W>(std::move(r), std::move(handler), std::move(conv));
        },
        token);
  }

  /**
   * Runs `s` with EVALSHA and, when the server answers NOSCRIPT, once more with EVAL of its
   * source; completes with `void(std::error_code, T)`. `keys` and `args` are copied at once.
   */
  template <class T, class CompletionToken>
  auto async_eval(const script& s, std::span<const std::string_view> keys,
                  std::span<const std::string_view> args, CompletionToken&& token) {
    auto state = std::make_unique<eval_state<T>>();
    state->by_sha = acquire_request();
    s.encode(*state->by_sha, keys, args, false);
    state->by_source = acquire_request();
    s.encode(*state->by_source, keys, args, true);
    return asio::async_compose<CompletionToken, void(std::error_code, T)>(
        eval_op<T>{this, std::move(state), false}, token, get_executor());
  }

 private:
  template <class T>
  struct eval_state {
    std::unique_ptr<request> by_sha;
    std::unique_ptr<request> by_source;
    result<T> value;
    script::attempts run;
  };

  template <class T>
  struct eval_op {
    client* self;
    std::unique_ptr<eval_state<T>> st;
    bool started;
    template <class Self>
    void operator()(Self& op, std::error_code ec = {}, std::size_t = 0) {
      if (!started || (!ec && st->run.retry(st->value.error()))) {
        started = true;
        st->value = result<T>{};
        request& req = st->run.by_source() ? *st->by_source : *st->by_sha;
        // Over a cluster, EVAL goes to the node that answered NOSCRIPT (its key's), which
        // then has the script for the next EVALSHA.
        if (self->conn_ != nullptr) return self->conn_->async_exec(req, st->value, std::move(op));
        return self->cluster_->async_exec(req, st->value, std::move(op));
      }
      self->put_request(std::move(st->by_sha));
      self->put_request(std::move(st->by_source));
      if (ec) return op.complete(ec, T{});
      if (!st->value.has_value()) return op.complete(st->value.error().code, T{});
      return op.complete(std::error_code{}, std::move(st->value.value()));
    }
  };

  template <class T, class Tuple, std::size_t... I>
  auto exec_split(std::string_view cmd, Tuple& all, std::index_sequence<I...>) {
    constexpr std::size_t last = sizeof...(I);
    auto&& token = std::get<last>(all);
    // Encoded now: some tokens (use_awaitable, deferred) run the initiation later, when the
    // arguments may be gone.
    std::unique_ptr<request> req = acquire_request();
    req->push(cmd, std::get<I>(all)...);
    return asio::async_initiate<decltype(token), void(std::error_code, T)>(
        [this, r = std::move(req)](auto handler) mutable {
          this->template start<T>(std::move(r), std::move(handler));
        },
        token);
  }

  std::unique_ptr<request> acquire_request() {
    // Every argument is copied: the caller's arguments may be gone before the write.
    return requests_.get(request_config{std::numeric_limits<std::size_t>::max()});
  }

  template <class T, class Handler, class Convert = as_is>
  void start(std::unique_ptr<request> req, Handler handler, Convert conv = {}) {
    using alloc_t = typename std::allocator_traits<asio::associated_allocator_t<
        Handler, asio::recycling_allocator<void>>>::template rebind_alloc<detail::call<T>>;
    alloc_t alloc(asio::get_associated_allocator(handler, asio::recycling_allocator<void>{}));
    detail::call<T>* c = std::allocator_traits<alloc_t>::allocate(alloc, 1);
    std::allocator_traits<alloc_t>::construct(alloc, c);
    c->req = std::move(req);

    auto slot = asio::get_associated_cancellation_slot(handler);
    auto ex = asio::get_associated_executor(handler, get_executor());
    auto done = [this, c, alloc, conv = std::move(conv), h = std::move(handler)](
                    std::error_code ec, std::size_t) mutable {
      using result_type = std::decay_t<std::invoke_result_t<Convert&, T&&>>;
      result_type value{};
      if (!ec) value = conv(std::move(c->value));
      put_request(std::move(c->req));
      alloc_t a(alloc);
      std::allocator_traits<alloc_t>::destroy(a, c);
      std::allocator_traits<alloc_t>::deallocate(a, c, 1);
      std::move(h)(ec, std::move(value));
    };
    // Straight to the connection, without a completion token to adapt: `done` is only ever
    // called by the connection, and the executor and slot are the caller's handler's.
    const auto resp = detail::erased_response::of(c->value);
    if constexpr (std::is_same_v<decltype(ex), asio::any_io_executor>) {
      launch(*c->req, resp, std::move(done), slot, ex);
    } else {
      launch(*c->req, resp, asio::bind_executor(ex, std::move(done)), slot, get_executor());
    }
  }

  // The one place the two kinds part: both launch_exec have the same signature and meaning.
  template <class Handler>
  void launch(const request& req, detail::erased_response resp, Handler&& handler,
              asio::cancellation_slot slot, const asio::any_io_executor& fallback) {
    if (conn_ != nullptr) {
      conn_->launch_exec(req, resp, std::forward<Handler>(handler), slot, fallback);
    } else {
      cluster_->launch_exec(req, resp, std::forward<Handler>(handler), slot, fallback);
    }
  }

  void put_request(std::unique_ptr<request> req) noexcept { requests_.put(std::move(req)); }

  // Exactly one of the two is set.
  connection* conn_ = nullptr;
  cluster_connection* cluster_ = nullptr;
  pool<request> requests_;
};

}  // namespace respool
