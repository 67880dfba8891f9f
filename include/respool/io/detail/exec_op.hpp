/// @file exec_op.hpp
/// @brief How respool::connection's templated front end reaches its compiled implementation:
/// one pooled operation per async_exec, and the calls that start and cancel operations.
#pragma once

#include <respool/io/detail/multiplexer.hpp>
#include <respool/io/detail/stored_handler.hpp>
#include <respool/protocol/adapt.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>

namespace respool::detail {

class connection_impl;

/// One async_exec: the state the multiplexer links, and the caller's handler.
struct exec_op {
  exec_state state;
  stored_handler<std::error_code, std::size_t> handler;
  asio::cancellation_slot slot;
  connection_impl* conn = nullptr;
  ignore_t ignored;              // the response of an async_exec without one
  std::error_code result;        // the outcome, until delivered
  exec_op* done_next = nullptr;  // completions waiting for delivery
  std::uint64_t generation = 0;  // tells a stale canceller from the current one
  bool active = false;           // started and not yet delivered
  bool in_done = false;          // completed, waiting for delivery
  bool cancelling = false;       // its canceller is running
  bool retrying = false;         // waits for its next try (connection_impl::retrying_)
  std::chrono::steady_clock::time_point retry_at;  // when it is sent again
};

/**
 * The operations that completed and wait for delivery, in completion order. The multiplexer
 * reports completions while it works; they are delivered once its state is consistent again.
 */
class completion_queue {
 public:
  /// Queues `op` for delivery.
  void push(exec_op& op) noexcept;
  /// The next operation to deliver, null when none.
  exec_op* pop() noexcept;
  /// Starts a delivery; false when one is already under way (it takes what is pushed now).
  bool begin_delivery() noexcept;
  void end_delivery() noexcept { delivering_ = false; }

 private:
  exec_op* head_ = nullptr;
  exec_op* tail_ = nullptr;
  bool delivering_ = false;
};

exec_op* acquire_exec(connection_impl& c);
void start_exec(connection_impl& c, exec_op& op);
void cancel_exec(connection_impl& c, exec_op& op, std::uint64_t generation,
                 asio::cancellation_type type);
/// Between hold_writes() and release_writes(), requests started are not written (nor a write
/// scheduled through the executor) until release_writes() writes them together, at once. For a
/// thread that drives the connection from outside its handlers (sync_client).
void hold_writes(connection_impl& c);
void release_writes(connection_impl& c);

/// Owner reads: the thread that drives the io_context (sync_client) reads the replies itself,
/// in a recv() that blocks up to `wait`, instead of waiting in the reactor and reading after
/// (one system call per reply instead of three). begin_owner_reads() is false when the
/// connection cannot (not established, not on the direct path); end_owner_reads() gives the
/// reading back to Asio, for a thread that runs the io_context otherwise.
enum class owned_read {
  data,        ///< bytes arrived and were handled (or the connection failed)
  timeout,     ///< nothing within the wait: run the io_context's ready handlers and timers
  unavailable  ///< the reactor is needed now (a write waits, or no owner reads): run_one()
};
bool begin_owner_reads(connection_impl& c, std::chrono::milliseconds wait);
void end_owner_reads(connection_impl& c);
owned_read read_owned(connection_impl& c);
stored_handler<std::error_code>& run_handler(connection_impl& c);
void start_run(connection_impl& c, asio::cancellation_slot slot);
stored_handler<std::error_code>& receive_handler(connection_impl& c);
void start_receive(connection_impl& c, generic_reply& out, asio::cancellation_slot slot);
stored_handler<std::error_code>& connected_handler(connection_impl& c);
void start_wait_connected(connection_impl& c, asio::cancellation_slot slot);

}  // namespace respool::detail
