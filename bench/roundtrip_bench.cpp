// Round trips on one connection against a real local redis-server, respool side by side with
// hiredis in the same binary.
//
//   roundtrip/d<N>/<impl>   N pipelined `SET key:000123 <16 B>` per round trip, N = 1, 16, 128
//     respool        one request of N commands (rebuilt every round trip, as hiredis re-encodes
//                    its commands), one async_exec with the replies ignored (an error reply
//                    fails the run); the completion handler is a plain callback that starts the
//                    next round trip
//     respool_asio   the same with config::direct_writev = false: batches go out through Asio's
//                    async_write_some instead of writev() on the non-blocking socket
//     respool_observed  respool with an observer (config::observer) that counts every request
//                    into atomics and a latency histogram, as a metrics exporter does: what
//                    observing costs, next to respool, which has none
//     hiredis        N × redisAppendCommandArgv, then N × redisGetReply + freeReplyObject on a
//                    blocking redisContext
//   roundtrip/c50/<impl>    50 concurrent callers, each doing one SET at a time
//     respool        50 coroutines (co_spawn, use_awaitable) on the one connection, each
//                    co_awaiting one async_exec of its own one-command request after the other:
//                    automatic pipelining batches whatever is queued while a write is in flight
//                    (respool_observed: the same, observed)
//     hiredis        a blocking context has no concurrency: 50 SETs pipelined per round trip,
//                    what 50 concurrent requests amount to at best (the same work as a d50)
//
// Every implementation is first checked once (every reply must be +OK): respool with a
// generic_response, hiredis reply by reply. Then, per repetition, every (case, implementation)
// runs once, in a random order: a warm-up, then about --seconds of round trips. For each run:
// commands per second (wall time), the client process's CPU time per command (getrusage user +
// sys; the server is another process) and heap allocations per command (the malloc hook of
// alloc_hook.cpp), all counted between two instants taken after a round trip completed, so the
// counts are those of the steady state. Also the write batches and system-call writes of the
// respool connection (its stats(); the table's commands/batch is commands per batch of
// requests written together). The table shows medians over the repetitions.
//
// Server: RESPOOL_BENCH_SERVER, else RESPOOL_TEST_SERVER ("host:port"), else 127.0.0.1:6379.
//
//   roundtrip_bench [--seconds S] [--warmup S] [--reps N] [--seed N] [--filter SUBSTRING]
//                   [--json FILE] [--skip-if-unreachable] [--health-checks]
//
// The respool connections run with health checks off (config::health_check_interval = 0)
// unless --health-checks: a connection sits idle for seconds while the other benchmarks run,
// so the first tick of each of its runs sends a PING, which is no part of what is measured.
//
// Finding an allocation: the global `respool_bench_measuring` is true exactly while a run is
// being measured, so `gdb -ex 'break malloc if respool_bench_measuring' -ex run -ex bt` shows
#include "roundtrip.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

// True while a run is measured (see the comment at the top); a plain global for gdb.
extern "C" {
volatile bool respool_bench_measuring = false;
}

