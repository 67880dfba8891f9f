// blocking_bench's results: a worker's line of JSON (written and read back), the medians as a
// table, every run as JSON.
#include "blocking_bench.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace blocking {

std::optional<bench_case> parse_case(std::string_view name) {
  for (std::size_t i = 0; i < case_names.size(); ++i) {
    if (case_names[i] == name) return static_cast<bench_case>(i);
  }
  return std::nullopt;
}

worker_result difference(const snapshot& start, const snapshot& end) {
  worker_result r;
  r.commands = end.commands - start.commands;
  r.seconds = std::chrono::duration<double>(end.time - start.time).count();
  r.cpu = end.cpu - start.cpu;
  r.allocs = end.allocs - start.allocs;
  return r;
}

namespace {

// Quotes and escapes a string for JSON (control characters become spaces).
std::string json_string(std::string_view s) {
  std::string out(1, '"');
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch;
  }
  out += '"';
  return out;
}

// The text after "name": in a flat JSON object; null when absent.
const char* field(const std::string& line, const char* name) {
  std::string tag = "\"";
  tag.append(name).append("\":");
  const auto at = line.find(tag);
  return at == std::string::npos ? nullptr : line.c_str() + at + tag.size();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double per_second(const worker_result& r) { return r.seconds > 0 ? r.commands / r.seconds : 0; }
double cpu_us(const worker_result& r) { return r.commands > 0 ? r.cpu * 1e6 / r.commands : 0; }
double allocs_per(const worker_result& r) {
  return r.commands > 0 ? static_cast<double>(r.allocs) / static_cast<double>(r.commands) : 0;
}

bool same_cell(const run_record& r, const std::string& placement, const std::string& bench,
               const std::string& client) {
  return r.result.error.empty() && r.placement == placement && r.bench == bench &&
         r.client == client;
}

// The successful runs of one cell.
std::vector<const run_record*> cell(const std::vector<run_record>& runs,
                                    const std::string& placement, const std::string& bench,
                                    const std::string& client) {
  std::vector<const run_record*> out;
  for (const run_record& r : runs) {
    if (same_cell(r, placement, bench, client)) out.push_back(&r);
  }
  return out;
}

// The median over the repetitions of `f(run) / f(hiredis's run of the same repetition)`:
// each ratio pairs runs made minutes apart at most, so slow drifts of the machine cancel out.
template <class F>
double median_ratio(const std::vector<const run_record*>& mine,
                    const std::vector<const run_record*>& hiredis, F f) {
  std::vector<double> ratios;
  for (const run_record* m : mine) {
    for (const run_record* h : hiredis) {
      if (h->rep == m->rep && f(h->result) > 0) ratios.push_back(f(m->result) / f(h->result));
    }
  }
  return ratios.empty() ? -1 : median(ratios);
}

std::string ratio_text(double r) {
  if (r < 0) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", r);
  return buf;
}

}  // namespace

worker_result parse_worker_line(const std::string& line) {
  worker_result r;
  if (const char* e = field(line, "error")) {
    r.error = *e == '"' ? std::string(e + 1, std::strcspn(e + 1, "\"")) : std::string(e);
    return r;
  }
  const char* commands = field(line, "commands");
  const char* seconds = field(line, "seconds");
  const char* cpu = field(line, "cpu");
  const char* allocs = field(line, "allocs");
  if (commands == nullptr || seconds == nullptr || cpu == nullptr || allocs == nullptr) {
    r.error = line.empty() ? "the worker printed nothing" : "unreadable worker output: ";
    if (!line.empty()) r.error += line;
    return r;
  }
  r.commands = std::strtoull(commands, nullptr, 10);
  r.seconds = std::strtod(seconds, nullptr);
  r.cpu = std::strtod(cpu, nullptr);
  r.allocs = std::strtoull(allocs, nullptr, 10);
  if (r.commands == 0) r.error = "no command completed";
  return r;
}

std::string worker_json(std::string_view client, std::string_view bench, const worker_result& r) {
  std::string out = "{";
  if (!r.error.empty()) return out.append("\"error\":").append(json_string(r.error)).append("}");
  char buf[160];
  std::snprintf(buf, sizeof buf, "\"commands\":%llu,\"seconds\":%.6f,\"cpu\":%.6f,\"allocs\":%llu}",
                static_cast<unsigned long long>(r.commands), r.seconds, r.cpu,
                static_cast<unsigned long long>(r.allocs));
  out.append("\"client\":").append(json_string(client));
  out.append(",\"case\":").append(json_string(bench)).append(",");
  return out.append(buf);
}

void print_table(const std::vector<run_record>& runs, const std::vector<std::string>& placements,
                 const std::vector<std::string>& cases, const std::vector<std::string>& clients) {
  std::printf(
      "| placement | case | client | commands/s | CPU µs/command | allocs/command | "
      "commands/s ÷ hiredis | CPU ÷ hiredis |\n|---|---|---|---:|---:|---:|---:|---:|\n");
  for (const std::string& placement : placements) {
    for (const std::string& bench : cases) {
      const auto hiredis = cell(runs, placement, bench, "hiredis");
      for (const std::string& client : clients) {
        const auto mine = cell(runs, placement, bench, client);
        if (mine.empty()) continue;
        std::vector<double> rate, cpu, allocs;
        for (const run_record* r : mine) {
          rate.push_back(per_second(r->result));
          cpu.push_back(cpu_us(r->result));
          allocs.push_back(allocs_per(r->result));
        }
        std::printf("| %s | %s | %s | %.0f | %.2f | %.3g | %s | %s |\n", placement.c_str(),
                    bench.c_str(), client.c_str(), median(rate), median(cpu), median(allocs),
                    ratio_text(median_ratio(mine, hiredis, per_second)).c_str(),
                    ratio_text(median_ratio(mine, hiredis, cpu_us)).c_str());
      }
    }
  }
}

bool write_json(const std::string& path, const std::string& server, window w,
                const std::vector<run_record>& runs) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "{\"server\":%s,\"seconds\":%g,\"warmup\":%g,\"runs\":[",
               json_string(server).c_str(), w.seconds, w.warmup);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const run_record& r = runs[i];
    std::string line = worker_json(r.client, r.bench, r.result);
    if (!r.result.error.empty()) {
      line.assign(1, '{');
      line.append("\"client\":").append(json_string(r.client));
      line.append(",\"case\":").append(json_string(r.bench));
      line.append(",\"error\":").append(json_string(r.result.error)).append("}");
    }
    // The repetition and the placement go in front of the worker's own fields.
    std::string context = "\"rep\":";
    context.append(std::to_string(r.rep)).append(",\"placement\":");
    context.append(json_string(r.placement)).append(",");
    line.insert(1, context);
    std::fprintf(f, "%s\n  %s", i == 0 ? "" : ",", line.c_str());
  }
  std::fprintf(f, "\n]}\n");
  return std::fclose(f) == 0;
}

}  // namespace blocking
