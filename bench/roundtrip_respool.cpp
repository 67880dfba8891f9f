// roundtrip_bench's respool client: one connection, driven by callbacks (d<N>) or by
// coroutines (c50).
#include "roundtrip.hpp"
#include <respool/io/observer.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace roundtrip {

namespace {

// One respool connection on its own io_context (concurrency hint 1: one thread), run on this
// thread, with async_run started once. The io_context runs with run() (never run_one()), as an
// application runs it: Asio caches handler memory in the running thread's state, which run_one()
// recreates per call.
class respool_client final : public client {
 public:
  respool_client(const server_address& s, bool direct_writev, bool health_checks,
                 std::shared_ptr<respool::connection_observer> observer)
      : name_{observer        ? "respool_observed"
              : direct_writev ? "respool"
                              : "respool_asio"},
        conn_{ioc_, make_config(s, direct_writev, health_checks, std::move(observer))},
        watchdog_{ioc_} {}

  ~respool_client() override {
    conn_.cancel();
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(5));
  }

  respool_client(const respool_client&) = delete;
  respool_client& operator=(const respool_client&) = delete;

  // Starts async_run and waits until the connection is up (setup included).
  std::string start() {
    conn_.async_run([this](std::error_code ec) {
      run_done_ = true;
      run_ec_ = ec;
    });
    const auto limit = bench_clock::now() + std::chrono::seconds(10);
    while (!conn_.is_connected() && !run_done_ && bench_clock::now() < limit) {
      ioc_.run_one_for(std::chrono::milliseconds(50));
    }
    if (conn_.is_connected()) return {};
    return run_done_ ? "async_run ended: " + run_ec_.message() : "not connected after 10 s";
  }

  std::string verify(int depth, bool concurrent) override {
    std::string problem;
    int pending = 0;
    if (!concurrent) {
      request req;
      respool::generic_response resp;
      fill(req, depth);
      pending = 1;
      conn_.async_exec(req, resp, [&](std::error_code ec, std::size_t) {
        problem = ec ? "async_exec: " + ec.message() : check_replies(resp, depth);
        if (--pending == 0) ioc_.stop();
      });
      if (!drive([&] { return pending == 0; })) return "verification timed out";
      return problem;
    }
    std::vector<request> reqs(concurrent_callers);
    std::vector<respool::generic_response> resps(concurrent_callers);
    pending = concurrent_callers;
    for (int i = 0; i < concurrent_callers; ++i) {
      fill(reqs[i], 1);
      asio::co_spawn(
          ioc_,
          [&, i]() -> asio::awaitable<void> {
            std::error_code ec;
            co_await conn_.async_exec(reqs[i], resps[i],
                                      asio::redirect_error(asio::use_awaitable, ec));
            std::string p = ec ? "async_exec: " + ec.message() : check_replies(resps[i], 1);
            if (!p.empty() && problem.empty()) problem = "caller " + std::to_string(i) + ": " + p;
            if (--pending == 0) ioc_.stop();
          },
          asio::detached);
    }
    if (!drive([&] { return pending == 0; })) return "verification timed out";
    return problem;
  }

  measurement run(int depth, bool concurrent, double warmup, double seconds) override {
    const respool::connection_stats before = conn_.stats();
    meter m{warmup, seconds, &conn_.stats()};
    const bool ok =
        concurrent ? run_concurrent(m, warmup + seconds) : run_pipeline(m, depth, warmup + seconds);
    if (!ok) {
      // Handlers still refer to this frame's state: nothing can be cleaned up.
      std::printf(
          "roundtrip_bench: an error occurred: roundtrip/%s%d/%s did not end within 10 s of "
          "its planned end, it hung (%s)\n",
          concurrent ? "c" : "d", depth, name_, describe_stats(before).c_str());
      std::fflush(stdout);
      std::_Exit(1);
    }
    measurement r = m.result();
    if (r.error.empty() && conn_.stats().disconnects != before.disconnects) {
      r.error = "the connection was lost during the run (" + describe_stats(before) + ")";
    }
    return r;
  }

