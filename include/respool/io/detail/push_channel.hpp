/// @file push_channel.hpp
/// @brief Where a connection's push messages go: the one waiting async_receive, else a queue.
#pragma once

#include <respool/io/detail/connection_logic.hpp>
#include <respool/io/detail/stored_handler.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/cancellation_type.hpp>

#include <cstddef>
#include <cstdint>
#include <system_error>

namespace respool::detail {

/**
 * The receiving end of push messages. A push goes straight to the async_receive waiting for
 * one, else into a bounded queue. Once a receiver has been seen, a full queue holds reading
 * back (must_pause()) rather than dropping pushes; before that, a push that finds the queue
 * full is dropped.
 *
 * A receive completed by offer() is delivered by deliver(), once the caller's state is
 * consistent again.
 */
class push_channel {
 public:
  /// What offer() did with a push.
  enum class outcome : std::uint8_t { delivered, queued, dropped };

  explicit push_channel(std::size_t max_queued) noexcept : pushes_{max_queued} {}

  /// Where async_receive stores its handler: a second receive goes to a slot that start()
  /// rejects.
  stored_handler<std::error_code>& handler_slot() noexcept {
    return out_ != nullptr ? rejected_ : handler_;
  }
  /// Starts the receive whose handler was just stored. True when it took a queued push
  /// (the queue has room again).
  bool start(generic_reply& out, asio::cancellation_slot slot);

  /// Whether a push arriving now must wait: the queue is full and a receiver will come.
  [[nodiscard]] bool must_pause() const noexcept {
    return pushes_.full() && receiver_seen_ && out_ == nullptr;
  }
  /// A push arrived.
  outcome offer(resp3::reply_view reply);
  /// Completes the receive offer() fed (posted, or dispatched).
  void deliver(bool post);
  /// Completes the waiting receive with operation_aborted.
  void abort();

  [[nodiscard]] std::size_t queued() const noexcept { return pushes_.size(); }

 private:
  // A constructor, not an aggregate: the slot emplaces with parentheses, which Clang 14 does
  // not accept for aggregates (P0960).
  struct canceller {
    canceller(push_channel* ch, std::uint64_t gen) noexcept : channel{ch}, generation{gen} {}
    push_channel* channel;
    std::uint64_t generation;
    void operator()(asio::cancellation_type) const;
  };

  push_queue pushes_;
  stored_handler<std::error_code> handler_;
  stored_handler<std::error_code> rejected_;
  generic_reply* out_ = nullptr;  // the waiting receive's destination
  std::uint64_t generation_ = 0;  // tells a stale canceller from the current one
  bool ready_ = false;            // a receive was fed and awaits deliver()
  bool receiver_seen_ = false;
};

}  // namespace respool::detail
