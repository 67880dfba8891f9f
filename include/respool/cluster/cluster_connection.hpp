/// @file cluster_connection.hpp
/// @brief One connection object for a whole Redis Cluster: commands routed by hash slot,
/// redirections followed, the topology kept up to date.
#pragma once

#include <respool/cluster/cluster_config.hpp>
#include <respool/cluster/detail/cluster_op.hpp>
#include <respool/io/detail/erased_response.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/request.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

namespace respool {

class client;
class sync_client;

/// What a cluster connection has done, for monitoring and tests.
struct cluster_stats {
  std::uint64_t refreshes = 0;         ///< topology reads started
  std::uint64_t refresh_failures = 0;  ///< topology reads that got no usable answer
  std::uint64_t moved = 0;             ///< MOVED redirections followed
  std::uint64_t asked = 0;             ///< ASK redirections followed
  std::uint64_t retries = 0;       ///< commands sent again after a reply saying they did not run
  std::uint64_t split = 0;         ///< requests sent to several nodes
  std::uint64_t nodes = 0;         ///< node connections made
  std::uint64_t resubscribed = 0;  ///< subscriptions made again elsewhere (a slot moved...)
  std::uint64_t messages_dropped = 0;  ///< pub/sub messages dropped: queue full, no receiver
};

/**
 * A Redis Cluster behind one object, used as a connection is.
 *
 * async_run() reads the topology from the seeds (`CLUSTER SHARDS`, else `CLUSTER SLOTS`) and
 * keeps it current until cancel(). async_exec() takes any request: each command goes to the
 * master of its keys' hash slot, over one multiplexed connection per node (made on first use),
 * and the replies come back in the request's order, adapted as a connection adapts them. A
 * pipeline whose commands live on several nodes is split by node without copying its bytes.
 *
 * Replies that prove a command did not run are acted on, never shown: `MOVED` (the slot moved:
 * the map is updated, the topology read again, the command resent), `ASK` (the command goes
 * to the importing node with `ASKING` in the same write), and `TRYAGAIN`, `CLUSTERDOWN`,
 * `LOADING`, `MASTERDOWN`, `READONLY` (retried after a jittered backoff within the request's
 * timeout). A command that was written when its node's connection was lost is never resent:
 * the request completes with error::connection_lost, as on a connection.
 *
 * Commands inside `MULTI`…`EXEC` go to one node together; their replies are given as they
 * come (a redirection inside a transaction is not followed, but the topology is read again).
 * A command whose keys are in several slots fails without being sent, with a `CROSSSLOT`
 * error reply; so does a subscribing command in a request (subscribe with async_pubsub, or a
 * subscriber over the cluster connection).
 *
 * @par Thread safety
 * None: call it from its executor, as a connection.
 */
class cluster_connection {
 public:
  using executor_type = asio::any_io_executor;

  cluster_connection(executor_type ex, cluster_config cfg);
  cluster_connection(asio::io_context& ioc, cluster_config cfg);
  ~cluster_connection();
  cluster_connection(const cluster_connection&) = delete;
  cluster_connection& operator=(const cluster_connection&) = delete;

  [[nodiscard]] executor_type get_executor() const noexcept;
  [[nodiscard]] const cluster_config& get_config() const noexcept;

