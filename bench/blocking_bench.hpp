// What the files of blocking_bench share (blocking_bench.cpp describes the benchmark): the
// cases, what a worker measures, the workers of each client (blocking_threads.cpp for hiredis
// and sync_client, blocking_coro.cpp for the connection driven by coroutines) and the report
// (blocking_report.cpp).
#pragma once

#include "alloc_hook.hpp"
#include "bench_server.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blocking {

using bench_clock = std::chrono::steady_clock;
using respool::bench::server_address;

inline constexpr std::string_view key = "key:000123";
inline constexpr std::string_view value = "0123456789abcdef";  // 16 bytes
static_assert(value.size() == 16);
inline constexpr int pipeline_depth = 128;
inline constexpr int concurrent_callers = 50;

// d1: one caller alternating SET and GET; p128: one caller sending 128 pipelined SETs per
// round trip; c50: 50 callers each doing what d1 does.
enum class bench_case { d1, p128, c50 };
inline constexpr std::array<std::string_view, 3> case_names{"d1", "p128", "c50"};
inline constexpr std::array<std::string_view, 3> client_names{"hiredis", "sync_client",
                                                              "connection"};

std::optional<bench_case> parse_case(std::string_view name);

// How long a worker warms up, then measures, in seconds.
struct window {
  double warmup = 0.2;
  double seconds = 1.0;
};

// What a worker measured over its window: differences between its start and its end.
struct worker_result {
  std::uint64_t commands = 0;
  double seconds = 0;  // wall time
  double cpu = 0;      // user + system time of the worker process
  std::uint64_t allocs = 0;
  std::string error;  // empty: no error
};

// The counters at one instant.
struct snapshot {
  bench_clock::time_point time;
  double cpu = 0;
  std::uint64_t allocs = 0;
  std::uint64_t commands = 0;

  static snapshot take(std::uint64_t commands) {
    snapshot s;
    s.commands = commands;
    s.allocs = respool::bench::allocations();
    s.cpu = respool::bench::cpu_seconds();
    s.time = bench_clock::now();
    return s;
  }
};

worker_result difference(const snapshot& start, const snapshot& end);

// The workers: each connects, checks one SET and one GET, warms up, then measures. A failure
// comes back in worker_result::error.
worker_result run_hiredis(const server_address& s, bench_case c, window w);
worker_result run_sync_client(const server_address& s, bench_case c, window w);
worker_result run_connection(const server_address& s, bench_case c, window w);

// ---------------------------------------------------------------------------------------------
// The driver's runs and report (blocking_report.cpp).

// One worker's run, as the driver records it.
struct run_record {
  int rep = 0;
  std::string placement;  // "pinned" or "unpinned"
  std::string bench;      // the case's name
  std::string client;
  worker_result result;
};

// The worker's line of JSON, parsed; error set when it is not one.
worker_result parse_worker_line(const std::string& line);

// One line of JSON for a worker's result.
std::string worker_json(std::string_view client, std::string_view bench, const worker_result& r);

// The medians of every (placement, case, client), as a Markdown table on stdout.
void print_table(const std::vector<run_record>& runs, const std::vector<std::string>& placements,
                 const std::vector<std::string>& cases, const std::vector<std::string>& clients);

// Every run as JSON into `path`, with the server and the window; false when it fails.
bool write_json(const std::string& path, const std::string& server, window w,
                const std::vector<run_record>& runs);

}  // namespace blocking
