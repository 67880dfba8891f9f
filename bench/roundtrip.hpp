// What the files of roundtrip_bench share (roundtrip_bench.cpp describes the benchmark): the
// options (roundtrip_setup.cpp), the server's address (bench_server.hpp), the measurement of a run,
// the clients (roundtrip_respool.cpp, roundtrip_hiredis.cpp) and the report (roundtrip_report.cpp).
#pragma once

#include "alloc_hook.hpp"
#include "bench_server.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/request.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// True while a run is measured (see roundtrip_bench.cpp); a plain global for gdb.
extern "C" {
extern volatile bool respool_bench_measuring;
}

namespace roundtrip {

using bench_clock = std::chrono::steady_clock;
using respool::request;
using respool::bench::allocations;

inline constexpr std::string_view key = "key:000123";
inline constexpr std::string_view value = "0123456789abcdef";  // 16 bytes
static_assert(value.size() == 16);
inline constexpr int concurrent_callers = 50;

// ---------------------------------------------------------------------------------------------
// Options and the server's address (roundtrip_setup.cpp).

struct options {
  double seconds = 1.0;
  double warmup = -1;  // negative: seconds / 5
  int reps = 5;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string filter;
  std::string json;
  bool skip_if_unreachable = false;
  bool health_checks = false;
};

// Prints `why` and the usage on stderr, and exits with status 2.
[[noreturn]] void usage(const char* why);

options parse_options(int argc, char** argv);

using respool::bench::reachable;
using respool::bench::server_address;

// RESPOOL_BENCH_SERVER, else RESPOOL_TEST_SERVER, else 127.0.0.1:6379; exits when malformed.
inline server_address server_from_env() {
  return respool::bench::server_from_env("roundtrip_bench");
}

// ---------------------------------------------------------------------------------------------
// Measurement.

using respool::bench::cpu_seconds;

struct snapshot {
  bench_clock::time_point time;
  double cpu = 0;
  std::uint64_t allocs = 0;

  static snapshot take() {
    snapshot s;
    s.allocs = allocations();
    s.cpu = cpu_seconds();
    s.time = bench_clock::now();
    return s;
  }
};

// What one run measured, between the end of the warm-up and the end of the run.
struct measurement {
  double seconds = 0;
  std::uint64_t commands = 0;
  std::uint64_t round_trips = 0;  // completions: async_execs, or hiredis pipelines
  double cpu = 0;                 // seconds of user + system time of this process
  std::uint64_t allocs = 0;
  std::uint64_t write_batches = 0;  // respool: batches of requests written
  std::uint64_t writes = 0;         // respool: system calls (or Asio writes)
  std::uint64_t reads = 0;          // respool: reads that returned data
  std::string error;                // empty: no error
};

// Counts round trips and decides when the warm-up and the run end. Each completion calls
// completed() with the commands it carried; the instants are taken right after a completion.
class meter {
 public:
  // `stats`: a respool connection's, read at the same two instants (may be null).
  meter(double warmup, double seconds, const respool::connection_stats* stats = nullptr)
      : warmup_end_{bench_clock::now() + to_duration(warmup)},
        length_{to_duration(seconds)},
        stats_{stats} {}

  // False once the run is over: the caller stops issuing requests.
  bool completed(std::uint64_t commands) {
    if (finished_) return false;
    commands_ += commands;
    ++round_trips_;
    const auto now = bench_clock::now();
    if (!measuring_) {
      // At least a few round trips of warm-up, however short it is.
      if (now >= warmup_end_ && round_trips_ >= min_warmup_round_trips) {
        measuring_ = true;
        respool_bench_measuring = true;
        commands_ = 0;
        round_trips_ = 0;
        if (stats_ != nullptr) stats_start_ = *stats_;
        start_ = snapshot::take();
        end_ = start_.time + length_;
      }
      return true;
    }
    if (now < end_) return true;
    stop_ = snapshot::take();
    if (stats_ != nullptr) stats_stop_ = *stats_;
    respool_bench_measuring = false;
    finished_ = true;
    return false;
  }

  void fail(std::string why) {
    if (!error_.empty()) return;
    error_ = std::move(why);
    respool_bench_measuring = false;
    finished_ = true;
  }

