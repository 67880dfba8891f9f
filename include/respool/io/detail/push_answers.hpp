/// @file push_answers.hpp
/// @brief Where the answers of (P|S)(UN)SUBSCRIBE commands lie in the reply stream, so that
/// none is taken for another request's reply. Part of the multiplexer; tested without sockets.
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace respool::detail {

struct exec_state;

/**
 * The server answers a (P|S)(UN)SUBSCRIBE with one confirmation per channel (a push in RESP3,
 * an array in RESP2: `[subscribe, channel, count]`), or, when it refuses the command (no
 * channel given, an ACL that forbids the channel, a wrong slot), with one plain reply, an
 * error; in a transaction, with `QUEUED`. The requests that carry these commands complete once
 * written, so the multiplexer must still know where their answers come: a refusal taken for
 * the next request's reply would shift every reply after it by one.
 *
 * Every answer the server owes gets a number, in the order the commands are written: one per
 * ordinary command, one per (P|S)(UN)SUBSCRIBE. The answers of the latter are kept here with
 * their numbers; the multiplexer counts the others as their replies come (answered()). The
 * UNSUBSCRIBE forms without a channel, answered by one confirmation per channel the
 * connection has (unknown here), get no number: the server never refuses them outside a
 * transaction, and their confirmations are pushes like any other.
 */
class push_answers {
 public:
  /// What the next reply is, when the next answer owed is a (P|S)(UN)SUBSCRIBE's.
  enum class verdict : std::uint8_t {
    confirmation,  ///< one of its confirmations: a push for the receiver
    other_push,    ///< another push message (a published message): for the receiver
    refusal,       ///< its refusal, an error: for its request, or the receiver
    plain,         ///< its plain answer (QUEUED): for no one
  };

  /// `e` joins the write in progress: numbers the answers of its request (e.req).
  void written(exec_state& e);
  /// An answer that is no (P|S)(UN)SUBSCRIBE's came.
  void answered() noexcept { ++read_; }
  /// Whether the next answer owed is a (P|S)(UN)SUBSCRIBE's.
  [[nodiscard]] bool due() const noexcept {
    return head_ < slots_.size() && slots_[head_].position == read_;
  }
  /// What `reply` is to the command whose answer is due (due() must be true).
  [[nodiscard]] verdict classify(resp3::reply_view reply) const noexcept;
  /// The request that carried the command whose answer is due, while it waits for a later
  /// reply (a refusal fails it), else null (due() must be true).
  [[nodiscard]] exec_state* due_owner() const noexcept { return slots_[head_].owner; }
  /// Takes the reply classify() judged `v` (due() must be true).
  void take(verdict v) noexcept;
  /// The connection is gone: nothing is owed any more.
  void clear() noexcept;

 private:
  struct slot {
    std::uint64_t position = 0;       // the answer's number
    std::uint32_t confirmations = 0;  // still to come (none: only a refusal ends it)
    std::uint8_t kind = 0;            // index into the confirmation names
    exec_state* owner = nullptr;      // the request, if it waits for a later reply
  };
  void pop() noexcept;

  std::vector<slot> slots_;  // from head_ on, in the order of their numbers
  std::size_t head_ = 0;
  std::uint64_t written_ = 0;           // answers numbered
  std::uint64_t read_ = 0;              // answers come
  std::vector<std::string_view> argv_;  // the request walk's scratch
};

}  // namespace respool::detail
