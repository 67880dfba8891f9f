#include "report.hpp"

#include "report_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace respool::benchmark {

namespace {

// The percentiles redis-benchmark lists, as HdrHistogram's percentile iteration with one tick
// per half distance gives them: 0, 50, 75, 87.5, … halving the distance to 100 each time. A
// bucket may answer several of them; lines that repeat the previous cumulative count are left
// out, except at the total. The last line is always 100 %.
struct percentile_row {
  double percentile;
  std::uint64_t value;  // ns
  std::uint64_t cumulative;
};

std::vector<percentile_row> percentile_rows(const histogram& h) {
  std::vector<percentile_row> rows;
  const std::uint64_t total = h.count();
  if (total == 0) return rows;
  double target = 0;
  std::uint64_t cumulative = 0;
  std::uint64_t last_value = 0;
  long long previous = -1;
  const auto emit = [&](double p, std::uint64_t value) {
    if (static_cast<long long>(cumulative) != previous || cumulative == total) {
      rows.push_back({p, value, cumulative});
    }
    previous = static_cast<long long>(cumulative);
  };
  for (std::size_t i = 0; i < h.bucket_count() && cumulative < total; ++i) {
    const std::uint64_t n = h.bucket(i);
    if (n == 0) continue;
    cumulative += n;
    last_value = std::min(h.highest(i), h.max());
    const double current = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total);
    while (target <= current) {
      emit(target, last_value);
      const auto halvings =
          static_cast<std::int64_t>(std::log(100.0 / (100.0 - target)) / std::log(2.0)) + 1;
      target += 100.0 / std::pow(2.0, static_cast<double>(halvings));
      if (cumulative == total) break;  // the last bucket answers one percentile, then 100 %
    }
  }
  emit(100.0, last_value);
  return rows;
}

// The cumulative distribution: the count at or below every 0.1 ms up to 2 ms, then every
// 1 ms (from the level after the one past 2 ms), until every value is counted. Each line
// shows the highest value of the bucket that holds its level, as HdrHistogram's linear
// iteration does.
std::vector<percentile_row> cumulative_rows(const histogram& h) {
  std::vector<percentile_row> rows;
  const std::uint64_t total = h.count();
  if (total == 0) return rows;
  std::uint64_t step = 100'000;  // 0.1 ms
  std::uint64_t level = step;
  std::uint64_t cumulative = 0;
  std::size_t next = 0;  // first bucket not yet counted
  long long previous = -1;
  for (;;) {
    const std::size_t at = h.index_of(level);
    for (; next <= at && next < h.bucket_count(); ++next) cumulative += h.bucket(next);
    const std::uint64_t value = h.highest(at);
    if (static_cast<long long>(cumulative) != previous || cumulative == total) {
      rows.push_back({100.0 * static_cast<double>(cumulative) / static_cast<double>(total), value,
                      cumulative});
    }
    previous = static_cast<long long>(cumulative);
    if (cumulative == total || next >= h.bucket_count()) break;
    level += step;
    if (value > 2'000'000) step = 1'000'000;
  }
  return rows;
}

void append_rows(std::string& out, const std::vector<percentile_row>& rows) {
  for (const percentile_row& r : rows) {
    appendf(out, "%3.3f%% <= %.3f milliseconds (cumulative count %llu)\n", r.percentile,
            ms(r.value), static_cast<unsigned long long>(r.cumulative));
  }
}

// JSON: strings escaped, numbers that JSON cannot hold (NaN, infinities) as null.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          appendf(out, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_number(std::string& out, double v, const char* format = "%.6g") {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  appendf(out, format, v);
}

}  // namespace

summary summarize(const test_figures& t) {
  summary s;
  s.rps = static_cast<double>(t.requests) / t.seconds;
  const histogram& h = t.latency;
  s.avg = h.mean() / ns_per_ms;
  s.min = ms(h.min());
  s.p50 = ms(h.value_at_percentile(50));
  s.p95 = ms(h.value_at_percentile(95));
  s.p99 = ms(h.value_at_percentile(99));
  s.max = ms(h.max());
  return s;
}

std::string clear_line(int width) {
  std::string out;
  appendf(out, "%*s\r", width, " ");
  return out;
}

