// What routing through a cluster_connection costs: round trips against a single-node Redis
// Cluster (one cluster-enabled redis-server that owns all 16384 slots), through a plain
// connection to that node and through a cluster_connection seeded with it, in the same process,
// on the same io_context and thread.
//
//   cluster_roundtrip/d1/<impl>    one coroutine, one `GET key:<i mod 1000>` co_awaited at a time
//   cluster_roundtrip/d16/<impl>   one coroutine, one request of 16 GETs of consecutive keys per
//                                  round trip
//
// <impl> is `plain` (respool::connection) or `cluster` (respool::cluster_connection). The keys
// hash to many slots, so the cluster connection routes every command as it would on a real
// cluster; on one node they all land on the one connection. The request is rebuilt every round
// trip (clear, then push) and the replies are ignored (an error reply still fails the run);
// before timing, every key is SET and one round trip of each case is checked reply by reply.
//
// Per repetition, each depth runs plain then cluster, the order swapped every other repetition.
// For each run: commands per second (wall time), the client's CPU time per command (getrusage of
// the process: its one thread runs the io_context; the server is another process) and heap
// allocations per command (alloc_hook.cpp), counted between two instants taken after a round
// trip completed, after a warm-up. The report shows medians over the repetitions and the ratios
// cluster ÷ plain, both of the medians and the median of each repetition's ratio.
//
// Both connections run with health checks off, and the cluster connection with no periodic
// topology read (cluster_config::refresh_interval = 0): neither is part of a command's cost.
//
// Server: RESPOOL_BENCH_SERVER, else RESPOOL_TEST_SERVER ("host:port"); bench/cluster_bench.sh
// starts a throwaway single-node cluster and runs this against it.
//
//   cluster_roundtrip_bench [--seconds S] [--warmup S] [--reps N] [--depth 1|16] [--json FILE]
//                           [--skip-if-unreachable]
//
// --depth runs one depth alone: a profile (perf record) then holds the two runs of that case.
#include "roundtrip.hpp"
#include <respool/cluster.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// True while a run is measured (the meter of roundtrip.hpp sets it); a plain global for gdb.
extern "C" {
volatile bool respool_bench_measuring = false;
}

namespace {

using roundtrip::bench_clock;
using roundtrip::measurement;
using roundtrip::meter;
using roundtrip::request;

constexpr int key_count = 1000;
constexpr std::string_view value = "0123456789abcdef";
constexpr int depths[] = {1, 16};
constexpr const char* impls[] = {"plain", "cluster"};

struct options {
  double seconds = 1.0;
  double warmup = -1;  // negative: seconds / 5
  int reps = 5;
  int depth = 0;  // 0: every depth
  std::string json;
  bool skip_if_unreachable = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "cluster_roundtrip_bench: %s\n"
               "usage: cluster_roundtrip_bench [--seconds S] [--warmup S] [--reps N] "
               "[--depth 1|16] [--json FILE] [--skip-if-unreachable]\n",
               why);
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (a == "--seconds") {
      o.seconds = std::atof(next());
    } else if (a == "--warmup") {
      o.warmup = std::atof(next());
    } else if (a == "--reps") {
      o.reps = std::atoi(next());
    } else if (a == "--depth") {
      o.depth = std::atoi(next());
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--skip-if-unreachable") {
      o.skip_if_unreachable = true;
    } else {
      usage(a == "--help" || a == "-h" ? "a plain and a cluster connection, one node"
                                       : "unknown option");
    }
  }
  if (!(o.seconds > 0) || o.reps < 1) usage("--seconds must be > 0 and --reps >= 1");
  if (o.depth != 0 &&
      std::find(std::begin(depths), std::end(depths), o.depth) == std::end(depths)) {
    usage("--depth must be 1 or 16");
  }
  if (o.warmup < 0) o.warmup = o.seconds / 5;
  return o;
}

// The keys, made once: building them per round trip would time std::to_string.
std::vector<std::string> make_keys() {
  std::vector<std::string> keys;
  keys.reserve(key_count);
  for (int i = 0; i < key_count; ++i) {
    std::string k = "key:";
    k += std::to_string(i);
    keys.push_back(std::move(k));
  }
  return keys;
}

