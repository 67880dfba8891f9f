#include "runner_shared.hpp"
#include "stall_watch.hpp"

#include <asio/steady_timer.hpp>

namespace respool::benchmark {

using clock = std::chrono::steady_clock;

void runner::shared::signal() {
  {
    std::lock_guard lock(m);
    ++signals;
  }
  cv.notify_all();
  // The inline loop runs on the waiting thread: stopping it returns control to await().
  if (inline_loop != nullptr) inline_loop->stop();
}

void runner::shared::await(std::size_t count, const std::function<void()>& tick,
                           std::chrono::milliseconds interval) {
  const auto reached = [&] { return signals >= count; };
  if (inline_loop == nullptr) {
    std::unique_lock lock(m);
    clock::time_point next = clock::now() + interval;
    while (!reached()) {
      if (cv.wait_until(lock, next, reached)) break;
      next += interval;
      if (tick) {
        lock.unlock();
        tick();
        lock.lock();
      }
    }
    return;
  }
  asio::io_context& ioc = *inline_loop;
  // The ticks' state outlives this call: a tick that fired just as the loop stopped runs at
  // the next phase, and must then find itself inactive.
  struct ticks {
    explicit ticks(asio::io_context& c) : timer(c) {}
    asio::steady_timer timer;
    std::function<void()> tick;
    clock::time_point next;
    std::chrono::milliseconds interval{};
    bool active = true;
  };
  struct ticker {
    std::shared_ptr<ticks> t;
    void operator()(std::error_code ec) const {
      if (ec || !t->active) return;
      t->tick();
      t->next += t->interval;
      t->timer.expires_at(t->next);
      t->timer.async_wait(*this);
    }
  };
  std::shared_ptr<ticks> state;
  if (tick) {
    state = std::make_shared<ticks>(ioc);
    state->tick = tick;
    state->interval = interval;
    state->next = clock::now() + interval;
    state->timer.expires_at(state->next);
    state->timer.async_wait(ticker{state});
  }
  for (;;) {
    {
      std::lock_guard lock(m);
      if (reached()) break;
    }
    // The work guard keeps run() going until signal() stops it.
    ioc.restart();
    ioc.run();
  }
  if (state) {
    state->active = false;
    state->timer.cancel();
  }
}

bool runner::shared::await_watched(std::size_t count, const std::function<void()>& tick,
                                   std::chrono::milliseconds interval,
                                   const std::function<std::uint64_t()>& progress) {
  if (how.stall_timeout <= std::chrono::milliseconds::zero()) {
    await(count, tick, interval);
    return false;
  }
  // Ticks even when nobody asked for them: they are the watch's only chance to look.
  stall_watch watch(how.stall_timeout, clock::now());
  bool stalled = false;
  const auto look = [&] {
    if (tick) tick();
    if (stalled || !watch.stalled(progress(), clock::now())) return;
    stalled = true;
    fail({failure::kind::stalled, stall_message(how.stall_timeout)});
    cancel_connections();
  };
  await(count, look, interval);
  return stalled;
}

}  // namespace respool::benchmark
