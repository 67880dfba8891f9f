/// @file multiplexer.hpp
/// @brief The connection's logic without its I/O: requests queued, batched into gather writes,
/// replies matched to requests, push messages told apart. Tested without sockets.
#pragma once

#include <respool/io/detail/push_answers.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/node.hpp>
#include <respool/protocol/segment.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>

namespace respool::detail {

using clock = std::chrono::steady_clock;

struct exec_state;

/// Adapts reply number `index` of a request into its response (see response_adapter).
using reply_fn = void (*)(void* response, std::size_t index, resp3::reply_view reply,
                          adapt_error& err);
/// Called once every reply has come: checks the number of replies.
using done_fn = void (*)(void* response, std::size_t replies, adapt_error& err);
/// Completes the operation: `ec` is the outcome, the adapt error (if any) is in e.error.
/// Called exactly once per request. If `e.ph` is then `idle`, the multiplexer has let go of
/// `e`; otherwise (abandoned) it calls release_fn once it has.
using complete_fn = void (*)(exec_state& e, std::error_code ec) noexcept;
/// The multiplexer has let go of an abandoned request.
using release_fn = void (*)(exec_state& e) noexcept;

/**
 * One request on its way through a connection. The connection owns it (from a pool) and fills
 * it in; the multiplexer links it into its queues and calls `complete` exactly once.
 */
struct exec_state {
  enum class phase : std::uint8_t {
    idle,     ///< not in the multiplexer
    queued,   ///< waiting to be written
    batched,  ///< in the write in progress
    written,  ///< written, replies still to come
  };

  const request* req = nullptr;
  void* response = nullptr;
  reply_fn on_reply = nullptr;
  done_fn on_done = nullptr;
  complete_fn complete = nullptr;
  release_fn release = nullptr;
  void* owner = nullptr;  ///< the connection's context for the operation

  std::size_t expected = 0;  ///< replies the request will get
  std::size_t received = 0;  ///< replies received so far
  std::size_t bytes = 0;     ///< bytes of those replies
  /// Replies that proved their command did not run (did_not_run()), for a retry policy.
  std::size_t refused = 0;
  /// Tries made so far (the owner's retry policy counts them).
  std::uint32_t attempts = 0;
  /// For an observer (config::observer): the request's number (0: not observed) and when it
  /// was issued.
  std::uint64_t id = 0;
  clock::time_point started;
  clock::time_point deadline = clock::time_point::max();
  /// Queued while no connection is up: when it stops waiting for one (error::not_connected).
  /// Cleared once it leaves the queue or a connection is up.
  clock::time_point wait_deadline = clock::time_point::max();
  adapt_error error;
  /// A (P|S)(UN)SUBSCRIBE of the request refused by the server: the request's error once its
  /// replies are all in, unless they bring one of their own.
  adapt_error refusal;
  phase ph = phase::idle;
  /// Completed early (timeout, cancellation) after it was written: its replies are still
  /// read, to keep the stream in step, and dropped.
  bool abandoned = false;
  /// Abandoned during its write: the caller is told (with this code) once the write is over,
  /// since the write still reads the request's bytes.
  std::error_code pending_ec;

  exec_state* next = nullptr;
  exec_state* prev = nullptr;
  /// Free for the owner's use (e.g. a list of completions to deliver).
  exec_state* owner_next = nullptr;

  /// Clears everything but the adapt error's capacity, for reuse.
  void reset() noexcept;
};

/// An intrusive FIFO of exec_states, with removal from the middle.
class exec_list {
 public:
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] exec_state* front() const noexcept { return head_; }
  void push_back(exec_state& e) noexcept;
  void push_front(exec_state& e) noexcept;
  void remove(exec_state& e) noexcept;
  exec_state* pop_front() noexcept;
  /// Moves every element of `other` to the end of this list.
  void splice_back(exec_list& other) noexcept;

 private:
  exec_state* head_ = nullptr;
  exec_state* tail_ = nullptr;
  std::size_t size_ = 0;
};

/// Where a reply went.
enum class routed : std::uint8_t {
  response,  ///< to the oldest written request
  push,      ///< a push message, or a reply no request waits for: to the push receiver
  /// A (P|S)(UN)SUBSCRIBE's refusal (an error) that no request waits for: to the push
  /// receiver, since nobody else can be told.
  refused,
  absorbed,  ///< the plain answer of a (P|S)(UN)SUBSCRIBE (QUEUED), or its refusal, given
             ///< to the request that carried it: nothing more to do
};