// Both connections on one io_context, run on this thread with run() (as roundtrip_bench does:
// Asio recycles handler memory in the running thread's state).
class bench {
 public:
  explicit bench(const respool::bench::server_address& s)
      : keys_{make_keys()},
        plain_{ioc_, respool::bench::make_config(s, false)},
        cluster_{ioc_, make_cluster_config(s)},
        watchdog_{ioc_} {}

  ~bench() {
    plain_.cancel();
    cluster_.cancel();
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(5));
  }

  bench(const bench&) = delete;
  bench& operator=(const bench&) = delete;

  // Connects both, stores every key, and checks one round trip of each case; why not, if not.
  std::string start() {
    plain_.async_run(asio::detached);
    cluster_.async_run(asio::detached);
    request set;
    for (const std::string& k : keys_) set.push("SET", k, value);
    respool::generic_response resp;
    std::string problem = exec_checked(false, set, resp, keys_.size());
    for (const bool cl : {false, true}) {
      for (const int depth : depths) {
        if (!problem.empty()) return problem;
        request get;
        fill(get, depth);
        problem = exec_checked(cl, get, resp, static_cast<std::size_t>(depth));
        for (std::size_t i = 0; i < resp.size() && problem.empty(); ++i) {
          if (resp[i].empty() || resp[i].nodes().front().value != value) {
            problem = std::string(impls[cl]) + ": GET " + std::to_string(i) + " is not the value";
          }
        }
      }
    }
    if (problem.empty() && !cluster_.topology().covers_all()) problem = "slots left uncovered";
    return problem;
  }

  measurement run(bool cl, int depth, double warmup, double seconds) {
    const respool::cluster_stats before = cluster_.stats();
    meter m{warmup, seconds};
    bool done = false;
    asio::co_spawn(ioc_, loop(cl, depth, m, done), asio::detached);
    if (!drive([&] { return done; }, warmup + seconds)) {
      // The coroutine still refers to this frame: nothing can be cleaned up.
      std::printf("cluster_roundtrip_bench: an error occurred: d%d/%s hung\n", depth, impls[cl]);
      std::fflush(stdout);
      std::_Exit(1);
    }
    measurement r = m.result();
    const respool::cluster_stats& after = cluster_.stats();
    if (r.error.empty() && (after.moved != before.moved || after.retries != before.retries ||
                            after.nodes != before.nodes)) {
      r.error = "the cluster connection was redirected, retried or connected during the run";
    }
    return r;
  }

  const respool::cluster_stats& cluster_stats() const { return cluster_.stats(); }

 private:
  static respool::cluster_config make_cluster_config(const respool::bench::server_address& s) {
    respool::cluster_config cfg;
    cfg.seeds.push_back(respool::bench::make_config(s, false));
    cfg.refresh_interval = std::chrono::milliseconds(0);
    return cfg;
  }

  // The next `depth` GETs, of consecutive keys (so of different slots).
  void fill(request& req, int depth) {
    req.clear();
    for (int i = 0; i < depth; ++i) {
      req.push("GET", keys_[next_key_]);
      next_key_ = next_key_ + 1 == keys_.size() ? 0 : next_key_ + 1;
    }
  }

  template <class Conn>
  asio::awaitable<void> loop_on(Conn& conn, int depth, meter& m, bool& done) {
    request req;
    std::error_code ec;
    for (;;) {
      fill(req, depth);
      co_await conn.async_exec(req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        m.fail("async_exec: " + ec.message());
        break;
      }
      if (!m.completed(static_cast<std::uint64_t>(depth))) break;
    }
    done = true;
    ioc_.stop();
  }

  asio::awaitable<void> loop(bool cl, int depth, meter& m, bool& done) {
    return cl ? loop_on(cluster_, depth, m, done) : loop_on(plain_, depth, m, done);
  }

  // One async_exec with its replies kept, checked to be `expected` non-error replies.
  std::string exec_checked(bool cl, const request& req, respool::generic_response& resp,
                           std::size_t expected) {
    resp.clear();
    std::error_code ec;
    bool done = false;
    auto handler = [&](std::error_code e, std::size_t) {
      ec = e;
      done = true;
      ioc_.stop();
    };
    if (cl) {
      cluster_.async_exec(req, resp, handler);
    } else {
      plain_.async_exec(req, resp, handler);
    }
    if (!drive([&] { return done; })) return std::string(impls[cl]) + ": no reply in 10 s";
    if (ec) return std::string(impls[cl]) + ": async_exec: " + ec.message();
    if (resp.size() != expected) return std::string(impls[cl]) + ": wrong number of replies";
    for (const auto& r : resp) {
      if (r.empty() || respool::resp3::is_error(r.nodes().front().data_type)) {
        return std::string(impls[cl]) + ": an error reply";
      }
    }
    return {};
  }

  template <class Done>
  bool drive(Done done, double limit = 0) {
    return roundtrip::drive(ioc_, watchdog_, done, limit);
  }

  std::vector<std::string> keys_;
  std::size_t next_key_ = 0;
  asio::io_context ioc_{1};
  respool::connection plain_;
  respool::cluster_connection cluster_;
  asio::steady_timer watchdog_;
};

}  // namespace

