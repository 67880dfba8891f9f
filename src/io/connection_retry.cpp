// Retrying requests (config::retry): a request whose outcome proves it did not run, or that is
// safe to repeat and lost its connection, waits a jittered backoff and is queued again, within
// its deadline. The rules are retry_policy's; the decision is may_retry()'s.
#include "connection_impl.hpp"
#include <respool/protocol/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace respool::detail {

bool connection_impl::safe_to_repeat(const exec_state& e) {
  return e.req->idempotent() || read_only_request(*e.req, argv_);
}

// Called as `op` completes with `ec`: true when it was kept for another try instead.
bool connection_impl::retry_later(exec_op& op, std::error_code ec) noexcept {
  exec_state& e = op.state;
  const std::uint32_t limit =
      e.req->max_attempts() != 0 ? e.req->max_attempts() : cfg_.retry.max_attempts;
  if (limit <= 1 || e.attempts >= limit || e.ph != exec_state::phase::idle || stopping_ ||
      state_ == state::stopped || run_ended_ || e.abandoned) {
    return false;
  }
  retry_facts facts{ec, e.expected, e.refused, false};
  try {
    // Only looked at when the outcome alone does not decide.
    if (!may_retry(facts)) {
      facts.safe_to_repeat = safe_to_repeat(e);
      if (!may_retry(facts)) return false;
    }
    const auto at = clock::now() + retry_delay(cfg_.retry, e.attempts, jitter_unit());
    if (at >= e.deadline) return false;
    retrying_.push_back(&op);
    op.retrying = true;
    op.retry_at = at;
    op.result = ec;  // what the caller hears if there is no next try
    ++stats_.retries;
    if (obs_ != nullptr && e.id != 0) obs_->on_retry(event_of(e), ec);
    log(log_level::info, fmt::format("request retried (try {} of {}): {}", e.attempts + 1, limit,
                                     e.refused != 0 ? "the server did not run it" : ec.message()));
    arm_retry();
    return true;
  } catch (...) {
    op.retrying = false;
    std::erase(retrying_, &op);
    return false;
  }
}

void connection_impl::arm_retry() {
  clock::time_point first = clock::time_point::max();
  for (const exec_op* op : retrying_) first = std::min(first, op->retry_at);
  if (first == clock::time_point::max() || first >= retry_armed_) return;
  retry_armed_ = first;
  retry_timer_.expires_at(first);
  retry_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    self->on_retry_timer();
  });
}

void connection_impl::on_retry_timer() {
  retry_armed_ = clock::time_point::max();
  const auto now = clock::now();
  // Queued in the order they are due; the list is short (what failed at once).
  std::sort(retrying_.begin(), retrying_.end(),
            [](const exec_op* a, const exec_op* b) { return a->retry_at < b->retry_at; });
  std::size_t due = 0;
  while (due < retrying_.size() && retrying_[due]->retry_at <= now) ++due;
  for (std::size_t i = 0; i < due; ++i) {
    exec_op& op = *retrying_[i];
    op.retrying = false;
    op.result.clear();
    enqueue(op);
  }
  retrying_.erase(retrying_.begin(), retrying_.begin() + static_cast<std::ptrdiff_t>(due));
  arm_retry();
  deliver(false);
}

// Ends `op`'s wait for its next try: it completes with `ec`.
bool connection_impl::cancel_retry(exec_op& op, std::error_code ec) {
  if (!op.retrying) return false;
  std::erase(retrying_, &op);
  op.retrying = false;
  op.result = ec;
  completions_.push(op);
  return true;
}

// Stopping: every request waiting for a next try completes with its last outcome.
void connection_impl::fail_retries() {
  for (exec_op* op : retrying_) {
    op->retrying = false;
    completions_.push(*op);
  }
  retrying_.clear();
  retry_timer_.cancel();
  retry_armed_ = clock::time_point::max();
}

}  // namespace respool::detail
