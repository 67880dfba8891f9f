#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <vector>

namespace respool::benchmark {

namespace {

// printf onto the end of a string.
[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* format, ...) {
  char small[256];
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(small, sizeof small, format, args);
  va_end(args);
  if (n < 0) {
    va_end(again);
    return;
  }
  if (static_cast<std::size_t>(n) < sizeof small) {
    out.append(small, static_cast<std::size_t>(n));
  } else {
    const std::size_t old = out.size();
    out.resize(old + static_cast<std::size_t>(n) + 1);
    std::vsnprintf(out.data() + old, static_cast<std::size_t>(n) + 1, format, again);
    out.resize(old + static_cast<std::size_t>(n));
  }
  va_end(again);
}

constexpr double ns_per_ms = 1e6;

double ms(std::uint64_t ns) { return static_cast<double>(ns) / ns_per_ms; }

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

// XML text and attribute values.
std::string xml_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A round step for an axis from 0 to `top` with about `ticks` divisions: 1, 2 or 5 times a
// power of ten.
double nice_step(double top, int ticks) {
  if (!(top > 0)) return 1;
  const double raw = top / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string axis_label(double v) {
  std::string s;
  if (v >= 1e6) {
    appendf(s, "%gM", v / 1e6);
  } else if (v >= 1e3) {
    appendf(s, "%gk", v / 1e3);
  } else {
    appendf(s, "%g", v);
  }
  return s;
}

constexpr const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

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

std::string full_report(const run_settings& run, const test_figures& t) {
  const summary s = summarize(t);
  std::string out;
  appendf(out, "====== %s ======\n", t.title.c_str());
  appendf(out, "  %llu requests completed in %.2f seconds\n",
          static_cast<unsigned long long>(t.requests), t.seconds);
  appendf(out, "  %d parallel clients\n", run.clients);
  appendf(out, "  %zu bytes payload\n", t.payload);
  out += "  keep alive: 1\n";
  if (run.server) {
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

std::string json_report(const run_settings& run, std::span<const test_figures> tests,
                        std::string_view tool_version) {
  std::string out = "{\n  \"tool\": ";
  append_json_string(out, tool_version);
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
          "\"resp\": %d, \"precision\": %d, \"keep_alive\": true},\n",
          run.clients, static_cast<long long>(run.requests), run.data_size, run.pipeline,
          run.random_keys ? "true" : "false", static_cast<long long>(run.keyspace), run.threads,
          run.dbnum, run.resp3 ? 3 : 2, run.precision);
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
  out += ",\n  \"tests\": [";
  for (std::size_t k = 0; k < tests.size(); ++k) {
    const test_figures& t = tests[k];
    const summary s = summarize(t);
    const double requests = static_cast<double>(t.requests);
    out += k == 0 ? "\n    {" : ",\n    {";
    out += "\"test\": ";
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
      appendf(out, "%llu, \"allocations_per_request\": ",
              static_cast<unsigned long long>(*t.allocations));
      append_json_number(out, static_cast<double>(*t.allocations) / requests, "%.4f");
    } else {
      out += "null, \"allocations_per_request\": null";
    }
    out += ",\n     \"percentiles\": [";
    const std::vector<percentile_row> rows = percentile_rows(t.latency);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      appendf(out, "%s{\"percentile\": %.6g, \"ms\": %.6f, \"count\": %llu}", i == 0 ? "" : ", ",
              rows[i].percentile, ms(rows[i].value),
              static_cast<unsigned long long>(rows[i].cumulative));
    }
    out += "]}";
  }
  out += tests.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string svg_chart(const run_settings& run, std::span<const test_figures> tests) {
  // Layout: a title, a bar per test (requests per second), then a plot of latency against
  // percentile on a "nines" scale (x = log10(1 / (1 − p)): 90 % at 1, 99 % at 2, …).
  const double width = 960;
  const double left = 260, right = 40;
  const double bar_h = 22, bar_gap = 6;
  const double bars_top = 70;
  const double bars_h = static_cast<double>(tests.size()) * (bar_h + bar_gap);
  const double plot_top = bars_top + bars_h + 90;
  const double plot_h = 360;
  const double plot_left = 90, plot_right = width - 220;
  const double height = plot_top + plot_h + 70;
  const double max_nines = 4;  // up to 99.99 %

  std::string out;
  appendf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
          width, height, width, height);
  appendf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width,
          height);
  std::string where = run.socket.empty() ? run.host + ":" + std::to_string(run.port) : run.socket;
  appendf(out,
          "<text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">respool-benchmark: %s"
          "</text>\n",
          xml_escape(where).c_str());
  appendf(out,
          "<text x=\"20\" y=\"48\" fill=\"#555555\">%d clients, pipeline %d, %d bytes payload, "
          "%lld requests per test%s</text>\n",
          run.clients, run.pipeline, run.data_size, static_cast<long long>(run.requests),
          run.threads > 0 ? (", " + std::to_string(run.threads) + " threads").c_str() : "");

