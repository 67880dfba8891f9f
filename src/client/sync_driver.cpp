#include "sync_driver.hpp"

#include <respool/io/connection.hpp>
#include <respool/io/detail/connection_logic.hpp>

#include <asio/io_context.hpp>

#include <utility>

#ifdef __linux__
#  include <linux/futex.h>

#  include <sys/syscall.h>
#  include <unistd.h>
#endif

namespace respool::detail {

namespace {

static_assert(std::atomic<int>::is_always_lock_free && sizeof(std::atomic<int>) == sizeof(int),
              "a futex is a plain int");

// Sleeps while `word` holds `value`; wakes one sleeper on `word`. Straight futex calls on
// Linux: C++20's atomic wait spins and yields a dozen times first, which costs a caller among
// fifty more than the sleep it avoids.
void sleep_while(std::atomic<int>& word, int value) noexcept {
#ifdef __linux__
  ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr,
            0);
#else
  word.wait(value);
#endif
}

void wake_one(std::atomic<int>& word) noexcept {
#ifdef __linux__
  ::syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
  word.notify_one();
#endif
}

}  // namespace

void sync_call::wake(outcome o) noexcept {
  if (state.exchange(busy) == sleeping) wake_one(state);
  state.store(o, std::memory_order_release);
}

sync_call::outcome sync_call::wait() noexcept {
  for (;;) {
    int s = state.load(std::memory_order_acquire);
    if (s == completed || s == lead) {
      state.store(waiting, std::memory_order_relaxed);
      return static_cast<outcome>(s);
    }
    if (s == busy) {
      std::this_thread::yield();  // the waker is between its two writes
    } else if (s == sleeping || state.compare_exchange_weak(s, sleeping)) {
      sleep_while(state, sleeping);
    }
  }
}

sync_driver::sync_driver(asio::io_context& ctx, connection& conn) : ctx_{ctx}, conn_{&conn} {
  thread_ = std::thread([this] { background(); });
}

sync_driver::~sync_driver() {
  if (thread_.joinable()) stop_background();
}

void sync_driver::run(sync_call& c) {
  // Only "it changed" matters to the background thread: a plain increment (no locked
  // instruction), which concurrent callers may collapse.
  calls_.store(calls_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sync_call* top = queued_.load();
  do {
    c.queued = top;
  } while (!queued_.compare_exchange_weak(top, &c));
  if (claim(driver::nobody, driver::caller)) return drive(c);
  const driver d = driver_.load();
  if (d == driver::background) {
    if (!handover_.exchange(true)) ctx_.stop();  // its run() returns; it hands over
  } else if (d == driver::caller) {
    // A driver waiting in the reactor would not see this request before its reply came.
    if (in_io_.load() && !interrupted_.exchange(true)) ctx_.stop();
  } else if (claim(driver::nobody, driver::caller)) {
    return drive(c);  // the driver let go meanwhile
  }
  if (c.wait() == sync_call::lead) drive(c);
}

bool sync_driver::claim(driver from, driver to) noexcept {
  return driver_.compare_exchange_strong(from, to);
}

// The calls queued, in arrival order.
sync_call* sync_driver::take_queued() noexcept {
  if (queued_.load(std::memory_order_relaxed) == nullptr) return nullptr;  // no locked exchange
  sync_call* top = queued_.exchange(nullptr);
  sync_call* ordered = nullptr;
  while (top != nullptr) {
    sync_call* below = top->queued;
    top->queued = ordered;
    ordered = top;
    top = below;
  }
  return ordered;
}

// Starts what is queued, runs the io_context until `own` completes, then hands over. Replies
// are read by this thread itself while the connection allows (owner reads: one recv() that
// blocks, as a blocking client's read does), else waited for in the reactor.
void sync_driver::drive(sync_call& own) {
  connection_impl& impl = *conn_->impl_;
  own_ = &own;
  for (;;) {
    if (sync_call* batch = take_queued()) {
      start(batch);
      continue;
    }
    if (own.done) break;
    if (begin_owner_reads(impl, owner_read_wait)) {
      const owned_read r = read_owned(impl);
      if (r == owned_read::data) continue;
      if (r == owned_read::timeout) {
        // Timers and handlers that became ready meanwhile (a deadline, a health check).
        ctx_.poll();
        if (ctx_.stopped()) ctx_.restart();
        continue;
      }
    }
    wait_in_reactor();
  }
  own_ = nullptr;
  hand_off();
}

// One run_one(), which a caller that queues a request interrupts.
void sync_driver::wait_in_reactor() {
  interrupted_.store(false);
  in_io_.store(true);
  // Queued after the look above, and not told to stop us: look again before waiting.
  if (queued_.load() == nullptr) ctx_.run_one();
  in_io_.store(false);
  if (ctx_.stopped()) ctx_.restart();  // a caller queued a request: start it
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

// The driving goes to a caller still waiting (the one started last, whose reply comes after
// the others'), else to nobody; a call queued while it lets go is then told to drive.
void sync_driver::hand_off() {
  if (started_ != nullptr) return started_->wake(sync_call::lead);
  driver_.store(driver::nobody);
  if (queued_.load() != nullptr) lead_queued();
}

// Calls are queued and nobody drives: the last queued is told to (unless a caller took the
// driving meanwhile). It cannot leave before that: it has not been started.
void sync_driver::lead_queued() {
  if (!claim(driver::nobody, driver::caller)) return;
  sync_call* top = queued_.load();
  if (top == nullptr) {
    // Taken by a driver that came and went in between: let go again, and look once more.
    driver_.store(driver::nobody);
    if (queued_.load() != nullptr) lead_queued();
    return;
  }
  top->wake(sync_call::lead);
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
  // The driver's own call is seen done by the driver itself; any other's caller is woken (the
  // last use of c: it may return at once).
  if (&c != own_) c.wake(sync_call::completed);
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
  bool first = true;  // at the start, unless a call came first
  for (;;) {
    if (!first && !wait_for_idle()) return;
    first = false;
    handover_.store(false);
    if (!claim(driver::nobody, driver::background)) continue;
    if (queued_.load() != nullptr) {
      // A call came meanwhile: it drives.
      driver_.store(driver::nobody);
      lead_queued();
      continue;
    }
    end_owner_reads(*conn_->impl_);  // Asio reads while this thread waits in the reactor
    ctx_.run();                      // until a caller, or close(), stops it
    ctx_.restart();
    driver_.store(driver::nobody);
    if (queued_.load() != nullptr) lead_queued();
  }
}

// Waits until nobody has driven for idle_grace; false when close() is under way. Callers never
// notify this thread (that would cost every call a wake-up): it looks again after each grace
// period, and close() wakes it.
bool sync_driver::wait_for_idle() {
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    const std::uint64_t seen = calls_.load();
    background_cv_.wait_for(lock, idle_grace, [&] { return stopping_; });
    if (stopping_) return false;
    if (driver_.load() == driver::nobody && calls_.load() == seen) return true;
  }
}

void sync_driver::stop_background() {
  {
    const std::lock_guard<std::mutex> lock(m_);
    stopping_ = true;
  }
  background_cv_.notify_all();
  // Whether it drives now or is about to: a stopped io_context's run() returns at once (the
  // flag stays until restart(), which the background thread calls after its run()).
  ctx_.stop();
  thread_.join();
}

// After close_connection(): runs what the cancellation posted, until nothing is left.
void sync_driver::finish_io() {
  ctx_.restart();
  ctx_.run();
}

}  // namespace respool::detail
