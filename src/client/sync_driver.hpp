// Who drives a sync_client's own io_context. Private to the library.
//
// A blocking call costs what a blocking client's costs when its caller runs the connection
// itself: it writes, waits in the reactor and reads on its own thread, with no hand-off to
// another thread and no allocation. So the threads that call take turns at driving (a
// leader/followers arrangement):
//
// - A call that finds nobody driving drives: it starts its request and every request queued
//   meanwhile (written together), then runs the io_context until its own reply is in.
// - A call that finds another caller driving queues its request, wakes the driver if the queue
//   was empty (io_context::stop() interrupts its wait, and it starts what is queued), and waits.
//   Its request goes out pipelined with the others; its completion wakes it.
// - A driver whose reply is in hands the driving to a caller still waiting, if any.
// - Between calls, a background thread drives, so that health checks, reconnection and pushes
//   go on while nobody calls. It takes over only after `idle_grace` without a driver (calls in
//   a loop never meet it) and gives the driving back at the first call (a stop()).
#pragma once

#include <respool/io/detail/erased_response.hpp>
#include <respool/protocol/request.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace asio {
class io_context;
}  // namespace asio

namespace respool {

class connection;

namespace detail {

// One blocking call, on its caller's stack while it waits. Its own mutex and condition
// variable wake it (completed, or told to drive), so that waking one caller among many
// contends with no other; both are set and notified under that mutex, which the caller takes
// before it returns (and destroys them).
struct sync_call {
  enum class outcome { waiting, done, lead };

  sync_call(const request& r, erased_response e) noexcept : req{&r}, resp{e} {}

  // Sets the outcome and wakes the caller.
  void wake(outcome o) {
    const std::lock_guard<std::mutex> lock(m);
    state = o;
    cv.notify_one();
  }

  // Waits for wake(); returns the outcome.
  outcome wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return state != outcome::waiting; });
    const outcome o = state;
    state = outcome::waiting;
    return o;
  }

  const request* req;
  erased_response resp;
  std::mutex m;
  std::condition_variable cv;
  outcome state = outcome::waiting;
  bool done = false;  // set by the driving thread; read by the caller after wait()
  std::error_code ec;
  std::string why;              // for error::not_connected: why there was no connection
  sync_call* queued = nullptr;  // the next call queued, not started yet
  sync_call* prev = nullptr;    // the calls started and not completed (the driver's list)
  sync_call* next = nullptr;
};

class sync_driver {
 public:
  static constexpr std::chrono::milliseconds idle_grace{20};

  // `conn` lives on `ctx`; the driver runs both until close().
  sync_driver(asio::io_context& ctx, connection& conn);
  ~sync_driver();
  sync_driver(const sync_driver&) = delete;
  sync_driver& operator=(const sync_driver&) = delete;

  // Runs `c` until it completes, driving the io_context when nobody else does.
  void run(sync_call& c);

  // Stops the background thread and makes this thread the driver for good: then `close`
  // (which cancels the connection and lets go of it) runs, and the io_context until it is out
  // of work. No call may be in progress.
  template <class Close>
  void close(Close&& close_connection) {
    stop_background();
    conn_ = nullptr;
    close_connection();
    finish_io();
  }

 private:
  enum class driver { nobody, caller, background };

  struct completion {
    sync_driver* self;
    sync_call* call;
    void operator()(std::error_code ec, std::size_t) const { self->finish(*call, ec); }
  };

  void drive(sync_call& own, std::unique_lock<std::mutex>& lock);
  void start(sync_call* batch);
  void hand_off();
  void finish(sync_call& c, std::error_code ec);
  void background();
  bool wait_for_idle(std::unique_lock<std::mutex>& lock);
  void stop_background();
  void finish_io();
  void unlink(sync_call& c) noexcept;

  asio::io_context& ctx_;
  connection* conn_;

  // Under m_: who drives, and the calls not started yet.
  std::mutex m_;
  driver driver_ = driver::nobody;
  sync_call* queued_head_ = nullptr;  // in arrival order
  sync_call* queued_tail_ = nullptr;
  // Touched by the driving thread only (the driving passes under m_ and sync_call::m).
  sync_call* started_ = nullptr;  // started, not completed
  std::uint64_t calls_ = 0;       // calls made so far: tells the background thread of activity
  bool handover_ = false;         // a caller asked the background thread to stop driving
  bool in_io_ = false;            // the driving caller is (about to be) in run_one()
  bool interrupted_ = false;      // and a caller stopped that run_one() already
  bool stopping_ = false;
  std::condition_variable background_cv_;
  std::thread thread_;
};

}  // namespace detail
}  // namespace respool