  // Throughput bars.
  double top_rps = 0;
  for (const test_figures& t : tests) {
    const double r = summarize(t).rps;
    if (std::isfinite(r)) top_rps = std::max(top_rps, r);
  }
  const double rps_step = nice_step(top_rps, 5);
  const double rps_axis = top_rps > 0 ? std::ceil(top_rps / rps_step) * rps_step : 1;
  const double bars_w = width - left - right;
  for (double v = 0; v <= rps_axis + rps_step / 2; v += rps_step) {
    const double x = left + bars_w * v / rps_axis;
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">%s</text>\n",
            x, bars_top - 4, x, bars_top + bars_h, x, bars_top + bars_h + 16,
            axis_label(v).c_str());
  }
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">requests per second</text>\n",
          left + bars_w / 2, bars_top + bars_h + 34);
  for (std::size_t i = 0; i < tests.size(); ++i) {
    const summary s = summarize(tests[i]);
    const double y = bars_top + static_cast<double>(i) * (bar_h + bar_gap);
    const double r = std::isfinite(s.rps) ? s.rps : 0;
    const double w = bars_w * r / rps_axis;
    const char* color = palette[i % std::size(palette)];
    appendf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n"
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" fill=\"#333333\">%.0f</text>\n",
            left - 8, y + bar_h * 0.7, xml_escape(tests[i].title).c_str(), left, y, w, bar_h, color,
            left + w + 6, y + bar_h * 0.7, r);
  }

  // Latency by percentile.
  const auto x_of = [&](double nines) {
    return plot_left + (plot_right - plot_left) * nines / max_nines;
  };
  constexpr int steps = 80;
  std::vector<std::vector<double>> curves;
  double top_ms = 0;
  for (const test_figures& t : tests) {
    std::vector<double> c;
    for (int k = 0; k <= steps; ++k) {
      const double nines = max_nines * k / steps;
      const double p = 100.0 * (1.0 - std::pow(10.0, -nines));
      c.push_back(ms(t.latency.value_at_percentile(p)));
      top_ms = std::max(top_ms, c.back());
    }
    curves.push_back(std::move(c));
  }
  const double ms_step = nice_step(top_ms, 6);
  const double ms_axis = top_ms > 0 ? std::ceil(top_ms / ms_step) * ms_step : 1;
  const auto y_of = [&](double v) { return plot_top + plot_h - plot_h * v / ms_axis; };
  appendf(out,
          "<text x=\"20\" y=\"%.1f\" font-size=\"14\" font-weight=\"bold\">Latency by "
          "percentile (ms)</text>\n",
          plot_top - 24);
  for (double v = 0; v <= ms_axis + ms_step / 2; v += ms_step) {
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555555\">%g</text>\n",
            plot_left, y_of(v), plot_right, y_of(v), plot_left - 6, y_of(v) + 4, v);
  }
  const char* const x_labels[] = {"0%", "90%", "99%", "99.9%", "99.99%"};
  for (int n = 0; n <= static_cast<int>(max_nines); ++n) {
    appendf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555555\">%s</text>\n",
            x_of(n), plot_top, x_of(n), plot_top + plot_h, x_of(n), plot_top + plot_h + 16,
            x_labels[n]);
  }
  appendf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">percentile</text>\n",
          (plot_left + plot_right) / 2, plot_top + plot_h + 36);
  appendf(out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
          "stroke=\"#999999\"/>\n",
          plot_left, plot_top, plot_right - plot_left, plot_h);
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const char* color = palette[i % std::size(palette)];
    out += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"";
    out += color;
    out += "\" points=\"";
    for (int k = 0; k <= steps; ++k) {
      appendf(out, "%s%.1f,%.1f", k == 0 ? "" : " ", x_of(max_nines * k / steps),
              y_of(curves[i][static_cast<std::size_t>(k)]));
    }
    out += "\"/>\n";
    const double ly = plot_top + 10 + static_cast<double>(i) * 18;
    appendf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
            plot_right + 14, ly, color, plot_right + 32, ly + 10,
            xml_escape(tests[i].title).c_str());
  }
  out += "</svg>\n";
  return out;
}

}  // namespace respool::benchmark
