// respool-benchmark: redis-benchmark's interface and reports, with respool connections doing
// the work. See usage_text() (options.cpp) for the flags.
#include "alloc_count.hpp"
#include "cluster_nodes.hpp"
#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "suite.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rb = respool::benchmark;

namespace {

void put(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// The progress line and the width to blank before the next one, kept across tests.
struct progress_printer {
  int width = 0;
  std::string title;
  rb::progress last;
  double last_elapsed = 0;

  void start(std::string name) {
    title = std::move(name);
    last = {};
    last_elapsed = 0;
  }

  void tick(const rb::progress& p) {
    const double dt = p.elapsed_seconds - last_elapsed;
    const std::uint64_t n = p.finished - last.finished;
    const double rps = dt > 0 ? static_cast<double>(n) / dt : 0;
    const double overall =
        p.elapsed_seconds > 0 ? static_cast<double>(p.finished) / p.elapsed_seconds : 0;
    const double avg = n > 0 ? static_cast<double>(p.latency_sum_ns - last.latency_sum_ns) / 1e6 /
                                   static_cast<double>(n)
                             : 0;
    const double overall_avg = p.finished > 0 ? static_cast<double>(p.latency_sum_ns) / 1e6 /
                                                    static_cast<double>(p.finished)
                                              : 0;
    last = p;
    last_elapsed = p.elapsed_seconds;
    put(rb::clear_line(width));
    const std::string line = rb::progress_line(title, rps, overall, avg, overall_avg);
    put(line);
    width = static_cast<int>(line.size());
    std::fflush(stdout);
  }
};

// Prints why the run stopped early, after what was printed so far; returns the exit status.
int report_failure(const rb::failure& f) {
  std::fflush(stdout);
  switch (f.what) {
    case rb::failure::kind::server_error:
      std::fprintf(stderr, "Error from server: %s\n", f.message.c_str());
      break;
    case rb::failure::kind::stalled:
      std::fprintf(stderr, "Error: %s (--stall-timeout)\n", f.message.c_str());
      break;
    case rb::failure::kind::connection:
      std::fprintf(stderr, "Error: %s\n", f.message.c_str());
      break;
  }
  return 1;
}

// What --help, --version or a refused command line prints; the exit status.
int print_parse_outcome(const rb::parse_result& parsed) {
  switch (parsed.action) {
    case rb::parse_action::help:
      put(rb::usage_text());
      return 0;
    case rb::parse_action::version:
      put(rb::version_text() + "\n");
      return 0;
    case rb::parse_action::error:
    case rb::parse_action::run:
      break;
  }
  if (parsed.message.rfind("Invalid URI", 0) == 0) {
    std::fprintf(stderr, "%s\n", parsed.message.c_str());
  } else {
    std::printf("%s\n\n", parsed.message.c_str());
    put(rb::usage_text());
  }
  return 1;
}

// --cluster: reads the masters from the node -h/-p name and prints them as redis-benchmark
// does; false (said on stderr) when the cluster cannot be read.
bool discover_cluster(const rb::options& o, std::vector<rb::cluster_master>& masters) {
  std::vector<std::string> warnings;
  std::string why;
  const bool read = rb::fetch_cluster_masters(o.server, masters, warnings, why);
  for (const std::string& w : warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!read) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return false;
  }
  put(rb::cluster_banner(masters));
  std::fflush(stdout);
  return true;
}

// -x: all of standard input, byte for byte, as the command's last argument.
std::string read_stdin() {
  std::string all;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) all.append(buf, n);
  return all;
}

rb::load load_of(const rb::options& o) {
  rb::load how;
  how.clients = o.clients;
  how.pipeline = o.pipeline;
  how.threads = o.threads;
  how.random_keys = o.random_keys;
  how.keyspace = static_cast<std::uint64_t>(o.keyspace);
  how.seed = o.seed;
  how.keepalive = o.keepalive;
  how.precision = o.precision;
  how.allocation_counter = &rb::allocation_count;
  how.stall_timeout = std::chrono::seconds(o.stall_timeout);
  // Room for a whole pipeline of replies of the data size in one read, between the
  // connection's 16 KiB and 256 KiB.
  how.read_buffer_size = std::clamp<std::size_t>(
      static_cast<std::size_t>(o.pipeline) * (static_cast<std::size_t>(o.data_size) + 32),
      16 * 1024, 256 * 1024);
  return how;
}

rb::run_settings settings_of(const rb::options& o) {
  rb::run_settings settings;
  settings.host = o.server.host;
  settings.port = o.server.port;
  settings.socket = o.server.unix_socket;
  static_cast<rb::workload&>(settings) = o;
  settings.dbnum = o.server.database;
  settings.resp3 = o.server.protocol == 3;
  settings.precision = o.precision;
  return settings;
}

// Writes the chart to --svg's file; false (said on stderr) when it cannot.
bool write_svg(const rb::options& o, const rb::run_settings& settings,
               const std::vector<rb::test_figures>& results) {
  std::FILE* f = std::fopen(o.svg_file.c_str(), "w");
  const std::string svg = rb::svg_chart(settings, results);
  const bool written = f != nullptr && std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
  if (f != nullptr) std::fclose(f);
  if (!written) std::fprintf(stderr, "Could not write %s\n", o.svg_file.c_str());
  return written;
}

