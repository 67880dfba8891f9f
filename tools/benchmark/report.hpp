// What respool-benchmark prints: redis-benchmark's report, -q line, CSV and progress line, in
// its exact formats, and the JSON document and SVG chart it adds. Everything here is a pure
// function of the figures, so the tests can pin the exact text.
#pragma once

#include "histogram.hpp"
#include "workload.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::benchmark {

/// The server's persistence settings, as CONFIG GET reports them.
struct server_settings {
  std::string save;
  std::string appendonly;
};

/// How the run was set up: what the report's header and the JSON document show.
struct run_settings : workload {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string socket;
  int dbnum = 0;
  bool resp3 = false;
  int precision = 3;
  /// Unknown when CONFIG GET failed (the report then leaves its lines out).
  std::optional<server_settings> server;
  /// --cluster: one element per master, in the order the masters were listed, with its
  /// settings when its CONFIG GET answered; empty without --cluster.
  std::vector<std::optional<server_settings>> cluster;
};

/// A counter of the clients' connections, for --json: the name of a respool::connection_stats
/// or respool::cluster_stats member, and its value.
struct counter {
  std::string_view name;
  std::uint64_t value = 0;
};

/// The counters of the clients' connections over a test or over the whole run, summed over
/// every client. Empty where they were not gathered.
struct connection_counters {
  /// respool::connection_stats of every connection to the server, the closed ones included
  /// (-k 0); empty with --cluster, whose node connections are not reachable.
  std::vector<counter> connections;
  /// --cluster: respool::cluster_stats of every client's cluster connection; else empty.
  std::vector<counter> cluster;
};

/// The figures of one test.
struct test_figures {
  std::string title;
  std::size_t payload = 0;     ///< bytes shown as "payload"
  std::uint64_t requests = 0;  ///< requests completed (their replies all read)
  double seconds = 0;          ///< wall time from the first request sent to the last reply
  histogram latency;           ///< nanoseconds, one value per request
  // For --json and --svg:
  double cpu_user_seconds = 0;               ///< the client process's user CPU time during the test
  double cpu_system_seconds = 0;             ///< and its system CPU time
  std::optional<std::uint64_t> allocations;  ///< heap allocations during the test, if counted
  connection_counters counters;              ///< how much they grew during the test
};

/// The figures every format shows, in milliseconds.
struct summary {
  double rps = 0;
  double avg = 0, min = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};
[[nodiscard]] summary summarize(const test_figures& t);

/// Blanks the progress line that was `width` bytes long and returns to the start of the line
/// (printf("%*s\r", width, " ")).
[[nodiscard]] std::string clear_line(int width);

/// "SET: rps=… (overall: …) avg_msec=… (overall: …)\r": the line shown every 250 ms.
[[nodiscard]] std::string progress_line(std::string_view title, double rps, double overall_rps,
                                        double avg_ms, double overall_avg_ms);

/// The full report of one test: header, percentile distribution, cumulative distribution of
/// latencies, summary.
[[nodiscard]] std::string full_report(const run_settings& run, const test_figures& t);

/// -q: "SET: 81234.77 requests per second, p50=0.335 msec\n".
[[nodiscard]] std::string quiet_line(const test_figures& t);

/// --csv: the header line, and one line per test.
[[nodiscard]] std::string csv_header();
[[nodiscard]] std::string csv_line(const test_figures& t);

/// --json: one document with the settings, the connections' counters over the whole run
/// (`totals`) and every test's figures (allocations and counters are null where they were not
/// counted; "cluster" counters appear only with --cluster).
[[nodiscard]] std::string json_report(const run_settings& run, std::span<const test_figures> tests,
                                      std::string_view tool_version,
                                      const connection_counters& totals = {});

/// --svg: a self-contained SVG document: requests per second per test as bars, and each
/// test's latency by percentile as a curve.
[[nodiscard]] std::string svg_chart(const run_settings& run, std::span<const test_figures> tests);

}  // namespace respool::benchmark