std::string progress_line(std::string_view title, double rps, double overall_rps, double avg_ms,
                          double overall_avg_ms) {
  std::string out;
  appendf(out, "%.*s: rps=%.1f (overall: %.1f) avg_msec=%.3f (overall: %.3f)\r",
          static_cast<int>(title.size()), title.data(), rps, overall_rps, avg_ms, overall_avg_ms);
  return out;
}

namespace {

// --cluster: the masters' settings, each master's under its index; an empty "save" shows as
// NONE there (redis-benchmark's choice for the cluster lines alone).
void append_cluster_settings(std::string& out,
                             const std::vector<std::optional<server_settings>>& masters) {
  appendf(out, "  cluster mode: yes (%zu masters)\n", masters.size());
  for (std::size_t i = 0; i < masters.size(); ++i) {
    if (!masters[i]) continue;
    appendf(out, "  node [%zu] configuration:\n", i);
    appendf(out, "    save: %s\n", masters[i]->save.empty() ? "NONE" : masters[i]->save.c_str());
    appendf(out, "    appendonly: %s\n", masters[i]->appendonly.c_str());
  }
}

}  // namespace

std::string full_report(const run_settings& run, const test_figures& t) {
  const summary s = summarize(t);
  std::string out;
  appendf(out, "====== %s ======\n", t.title.c_str());
  appendf(out, "  %llu requests completed in %.2f seconds\n",
          static_cast<unsigned long long>(t.requests), t.seconds);
  appendf(out, "  %d parallel clients\n", run.clients);
  appendf(out, "  %zu bytes payload\n", t.payload);
  appendf(out, "  keep alive: %d\n", run.keepalive ? 1 : 0);
  if (!run.cluster.empty()) {
    append_cluster_settings(out, run.cluster);
  } else if (run.server) {
    appendf(out, "  host configuration \"save\": %s\n", run.server->save.c_str());
    appendf(out, "  host configuration \"appendonly\": %s\n", run.server->appendonly.c_str());
  }
  appendf(out, "  multi-thread: %s\n", run.threads > 0 ? "yes" : "no");
  if (run.threads > 0) appendf(out, "  threads: %d\n", run.threads);
  out += "\nLatency by percentile distribution:\n";
  append_rows(out, percentile_rows(t.latency));
  out += "\nCumulative distribution of latencies:\n";
  append_rows(out, cumulative_rows(t.latency));
  out += "\nSummary:\n";
  appendf(out, "  throughput summary: %.2f requests per second\n", s.rps);
  out += "  latency summary (msec):\n";
  appendf(out, "    %9s %9s %9s %9s %9s %9s\n", "avg", "min", "p50", "p95", "p99", "max");
  appendf(out, "    %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", s.avg, s.min, s.p50, s.p95, s.p99,
          s.max);
  return out;
}

std::string quiet_line(const test_figures& t) {
  const summary s = summarize(t);
  std::string out;
  appendf(out, "%s: %.2f requests per second, p50=%.3f msec\n", t.title.c_str(), s.rps, s.p50);
  return out;
}

std::string csv_header() {
  return "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
         "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n";
}

std::string csv_line(const test_figures& t) {
  const summary s = summarize(t);
  std::string out;
  appendf(out, "\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n",
          t.title.c_str(), s.rps, s.avg, s.min, s.p50, s.p95, s.p99, s.max);
  return out;
}

