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
//     hiredis        N × redisAppendCommandArgv, then N × redisGetReply + freeReplyObject on a
//                    blocking redisContext
//   roundtrip/c50/<impl>    50 concurrent callers, each doing one SET at a time
//     respool        50 coroutines (co_spawn, use_awaitable) on the one connection, each
//                    co_awaiting one async_exec of its own one-command request after the other:
//                    automatic pipelining batches whatever is queued while a write is in flight
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
// where each counted allocation comes from.
#include "alloc_hook.hpp"
#include <respool/connection.hpp>
#include <respool/request.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef RESPOOL_BENCH_HIREDIS
#  include <hiredis/hiredis.h>
#endif

// True while a run is measured (see the comment at the top); a plain global for gdb.
extern "C" {
volatile bool respool_bench_measuring = false;
}

namespace {

using bench_clock = std::chrono::steady_clock;
using respool::request;
using respool::bench::allocations;

constexpr std::string_view key = "key:000123";
constexpr std::string_view value = "0123456789abcdef";  // 16 bytes
static_assert(value.size() == 16);
constexpr int concurrent_callers = 50;

// ---------------------------------------------------------------------------------------------
// Options and the server's address.

struct options {
  double seconds = 1.0;
  double warmup = -1;  // negative: seconds / 5
  int reps = 5;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string filter;
  std::string json;
  bool skip_if_unreachable = false;
  bool health_checks = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "roundtrip_bench: %s\n"
               "usage: roundtrip_bench [--seconds S] [--warmup S] [--reps N] [--seed N] "
               "[--filter SUBSTRING] [--json FILE] [--skip-if-unreachable] [--health-checks]\n",
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
    } else if (a == "--seed") {
      o.seed = std::strtoull(next(), nullptr, 10);
      o.seed_given = true;
    } else if (a == "--filter") {
      o.filter = next();
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--skip-if-unreachable") {
      o.skip_if_unreachable = true;
    } else if (a == "--health-checks") {
      o.health_checks = true;
    } else if (a == "--help" || a == "-h") {
      usage("round trips against a redis-server, respool and hiredis");
    } else {
      usage(("unknown option: " + std::string(a)).c_str());
    }
  }
  if (!(o.seconds > 0) || o.reps < 1) usage("--seconds must be > 0 and --reps >= 1");
  if (o.warmup < 0) o.warmup = o.seconds / 5;
  return o;
}

struct server_address {
  std::string text;
  std::string host;
  std::uint16_t port = 0;
};

server_address server_from_env() {
  server_address s;
  const char* env = std::getenv("RESPOOL_BENCH_SERVER");
  if (env == nullptr || *env == '\0') env = std::getenv("RESPOOL_TEST_SERVER");
  s.text = env != nullptr && *env != '\0' ? env : "127.0.0.1:6379";
  const auto colon = s.text.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(s.text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "roundtrip_bench: the server address \"%s\" is not host:port\n",
                 s.text.c_str());
    std::exit(2);
  }
  s.host = s.text.substr(0, colon);
  if (s.host.size() >= 2 && s.host.front() == '[' && s.host.back() == ']') {
    s.host = s.host.substr(1, s.host.size() - 2);  // [::1]
  }
  s.port = static_cast<std::uint16_t>(port);
  return s;
}