/**
 * The multiplexer. Requests are queued with enqueue(); a writer takes every queued request
 * at once with prepare_write() (their segments, back to back, in one gather list) and reports
 * the write done with commit_write(). Replies are routed with on_reply(): RESP3 push messages
 * go to the push receiver, everything else to the oldest written request, in order, and
 * replies that come when no request waits (RESP2 pub/sub messages, MONITOR) go to the push
 * receiver as well. A request completes when its last reply has come.
 *
 * The (P|S)(UN)SUBSCRIBEs of a request are answered by push messages (push_answers): a
 * request made of nothing else completes once written, and the answers are told apart from
 * the replies of the requests after it. A refusal fails the request that carried it if that
 * still waits for a reply; else it goes to the push receiver.
 *
 * A reply may come before the write's completion is reported (the bytes left, the server
 * answered, and the read completed first): it belongs to the oldest request of the write in
 * progress, which then counts as written.
 *
 * Not thread-safe: the connection calls it from its executor. complete() is called after the
 * request has left every queue, so a completion may enqueue new requests.
 */
class multiplexer {
 public:
  explicit multiplexer(std::size_t segment_capacity = 256);

  /// Queues `e` for the next write. A request with no commands completes at once.
  void enqueue(exec_state& e);
  /// Queues `e` ahead of every queued request (a connection's setup).
  void enqueue_front(exec_state& e);
  /// The request the next write starts with, or null.
  [[nodiscard]] const exec_state* front_queued() const noexcept { return queued_.front(); }
  /// The first request of the write in progress (the others follow by `next`), or null.
  [[nodiscard]] const exec_state* front_batched() const noexcept { return batch_.front(); }
  /// The oldest request written whose replies have not all come, or null.
  [[nodiscard]] const exec_state* front_written() const noexcept { return written_.front(); }
  /// Whether on_reply() would route `reply` to the push receiver.
  [[nodiscard]] bool routes_to_push(resp3::reply_view reply) const noexcept;

  [[nodiscard]] bool has_queued() const noexcept { return !queued_.empty(); }
  [[nodiscard]] bool writing() const noexcept { return !batch_.empty(); }
  /// Requests written whose replies have not all come (abandoned ones included).
  [[nodiscard]] std::size_t awaiting() const noexcept { return written_.size(); }
  [[nodiscard]] std::size_t queued() const noexcept { return queued_.size(); }
  /// Requests queued, being written or waiting for replies (abandoned ones included).
  [[nodiscard]] std::size_t in_flight() const noexcept {
    return queued_.size() + batch_.size() + written_.size();
  }
  /// Nothing queued, being written or waiting for replies.
  [[nodiscard]] bool idle() const noexcept {
    return queued_.empty() && batch_.empty() && written_.empty();
  }

  /**
   * Moves every queued request into the write batch and returns their segments, in order.
   * The span stays valid until commit_write() or fail_all(). At most `max_requests` requests
   * join one batch (0: no limit). Returns an empty span when nothing is queued or a write is
   * already in progress.
   */
  std::span<const segment> prepare_write(std::size_t max_requests = 0);

  /// The batch has been written whole: its requests now wait for their replies (those that
  /// expect none complete).
  void commit_write();

  /// Routes one complete reply of `bytes` bytes (see the class comment).
  routed on_reply(resp3::reply_view reply, std::size_t bytes);

  /**
   * Completes `e` with `ec` (a timeout or a cancellation). Queued: it leaves the queue, is
   * never written and completes now. Written: it completes now and stays, marked abandoned, so
   * its replies are still consumed; its response is no longer touched. In the write in
   * progress: it is marked abandoned and completes when the write is over, because until then
   * the write reads the request's bytes, unless the batch was detached (detach_batch()).
   * @returns false when `e` is not in the multiplexer (already completed).
   */
  bool abandon(exec_state& e, std::error_code ec);

  /// The connection is gone: requests in the batch or written complete with `ec`. Queued
  /// requests complete with `unwritten_ec` if it is an error, else stay queued.
  void fail_all(std::error_code ec, std::error_code unwritten_ec);

  /// The write in progress no longer reads the requests' bytes (the writer copied what was
  /// left of it): a request abandoned from the batch now completes at once. Until the next
  /// prepare_write().
  void detach_batch() noexcept { batch_detached_ = true; }

  /// No connection is up: the queued requests that are not waiting for one yet give up at
  /// `until` (exec_state::wait_deadline).
  void wait_for_connection(clock::time_point until) noexcept;
  /// A connection is up: no queued request waits for one any more.
  void connection_up() noexcept;

  /// The earliest deadline or wait deadline among requests not yet completed
  /// (time_point::max() if none).
  [[nodiscard]] clock::time_point earliest_deadline() const noexcept;

  /// Completes every request whose deadline is <= now with error::request_timeout, then every
  /// queued request whose wait deadline is <= now with error::not_connected.
  void expire(clock::time_point now);

 private:
  static void prepare(exec_state& e) noexcept;
  routed take_push_answer(resp3::reply_view reply) noexcept;
  void promote_front();
  static void finish(exec_state& e, std::error_code ec) noexcept;
  static void let_go(exec_state& e) noexcept;

  exec_list queued_;
  exec_list batch_;
  exec_list written_;
  push_answers answers_;
  std::unique_ptr<segment[]> segs_;
  std::size_t seg_cap_ = 0;
  bool batch_detached_ = false;
};

}  // namespace respool::detail