namespace {

// The "settings" and "server" members of the JSON document.
void append_json_settings(std::string& out, const run_settings& run) {
  out += ",\n  \"settings\": {\"host\": ";
  append_json_string(out, run.host);
  appendf(out, ", \"port\": %d, \"socket\": ", run.port);
  if (run.socket.empty()) {
    out += "null";
  } else {
    append_json_string(out, run.socket);
  }
  appendf(out,
          ", \"clients\": %d, \"requests\": %lld, \"data_size\": %d, \"pipeline\": %d, "
          "\"random_keys\": %s, \"keyspace\": %lld, \"threads\": %d, \"dbnum\": %d, "
          "\"resp\": %d, \"precision\": %d, \"keep_alive\": %s",
          run.clients, static_cast<long long>(run.requests), run.data_size, run.pipeline,
          run.random_keys ? "true" : "false", static_cast<long long>(run.keyspace), run.threads,
          run.dbnum, run.resp3 ? 3 : 2, run.precision, run.keepalive ? "true" : "false");
  // Only with --cluster, so that the document of a single server keeps its shape.
  if (!run.cluster.empty()) appendf(out, ", \"cluster_masters\": %zu", run.cluster.size());
  out += "},\n";
  out += "  \"server\": ";
  if (run.server) {
    out += "{\"save\": ";
    append_json_string(out, run.server->save);
    out += ", \"appendonly\": ";
    append_json_string(out, run.server->appendonly);
    out += "}";
  } else {
    out += "null";
  }
}

// `"connections": {...}` (null when not gathered), then `, "cluster": {...}` when there are
// cluster counters.
void append_json_counters(std::string& out, const connection_counters& c) {
  const auto object = [&out](const std::vector<counter>& counters) {
    out += '{';
    for (std::size_t i = 0; i < counters.size(); ++i) {
      if (i != 0) out += ", ";
      append_json_string(out, counters[i].name);
      appendf(out, ": %llu", static_cast<unsigned long long>(counters[i].value));
    }
    out += '}';
  };
  out += "\"connections\": ";
  if (c.connections.empty()) {
    out += "null";
  } else {
    object(c.connections);
  }
  if (!c.cluster.empty()) {
    out += ", \"cluster\": ";
    object(c.cluster);
  }
}

// One element of the JSON document's "tests", from its opening brace on.
void append_json_test(std::string& out, const test_figures& t) {
  const summary s = summarize(t);
  const double requests = static_cast<double>(t.requests);
  out += "{\"test\": ";
  append_json_string(out, t.title);
  appendf(out, ", \"requests\": %llu, \"payload_bytes\": %zu, \"seconds\": ",
          static_cast<unsigned long long>(t.requests), t.payload);
  append_json_number(out, t.seconds, "%.6f");
  out += ", \"rps\": ";
  append_json_number(out, s.rps, "%.2f");
  out += ",\n     \"latency_ms\": {";
  const std::pair<const char*, double> latency[] = {
      {"avg", s.avg},
      {"min", s.min},
      {"p50", s.p50},
      {"p90", ms(t.latency.value_at_percentile(90))},
      {"p95", s.p95},
      {"p99", s.p99},
      {"p99.9", ms(t.latency.value_at_percentile(99.9))},
      {"p99.99", ms(t.latency.value_at_percentile(99.99))},
      {"max", s.max}};
  for (std::size_t i = 0; i < std::size(latency); ++i) {
    appendf(out, "%s\"%s\": ", i == 0 ? "" : ", ", latency[i].first);
    append_json_number(out, latency[i].second, "%.6f");
  }
  appendf(out, "}, \"histogram_relative_error\": %.6g,\n     \"client_cpu\": {\"user_s\": ",
          t.latency.relative_error());
  append_json_number(out, t.cpu_user_seconds, "%.6f");
  out += ", \"system_s\": ";
  append_json_number(out, t.cpu_system_seconds, "%.6f");
  out += ", \"us_per_request\": ";
  append_json_number(out, (t.cpu_user_seconds + t.cpu_system_seconds) * 1e6 / requests, "%.4f");
  out += "},\n     \"allocations\": ";
  if (t.allocations) {
    appendf(out,
            "%llu, \"allocations_per_request\": ", static_cast<unsigned long long>(*t.allocations));
    append_json_number(out, static_cast<double>(*t.allocations) / requests, "%.4f");
  } else {
    out += "null, \"allocations_per_request\": null";
  }
  out += ",\n     ";
  append_json_counters(out, t.counters);
  out += ",\n     \"percentiles\": [";
  const std::vector<percentile_row> rows = percentile_rows(t.latency);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    appendf(out, "%s{\"percentile\": %.6g, \"ms\": %.6f, \"count\": %llu}", i == 0 ? "" : ", ",
            rows[i].percentile, ms(rows[i].value),
            static_cast<unsigned long long>(rows[i].cumulative));
  }
  out += "]}";
}

}  // namespace

std::string json_report(const run_settings& run, std::span<const test_figures> tests,
                        std::string_view tool_version, const connection_counters& totals) {
  std::string out = "{\n  \"tool\": ";
  append_json_string(out, tool_version);
  append_json_settings(out, run);
  out += ",\n  ";
  append_json_counters(out, totals);
  out += ",\n  \"tests\": [";
  for (std::size_t k = 0; k < tests.size(); ++k) {
    out += k == 0 ? "\n    " : ",\n    ";
    append_json_test(out, tests[k]);
  }
  out += tests.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace respool::benchmark
