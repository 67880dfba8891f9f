// roundtrip_bench's report: the medians as a table, every run as JSON.
#include "roundtrip.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

#ifdef RESPOOL_BENCH_HIREDIS
#  include <hiredis/hiredis.h>
#endif

namespace roundtrip {

namespace {

template <class F>
double median_of(const entry& e, F f) {
  std::vector<double> v;
  for (const measurement& m : e.runs) {
    if (m.error.empty() && m.commands > 0) v.push_back(f(m));
  }
  return median(v);
}

double commands_per_batch(const measurement& m) {
  return m.write_batches == 0
             ? 0
             : static_cast<double>(m.commands) / static_cast<double>(m.write_batches);
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fmt_rate(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1f k", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

std::string fmt_num(double v, const char* format) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ops_per_second(const measurement& m) { return static_cast<double>(m.commands) / m.seconds; }

double cpu_us_per_command(const measurement& m) {
  return m.cpu * 1e6 / static_cast<double>(m.commands);
}

double allocs_per_command(const measurement& m) {
  return static_cast<double>(m.allocs) / static_cast<double>(m.commands);
}

bool write_json(const std::string& path, const options& o, const server_address& s,
                const std::vector<entry>& entries) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "{\n  \"context\": {\"date\": \"%s\", \"server\": \"%s\", \"num_cpus\": %u, ",
               now_utc().c_str(), json_escape(s.text).c_str(), std::thread::hardware_concurrency());
  std::fprintf(f,
               "\"seconds\": %g, \"warmup\": %g, \"reps\": %d, \"seed\": %llu, "
               "\"health_checks\": %s, ",
               o.seconds, o.warmup, o.reps, static_cast<unsigned long long>(o.seed),
               o.health_checks ? "true" : "false");
#ifdef RESPOOL_BENCH_HIREDIS
  std::fprintf(f, "\"hiredis\": \"%d.%d.%d\"},\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
#else
  std::fprintf(f, "\"hiredis\": null},\n");
#endif
  std::fprintf(f, "  \"runs\": [");
  bool first = true;
  for (const entry& e : entries) {
    for (std::size_t i = 0; i < e.runs.size(); ++i) {
      const measurement& m = e.runs[i];
      const bool ok = m.error.empty() && m.commands > 0;
      std::fprintf(f, "%s\n    {\"name\": \"%s\", \"case\": \"%s\", \"impl\": \"%s\", ",
                   first ? "" : ",", e.name.c_str(), e.c->name, e.impl.c_str());
      first = false;
      std::fprintf(f, "\"repetition\": %d, \"depth\": %d, \"seconds\": %.6f, \"commands\": %llu, ",
                   e.reps[i], e.c->depth, m.seconds, static_cast<unsigned long long>(m.commands));
      std::fprintf(f, "\"round_trips\": %llu, \"cpu_seconds\": %.6f, \"allocations\": %llu, ",
                   static_cast<unsigned long long>(m.round_trips), m.cpu,
                   static_cast<unsigned long long>(m.allocs));
      std::fprintf(f, "\"write_batches\": %llu, \"writes\": %llu, \"reads\": %llu, ",
                   static_cast<unsigned long long>(m.write_batches),
                   static_cast<unsigned long long>(m.writes),
                   static_cast<unsigned long long>(m.reads));
      std::fprintf(f,
                   "\"ops_per_second\": %.1f, \"cpu_us_per_command\": %.4f, "
                   "\"allocs_per_command\": %.4f, \"error\": ",
                   ok ? ops_per_second(m) : 0.0, ok ? cpu_us_per_command(m) : 0.0,
                   ok ? allocs_per_command(m) : 0.0);
      if (m.error.empty()) {
        std::fprintf(f, "null}");
      } else {
        std::fprintf(f, "\"%s\"}", json_escape(m.error).c_str());
      }
    }
  }
  std::fprintf(f, "\n  ]\n}\n");
  return std::fclose(f) == 0;
}

void print_table(const std::vector<entry>& entries) {
  std::printf(
      "| benchmark | commands/s | CPU µs/command | allocs/command | commands/batch | "
      "commands/s ÷ hiredis | CPU ÷ hiredis |\n|---|---|---|---|---|---|---|\n");
  for (const entry& e : entries) {
    const entry* hiredis = nullptr;
    for (const entry& other : entries) {
      if (other.c == e.c && other.impl == "hiredis") hiredis = &other;
    }
    const bool measured = std::any_of(e.runs.begin(), e.runs.end(), [](const measurement& m) {
      return m.error.empty() && m.commands > 0;
    });
    if (!measured) {
      std::printf("| %s | — | — | — | — | — | — |\n", e.name.c_str());
      continue;
    }
    const double ops = median_of(e, ops_per_second);
    const double cpu = median_of(e, cpu_us_per_command);
    const double allocs = median_of(e, allocs_per_command);
    std::string per_write = e.impl == "hiredis" ? fmt_num(e.c->depth, "%.0f") + " (pipeline)"
                                                : fmt_num(median_of(e, commands_per_batch), "%.1f");
    std::string ops_ratio = "—";
    std::string cpu_ratio = "—";
    if (hiredis != nullptr && hiredis != &e) {
      const double h_ops = median_of(*hiredis, ops_per_second);
      const double h_cpu = median_of(*hiredis, cpu_us_per_command);
      if (h_ops > 0) ops_ratio = fmt_num(ops / h_ops, "%.2f×");
      if (h_cpu > 0) cpu_ratio = fmt_num(cpu / h_cpu, "%.2f×");
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", e.name.c_str(), fmt_rate(ops).c_str(),
                fmt_num(cpu, cpu < 1 ? "%.3f" : "%.2f").c_str(),
                fmt_num(allocs, allocs == 0 ? "%.0f" : "%.3g").c_str(), per_write.c_str(),
                ops_ratio.c_str(), cpu_ratio.c_str());
  }
}

}  // namespace roundtrip
