// What the runner shares with its clients and loops, and how the thread that calls the runner
// waits for a phase (connecting, a test, a query) to end: runner.cpp drives the clients,
// runner_phase.cpp the waits.
#pragma once

#include "runner.hpp"

#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace respool::benchmark {

struct worker;
struct client;

struct runner::shared {
  config server;
  load how;
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<std::unique_ptr<client>> clients;

  // The test in progress. Clients claim requests from `remaining`, up to a pipeline at a time.
  std::atomic<std::int64_t> remaining{0};
  std::atomic<bool> stop{false};

  // With no --threads, the one loop runs on the thread that calls the runner, as
  // redis-benchmark's does (this is that loop); otherwise every loop has a thread of its own
  // (null).
  asio::io_context* inline_loop = nullptr;

  std::mutex m;
  std::condition_variable cv;
  std::size_t signals = 0;        // under m: loops done with the current phase
  std::optional<failure> failed;  // under m: the first failure of the test
  std::string connect_error;      // under m
  std::atomic<bool> closed{false};
  // -I: a connection that ends ends the phase, and says why (under m).
  std::atomic<bool> idling{false};
  std::string lost_reason;

  // What connect() settled for every connection to the server (client::open uses it): the
  // settings, "host:port" or the socket for messages, and whether --stall-timeout bounds
  // the connect phase.
  config conn_cfg;
  std::string where;
  bool stall_bounds_connect = false;

  // A loop is done with the current phase (connecting, a test, a query).
  void signal();
  // Waits for `count` signals since the phase began, calling `tick` every `interval` meanwhile
  // (when there is one). On the inline loop, runs the loop until then.
  void await(std::size_t count, const std::function<void()>& tick = {},
             std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  // await(), failing the phase as stalled and cancelling the connections once `progress` has
  // not moved for how.stall_timeout (checked every `interval`); true when it did.
  bool await_watched(std::size_t count, const std::function<void()>& tick,
                     std::chrono::milliseconds interval,
                     const std::function<std::uint64_t()>& progress);
  void begin_phase() {
    std::lock_guard lock(m);
    signals = 0;
  }
  // Sets the clients and loops up for a test; true when a connection was lost before it.
  bool begin_test(const test_case& test, std::uint64_t requests);
  // Requests completed so far in the current test, over every loop.
  std::uint64_t finished() const;
  // Cancels every connection on its own loop: pending requests complete, clients retire.
  void cancel_connections();

  void fail(failure f) {
    stop.store(true, std::memory_order_relaxed);
    std::lock_guard lock(m);
    if (!failed) failed = std::move(f);
  }
};

}  // namespace respool::benchmark
