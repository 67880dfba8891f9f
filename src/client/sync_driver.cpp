#include "sync_driver.hpp"

#include <respool/io/connection.hpp>
#include <respool/io/detail/connection_logic.hpp>

#include <asio/io_context.hpp>

#include <utility>

namespace respool::detail {

sync_driver::sync_driver(asio::io_context& ctx, connection& conn) : ctx_{ctx}, conn_{&conn} {
  thread_ = std::thread([this] { background(); });
}

sync_driver::~sync_driver() {
  if (thread_.joinable()) stop_background();
}

void sync_driver::run(sync_call& c) {
  std::unique_lock<std::mutex> lock(m_);
  ++calls_;
  if (queued_head_ == nullptr) {
    queued_head_ = &c;
  } else {
    queued_tail_->queued = &c;
  }
  queued_tail_ = &c;
  switch (driver_) {
    case driver::nobody:
      driver_ = driver::caller;
      return drive(c, lock);
    case driver::background:
      if (!handover_) {
        handover_ = true;
        ctx_.stop();  // its run() returns, and it hands the driving over
      }
      break;
    case driver::caller:
      // A driver waiting in the reactor would not see this request before its reply came.
      if (in_io_ && !interrupted_) {
        interrupted_ = true;
        ctx_.stop();
      }
      break;
  }
  lock.unlock();
  if (c.wait() == sync_call::outcome::lead) {
    lock.lock();
    drive(c, lock);
  }
}

// Starts what is queued, runs the io_context until `own` completes, then hands over. Called
// and returns with `lock` held.
void sync_driver::drive(sync_call& own, std::unique_lock<std::mutex>& lock) {
  for (;;) {
    sync_call* batch = queued_head_;
    queued_head_ = queued_tail_ = nullptr;
    if (batch == nullptr && own.done) break;
    in_io_ = batch == nullptr;
    interrupted_ = false;
    lock.unlock();
    if (batch != nullptr) {
      start(batch);
    } else {
      ctx_.run_one();
    }
    lock.lock();
    in_io_ = false;
    if (ctx_.stopped()) ctx_.restart();  // a caller queued a request: start it
  }
  hand_off();
}

// The requests of `batch`, written together once all are queued.
void sync_driver::start(sync_call* batch) {
  hold_writes(*conn_->impl_);
  while (batch != nullptr) {
    sync_call* c = batch;
    batch = c->queued;  // read first: c may complete (posted) once started
    c->queued = nullptr;
    c->prev = nullptr;
    c->next = started_;
    if (started_ != nullptr) started_->prev = c;
    started_ = c;
    conn_->launch_exec(*c->req, c->resp, completion{this, c}, {}, conn_->get_executor());
  }
  release_writes(*conn_->impl_);
}

// Under m_: the driving goes to a caller still waiting (the one started last, whose reply
// comes after the others'), else to nobody.
void sync_driver::hand_off() {
  sync_call* next = started_ != nullptr ? started_ : queued_head_;
  if (next == nullptr) {
    driver_ = driver::nobody;
    return;
  }
  next->wake(sync_call::outcome::lead);
}

// Runs on the driver's thread, inside the io_context.
void sync_driver::finish(sync_call& c, std::error_code ec) {
  std::string why;
  // conn_ is null when the completion comes while close() lets go of the connection.
  if (ec == error::not_connected && conn_ != nullptr) {
    why = describe_not_connected(conn_->get_config(), conn_->last_error());
  }
  unlink(c);
  c.ec = ec;
  c.why = std::move(why);
  c.done = true;
  c.wake(sync_call::outcome::done);  // the last use of c: its caller may return at once
}

void sync_driver::unlink(sync_call& c) noexcept {
  if (c.prev != nullptr) {
    c.prev->next = c.next;
  } else if (started_ == &c) {
    started_ = c.next;
  }
  if (c.next != nullptr) c.next->prev = c.prev;
  c.prev = c.next = nullptr;
}

// The background thread: drives while no caller does (after idle_grace), from the start (the
// connection connects at once) until close().
void sync_driver::background() {
  std::unique_lock<std::mutex> lock(m_);
  bool first = true;  // at the start, unless a call came first
  for (;;) {
    if ((!first || driver_ != driver::nobody) && !wait_for_idle(lock)) return;
    first = false;
    if (stopping_) return;
    driver_ = driver::background;
    lock.unlock();
    ctx_.run();  // until a caller, or close(), stops it
    lock.lock();
    ctx_.restart();
    handover_ = false;
    driver_ = driver::nobody;
    if (queued_head_ != nullptr) {
      driver_ = driver::caller;
      queued_head_->wake(sync_call::outcome::lead);
    }
  }
}

// Waits until nobody has driven for idle_grace; false when close() is under way. Callers never
// notify this thread (that would cost every call a wake-up): it looks again after each grace
// period, and close() wakes it.
bool sync_driver::wait_for_idle(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    const std::uint64_t seen = calls_;
    background_cv_.wait_for(lock, idle_grace, [&] { return stopping_; });
    if (stopping_) return false;
    if (driver_ == driver::nobody && calls_ == seen) return true;
  }
}

void sync_driver::stop_background() {
  {
    const std::lock_guard<std::mutex> lock(m_);
    stopping_ = true;
    if (driver_ == driver::background) ctx_.stop();
  }
  background_cv_.notify_all();
  thread_.join();
}

// After close_connection(): runs what the cancellation posted, until nothing is left.
void sync_driver::finish_io() {
  ctx_.restart();
  ctx_.run();
}

}  // namespace respool::detail
