/// @file connection.hpp
/// @brief One connection to a Redis server: automatic pipelining, reconnection, push messages.
#pragma once

#include <respool/io/detail/erased_response.hpp>
#include <respool/io/detail/exec_op.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/request.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace respool {

namespace detail {
class sync_driver;
class cluster_impl;
}  // namespace detail

/// What a connection has done, for monitoring and tests.
struct connection_stats {
  std::uint64_t connects = 0;          ///< connections established (setup included)
  std::uint64_t connect_failures = 0;  ///< attempts that failed before the setup completed
  std::uint64_t disconnects = 0;       ///< established connections lost
  std::uint64_t writes = 0;            ///< gather writes (system calls or TLS writes)
  std::uint64_t write_batches = 0;     ///< batches of requests written
  std::uint64_t reads = 0;             ///< reads that returned data
  std::uint64_t replies = 0;           ///< replies read (pushes included)
  std::uint64_t pushes = 0;            ///< push messages read
  std::uint64_t pushes_dropped = 0;    ///< push messages dropped: queue full, no receiver
  std::uint64_t health_checks = 0;     ///< PINGs sent by the health check
  std::uint64_t retries = 0;           ///< requests sent again by the retry policy
};

/**
 * A connection to one Redis server, multiplexing any number of concurrent requests.
 *
 * async_run() connects, performs the setup (HELLO, AUTH, SETNAME, SELECT and a PING in one
 * round trip), then reads and writes until cancel(), reconnecting with backoff when the
 * connection is lost. The connection is up only once the server can serve: a server still
 * loading its dataset answers the PING with LOADING, and the setup is tried again after the
 * backoff while the requests wait.
 * async_exec() queues a request: every request queued while a write is in flight goes out in
 * the next gather write, and replies are matched to requests in order. Push messages (RESP3
 * pub/sub, invalidations) go to async_receive().
 *
 * Requests may be issued before async_run() or while reconnecting: they wait for the
 * connection, up to config::wait_for_connection (by default the connect timeout) and their own
 * timeout (config::request_timeout), then complete with error::not_connected (last_error()
 * says why); with config::fail_unwritten_when_down they do not wait. A request that was written
 * when the connection was lost completes with error::connection_lost, by default never retried:
 * it may have run. A retry policy (config::retry) sends again, within the request's deadline,
 * what did not run (`LOADING`, `MASTERDOWN`, `READONLY` answers) and what is safe to repeat
 * (read-only commands, requests marked idempotent); see retry_policy.
 *
 * @par Thread safety
 * None: call every member function from the connection's executor (use a strand when the
 * io_context has several threads). Completion handlers run on their own associated executor.
 *
 * @par Object lifetimes
 * The connection must outlive its operations: keep it until async_run() has completed. A
 * request and its response must stay alive, and the request unchanged, until its async_exec
 * completes; arguments the request references (see request.hpp) too.
 */
class connection {
 public:
  using executor_type = asio::any_io_executor;

  explicit connection(executor_type ex, config cfg = {});
  explicit connection(asio::io_context& ioc, config cfg = {});
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  [[nodiscard]] executor_type get_executor() const noexcept;
  [[nodiscard]] const config& get_config() const noexcept;

