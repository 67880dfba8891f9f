// Blocking clients against one local redis-server: hiredis's blocking API, respool's
// sync_client, and respool's async connection driven by coroutines.
//
//   d1     one caller alternating `SET key:000123 <16 B>` and `GET key:000123`, each awaited
//          before the next
//   p128   one caller sending 128 SETs as one pipeline per round trip, all 128 replies awaited
//   c50    50 concurrent callers, each doing what d1 does
//
//   hiredis       blocking redisContexts: d1 is redisCommandArgv + freeReplyObject per command;
//                 p128 is 128 × redisAppendCommandArgv then 128 × redisGetReply; c50 is 50
//                 threads with a context each (a context is not thread-safe)
//   sync_client   one respool::sync_client: exec_request of requests prepared once (SET's
//                 replies ignored, GET's into a std::string kept between calls); c50 is 50
//                 threads sharing the one client, each with requests of its own
//   connection    a respool::connection on an io_context (concurrency hint 1) run by the main
//                 thread; the callers are coroutines (co_spawn, use_awaitable) co_awaiting
//                 async_exec with the same prepared requests; c50 is 50 coroutines
//
// Each run is a process of its own (this program re-executed as a worker), so that the CPU
// time per command is that client's alone. A worker connects, checks once that SET replies OK
// and GET returns the value, warms up (--warmup), then measures a window (--seconds): commands
// completed, wall time, the process's CPU time (getrusage user + sys) and heap allocations
// (alloc_hook.cpp), all as differences between the start and the end of the window. Callers on
// threads count their commands on counters of their own; the main thread sleeps through the
// warm-up and the window and takes the snapshots. The connection's snapshots are taken by a
// timer on its io_context.
//
// Placements: "pinned" puts the server and the worker on one and the same CPU (the last one),
// where a wake-up is cheap; "unpinned" lets both use every CPU, where a wake-up may cross
// CPUs. The server's affinity is restored at the end. Pinning needs the server's pid (INFO
// server), a server on this machine, and the right to change its affinity; without them the
// pinned placement is left out (said on stderr).
//
// Order: per repetition, per placement, per case, every client once, the order of the clients
// rotated from one repetition to the next. The table shows medians over the repetitions.
//
// Server: RESPOOL_BENCH_SERVER, else RESPOOL_TEST_SERVER ("host:port"), else 127.0.0.1:6379.
//
//   blocking_bench [--reps N] [--seconds S] [--warmup S] [--placement pinned|unpinned|both]
//                  [--clients a,b,c] [--cases a,b,c] [--json FILE] [--skip-if-unreachable]
//   blocking_bench --worker <client> <case> [--seconds S] [--warmup S]
//                  prints one line of JSON: {"client":..,"case":..,"commands":N,"seconds":x,
//                  "cpu":x,"allocs":N}, or {"error":".."} with exit status 1
#include "blocking_bench.hpp"

#include "blocking_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace blocking {

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "blocking_bench: %s\n"
               "usage: blocking_bench [--reps N] [--seconds S] [--warmup S] "
               "[--placement pinned|unpinned|both] [--clients a,b,c] [--cases a,b,c] "
               "[--json FILE] [--skip-if-unreachable]\n"
               "       blocking_bench --worker <client> <case> [--seconds S] [--warmup S]\n"
               "clients: hiredis, sync_client, connection; cases: d1, p128, c50\n",
               why);
  std::exit(2);
}

// Splits "a,b,c", keeping only names in `known`.
template <class Known>
std::vector<std::string> split_names(std::string_view list, const Known& known, const char* what) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      usage((std::string("unknown ") + what + ": " + std::string(name)).c_str());
    }
    out.emplace_back(name);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  if (out.empty()) usage((std::string("no ") + what + " given").c_str());
  return out;
}

driver_options parse_options(int argc, char** argv) {
  driver_options o;
  o.clients.assign(client_names.begin(), client_names.end());
  o.cases.assign(case_names.begin(), case_names.end());
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (a == "--worker") {
      if (i + 2 >= argc) usage("--worker needs a client and a case");
      o.worker_client = argv[++i];
      o.worker_case = argv[++i];
    } else if (a == "--reps") {
      o.reps = std::atoi(next());
    } else if (a == "--seconds") {
      o.w.seconds = std::atof(next());
    } else if (a == "--warmup") {
      o.w.warmup = std::atof(next());
    } else if (a == "--placement") {
      const std::string_view p = next();
      if (p == "both") {
        o.placements = {"pinned", "unpinned"};
      } else if (p == "pinned" || p == "unpinned") {
        o.placements = {std::string(p)};
      } else {
        usage("--placement is pinned, unpinned or both");
      }
    } else if (a == "--clients") {
      o.clients = split_names(next(), client_names, "client");
    } else if (a == "--cases") {
      o.cases = split_names(next(), case_names, "case");
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--skip-if-unreachable") {
      o.skip_if_unreachable = true;
    } else if (a == "--help" || a == "-h") {
      usage("blocking clients against a redis-server, each in a process of its own");
    } else {
      usage(("unknown option: " + std::string(a)).c_str());
    }
  }
  if (!(o.w.seconds > 0) || o.w.warmup < 0 || o.reps < 1) {
    usage("--seconds must be > 0, --warmup >= 0 and --reps >= 1");
  }
  return o;
}

// Worker mode: one client, one case, one line of JSON on stdout.
int worker_main(const driver_options& o, const server_address& server) {
  const auto c = parse_case(o.worker_case);
  worker_result r;
  // A worker that hangs is killed; the driver reports the signal.
  ::alarm(static_cast<unsigned>(o.w.warmup + o.w.seconds) + 60);
  if (!c) {
    r.error = "unknown case: " + o.worker_case;
  } else if (o.worker_client == "hiredis") {
    r = run_hiredis(server, *c, o.w);
  } else if (o.worker_client == "sync_client") {
    r = run_sync_client(server, *c, o.w);
  } else if (o.worker_client == "connection") {
    r = run_connection(server, *c, o.w);
  } else {
    r.error = "unknown client: " + o.worker_client;
  }
  if (r.error.empty() && r.commands == 0) r.error = "no command completed";
  if (!r.error.empty()) r.error = o.worker_client + "/" + o.worker_case + ": " + r.error;
  std::printf("%s\n", worker_json(o.worker_client, o.worker_case, r).c_str());
  std::fflush(stdout);
  return r.error.empty() ? 0 : 1;
}

}  // namespace

}  // namespace blocking

int main(int argc, char** argv) {
  using namespace blocking;
  const driver_options opt = parse_options(argc, argv);
  const server_address server = respool::bench::server_from_env("blocking_bench");
  if (!opt.worker_client.empty()) return worker_main(opt, server);
  if (std::string why; !respool::bench::reachable(server, why)) {
    return respool::bench::report_unreachable("blocking_bench", server, opt.skip_if_unreachable,
                                              why);
  }
  return drive(opt, server);
}