namespace {

// The runs of one depth: [0] plain, [1] cluster, index by index the same repetition.
struct depth_runs {
  int depth;
  std::vector<measurement> runs[2];
};

bool ok(const measurement& m) { return m.error.empty() && m.commands > 0; }

template <class F>
double median_of(const std::vector<measurement>& runs, F f) {
  std::vector<double> v;
  for (const measurement& m : runs) {
    if (ok(m)) v.push_back(f(m));
  }
  return roundtrip::median(std::move(v));
}

// The median over the repetitions of f(cluster run) ÷ f(plain run).
template <class F>
double median_ratio(const depth_runs& d, F f) {
  std::vector<double> v;
  for (std::size_t i = 0; i < d.runs[0].size() && i < d.runs[1].size(); ++i) {
    if (ok(d.runs[0][i]) && ok(d.runs[1][i])) v.push_back(f(d.runs[1][i]) / f(d.runs[0][i]));
  }
  return roundtrip::median(std::move(v));
}

// Every repetition runs each depth plain and cluster, in alternating order; the number of
// failed runs (it stops at the first).
int run_all(bench& b, const options& o, std::vector<depth_runs>& results) {
  for (int rep = 0; rep < o.reps; ++rep) {
    for (depth_runs& d : results) {
      for (const int k : {0, 1}) {
        const bool cl = (k == 1) != (rep % 2 == 1);
        measurement m = b.run(cl, d.depth, o.warmup, o.seconds);
        if (m.error.empty() && m.commands == 0) m.error = "no command completed";
        if (!m.error.empty()) {
          std::printf("cluster_roundtrip_bench: an error occurred in d%d/%s (repetition %d): %s\n",
                      d.depth, impls[cl], rep, m.error.c_str());
          return 1;
        }
        char name[48];
        std::snprintf(name, sizeof name, "cluster_roundtrip/d%d/%s", d.depth, impls[cl]);
        std::printf("%-28s rep %d: %10.0f commands/s  %7.3f CPU µs/command  %.3g allocs/command\n",
                    name, rep, roundtrip::ops_per_second(m), roundtrip::cpu_us_per_command(m),
                    roundtrip::allocs_per_command(m));
        std::fflush(stdout);
        d.runs[cl].push_back(std::move(m));
      }
    }
  }
  return 0;
}

void print_table(const std::vector<depth_runs>& results) {
  std::printf(
      "| benchmark | commands/s | CPU µs/command | allocs/command | commands/s ÷ plain | "
      "CPU ÷ plain | per-repetition ratios: commands/s · CPU |\n|---|---|---|---|---|---|---|\n");
  for (const depth_runs& d : results) {
    const double plain_ops = median_of(d.runs[0], roundtrip::ops_per_second);
    const double plain_cpu = median_of(d.runs[0], roundtrip::cpu_us_per_command);
    for (const int cl : {0, 1}) {
      const double ops = median_of(d.runs[cl], roundtrip::ops_per_second);
      const double cpu = median_of(d.runs[cl], roundtrip::cpu_us_per_command);
      const double allocs = median_of(d.runs[cl], roundtrip::allocs_per_command);
      std::printf("| d%d/%s | %.0f | %.3f | %.3g | ", d.depth, impls[cl], ops, cpu, allocs);
      if (cl == 0) {
        std::printf("— | — | — |\n");
        continue;
      }
      std::printf("%.3f× | %.3f× | %.3f× · %.3f× |\n", ops / plain_ops, cpu / plain_cpu,
                  median_ratio(d, roundtrip::ops_per_second),
                  median_ratio(d, roundtrip::cpu_us_per_command));
    }
  }
}

bool write_json(const std::string& path, const options& o, const respool::bench::server_address& s,
                const std::vector<depth_runs>& results) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f,
               "{\n  \"context\": {\"server\": \"%s\", \"seconds\": %g, \"warmup\": %g, "
               "\"reps\": %d},\n  \"runs\": [",
               s.text.c_str(), o.seconds, o.warmup, o.reps);
  bool first = true;
  for (const depth_runs& d : results) {
    for (const int cl : {0, 1}) {
      for (std::size_t i = 0; i < d.runs[cl].size(); ++i) {
        const measurement& m = d.runs[cl][i];
        std::fprintf(f,
                     "%s\n    {\"name\": \"cluster_roundtrip/d%d/%s\", \"impl\": \"%s\", "
                     "\"depth\": %d, \"repetition\": %zu, \"seconds\": %.6f, \"commands\": %llu, "
                     "\"cpu_seconds\": %.6f, \"allocations\": %llu, \"ops_per_second\": %.1f, "
                     "\"cpu_us_per_command\": %.4f, \"allocs_per_command\": %.4f}",
                     first ? "" : ",", d.depth, impls[cl], impls[cl], d.depth, i, m.seconds,
                     static_cast<unsigned long long>(m.commands), m.cpu,
                     static_cast<unsigned long long>(m.allocs), roundtrip::ops_per_second(m),
                     roundtrip::cpu_us_per_command(m), roundtrip::allocs_per_command(m));
        first = false;
      }
    }
  }
  std::fprintf(f, "\n  ]\n}\n");
  return std::fclose(f) == 0;
}

