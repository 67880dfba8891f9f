#include <respool/io/detail/connection_logic.hpp>
#include <respool/io/detail/multiplexer.hpp>
#include <respool/protocol/detail/adapt_support.hpp>
#include <respool/protocol/error.hpp>

#include <algorithm>
#include <cstring>
#include <utility>

namespace respool::detail {

void exec_state::reset() noexcept {
  req = nullptr;
  response = nullptr;
  on_reply = nullptr;
  on_done = nullptr;
  complete = nullptr;
  release = nullptr;
  owner = nullptr;
  expected = 0;
  received = 0;
  bytes = 0;
  refused = 0;
  attempts = 0;
  id = 0;
  deadline = clock::time_point::max();
  wait_deadline = clock::time_point::max();
  error.clear();
  refusal.clear();
  ph = phase::idle;
  abandoned = false;
  pending_ec.clear();
  next = nullptr;
  prev = nullptr;
  owner_next = nullptr;
}

void exec_list::push_back(exec_state& e) noexcept {
  e.next = nullptr;
  e.prev = tail_;
  if (tail_ != nullptr) {
    tail_->next = &e;
  } else {
    head_ = &e;
  }
  tail_ = &e;
  ++size_;
}

void exec_list::remove(exec_state& e) noexcept {
  if (e.prev != nullptr) {
    e.prev->next = e.next;
  } else {
    head_ = e.next;
  }
  if (e.next != nullptr) {
    e.next->prev = e.prev;
  } else {
    tail_ = e.prev;
  }
  e.next = e.prev = nullptr;
  --size_;
}

void exec_list::push_front(exec_state& e) noexcept {
  e.prev = nullptr;
  e.next = head_;
  if (head_ != nullptr) {
    head_->prev = &e;
  } else {
    tail_ = &e;
  }
  head_ = &e;
  ++size_;
}

exec_state* exec_list::pop_front() noexcept {
  exec_state* e = head_;
  if (e != nullptr) remove(*e);
  return e;
}

void exec_list::splice_back(exec_list& other) noexcept {
  if (other.head_ == nullptr) return;
  if (tail_ != nullptr) {
    tail_->next = other.head_;
    other.head_->prev = tail_;
  } else {
    head_ = other.head_;
  }
  tail_ = other.tail_;
  size_ += other.size_;
  other.head_ = other.tail_ = nullptr;
  other.size_ = 0;
}

multiplexer::multiplexer(std::size_t segment_capacity)
    : segs_{std::make_unique<segment[]>(std::max<std::size_t>(segment_capacity, 1))},
      seg_cap_{std::max<std::size_t>(segment_capacity, 1)} {}

void multiplexer::finish(exec_state& e, std::error_code ec) noexcept {
  e.ph = exec_state::phase::idle;
  e.complete(e, ec);
}

void multiplexer::let_go(exec_state& e) noexcept {
  e.ph = exec_state::phase::idle;
  e.release(e);
}

void multiplexer::prepare(exec_state& e) noexcept {
  e.expected = e.req->expected_replies();
  e.received = 0;
  e.bytes = 0;
  e.refused = 0;
  e.abandoned = false;
  e.pending_ec.clear();
  e.error.clear();
}

void multiplexer::enqueue_front(exec_state& e) {
  prepare(e);
  e.ph = exec_state::phase::queued;
  queued_.push_front(e);
}

void multiplexer::enqueue(exec_state& e) {
  prepare(e);
  if (e.req->commands() == 0) {
    // Nothing to write or wait for: a request with no commands succeeds with no replies.
    e.on_done(e.response, 0, e.error);
    finish(e, e.error.code);
    return;
  }
  e.ph = exec_state::phase::queued;
  queued_.push_back(e);
}

std::span<const segment> multiplexer::prepare_write(std::size_t max_requests) {
  if (!batch_.empty() || queued_.empty()) return {};
  std::size_t requests = 0;
  std::size_t count = 0;
  for (exec_state* e = queued_.front(); e != nullptr; e = e->next) {
    if (max_requests != 0 && requests == max_requests) break;
    count += e->req->segments().size();
    ++requests;
  }
  if (count > seg_cap_) {
    // Grows geometrically and keeps the room: a steady load stops allocating.
    std::size_t cap = seg_cap_;
    while (cap < count) cap *= 2;
    segs_ = std::make_unique<segment[]>(cap);
    seg_cap_ = cap;
  }
  batch_detached_ = false;
  std::size_t n = 0;
  for (std::size_t i = 0; i < requests; ++i) {
    exec_state* e = queued_.pop_front();
    const auto s = e->req->segments();
    std::memcpy(segs_.get() + n, s.data(), s.size() * sizeof(segment));
    n += s.size();
    e->ph = exec_state::phase::batched;
    e->wait_deadline = clock::time_point::max();
    batch_.push_back(*e);
    answers_.written(*e);
  }
  return {segs_.get(), n};
}

void multiplexer::commit_write() {
  while (!batch_.empty()) promote_front();
}

void multiplexer::promote_front() {
  exec_state* e = batch_.pop_front();
  if (e->expected != 0) {
    e->ph = exec_state::phase::written;
    written_.push_back(*e);
    // Abandoned during the write: the request's bytes are no longer needed, tell the caller
    // (unless it was told already, the batch being detached).
    if (e->abandoned && e->pending_ec) e->complete(*e, std::exchange(e->pending_ec, {}));
    return;
  }
  // Only commands answered by push messages (SUBSCRIBE...): done once written.
  if (e->abandoned) {
    if (e->pending_ec) {
      finish(*e, e->pending_ec);
    } else {
      let_go(*e);
    }
    return;
  }
  e->on_done(e->response, 0, e->error);
  finish(*e, e->error.code);
}

bool multiplexer::routes_to_push(resp3::reply_view reply) const noexcept {
  if (answers_.due()) {
    switch (answers_.classify(reply)) {
      case push_answers::verdict::confirmation:
      case push_answers::verdict::other_push:
        return true;
      case push_answers::verdict::refusal: {
        const exec_state* owner = answers_.due_owner();
        return owner == nullptr || owner->abandoned;
      }
      case push_answers::verdict::plain:
        return false;
    }
  }
  if (!reply.empty() && reply.front().data_type == resp3::type::push) return true;
  if (!written_.empty()) return false;
  for (const exec_state* e = batch_.front(); e != nullptr; e = e->next) {
    if (e->expected != 0) return false;
  }
  return true;
}

routed multiplexer::on_reply(resp3::reply_view reply, std::size_t bytes) {
  if (answers_.due()) return take_push_answer(reply);
  if (!reply.empty() && reply.front().data_type == resp3::type::push) return routed::push;
  // A reply to a request of the write in progress: the server has read all of its bytes, so
  // the writer is past them and only the write's completion has not run yet.
  while (written_.empty() && !batch_.empty()) promote_front();
  exec_state* e = written_.front();
  if (e == nullptr) return routed::push;
  answers_.answered();
  ++e->received;
  e->bytes += bytes;
  const resp3::type top = reply.empty() ? resp3::type::null : reply.front().data_type;
  if ((top == resp3::type::simple_error || top == resp3::type::bulk_error) && did_not_run(reply)) {
    ++e->refused;
  }
  if (!e->abandoned) e->on_reply(e->response, e->received - 1, reply, e->error);
  if (e->received == e->expected) {
    written_.remove(*e);
    if (e->abandoned) {
      let_go(*e);
    } else {
      e->on_done(e->response, e->received, e->error);
      if (!e->error && e->refusal) e->error = std::move(e->refusal);
      finish(*e, e->error.code);
    }
  }
  return routed::response;
}

// The next answer owed is a (P|S)(UN)SUBSCRIBE's (see push_answers).
routed multiplexer::take_push_answer(resp3::reply_view reply) noexcept {
  const push_answers::verdict v = answers_.classify(reply);
  exec_state* owner = answers_.due_owner();
  answers_.take(v);
  switch (v) {
    case push_answers::verdict::confirmation:
    case push_answers::verdict::other_push:
      return routed::push;
    case push_answers::verdict::refusal:
      if (owner == nullptr || owner->abandoned) return routed::refused;
      if (!owner->refusal) set_server_error(owner->refusal, reply.front());
      return routed::absorbed;
    case push_answers::verdict::plain:
      return routed::absorbed;
  }
  return routed::absorbed;
}

bool multiplexer::abandon(exec_state& e, std::error_code ec) {
  switch (e.ph) {
    case exec_state::phase::idle:
      return false;
    case exec_state::phase::queued:
      queued_.remove(e);
      finish(e, ec);
      return true;
    case exec_state::phase::batched:
      if (e.abandoned) return false;
      e.abandoned = true;
      if (batch_detached_) {
        e.complete(e, ec);  // the write no longer reads its bytes
      } else {
        e.pending_ec = ec;  // told in commit_write() or fail_all()
      }
      return true;
    case exec_state::phase::written:
      if (e.abandoned) return false;
      e.abandoned = true;
      // Still linked: its replies will come. Its owner keeps the state (not the response or
      // the request) until release.
      e.complete(e, ec);
      return true;
  }
  return false;
}

void multiplexer::fail_all(std::error_code ec, std::error_code unwritten_ec) {
  answers_.clear();
  exec_list done;
  done.splice_back(batch_);
  done.splice_back(written_);
  if (unwritten_ec) done.splice_back(queued_);
  while (exec_state* e = done.pop_front()) {
    const bool queued = e->ph == exec_state::phase::queued;
    if (e->abandoned && e->ph == exec_state::phase::batched && e->pending_ec) {
      finish(*e, e->pending_ec);  // the write it was waiting for is over
      continue;
    }
    if (e->abandoned) {
      let_go(*e);  // its caller was told already
      continue;
    }
    finish(*e, queued ? unwritten_ec : ec);
  }
}

void multiplexer::wait_for_connection(clock::time_point until) noexcept {
  for (exec_state* e = queued_.front(); e != nullptr; e = e->next) {
    if (e->wait_deadline == clock::time_point::max()) e->wait_deadline = until;
  }
}

void multiplexer::connection_up() noexcept {
  for (exec_state* e = queued_.front(); e != nullptr; e = e->next) {
    e->wait_deadline = clock::time_point::max();
  }
}

clock::time_point multiplexer::earliest_deadline() const noexcept {
  clock::time_point t = clock::time_point::max();
  for (const exec_list* l : {&queued_, &batch_, &written_}) {
    for (const exec_state* e = l->front(); e != nullptr; e = e->next) {
      if (!e->abandoned) t = std::min({t, e->deadline, e->wait_deadline});
    }
  }
  return t;
}

void multiplexer::expire(clock::time_point now) {
  for (exec_list* l : {&queued_, &batch_, &written_}) {
    exec_state* e = l->front();
    while (e != nullptr) {
      exec_state* next = e->next;
      if (!e->abandoned && e->deadline <= now) abandon(*e, error::request_timeout);
      e = next;
    }
  }
  exec_state* e = queued_.front();
  while (e != nullptr) {
    exec_state* next = e->next;
    if (e->wait_deadline <= now) abandon(*e, error::not_connected);
    e = next;
  }
}

}  // namespace respool::detail