  [[nodiscard]] measurement result() const {
    measurement m;
    m.error = error_;
    if (!error_.empty() || !finished_) {
      if (m.error.empty()) m.error = "the run did not finish";
      return m;
    }
    m.seconds = std::chrono::duration<double>(stop_.time - start_.time).count();
    m.commands = commands_;
    m.round_trips = round_trips_;
    m.cpu = stop_.cpu - start_.cpu;
    m.allocs = stop_.allocs - start_.allocs;
    m.write_batches = stats_stop_.write_batches - stats_start_.write_batches;
    m.writes = stats_stop_.writes - stats_start_.writes;
    m.reads = stats_stop_.reads - stats_start_.reads;
    return m;
  }

 private:
  static constexpr std::uint64_t min_warmup_round_trips = 20;

  static bench_clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<bench_clock::duration>(
        std::chrono::duration<double>(seconds));
  }

  bench_clock::time_point warmup_end_;
  bench_clock::duration length_;
  bench_clock::time_point end_;
  bool measuring_ = false;
  bool finished_ = false;
  std::uint64_t commands_ = 0;
  std::uint64_t round_trips_ = 0;
  snapshot start_;
  snapshot stop_;
  const respool::connection_stats* stats_;
  respool::connection_stats stats_start_;
  respool::connection_stats stats_stop_;
  std::string error_;
};

// Runs `ioc` until `done()`; false if nothing completed it within `limit` plus 10 s (a hang),
// which `watchdog` (a timer of `ioc`) times. The handler that makes done() true stops `ioc`.
template <class Done>
bool drive(asio::io_context& ioc, asio::steady_timer& watchdog, Done done, double limit = 0) {
  bool hung = false;
  watchdog.expires_after(std::chrono::duration_cast<bench_clock::duration>(
      std::chrono::duration<double>(limit + 10.0)));
  watchdog.async_wait([&ioc, &hung](std::error_code ec) {
    if (ec) return;
    hung = true;
    ioc.stop();
  });
  while (!done() && !hung) {
    ioc.restart();
    ioc.run();
  }
  watchdog.cancel();
  // The cancelled wait must run now: it refers to `hung`.
  ioc.restart();
  ioc.poll();
  return !hung;
}

// The commands every implementation sends.
void fill(request& req, int depth);

// Every reply must be the simple string OK; returns why not.
std::string check_replies(const respool::generic_response& resp, std::size_t expected);

// ---------------------------------------------------------------------------------------------
// The implementations.

class client {
 public:
  virtual ~client() = default;
  // Checks, once, that every reply of a round trip of the case is +OK; returns why not.
  virtual std::string verify(int depth, bool concurrent) = 0;
  virtual measurement run(int depth, bool concurrent, double warmup, double seconds) = 0;
};

// A connected respool client ("respool" with direct_writev, else "respool_asio";
// "respool_observed": direct_writev with an observer that counts every request into a latency
// histogram, as a metrics exporter does); null, with the reason in `problem`, when it cannot
// connect.
std::unique_ptr<client> connect_respool(const server_address& s, bool direct_writev,
                                        bool health_checks, bool observed, std::string& problem);

#ifdef RESPOOL_BENCH_HIREDIS
// A connected blocking hiredis client; null, with the reason in `problem`.
std::unique_ptr<client> connect_hiredis(const server_address& s, std::string& problem);
#endif

// ---------------------------------------------------------------------------------------------
// Cases, runs and the report (roundtrip_report.cpp).

struct bench_case {
  const char* name;
  int depth;
  bool concurrent;
};

inline constexpr std::array<bench_case, 4> cases{{
    {"d1", 1, false},
    {"d16", 16, false},
    {"d128", 128, false},
    {"c50", concurrent_callers, true},
}};

struct entry {
  std::string name;  // roundtrip/<case>/<impl>
  const bench_case* c;
  std::string impl;
  client* cl;
  std::vector<measurement> runs;
  std::vector<int> reps;
};

// The median of `v` (0 when empty).
double median(std::vector<double> v);

double ops_per_second(const measurement& m);
double cpu_us_per_command(const measurement& m);
double allocs_per_command(const measurement& m);

// Every run of every entry, with the context, as JSON into `path`; false when it fails.
bool write_json(const std::string& path, const options& o, const server_address& s,
                const std::vector<entry>& entries);

// The medians, as a Markdown table on stdout.
void print_table(const std::vector<entry>& entries);

}  // namespace roundtrip