  /**
   * Reads the topology and keeps it current until cancel().
   * Completion signature: `void(std::error_code)`: asio::error::operation_aborted after
   * cancel() or the operation's cancellation.
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_run(CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          detail::cluster_run_handler(*impl_).emplace(std::move(handler), get_executor());
          detail::start_cluster_run(*impl_, slot);
        },
        token);
  }

  /**
   * Sends `req`, its commands routed by slot, and adapts the replies into `resp` in the
   * request's order, as connection::async_exec does.
   *
   * Completion signature: `void(std::error_code, std::size_t)`. Errors as a connection's;
   * error::not_connected when no topology could be read within the request's time.
   *
   * @par Per-operation cancellation
   * Terminal and partial: the commands not yet sent are dropped and the parts sent are
   * cancelled as a connection cancels them.
   */
  template <class Response, class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_exec(const request& req, Response& resp, CompletionToken&& token = CompletionToken{}) {
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
   * Subscribes or unsubscribes. `command` is SSUBSCRIBE, SUNSUBSCRIBE, SUBSCRIBE, UNSUBSCRIBE,
   * PSUBSCRIBE or PUNSUBSCRIBE (in any case) and `names` its channels or patterns: at least one
   * to subscribe; none to unsubscribe from every one of that kind.
   *
   * Shard channels are subscribed at the master of each one's slot, channels and patterns at
   * one master (a message published anywhere in a cluster reaches every node), each node's on
   * a connection of its own. They follow the cluster: when a slot moves (its node says
   * `sunsubscribe`, or a new topology names another master after a resharding or a failover)
   * or a node is lost, its subscriptions are made again where they now belong. Their messages
   * come through async_receive.
   *
   * Completion signature: `void(std::error_code)`, once the server has confirmed every name:
   * error::request_timeout when that did not happen within the seeds' config::request_timeout
   * (when zero, cluster_config::retry_time), and the names not confirmed are given up;
   * error::resp3_required when the seeds speak RESP2; std::errc::invalid_argument for another
   * command or no name to subscribe to; asio::error::operation_aborted after cancel(). Not
   * cancellable on its own.
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_pubsub(std::string_view command, std::span<const std::string_view> names,
                    CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this, command, names](auto handler) {
          detail::pubsub_call& call = detail::acquire_pubsub_call(*impl_);
          detail::pubsub_call_handler(call).emplace(std::move(handler), get_executor());
          detail::start_pubsub_call(*impl_, call, command, names);
        },
        token);
  }

  /**
   * Takes the next message of the subscriptions (RESP3 pushes `message`, `pmessage`,
   * `smessage`, read by subscriber::read_message) into `out`. Up to the seeds'
   * config::max_queued_pushes wait for a receiver; more are dropped (cluster_stats).
   * Completion signature: `void(std::error_code)`; asio::error::operation_aborted on
   * cancellation or cancel().
   */
  template <class CompletionToken = asio::default_completion_token_t<executor_type>>
  auto async_receive(generic_reply& out, CompletionToken&& token = CompletionToken{}) {
    return asio::async_initiate<CompletionToken, void(std::error_code)>(
        [this, &out](auto handler) {
          auto slot = asio::get_associated_cancellation_slot(handler);
          detail::cluster_receive_handler(*impl_).emplace(std::move(handler), get_executor());
          detail::start_cluster_receive(*impl_, out, slot);
        },
        token);
  }

  /// Stops async_run and every node connection; completes every operation (written requests
  /// with error::connection_lost, the others with asio::error::operation_aborted).
  void cancel();

  /// The topology last read (empty before the first read).
  [[nodiscard]] const cluster::slot_map& topology() const noexcept;
  [[nodiscard]] const cluster_stats& stats() const noexcept;

 private:
  struct initiate_exec {
    cluster_connection* self;
    template <class Handler>
    void operator()(Handler&& handler, const request* req, detail::erased_response resp) const {
      auto slot = asio::get_associated_cancellation_slot(handler);
      self->launch_exec(*req, resp, std::forward<Handler>(handler), slot, self->get_executor());
    }
  };

  // Routes and sends `req`; `handler` completes it on its associated executor, else on
  // `fallback`. What the clients built on a cluster call, with no completion token to adapt
  // (as connection::launch_exec).
  template <class Handler>
  void launch_exec(const request& req, detail::erased_response resp, Handler&& handler,
                   asio::cancellation_slot slot, const executor_type& fallback) {
    detail::cluster_op& op = detail::acquire_cluster_op(*impl_);
    detail::cluster_op_handler(op).emplace(std::forward<Handler>(handler), fallback);
    detail::start_cluster_exec(*impl_, op, req, resp, slot);
  }

  friend class client;
  friend class sync_client;

  std::shared_ptr<detail::cluster_impl> impl_;
};

}  // namespace respool
