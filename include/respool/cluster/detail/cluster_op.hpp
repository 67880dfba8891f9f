/// @file cluster_op.hpp
/// @brief How respool::cluster_connection's templated front end reaches its compiled
/// implementation.
#pragma once

#include <respool/io/detail/erased_response.hpp>
#include <respool/io/detail/stored_handler.hpp>
#include <respool/protocol/request.hpp>

#include <asio/cancellation_signal.hpp>

#include <system_error>

namespace respool::detail {

class cluster_impl;
struct cluster_op;

/// A pooled operation for one async_exec.
cluster_op& acquire_cluster_op(cluster_impl& c);
stored_handler<std::error_code, std::size_t>& cluster_op_handler(cluster_op& op);
/// Routes `req` command by command and sends it; the handler completes it.
void start_cluster_exec(cluster_impl& c, cluster_op& op, const request& req, erased_response resp,
                        asio::cancellation_slot slot);

stored_handler<std::error_code>& cluster_run_handler(cluster_impl& c);
void start_cluster_run(cluster_impl& c, asio::cancellation_slot slot);

}  // namespace respool::detail
