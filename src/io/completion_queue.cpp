#include <respool/io/detail/exec_op.hpp>

namespace respool::detail {

void completion_queue::push(exec_op& op) noexcept {
  op.in_done = true;
  op.done_next = nullptr;
  if (tail_ != nullptr) {
    tail_->done_next = &op;
  } else {
    head_ = &op;
  }
  tail_ = &op;
}

exec_op* completion_queue::pop() noexcept {
  exec_op* op = head_;
  if (op == nullptr) return nullptr;
  head_ = op->done_next;
  if (head_ == nullptr) tail_ = nullptr;
  op->in_done = false;
  return op;
}

bool completion_queue::begin_delivery() noexcept {
  if (delivering_) return false;
  delivering_ = true;
  return true;
}

}  // namespace respool::detail