 private:
  static respool::config make_config(const server_address& s, bool direct_writev,
                                     bool health_checks,
                                     std::shared_ptr<respool::connection_observer> observer) {
    respool::config cfg = respool::bench::make_config(s, health_checks);
    cfg.direct_writev = direct_writev;
    cfg.observer = std::move(observer);
    return cfg;
  }

  std::string describe_stats(const respool::connection_stats& before) const {
    const respool::connection_stats& s = conn_.stats();
    return "connected " + std::string(conn_.is_connected() ? "yes" : "no") + ", write batches +" +
           std::to_string(s.write_batches - before.write_batches) + ", writes +" +
           std::to_string(s.writes - before.writes) + ", reads +" +
           std::to_string(s.reads - before.reads) + ", replies +" +
           std::to_string(s.replies - before.replies) + ", disconnects +" +
           std::to_string(s.disconnects - before.disconnects);
  }

  template <class Done>
  bool drive(Done done, double limit = 0) {
    return roundtrip::drive(ioc_, watchdog_, done, limit);
  }

  // d<N>: one async_exec of N commands at a time; the completion starts the next.
  struct pipeline_loop {
    respool_client* self;
    request req;
    int depth;
    meter* m;
    bool done = false;

    struct handler {
      pipeline_loop* loop;
      void operator()(std::error_code ec, std::size_t) const { loop->on_complete(ec); }
    };

    void start() {
      fill(req, depth);
      self->conn_.async_exec(req, handler{this});
    }

    void on_complete(std::error_code ec) {
      if (ec) {
        m->fail("async_exec: " + ec.message());
      } else if (m->completed(static_cast<std::uint64_t>(depth))) {
        return start();
      }
      done = true;
      self->ioc_.stop();
    }
  };

  bool run_pipeline(meter& m, int depth, double limit) {
    pipeline_loop loop{this, request{}, depth, &m};
    loop.start();
    return drive([&] { return loop.done; }, limit);
  }

  // c50: concurrent coroutines, each issuing one SET at a time.
  struct concurrent_state {
    std::vector<request> reqs{static_cast<std::size_t>(concurrent_callers)};
    int active = 0;
  };

  asio::awaitable<void> caller(concurrent_state& st, request& req, meter& m) {
    std::error_code ec;
    for (;;) {
      fill(req, 1);
      co_await conn_.async_exec(req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        m.fail("async_exec: " + ec.message());
        break;
      }
      if (!m.completed(1)) break;
    }
    if (--st.active == 0) ioc_.stop();
  }

  bool run_concurrent(meter& m, double limit) {
    concurrent_state st;
    st.active = concurrent_callers;
    for (request& req : st.reqs) asio::co_spawn(ioc_, caller(st, req, m), asio::detached);
    return drive([&] { return st.active == 0; }, limit);
  }

  const char* name_;
  asio::io_context ioc_{1};
  respool::connection conn_;
  asio::steady_timer watchdog_;
  bool run_done_ = false;
  std::error_code run_ec_;
};

// What a metrics exporter does per request: counters and a latency histogram, in atomics that
// another thread may read (the README's Prometheus-style observer, less its text output).
class counting_observer final : public respool::connection_observer {
 public:
  void on_completed(const respool::completion_event& e) noexcept override {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (e.ec) errors_.fetch_add(1, std::memory_order_relaxed);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(e.duration).count();
    for (std::size_t i = 0; i < bounds_us.size(); ++i) {
      if (us <= bounds_us[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
    }
    bytes_.fetch_add(e.request.bytes + e.bytes_read, std::memory_order_relaxed);
  }

 private:
  static constexpr std::array<long long, 6> bounds_us{100, 250, 500, 1000, 5000, 25000};
  std::atomic<std::uint64_t> requests_{0}, errors_{0}, bytes_{0};
  std::array<std::atomic<std::uint64_t>, bounds_us.size()> buckets_{};
};

}  // namespace

std::unique_ptr<client> connect_respool(const server_address& s, bool direct_writev,
                                        bool health_checks, bool observed, std::string& problem) {
  auto observer = observed ? std::make_shared<counting_observer>() : nullptr;
  auto c = std::make_unique<respool_client>(s, direct_writev, health_checks, std::move(observer));
  problem = c->start();
  if (!problem.empty()) return nullptr;
  return c;
}

}  // namespace roundtrip