// How many different slots the keys hash to: the cluster connection must route, not just
// forward to the one node.
std::size_t slots_of_keys() {
  std::set<std::uint16_t> slots;
  for (const std::string& k : make_keys()) slots.insert(respool::cluster::hash_slot(k));
  return slots.size();
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  const auto server = respool::bench::server_from_env("cluster_roundtrip_bench");
  if (std::string why; !respool::bench::reachable(server, why)) {
    return respool::bench::report_unreachable("cluster_roundtrip_bench", server,
                                              o.skip_if_unreachable, why);
  }
  bench b{server};
  if (const std::string problem = b.start(); !problem.empty()) {
    std::printf("cluster_roundtrip_bench: an error occurred setting up against %s: %s\n",
                server.text.c_str(), problem.c_str());
    return 1;
  }
  std::printf("server %s; %d keys in %zu slots; %d repetitions of %g s (warm-up %g s)\n",
              server.text.c_str(), key_count, slots_of_keys(), o.reps, o.seconds, o.warmup);
  std::vector<depth_runs> results;
  for (const int depth : depths) {
    if (o.depth == 0 || o.depth == depth) results.push_back({depth, {}});
  }
  int failures = run_all(b, o, results);
  const respool::cluster_stats& st = b.cluster_stats();
  std::printf("\ncluster connection: %llu node connection(s), %llu MOVED, %llu retries\n",
              static_cast<unsigned long long>(st.nodes), static_cast<unsigned long long>(st.moved),
              static_cast<unsigned long long>(st.retries));
  std::printf("\nMedians of %d repetitions (%g s each):\n\n", o.reps, o.seconds);
  print_table(results);
  if (!o.json.empty() && !write_json(o.json, o, server, results)) {
    std::printf("cluster_roundtrip_bench: an error occurred writing %s: %s\n", o.json.c_str(),
                std::strerror(errno));
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
