// The report formats from fixed figures, as exact text: redis-benchmark's full report, -q line,
// CSV and progress line, then the JSON document and the SVG chart.
#include "report.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rb = respool::benchmark;

namespace {

// Four requests: two at 50 µs, one at 150 µs, one at 250 µs, in 2 ms.
rb::test_figures four_requests() {
  rb::test_figures t;
  t.title = "SET";
  t.payload = 3;
  t.requests = 4;
  t.seconds = 0.002;
  t.latency = rb::histogram(3);
  t.latency.record(50'000, 2);
  t.latency.record(150'000);
  t.latency.record(250'000);
  return t;
}

rb::run_settings settings() {
  rb::run_settings run;
  run.clients = 50;
  run.requests = 4;
  run.server = rb::server_settings{"3600 1 300 100 60 10000", "no"};
  return run;
}

// Counts the brackets outside strings: a JSON document opens and closes each one in order.
bool brackets_balance(const std::string& json) {
  std::vector<char> open;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      open.push_back(c);
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back() != (c == '}' ? '{' : '[')) return false;
      open.pop_back();
    }
  }
  return open.empty() && !in_string;
}

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(benchmark_report_test, full_report) {
  const std::string want =
      "====== SET ======\n"
      "  4 requests completed in 0.00 seconds\n"
      "  50 parallel clients\n"
      "  3 bytes payload\n"
      "  keep alive: 1\n"
      "  host configuration \"save\": 3600 1 300 100 60 10000\n"
      "  host configuration \"appendonly\": no\n"
      "  multi-thread: no\n"
      "\n"
      "Latency by percentile distribution:\n"
      "0.000% <= 0.050 milliseconds (cumulative count 2)\n"
      "75.000% <= 0.150 milliseconds (cumulative count 3)\n"
      "87.500% <= 0.250 milliseconds (cumulative count 4)\n"
      "100.000% <= 0.250 milliseconds (cumulative count 4)\n"
      "\n"
      "Cumulative distribution of latencies:\n"
      "50.000% <= 0.100 milliseconds (cumulative count 2)\n"
      "75.000% <= 0.200 milliseconds (cumulative count 3)\n"
      "100.000% <= 0.300 milliseconds (cumulative count 4)\n"
      "\n"
      "Summary:\n"
      "  throughput summary: 2000.00 requests per second\n"
      "  latency summary (msec):\n"
      "          avg       min       p50       p95       p99       max\n"
      "        0.125     0.050     0.050     0.250     0.250     0.250\n";
  EXPECT_EQ(rb::full_report(settings(), four_requests()), want);
}

TEST(benchmark_report_test, full_report_with_threads_and_no_server_settings) {
  rb::run_settings run = settings();
  run.server.reset();
  run.threads = 2;
  run.keepalive = false;  // -k 0
  const std::string report = rb::full_report(run, four_requests());
  EXPECT_NE(report.find("  keep alive: 0\n  multi-thread: yes\n  threads: 2\n\n"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("host configuration"), std::string::npos);
}

TEST(benchmark_report_test, cumulative_steps_widen_past_two_milliseconds) {
  // As redis-benchmark's report: every 0.1 ms up to the level past 2 ms, then 2.1 ms and on
  // by 1 ms. Lines that add nothing are left out.
  rb::test_figures t = four_requests();
  t.requests = 2;
  t.latency = rb::histogram(3);
  t.latency.record(1'950'000);
  t.latency.record(3'500'000);
  const std::string report = rb::full_report(settings(), t);
  const std::string want =
      "Cumulative distribution of latencies:\n"
      "0.000% <= 0.100 milliseconds (cumulative count 0)\n"
      "50.000% <= 2.001 milliseconds (cumulative count 1)\n"
      "100.000% <= 4.100 milliseconds (cumulative count 2)\n"
      "\n";
  EXPECT_NE(report.find(want), std::string::npos) << report;
  EXPECT_NE(report.find("Latency by percentile distribution:\n"
                        "0.000% <= 1.951 milliseconds (cumulative count 1)\n"
                        "75.000% <= 3.500 milliseconds (cumulative count 2)\n"
                        "100.000% <= 3.500 milliseconds (cumulative count 2)\n"),
            std::string::npos)
      << report;
}

TEST(benchmark_report_test, quiet_and_csv_lines) {
  EXPECT_EQ(rb::quiet_line(four_requests()), "SET: 2000.00 requests per second, p50=0.050 msec\n");
  EXPECT_EQ(rb::csv_header(),
            "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
            "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n");
  EXPECT_EQ(rb::csv_line(four_requests()),
            "\"SET\",\"2000.00\",\"0.125\",\"0.050\",\"0.050\",\"0.250\",\"0.250\",\"0.250\"\n");
}

TEST(benchmark_report_test, progress_line_and_its_blanking) {
  EXPECT_EQ(rb::progress_line("SET", 1234.56, 1000, 0.25, 0.3),
            "SET: rps=1234.6 (overall: 1000.0) avg_msec=0.250 (overall: 0.300)\r");
  EXPECT_EQ(rb::clear_line(0), " \r");
  EXPECT_EQ(rb::clear_line(5), "     \r");
}

TEST(benchmark_report_test, summary_figures) {
  const rb::summary s = rb::summarize(four_requests());
  EXPECT_DOUBLE_EQ(s.rps, 2000.0);
  EXPECT_DOUBLE_EQ(s.avg, 0.125);
  EXPECT_DOUBLE_EQ(s.min, 0.05);
  EXPECT_NEAR(s.p50, 0.05, 0.05 / 1024);
  EXPECT_DOUBLE_EQ(s.max, 0.25);
}

TEST(benchmark_report_test, json_document) {
  rb::test_figures t = four_requests();
  t.title = "say \"hi\"";
  t.cpu_user_seconds = 0.000001;
  t.cpu_system_seconds = 0.000003;
  t.allocations = 2;
  t.counters.connections = {{"connects", 0}, {"writes", 3}, {"replies", 4}};
  rb::test_figures u = four_requests();  // allocations and counters not counted
  const std::vector<rb::test_figures> tests{t, u};
  rb::connection_counters totals;
  totals.connections = {{"connects", 50}, {"replies", 104}};
  const std::string json = rb::json_report(settings(), tests, "respool-benchmark 0.1.0", totals);
  EXPECT_TRUE(brackets_balance(json)) << json;
  for (const char* part :
       {"\"tool\": \"respool-benchmark 0.1.0\"", "\"clients\": 50", "\"requests\": 4",
        "\"server\": {\"save\": \"3600 1 300 100 60 10000\", \"appendonly\": \"no\"},\n"
        "  \"connections\": {\"connects\": 50, \"replies\": 104},\n  \"tests\": [",
        "\"test\": \"say \\\"hi\\\"\"", "\"rps\": 2000.00", "\"p50\": 0.050015",
        "\"max\": 0.250000", "\"us_per_request\": 1.0000", "\"allocations\": 2",
        "\"allocations_per_request\": 0.5000,\n"
        "     \"connections\": {\"connects\": 0, \"writes\": 3, \"replies\": 4},\n",
        "\"allocations\": null, \"allocations_per_request\": null,\n     \"connections\": null,\n",
        "{\"percentile\": 75, \"ms\": 0.150015, \"count\": 3}"}) {
    EXPECT_NE(json.find(part), std::string::npos) << part << "\n" << json;
  }
  EXPECT_EQ(occurrences(json, "\"latency_ms\""), 2u);
  EXPECT_EQ(json.find("\"cluster\""), std::string::npos) << json;

  // --cluster: the cluster connections' own counters; their node connections' are not known.
  rb::test_figures c = four_requests();
  c.counters.cluster = {{"moved", 1}, {"nodes", 0}};
  rb::connection_counters cluster_totals;
  cluster_totals.cluster = {{"refreshes", 50}, {"nodes", 150}};
  const std::string jc = rb::json_report(settings(), {&c, 1}, "x", cluster_totals);
  EXPECT_TRUE(brackets_balance(jc)) << jc;
  EXPECT_NE(jc.find("\n  \"connections\": null, \"cluster\": {\"refreshes\": 50, \"nodes\": 150},"),
            std::string::npos)
      << jc;
  EXPECT_NE(jc.find("\n     \"connections\": null, \"cluster\": {\"moved\": 1, \"nodes\": 0},\n"),
            std::string::npos)
      << jc;

  // No finite throughput (nothing completed): null, which JSON can hold, not "nan".
  rb::test_figures none;
  none.title = "GET";
  const std::vector<rb::test_figures> empty{none};
  const std::string j2 = rb::json_report(settings(), empty, "x");
  EXPECT_NE(j2.find("\"rps\": null"), std::string::npos) << j2;
  EXPECT_EQ(j2.find("nan"), std::string::npos) << j2;
  EXPECT_TRUE(brackets_balance(j2));
}

TEST(benchmark_report_test, svg_chart_is_self_contained) {
  rb::test_figures a = four_requests();
  rb::test_figures b = four_requests();
  b.title = "LRANGE <&> \"x\"";
  b.seconds = 0.004;
  const std::vector<rb::test_figures> tests{a, b};
  const std::string svg = rb::svg_chart(settings(), tests);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(occurrences(svg, "<polyline"), 2u);                           // a curve per test
  EXPECT_EQ(occurrences(svg, "LRANGE &lt;&amp;&gt; &quot;x&quot;"), 2u);  // bar label, legend
  EXPECT_EQ(svg.find("LRANGE <"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);    // nothing external
  EXPECT_NE(svg.find(">2000<"), std::string::npos);  // the first bar's value
  EXPECT_NE(svg.find(">1000<"), std::string::npos);
}