// Runs every test once, printing each as it ends in the format asked for, then the JSON
// report and the chart; the exit status (1 on the first failure).
int run_once(rb::runner& runner, const rb::options& o, const rb::run_settings& settings,
             const std::vector<rb::test_case>& tests, progress_printer& printer) {
  const bool show_progress = !o.csv && !o.json;
  std::vector<rb::test_figures> results;
  for (const rb::test_case& test : tests) {
    printer.start(test.title);
    std::optional<rb::failure> failed;
    rb::test_figures fig =
        runner.run(test, static_cast<std::uint64_t>(o.requests),
                   show_progress ? [&printer](const rb::progress& p) { printer.tick(p); }
                                 : std::function<void(const rb::progress&)>{},
                   failed);
    if (failed) return report_failure(*failed);
    if (o.json) {
      // Reported at the end.
    } else if (o.csv) {
      put(rb::csv_line(fig));
    } else if (o.quiet) {
      put(rb::clear_line(printer.width) + rb::quiet_line(fig));
    } else {
      put(rb::clear_line(printer.width) + rb::full_report(settings, fig));
    }
    std::fflush(stdout);
    results.push_back(std::move(fig));
  }
  if (o.command.empty() && !o.csv && !o.json) put("\n");
  if (o.json) put(rb::json_report(settings, results, rb::version_text(), runner.counters()));
  if (!o.svg_file.empty() && !write_svg(o, settings, results)) return 1;
  std::fflush(stdout);
  return 0;
}

// -I: the connections stay open and idle, the count of those still open shown every tick,
// until the process is interrupted or a connection is lost (exit 1, as redis-benchmark).
int run_idle(rb::runner& runner, const rb::options& o) {
  int width = 0;
  const std::string why = runner.idle([&](std::size_t live) {
    if (o.csv) return;
    put(rb::clear_line(width));
    const std::string line = std::string("clients: ") + std::to_string(live) + "\r";
    put(line);
    width = static_cast<int>(line.size());
    std::fflush(stdout);
  });
  std::fflush(stdout);
  std::fprintf(stderr, "Error: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  rb::parse_result parsed = rb::parse_options(args);
  if (parsed.action != rb::parse_action::run) return print_parse_outcome(parsed);
  rb::options& o = parsed.opts;
  for (const std::string& w : o.warnings) std::printf("%s\n", w.c_str());
  if (o.stdin_arg && !o.command.empty()) o.command.push_back(read_stdin());
  if (!o.keepalive && o.cluster) {
    // A cluster connection per request would be a connection to every master per request.
    std::fprintf(stderr, "-k 0 is not supported with --cluster\n");
    return 1;
  }
  if (!o.keepalive) {
    std::fprintf(stderr,
                 "WARNING: Keepalive disabled. You probably need 'echo 1 > "
                 "/proc/sys/net/ipv4/tcp_tw_reuse' for Linux and 'sudo sysctl -w "
                 "net.inet.tcp.msl=1000' for Mac OS X in order to use a lot of "
                 "clients/requests\n");
  }

  std::vector<rb::cluster_master> masters;
  if (o.cluster) {
    if (!discover_cluster(o, masters)) return 1;
    // A loop per master unless --threads says otherwise, as redis-benchmark runs them.
    if (o.threads == 0) o.threads = static_cast<int>(masters.size());
  }
  rb::run_settings settings = settings_of(o);
  rb::load how = load_of(o);
  for (const rb::cluster_master& m : masters) settings.cluster.push_back(m.settings);
  how.cluster = std::move(masters);
  rb::runner runner(o.server, std::move(how));
  if (o.idle) {
    std::printf("Creating %d idle connections and waiting forever (Ctrl+C when done)\n", o.clients);
    std::fflush(stdout);
  }
  std::string why;
  if (!runner.connect(why)) {
    std::fprintf(stderr, "%s\n", why.c_str());
    return 1;
  }
  if (o.idle) return run_idle(runner, o);
  if (!o.cluster) {
    std::optional<rb::failure> stalled;
    settings.server = runner.fetch_server_settings(stalled);
    if (stalled) return report_failure(*stalled);
    if (!settings.server) std::fprintf(stderr, "WARNING: Could not fetch server CONFIG\n");
  }

  std::vector<rb::test_case> tests;
  if (!o.command.empty()) {
    tests.push_back(rb::command_test(o.command));
    settings.data_size = static_cast<int>(tests.back().payload);
  } else {
    tests = rb::default_tests(o.tests, rb::test_data(static_cast<std::size_t>(o.data_size)),
                              o.random_keys, o.cluster);
  }

  if (o.csv && !o.json) put(rb::csv_header());
  progress_printer printer;
  do {
    if (const int status = run_once(runner, o, settings, tests, printer); status != 0) {
      return status;
    }
  } while (o.loop);
  runner.close();
  return 0;
}
