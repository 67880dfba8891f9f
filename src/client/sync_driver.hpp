// Who drives a sync_client's own io_context. Private to the library.
//
// A blocking call costs what a blocking client's costs when its caller runs the connection
// itself: it writes, waits in the reactor and reads on its own thread, with no hand-off to
// another thread and no allocation. So the threads that call take turns at driving (a
// leader/followers arrangement):
//
// - A call that finds nobody driving drives: it starts its request and every request queued
//   meanwhile (written together), then runs the io_context until its own reply is in.
// - A call that finds another caller driving queues its request, wakes the driver if it waits
//   in the reactor (io_context::stop() interrupts the wait, and it starts what is queued), and
//   waits. Its request goes out pipelined with the others; its completion wakes it.
// - A driver whose reply is in hands the driving to a caller still waiting, if any.
// - Between calls, a background thread drives, so that health checks, reconnection and pushes
//   go on while nobody calls. It takes over only after `idle_grace` without a driver (calls in
//   a loop never meet it) and gives the driving back at the first call (a stop()).
#pragma once

#include <respool/io/detail/erased_response.hpp>
#include <respool/protocol/request.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
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

// One blocking call, on its caller's stack while it waits. A word of its own wakes it
// (completed, or told to drive), so that waking one caller among many contends with no other
// and takes no lock: the waker marks it busy, wakes the caller if it sleeps (a futex on
// Linux), then writes the outcome, after which it no longer touches the call; a caller that
// finds it busy yields until then, so that it never returns (and destroys the call) under the
// waker's feet.
struct sync_call {
  enum outcome : int { waiting, sleeping, busy, completed, lead };

  sync_call(const request& r, erased_response e) noexcept : req{&r}, resp{e} {}

  // Sets the outcome and wakes the caller.
  void wake(outcome o) noexcept;
  // Waits for wake(); returns the outcome.
  outcome wait() noexcept;

  const request* req;
  erased_response resp;
  std::atomic<int> state{waiting};
  bool done = false;  // set by the driving thread; read by the caller after wait()
  std::error_code ec;
  std::string why;              // for error::not_connected: why there was no connection
  sync_call* queued = nullptr;  // the next call queued (pushed before it), not started yet
  sync_call* prev = nullptr;    // the calls started and not completed (the driver's list)
  sync_call* next = nullptr;
};

class sync_driver {
 public:
  static constexpr std::chrono::milliseconds idle_grace{20};
  // How long a driving caller blocks in recv() before it runs the timers and handlers that
  // became ready (so deadlines and health checks are late by this much at most).
  static constexpr std::chrono::milliseconds owner_read_wait{5};

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
    using inline_completion = void;  // see stored_handler
    sync_driver* self;
    sync_call* call;
    void operator()(std::error_code ec, std::size_t) const { self->finish(*call, ec); }
  };

  void drive(sync_call& own);
  void wait_in_reactor();
  sync_call* take_queued() noexcept;
  void start(sync_call* batch);
  void hand_off();
  bool claim(driver from, driver to) noexcept;
  void lead_queued();
  void finish(sync_call& c, std::error_code ec);
  void background();
  bool wait_for_idle();
  void stop_background();
  void finish_io();
  void unlink(sync_call& c) noexcept;

  asio::io_context& ctx_;
  connection* conn_;

  // Shared by the callers, without a lock: the calls not started yet (a stack: the driver
  // takes it whole, and starts it in arrival order), who drives, and whether the driver waits
  // in the reactor. Sequentially consistent, so that a call queued while the driver lets go is
  // seen by one of the two (each writes, then reads what the other writes).
  std::atomic<sync_call*> queued_{nullptr};
  std::atomic<driver> driver_{driver::nobody};
  std::atomic<bool> in_io_{false};        // the driving caller is (about to be) in run_one()
  std::atomic<bool> interrupted_{false};  // and a caller stopped that run_one() already
  std::atomic<bool> handover_{false};     // a caller asked the background thread to let go
  std::atomic<std::uint64_t> calls_{0};   // calls made: tells the background thread of activity

  // Touched by the driving thread only (the driving passes on through driver_ and
  // sync_call::state).
  sync_call* started_ = nullptr;  // started, not completed
  sync_call* own_ = nullptr;      // the driving caller's own call

  std::mutex m_;  // for background_cv_ and stopping_
  std::condition_variable background_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace detail
}  // namespace respool