  /**
   * Connects and keeps the connection up until cancel() or the operation's cancellation.
   *
   * Completion signature: `void(std::error_code)`: asio::error::operation_aborted after
   * cancel(), error::setup_failed when the server refused the setup (unless
   * reconnect_config::retry_setup_errors), else the error that ended the last attempt when
   * reconnection is off.
   *
   * @par Per-operation cancellation
   * Any type: like cancel().
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_run(CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          detail::run_handler(*impl_).emplace(std::move(handler), get_executor());
          detail::start_run(*impl_, slot);
        },
        token);
  }

  /**
   * Waits until the connection is up: connected, and the setup done.
   *
   * Completion signature: `void(std::error_code)`: empty once the connection is up (at once
   * when it already is); otherwise the error that ended async_run (asio::error::operation_aborted
   * after cancel()), or error::not_connected when the run had already ended. One wait at a time:
   * a second completes with asio::error::already_started.
   *
   * @par Per-operation cancellation
   * Any type: completes it with asio::error::operation_aborted; the connection carries on.
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_wait_connected(CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          detail::connected_handler(*impl_).emplace(std::move(handler), get_executor());
          detail::start_wait_connected(*impl_, slot);
        },
        token);
  }

  /**
   * Sends `req` and adapts its replies into `resp` (see response_adapter: a single value for
   * one command, a std::tuple for a pipeline, generic_response for anything).
   *
   * Completion signature: `void(std::error_code, std::size_t)`, the size being the bytes of
   * the replies read. Errors: the adapter's (error::server_error, error::unexpected_type, …;
   * use result<T> elements to keep each command's own error and message),
   * error::connection_lost, error::not_connected, error::request_timeout,
   * asio::error::operation_aborted, or the protocol error that closed the connection.
   *
   * @par Per-operation cancellation
   * Any type cancels a request not yet written. Once written, only terminal cancellation
   * completes it early; its replies are then read and dropped.
   */
  template <class Response, class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_exec(const request& req, Response& resp, CompletionToken&& token = CompletionToken{}) {
    // The initiation does not depend on Response: one instantiation per token type serves
    // every response type.
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        initiate_exec{this}, token, &req, detail::erased_response::of(resp));
  }

  /// async_exec with the replies ignored (an error reply is still reported).
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_exec(const request& req, CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code, std::size_t)>(
        initiate_exec{this}, token, &req, detail::erased_response::ignored());
  }

  /**
   * Takes the next push message (RESP3 pushes, and replies no request waits for) into `out`,
   * waiting for one if none is queued. One receive at a time.
   *
   * Completion signature: `void(std::error_code)`; asio::error::operation_aborted on
   * cancellation or cancel().
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_receive(generic_reply& out, CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this, &out](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          detail::receive_handler(*impl_).emplace(std::move(handler), get_executor());
          detail::start_receive(*impl_, out, slot);
        },
        token);
  }

  /**
   * Receives the client-side-caching invalidations (config::client_tracking) instead of
   * async_receive: called on the connection's executor with the keys of each `invalidate`
   * push, and with an empty list when everything must go (a flush on the server, or a new
   * connection, since invalidations may have been missed while disconnected). Empty: none.
   */
  void on_invalidation(std::function<void(std::span<const std::string_view> keys)> handler);

  /// Stops async_run, closes the connection and completes every operation: written requests
  /// with error::connection_lost, the others with asio::error::operation_aborted.
  void cancel();

  /// Connected, and the setup done.
  [[nodiscard]] bool is_connected() const noexcept;
  /// The protocol in use once connected: 3, or 2 after a fallback.
  [[nodiscard]] int protocol() const noexcept;
  /// Push messages waiting for async_receive.
  [[nodiscard]] std::size_t queued_pushes() const noexcept;
  /// The caller's requests not completed yet, and those completed early (a timeout, a
  /// cancellation) whose replies are still to come, such as a blocking call still blocked on
  /// the server. The setup and the health check's PING are not counted.
  [[nodiscard]] std::size_t pending_requests() const noexcept;
  /// Whether the server has confirmed subscriptions (channels, patterns or shard channels)
  /// that are still in force; they are restored on every new connection.
  [[nodiscard]] bool has_subscriptions() const noexcept;
  /// The server's own message when it last refused the setup (e.g. "WRONGPASS invalid
  /// username-password pair or user is disabled."), else empty. Valid until the next setup.
  [[nodiscard]] const std::string& setup_error() const noexcept;
  /// What ended the last connection attempt or the last connection: e.g. connection refused,
  /// error::connect_timeout, error::server_loading, error::setup_failed; empty before the
  /// first failure. Kept once connected again. With error::not_connected, it says why no
  /// connection came.
  [[nodiscard]] std::error_code last_error() const noexcept;
  [[nodiscard]] const connection_stats& stats() const noexcept;

 private:
  struct exec_canceller {
    // A constructor, not an aggregate: the slot emplaces with parentheses (Clang 14 lacks P0960).
    exec_canceller(detail::connection_impl* i, detail::exec_op* o, std::uint64_t gen) noexcept
        : impl{i}, op{o}, generation{gen} {}
    detail::connection_impl* impl;
    detail::exec_op* op;
    std::uint64_t generation;
    void operator()(asio::cancellation_type type) const {
      detail::cancel_exec(*impl, *op, generation, type);
    }
  };

  struct initiate_exec {
    connection* self;
    template <class Handler>
    void operator()(Handler&& handler, const request* req, detail::erased_response resp) const {
      auto slot = asio::get_associated_cancellation_slot(handler);
      self->launch_exec(*req, resp, std::forward<Handler>(handler), slot, self->get_executor());
    }
  };

  // Queues `req`; `handler` completes it on its associated executor, else on `fallback`.
  // The client and the blocking facade call it directly, with no completion token to adapt.
  template <class Handler>
  void launch_exec(const request& req, detail::erased_response resp, Handler&& handler,
                   asio::cancellation_slot slot, const executor_type& fallback) {
    detail::exec_op* op = detail::acquire_exec(*impl_);
    op->slot = slot;
    op->handler.emplace(std::forward<Handler>(handler), fallback);
    op->state.req = &req;
    op->state.response = resp.response != nullptr ? resp.response : &op->ignored;
    op->state.on_reply = resp.on_reply;
    op->state.on_done = resp.on_done;
    if (op->slot.is_connected()) {
      op->slot.template emplace<exec_canceller>(impl_.get(), op, op->generation);
    }
    detail::start_exec(*impl_, *op);
  }

  friend class client;
  friend class sync_client;
  friend class detail::sync_driver;
  friend class detail::cluster_impl;

  std::shared_ptr<detail::connection_impl> impl_;
};

}  // namespace respool