// Whether something accepts TCP connections at the address; why not, in `why`.
bool reachable(const server_address& s, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(s.port);
  if (const int rc = ::getaddrinfo(s.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = ::gai_strerror(rc);
    return false;
  }
  bool ok = false;
  for (addrinfo* ai = found; ai != nullptr && !ok; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    timeval tv{3, 0};  // bounds connect() too, on Linux
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ok = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    if (!ok) why = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Measurement.

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

struct snapshot {
  bench_clock::time_point time;
  double cpu = 0;
  std::uint64_t allocs = 0;

  static snapshot take() {
    snapshot s;
    s.allocs = allocations();
    s.cpu = cpu_seconds();
    s.time = bench_clock::now();
    return s;
  }
};

// What one run measured, between the end of the warm-up and the end of the run.
struct measurement {
  double seconds = 0;
  std::uint64_t commands = 0;
  std::uint64_t round_trips = 0;  // completions: async_execs, or hiredis pipelines
  double cpu = 0;                 // seconds of user + system time of this process
  std::uint64_t allocs = 0;
  std::uint64_t write_batches = 0;  // respool: batches of requests written
  std::uint64_t writes = 0;         // respool: system calls (or Asio writes)
  std::uint64_t reads = 0;          // respool: reads that returned data
  std::string error;                // empty: no error
};

// Counts round trips and decides when the warm-up and the run end. Each completion calls
// completed() with the commands it carried; the instants are taken right after a completion.
class meter {
 public:
  // `stats`: a respool connection's, read at the same two instants (may be null).
  meter(double warmup, double seconds, const respool::connection_stats* stats = nullptr)
      : warmup_end_{bench_clock::now() + to_duration(warmup)},
        length_{to_duration(seconds)},
        stats_{stats} {}

  // False once the run is over: the caller stops issuing requests.
  bool completed(std::uint64_t commands) {
    if (finished_) return false;
    commands_ += commands;
    ++round_trips_;
    const auto now = bench_clock::now();
    if (!measuring_) {
      // At least a few round trips of warm-up, however short it is.
      if (now >= warmup_end_ && round_trips_ >= min_warmup_round_trips) {
        measuring_ = true;
        respool_bench_measuring = true;
        commands_ = 0;
        round_trips_ = 0;
        if (stats_ != nullptr) stats_start_ = *stats_;
        start_ = snapshot::take();
        end_ = start_.time + length_;
      }
      return true;
    }
    if (now < end_) return true;
    stop_ = snapshot::take();
    if (stats_ != nullptr) stats_stop_ = *stats_;
    respool_bench_measuring = false;
    finished_ = true;
    return false;
  }

  void fail(std::string why) {
    if (!error_.empty()) return;
    error_ = std::move(why);
    respool_bench_measuring = false;
    finished_ = true;
  }

  [[nodiscard]] measurement result() const {
    measurement m;
    m.error = error_;
    if (!error_.empty() || !finished_) {
      if (m.error.empty()) m.error = "the run did not finish";
      return m;
    }
    m.seconds = std::chrono::duration<double>(stop_.time - start_.time).count();
    m.commands = commands_;
    m.round_trips = round_trips_;
    m.cpu = stop_.cpu - start_.cpu;
    m.allocs = stop_.allocs - start_.allocs;
    m.write_batches = stats_stop_.write_batches - stats_start_.write_batches;
    m.writes = stats_stop_.writes - stats_start_.writes;
    m.reads = stats_stop_.reads - stats_start_.reads;
    return m;
  }

 private:
  static constexpr std::uint64_t min_warmup_round_trips = 20;

  static bench_clock::duration to_duration(double seconds) {
    return std::chrono::duration_cast<bench_clock::duration>(
        std::chrono::duration<double>(seconds));
  }

  bench_clock::time_point warmup_end_;
  bench_clock::duration length_;
  bench_clock::time_point end_;
  bool measuring_ = false;
  bool finished_ = false;
  std::uint64_t commands_ = 0;
  std::uint64_t round_trips_ = 0;
  snapshot start_;
  snapshot stop_;
  const respool::connection_stats* stats_;
  respool::connection_stats stats_start_;
  respool::connection_stats stats_stop_;
  std::string error_;
};

// The commands every implementation sends.
void fill(request& req, int depth) {
  req.clear();
  for (int i = 0; i < depth; ++i) req.push("SET", key, value);
}

// Every reply must be the simple string OK.
std::string check_replies(const respool::generic_response& resp, std::size_t expected) {
  if (resp.size() != expected) {
    return "expected " + std::to_string(expected) + " replies, got " + std::to_string(resp.size());
  }
  for (std::size_t i = 0; i < resp.size(); ++i) {
    const auto nodes = resp[i].nodes();
    if (nodes.size() != 1 || nodes[0].data_type != respool::resp3::type::simple_string ||
        nodes[0].value != "OK") {
      return "reply " + std::to_string(i) + " is not +OK" +
             (nodes.empty() ? std::string() : ": " + std::string(nodes[0].value));
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The implementations.

class client {
 public:
  virtual ~client() = default;
  // Checks, once, that every reply of a round trip of the case is +OK; returns why not.
  virtual std::string verify(int depth, bool concurrent) = 0;
  virtual measurement run(int depth, bool concurrent, double warmup, double seconds) = 0;
};

// One respool connection on its own io_context (concurrency hint 1: one thread), run on this
// thread, with async_run started once. The io_context runs with run() (never run_one()), as an
// application runs it: Asio caches handler memory in the running thread's state, which run_one()
// recreates per call.
class respool_client final : public client {
 public:
  respool_client(const server_address& s, bool direct_writev, bool health_checks)
      : name_{direct_writev ? "respool" : "respool_asio"},
        conn_{ioc_, make_config(s, direct_writev, health_checks)},
        watchdog_{ioc_} {}

  ~respool_client() override {
    conn_.cancel();
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(5));
  }

  respool_client(const respool_client&) = delete;
  respool_client& operator=(const respool_client&) = delete;

  // Starts async_run and waits until the connection is up (setup included).
  std::string start() {
    conn_.async_run([this](std::error_code ec) {
      run_done_ = true;
      run_ec_ = ec;
    });
    const auto limit = bench_clock::now() + std::chrono::seconds(10);
    while (!conn_.is_connected() && !run_done_ && bench_clock::now() < limit) {
      ioc_.run_one_for(std::chrono::milliseconds(50));
    }
    if (conn_.is_connected()) return {};
    return run_done_ ? "async_run ended: " + run_ec_.message() : "not connected after 10 s";
  }

  std::string verify(int depth, bool concurrent) override {
    std::string problem;
    int pending = 0;
    if (!concurrent) {
      request req;
      respool::generic_response resp;
      fill(req, depth);
      pending = 1;
      conn_.async_exec(req, resp, [&](std::error_code ec, std::size_t) {
        problem = ec ? "async_exec: " + ec.message() : check_replies(resp, depth);
        if (--pending == 0) ioc_.stop();
      });
      if (!drive([&] { return pending == 0; })) return "verification timed out";
      return problem;
    }
    std::vector<request> reqs(concurrent_callers);
    std::vector<respool::generic_response> resps(concurrent_callers);
    pending = concurrent_callers;
    for (int i = 0; i < concurrent_callers; ++i) {
      fill(reqs[i], 1);
      asio::co_spawn(
          ioc_,
          [&, i]() -> asio::awaitable<void> {
            std::error_code ec;
            co_await conn_.async_exec(reqs[i], resps[i],
                                      asio::redirect_error(asio::use_awaitable, ec));
            std::string p = ec ? "async_exec: " + ec.message() : check_replies(resps[i], 1);
            if (!p.empty() && problem.empty()) problem = "caller " + std::to_string(i) + ": " + p;
            if (--pending == 0) ioc_.stop();
          },
          asio::detached);
    }
    if (!drive([&] { return pending == 0; })) return "verification timed out";
    return problem;
  }

  measurement run(int depth, bool concurrent, double warmup, double seconds) override {
    const respool::connection_stats before = conn_.stats();
    meter m{warmup, seconds, &conn_.stats()};
    const bool ok =
        concurrent ? run_concurrent(m, warmup + seconds) : run_pipeline(m, depth, warmup + seconds);
    if (!ok) {
      // Handlers still refer to this frame's state: nothing can be cleaned up.
      std::printf(
          "roundtrip_bench: an error occurred: roundtrip/%s%d/%s did not end within 10 s of "
          "its planned end, it hung (%s)\n",
          concurrent ? "c" : "d", depth, name_, describe_stats(before).c_str());
      std::fflush(stdout);
      std::_Exit(1);
    }
    measurement r = m.result();
    if (r.error.empty() && conn_.stats().disconnects != before.disconnects) {
      r.error = "the connection was lost during the run (" + describe_stats(before) + ")";
    }
    return r;
  }

 private:
  static respool::config make_config(const server_address& s, bool direct_writev,
                                     bool health_checks) {
    respool::config cfg;
    cfg.host = s.host;
    cfg.port = s.port;
    cfg.direct_writev = direct_writev;
    if (!health_checks) cfg.health_check_interval = std::chrono::milliseconds(0);
    return cfg;
  }

  std::string describe_stats(const respool::connection_stats& before) const {
    const respool::connection_stats& s = conn_.stats();
    return "connected " + std::string(conn_.is_connected() ? "yes" : "no") + ", write batches +" +
           std::to_string(s.write_batches - before.write_batches) + ", writes +" +
           std::to_string(s.writes - before.writes) + ", reads +" +
           std::to_string(s.reads - before.reads) + ", replies +" +
           std::to_string(s.replies - before.replies) + ", disconnects +" +
           std::to_string(s.disconnects - before.disconnects);
  }

  // Runs the io_context until `done()`; false if nothing completed it within `limit` plus 10 s
  // (a hang). The handler that makes done() true stops the io_context.
  template <class Done>
  bool drive(Done done, double limit = 0) {
    bool hung = false;
    watchdog_.expires_after(std::chrono::duration_cast<bench_clock::duration>(
        std::chrono::duration<double>(limit + 10.0)));
    watchdog_.async_wait([this, &hung](std::error_code ec) {
      if (ec) return;
      hung = true;
      ioc_.stop();
    });
    while (!done() && !hung) {
      ioc_.restart();
      ioc_.run();
    }
    watchdog_.cancel();
    // The cancelled wait must run now: it refers to `hung`.
    ioc_.restart();
    ioc_.poll();
    return !hung;
  }

  // d<N>: one async_exec of N commands at a time; the completion starts the next.
  struct pipeline_loop {
    respool_client* self;
    request req;
    int depth;
    meter* m;
    bool done = false;

    struct handler {
      pipeline_loop* loop;
      void operator()(std::error_code ec, std::size_t) const { loop->on_complete(ec); }
    };

    void start() {
      fill(req, depth);
      self->conn_.async_exec(req, handler{this});
    }

    void on_complete(std::error_code ec) {
      if (ec) {
        m->fail("async_exec: " + ec.message());
      } else if (m->completed(static_cast<std::uint64_t>(depth))) {
        return start();
      }
      done = true;
      self->ioc_.stop();
    }
  };

  bool run_pipeline(meter& m, int depth, double limit) {
    pipeline_loop loop{this, request{}, depth, &m};
    loop.start();
    return drive([&] { return loop.done; }, limit);
  }

  // c50: concurrent coroutines, each issuing one SET at a time.
  struct concurrent_state {
    std::vector<request> reqs{static_cast<std::size_t>(concurrent_callers)};
    int active = 0;
  };

  asio::awaitable<void> caller(concurrent_state& st, request& req, meter& m) {
    std::error_code ec;
    for (;;) {
      fill(req, 1);
      co_await conn_.async_exec(req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        m.fail("async_exec: " + ec.message());
        break;
      }
      if (!m.completed(1)) break;
    }
    if (--st.active == 0) ioc_.stop();
  }

  bool run_concurrent(meter& m, double limit) {
    concurrent_state st;
    st.active = concurrent_callers;
    for (request& req : st.reqs) asio::co_spawn(ioc_, caller(st, req, m), asio::detached);
    return drive([&] { return st.active == 0; }, limit);
  }

  const char* name_;
  asio::io_context ioc_{1};
  respool::connection conn_;
  asio::steady_timer watchdog_;
  bool run_done_ = false;
  std::error_code run_ec_;
};

#ifdef RESPOOL_BENCH_HIREDIS
// A blocking hiredis context: append N commands, then read N replies.
class hiredis_client final : public client {
 public:
  ~hiredis_client() override {
    if (ctx_ != nullptr) redisFree(ctx_);
  }

  std::string start(const server_address& s) {
    ctx_ = redisConnectWithTimeout(s.host.c_str(), s.port, timeval{10, 0});
    if (ctx_ == nullptr) return "redisConnect: out of memory";
    if (ctx_->err != 0) return std::string("redisConnect: ") + ctx_->errstr;
    // A server that stops answering fails the run instead of hanging it.
    redisSetTimeout(ctx_, timeval{10, 0});
    return {};
  }

  std::string verify(int depth, bool concurrent) override {
    if (concurrent) depth = concurrent_callers;
    for (int i = 0; i < depth; ++i) append();
    std::string problem;
    for (int i = 0; i < depth; ++i) {
      void* r = nullptr;
      if (redisGetReply(ctx_, &r) != REDIS_OK) return std::string("redisGetReply: ") + ctx_->errstr;
      auto* reply = static_cast<redisReply*>(r);
      if (problem.empty() &&
          (reply->type != REDIS_REPLY_STATUS || std::string_view(reply->str, reply->len) != "OK")) {
        problem = "reply " + std::to_string(i) + " is not +OK";
      }
      freeReplyObject(reply);
    }
    return problem;
  }

  measurement run(int depth, bool concurrent, double warmup, double seconds) override {
    // c50: 50 pipelined SETs per round trip, the best 50 concurrent callers could get on one
    // blocking context.
    if (concurrent) depth = concurrent_callers;
    meter m{warmup, seconds};
    for (;;) {
      for (int i = 0; i < depth; ++i) append();
      for (int i = 0; i < depth; ++i) {
        void* r = nullptr;
        if (redisGetReply(ctx_, &r) != REDIS_OK) {
          m.fail(std::string("redisGetReply: ") + ctx_->errstr);
          return m.result();
        }
        auto* reply = static_cast<redisReply*>(r);
        // What respool's ignored response checks too: no error reply.
        if (reply->type == REDIS_REPLY_ERROR) m.fail("error reply: " + std::string(reply->str));
        freeReplyObject(reply);
      }
      if (!m.completed(static_cast<std::uint64_t>(depth))) break;
    }
    return m.result();
  }

 private:
  void append() {
    static constexpr std::array<const char*, 3> argv{"SET", key.data(), value.data()};
    static constexpr std::array<std::size_t, 3> lens{3, key.size(), value.size()};
    // hiredis 0.14 takes argv as const char** (the array itself not const); it only reads it.
    redisAppendCommandArgv(ctx_, 3, const_cast<const char**>(argv.data()), lens.data());
  }

  redisContext* ctx_ = nullptr;
};
#endif

// ---------------------------------------------------------------------------------------------
// Cases, runs and the report.

struct bench_case {
  const char* name;
  int depth;
  bool concurrent;
};

constexpr std::array<bench_case, 4> cases{{
    {"d1", 1, false},
    {"d16", 16, false},
    {"d128", 128, false},
    {"c50", concurrent_callers, true},
}};

struct entry {
  std::string name;  // roundtrip/<case>/<impl>
  const bench_case* c;
  std::string impl;
  client* cl;
  std::vector<measurement> runs;
  std::vector<int> reps;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <class F>
double median_of(const entry& e, F f) {
  std::vector<double> v;
  for (const measurement& m : e.runs) {
    if (m.error.empty() && m.commands > 0) v.push_back(f(m));
  }
  return median(v);
}

double ops_per_second(const measurement& m) { return static_cast<double>(m.commands) / m.seconds; }
double cpu_us_per_command(const measurement& m) {
  return m.cpu * 1e6 / static_cast<double>(m.commands);
}
double allocs_per_command(const measurement& m) {
  return static_cast<double>(m.allocs) / static_cast<double>(m.commands);
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

}  // namespace

int main(int argc, char** argv) {
  options opt = parse_options(argc, argv);
  if (!opt.seed_given) opt.seed = std::random_device{}();
  const server_address server = server_from_env();

  std::string why;
  if (!reachable(server, why)) {
    std::fprintf(stderr,
                 "roundtrip_bench: cannot reach a redis-server at %s (%s). Start one, e.g.\n"
                 "  redis-server --port 6391 --save \"\" --appendonly no --daemonize yes\n"
                 "and set RESPOOL_BENCH_SERVER=127.0.0.1:6391 (RESPOOL_TEST_SERVER is read "
                 "when it is unset).\n",
                 server.text.c_str(), why.c_str());
    const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
    const bool must = required != nullptr && std::string_view(required) == "1";
    return opt.skip_if_unreachable && !must ? 77 : 1;
  }

  // The clients stay connected for the whole program; every run reuses them.
  std::vector<std::unique_ptr<client>> clients;
  std::vector<std::pair<std::string, client*>> impls;
  for (const bool direct : {true, false}) {
    auto c = std::make_unique<respool_client>(server, direct, opt.health_checks);
    if (const std::string problem = c->start(); !problem.empty()) {
      std::printf("roundtrip_bench: an error occurred connecting respool to %s: %s\n",
                  server.text.c_str(), problem.c_str());
      return 1;
    }
    impls.emplace_back(direct ? "respool" : "respool_asio", c.get());
    clients.push_back(std::move(c));
  }
#ifdef RESPOOL_BENCH_HIREDIS
  {
    auto c = std::make_unique<hiredis_client>();
    if (const std::string problem = c->start(server); !problem.empty()) {
      std::printf("roundtrip_bench: an error occurred connecting hiredis to %s: %s\n",
                  server.text.c_str(), problem.c_str());
      return 1;
    }
    impls.emplace_back("hiredis", c.get());
    clients.push_back(std::move(c));
  }
#else
  std::printf("note: built without hiredis; the hiredis comparisons are left out\n");
#endif

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

  std::printf(
      "server %s; %d repetitions of %g s (warm-up %g s), random order, seed %llu; respool "
      "health checks %s\n",
      server.text.c_str(), opt.reps, opt.seconds, opt.warmup,
      static_cast<unsigned long long>(opt.seed), opt.health_checks ? "on" : "off");
  std::fflush(stdout);

  int failures = 0;
  for (entry& e : entries) {
    if (const std::string problem = e.cl->verify(e.c->depth, e.c->concurrent); !problem.empty()) {
      std::printf("roundtrip_bench: an error occurred verifying %s: %s\n", e.name.c_str(),
                  problem.c_str());
      ++failures;
    }
  }
  if (failures != 0) return 1;

  std::mt19937_64 rng{opt.seed};
  std::vector<std::size_t> order(entries.size());
  for (int rep = 0; rep < opt.reps; ++rep) {
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::size_t i : order) {
      entry& e = entries[i];
      measurement m = e.cl->run(e.c->depth, e.c->concurrent, opt.warmup, opt.seconds);
      if (m.error.empty() && m.commands == 0) m.error = "no command completed";
      if (!m.error.empty()) {
        std::printf("roundtrip_bench: an error occurred in %s (repetition %d): %s\n",
                    e.name.c_str(), rep, m.error.c_str());
        ++failures;
      } else {
        std::printf("%-28s rep %d: %10.0f commands/s  %7.3f CPU µs/command  %.3g allocs/command\n",
                    e.name.c_str(), rep, ops_per_second(m), cpu_us_per_command(m),
                    allocs_per_command(m));
      }
      std::fflush(stdout);
      e.runs.push_back(std::move(m));
      e.reps.push_back(rep);
      if (failures != 0) break;
    }
    if (failures != 0) break;
  }

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
