/// @file cluster_op.hpp
/// @brief How respool::cluster_connection's templated front end reaches its compiled
/// implementation.
#pragma once

#include <respool/io/detail/erased_response.hpp>
#include <respool/io/detail/stored_handler.hpp>
#include <respool/protocol/request.hpp>

#include <asio/cancellation_signal.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

namespace respool {
class generic_reply;
}

namespace respool::detail {

class cluster_impl;
struct cluster_op;
struct pubsub_call;

/// A pooled operation for one async_exec.
cluster_op& acquire_cluster_op(cluster_impl& c);
stored_handler<std::error_code, std::size_t>& cluster_op_handler(cluster_op& op);
/// Routes `req` command by command and sends it; the handler completes it.
void start_cluster_exec(cluster_impl& c, cluster_op& op, const request& req, erased_response resp,
                        asio::cancellation_slot slot);

stored_handler<std::error_code>& cluster_run_handler(cluster_impl& c);
void start_cluster_run(cluster_impl& c, asio::cancellation_slot slot);

/// One (un)subscribing call: its handler runs once every name is confirmed.
pubsub_call& acquire_pubsub_call(cluster_impl& c);
stored_handler<std::error_code>& pubsub_call_handler(pubsub_call& call);
/// `command`: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE or an UNSUBSCRIBE form.
void start_pubsub_call(cluster_impl& c, pubsub_call& call, std::string_view command,
                       std::span<const std::string_view> names);

/// The next message of the cluster's subscriptions into `out`.
stored_handler<std::error_code>& cluster_receive_handler(cluster_impl& c);
void start_cluster_receive(cluster_impl& c, generic_reply& out, asio::cancellation_slot slot);

}  // namespace respool::detail