namespace roundtrip {

namespace {

using impl_list = std::vector<std::pair<std::string, client*>>;

// Connects every implementation once: the clients stay connected for the whole program, and
// every run reuses them. False (said on stdout) when one cannot connect.
bool connect_clients(const server_address& server, const options& opt,
                     std::vector<std::unique_ptr<client>>& clients, impl_list& impls) {
  std::string problem;
  for (const auto& [name, direct, observed] :
       {std::tuple{"respool", true, false}, std::tuple{"respool_asio", false, false},
        std::tuple{"respool_observed", true, true}}) {
    auto c = connect_respool(server, direct, opt.health_checks, observed, problem);
    if (!c) {
      std::printf("roundtrip_bench: an error occurred connecting respool to %s: %s\n",
                  server.text.c_str(), problem.c_str());
      return false;
    }
    impls.emplace_back(name, c.get());
    clients.push_back(std::move(c));
  }
#ifdef RESPOOL_BENCH_HIREDIS
  auto c = connect_hiredis(server, problem);
  if (!c) {
    std::printf("roundtrip_bench: an error occurred connecting hiredis to %s: %s\n",
                server.text.c_str(), problem.c_str());
    return false;
  }
  impls.emplace_back("hiredis", c.get());
  clients.push_back(std::move(c));
#else
  std::printf("note: built without hiredis; the hiredis comparisons are left out\n");
#endif
  return true;
}

// Every (case, implementation) that --filter keeps.
std::vector<entry> select_entries(const options& opt, const impl_list& impls) {
  std::vector<entry> entries;
  for (const bench_case& c : cases) {
    for (const auto& [impl, cl] : impls) {
      // respool_asio compares write paths; c50 measures concurrency, on the default path.
      if (impl == "respool_asio" && c.concurrent) continue;
      std::string name = "roundtrip/" + std::string(c.name) + "/" + impl;
      if (!opt.filter.empty() && name.find(opt.filter) == std::string::npos) continue;
      entries.push_back({std::move(name), &c, impl, cl, {}, {}});
    }
  }
  if (entries.empty()) usage("--filter matches no benchmark");
  return entries;
}

// Checks every entry once; the number that failed.
int verify_all(std::vector<entry>& entries) {
  int failures = 0;
  for (entry& e : entries) {
    if (const std::string problem = e.cl->verify(e.c->depth, e.c->concurrent); !problem.empty()) {
      std::printf("roundtrip_bench: an error occurred verifying %s: %s\n", e.name.c_str(),
                  problem.c_str());
      ++failures;
    }
  }
  return failures;
}

// Every repetition runs every entry once, in a random order; stops at the first failure and
// returns the number of failures.
int run_all(const options& opt, std::vector<entry>& entries) {
  std::mt19937_64 rng{opt.seed};
  std::vector<std::size_t> order(entries.size());
  for (int rep = 0; rep < opt.reps; ++rep) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::size_t i : order) {
      entry& e = entries[i];
      measurement m = e.cl->run(e.c->depth, e.c->concurrent, opt.warmup, opt.seconds);
      if (m.error.empty() && m.commands == 0) m.error = "no command completed";
      const bool failed = !m.error.empty();
      if (failed) {
        std::printf("roundtrip_bench: an error occurred in %s (repetition %d): %s\n",
                    e.name.c_str(), rep, m.error.c_str());
      } else {
        std::printf("%-28s rep %d: %10.0f commands/s  %7.3f CPU µs/command  %.3g allocs/command\n",
                    e.name.c_str(), rep, ops_per_second(m), cpu_us_per_command(m),
                    allocs_per_command(m));
      }
      std::fflush(stdout);
      e.runs.push_back(std::move(m));
      e.reps.push_back(rep);
      if (failed) return 1;
    }
  }
  return 0;
}

}  // namespace

}  // namespace roundtrip

int main(int argc, char** argv) {
  using namespace roundtrip;
  options opt = parse_options(argc, argv);
  if (!opt.seed_given) opt.seed = std::random_device{}();
  const server_address server = server_from_env();
  if (std::string why; !reachable(server, why)) {
    return respool::bench::report_unreachable("roundtrip_bench", server, opt.skip_if_unreachable,
                                              why);
  }

  std::vector<std::unique_ptr<client>> clients;
  impl_list impls;
  if (!connect_clients(server, opt, clients, impls)) return 1;
  std::vector<entry> entries = select_entries(opt, impls);

  std::printf(
      "server %s; %d repetitions of %g s (warm-up %g s), random order, seed %llu; respool "
      "health checks %s\n",
      server.text.c_str(), opt.reps, opt.seconds, opt.warmup,
      static_cast<unsigned long long>(opt.seed), opt.health_checks ? "on" : "off");
  std::fflush(stdout);
  if (verify_all(entries) != 0) return 1;
  int failures = run_all(opt, entries);

  std::printf("\nMedians of %d repetitions (%g s each):\n\n", opt.reps, opt.seconds);
  print_table(entries);
#ifdef RESPOOL_BENCH_HIREDIS
  std::printf(
      "\nc50/hiredis is 50 SETs pipelined per round trip on the blocking context: one blocking "
      "connection cannot serve 50 concurrent callers, and a 50-command pipeline is the best they "
      "could amount to. c50/respool is 50 coroutines co_awaiting one SET each.\n");
#endif
  if (!opt.json.empty() && !write_json(opt.json, opt, server, entries)) {
    std::printf("roundtrip_bench: an error occurred writing %s: %s\n", opt.json.c_str(),
                std::strerror(errno));
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
