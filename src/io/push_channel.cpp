#include <respool/io/detail/push_channel.hpp>

#include <asio/error.hpp>

namespace respool::detail {

bool push_channel::start(generic_reply& out, asio::cancellation_slot slot) {
  if (rejected_) {
    rejected_.post(asio::error::already_started);
    return false;
  }
  receiver_seen_ = true;
  if (pushes_.size() != 0) {
    pushes_.pop(out);
    handler_.post(std::error_code{});
    return true;
  }
  out_ = &out;
  ++generation_;
  if (slot.is_connected()) slot.template emplace<canceller>(this, generation_);
  return false;
}

push_channel::outcome push_channel::offer(resp3::reply_view reply) {
  if (out_ != nullptr) {
    push_queue::copy(reply, *out_);
    out_ = nullptr;
    ready_ = true;
    return outcome::delivered;
  }
  return pushes_.push(reply) ? outcome::queued : outcome::dropped;
}

void push_channel::deliver(bool post) {
  if (!ready_) return;
  ready_ = false;
  if (post) {
    handler_.post(std::error_code{});
  } else {
    handler_.dispatch(std::error_code{});
  }
}

void push_channel::abort() {
  if (out_ == nullptr) return;
  out_ = nullptr;
  handler_.post(asio::error::operation_aborted);
}

void push_channel::canceller::operator()(asio::cancellation_type) const {
  if (channel->generation_ != generation) return;
  channel->abort();
}

}  // namespace respool::detail
