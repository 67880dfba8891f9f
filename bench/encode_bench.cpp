// Encoding and sending benchmarks, respool side by side with hiredis and a naive encoder.
//
//   encode/<case>/<impl>     encoding alone: respool `request`, hiredis redisFormatCommandArgv
//                            (+ free), a naive std::string encoder
//   send/<case>/<impl>       encode + write to a loopback TCP socket drained by another thread:
//                            respool (gather write), hiredis (redisAppendCommandArgv + flushing
//                            its buffer), preencoded (one write of bytes encoded beforehand)
//   threshold/<case>/<how>   the same send path with the value copied into the scratch area or
//                            referenced as its own segment: where referencing starts to pay
//
// Counters: allocs_per_op (heap allocations per iteration, from the malloc hook), segments
// (gather segments per iteration), bytes_per_op, bytes/s; for send/ and threshold/, encode_ns
// (the part of the time spent before the system call). The send/ and threshold/ times are
// manual: see timed_send().
#include "alloc_hook.hpp"
#include "loopback.hpp"
#include <respool/protocol/request.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/uio.h>

#ifdef RESPOOL_BENCH_HIREDIS
#  include <hiredis/hiredis.h>
#endif

namespace {

using respool::request;
using respool::request_config;
using respool::bench::allocations;

// ---------------------------------------------------------------------------------------------
// The data every implementation encodes.

struct dataset {
  std::string key = "key:000123";
  std::string v16 = std::string(16, 'v');
  std::string v1k = std::string(1024, 'v');
  std::string v64k = std::string(64 * 1024, 'v');
  std::vector<std::pair<std::string, std::string>> mset;  // 100 pairs, 16-byte values
  std::vector<std::pair<std::string, std::string>> hset;  // 1000 pairs, 16-byte values

  dataset() {
    char name[32];
    for (int i = 0; i < 100; ++i) {
      std::snprintf(name, sizeof name, "key:%06d", i);
      mset.emplace_back(name, v16);
    }
    for (int i = 0; i < 1000; ++i) {
      std::snprintf(name, sizeof name, "field:%06d", i);
      hset.emplace_back(name, v16);
    }
  }
};

const dataset& data() {
  static const dataset d;
  return d;
}

using argv_list = std::vector<std::string_view>;

// A workload: the commands as argument lists (for hiredis and the naive encoder), and the way
// a respool user would push them.
template <class Encode>
struct workload {
  std::string name;
  std::vector<argv_list> commands;
  Encode encode;  // void(request&)
};

template <class Encode>
workload<Encode> make_workload(std::string name, std::vector<argv_list> commands, Encode encode) {
  return {std::move(name), std::move(commands), std::move(encode)};
}

std::vector<argv_list> repeat(const argv_list& cmd, int n) {
  return std::vector<argv_list>(n, cmd);
}

argv_list flatten_pairs(std::vector<std::string_view> head,
                        const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [k, v] : pairs) {
    head.push_back(k);
    head.push_back(v);
  }
  return head;
}

// ---------------------------------------------------------------------------------------------
// Implementations.

// The straightforward encoder one writes first: a fresh std::string per request.
void naive_append(std::string& out, const argv_list& args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const std::string_view a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

struct argv_arrays {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  explicit argv_arrays(const argv_list& args) {
    for (const std::string_view a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  [[nodiscard]] int argc() const { return static_cast<int>(argv.size()); }
  // hiredis 0.14 declares argv without const on the array, though it only reads it.
  [[nodiscard]] const char** argv_ptr() const { return const_cast<const char**>(argv.data()); }
};

std::vector<argv_arrays> to_argv(const std::vector<argv_list>& commands) {
  std::vector<argv_arrays> out;
  for (const auto& c : commands) out.emplace_back(c);
  return out;
}

using bench_clock = std::chrono::steady_clock;

// The send benchmarks time each iteration's encoding and write alone (manual time), then wait,
// untimed, until the reader has drained the socket. Every write then meets an empty receive
// queue, as a request to a server that keeps up does. Left free-running, a fast writer fills
// the socket and pays the kernel's slow path for it, which rewards slow implementations.
// `encode` is the user-space work (reported as encode_ns), `write` the system calls;
// `bytes_per_op` is what one iteration sends.
// Returns the heap allocations made by encode() and write(), counted within each iteration (the
// benchmark library's own bookkeeping around the loop is not ours).
template <class Encode, class Write>
std::uint64_t timed_send(benchmark::State& st, respool::bench::loopback_sink& sink, Encode&& encode,
                         Write&& write, std::size_t bytes_per_op) {
  std::uint64_t sent = 0;
  std::uint64_t allocs = 0;
  double encode_ns = 0;
  for (auto _ : st) {
    const auto a0 = allocations();
    const auto t0 = bench_clock::now();
    encode();
    const auto t1 = bench_clock::now();
    write();
    const auto t2 = bench_clock::now();
    allocs += allocations() - a0;
    st.SetIterationTime(std::chrono::duration<double>(t2 - t0).count());
    encode_ns += std::chrono::duration<double, std::nano>(t1 - t0).count();
    sent += bytes_per_op;
    sink.wait_for(sent);
  }
  st.counters["encode_ns"] = encode_ns / static_cast<double>(st.iterations());
  return allocs;
}

void set_counters(benchmark::State& st, std::uint64_t allocs, std::size_t segments,
                  std::size_t bytes) {
  const auto iters = static_cast<double>(st.iterations());
  st.counters["allocs_per_op"] = static_cast<double>(allocs) / iters;
  st.counters["segments"] = static_cast<double>(segments);
  st.counters["bytes_per_op"] = static_cast<double>(bytes);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes));
}

template <class Encode>
void encode_respool(benchmark::State& st, const Encode& encode) {
  request req;
  encode(req);  // warm-up: the buffers reach their working size
  const auto before = allocations();
  for (auto _ : st) {
    req.clear();
    encode(req);
    benchmark::DoNotOptimize(req.segments().data());
    benchmark::ClobberMemory();
  }
  set_counters(st, allocations() - before, req.segments().size(), req.size_bytes());
}

void encode_naive(benchmark::State& st, const std::vector<argv_list>& commands) {
  std::size_t bytes = 0;
  const auto before = allocations();
  for (auto _ : st) {
    std::string out;
    for (const auto& c : commands) naive_append(out, c);
    benchmark::DoNotOptimize(out.data());
    bytes = out.size();
  }
  set_counters(st, allocations() - before, 1, bytes);
}

#ifdef RESPOOL_BENCH_HIREDIS
void encode_hiredis(benchmark::State& st, const std::vector<argv_list>& commands) {
  const auto argvs = to_argv(commands);
  std::size_t bytes = 0;
  const auto before = allocations();
  for (auto _ : st) {
    bytes = 0;
    for (const auto& a : argvs) {
      char* out = nullptr;
      const int n = redisFormatCommandArgv(&out, a.argc(), a.argv_ptr(), a.lens.data());
      benchmark::DoNotOptimize(out);
      redisFreeCommand(out);
      bytes += static_cast<std::size_t>(n);
    }
  }
  set_counters(st, allocations() - before, commands.size(), bytes);
}
#endif

// Writes the request with as few system calls as the kernel allows.
void send_segments(int fd, const request& req,
                   std::array<respool::segment, respool::max_gather_segments>& iov) {
  respool::segment_cursor cursor(req.segments());
  while (!cursor.done()) {
    const std::size_t n = cursor.fill(iov);
    // One segment (a pipeline of small commands) goes out with write(): writev's copy and
    // check of the iovec array is measurable at this size.
    const ssize_t written = n == 1
                                ? ::write(fd, iov[0].data, iov[0].size)
                                : ::writev(fd, respool::as_iovec(iov.data()), static_cast<int>(n));
    if (written < 0) {
      if (errno == EINTR) continue;
      std::perror("writev");
      std::abort();
    }
    cursor.consume(static_cast<std::size_t>(written));
  }
}

template <class Encode>
void send_respool(benchmark::State& st, const Encode& encode, request_config cfg = {}) {
  respool::bench::loopback_sink sink;
  const int fd = sink.connect();
  std::array<respool::segment, respool::max_gather_segments> iov;
  request req{cfg};
  encode(req);
  const std::size_t bytes = req.size_bytes();
  const auto allocs = timed_send(
      st, sink,
      [&] {
        req.clear();
        encode(req);
      },
      [&] { send_segments(fd, req, iov); }, bytes);
  set_counters(st, allocs, req.segments().size(), bytes);
}

template <class Encode>
void send_preencoded(benchmark::State& st, const Encode& encode) {
  respool::bench::loopback_sink sink;
  const int fd = sink.connect();
  request req;
  encode(req);
  std::string bytes;
  req.flatten_into(bytes);
  const auto allocs = timed_send(
      st, sink, [] {}, [&] { respool::bench::write_all(fd, bytes.data(), bytes.size()); },
      bytes.size());
  set_counters(st, allocs, 1, bytes.size());
}

#ifdef RESPOOL_BENCH_HIREDIS
void send_hiredis(benchmark::State& st, const std::vector<argv_list>& commands) {
  respool::bench::loopback_sink sink;
  redisContext* ctx = redisConnect("127.0.0.1", sink.port());
  if (ctx == nullptr || ctx->err != 0) {
    st.SkipWithError("redisConnect failed");
    return;
  }
  sink.accept_and_drain();
  const auto argvs = to_argv(commands);
  std::size_t bytes = 0;
  for (const auto& c : commands) {
    std::string one;
    naive_append(one, c);
    bytes += one.size();
  }
  bool failed = false;
  const auto allocs = timed_send(
      st, sink,
      [&] {
        for (const auto& a : argvs) {
          redisAppendCommandArgv(ctx, a.argc(), a.argv_ptr(), a.lens.data());
        }
      },
      [&] {
        int done = 0;
        while (done == 0 && !failed) failed = redisBufferWrite(ctx, &done) != REDIS_OK;
      },
      bytes);
  if (failed) st.SkipWithError(ctx->errstr);
  redisFree(ctx);
  set_counters(st, allocs, 1, bytes);
}
#endif

// ---------------------------------------------------------------------------------------------
// Registration.

template <class Encode>
void register_encode(const workload<Encode>& w) {
  benchmark::RegisterBenchmark(("encode/" + w.name + "/respool").c_str(),
                               [w](benchmark::State& st) { encode_respool(st, w.encode); });
#ifdef RESPOOL_BENCH_HIREDIS
  benchmark::RegisterBenchmark(("encode/" + w.name + "/hiredis").c_str(),
                               [w](benchmark::State& st) { encode_hiredis(st, w.commands); });
#endif
  benchmark::RegisterBenchmark(("encode/" + w.name + "/naive").c_str(),
                               [w](benchmark::State& st) { encode_naive(st, w.commands); });
}

template <class Encode>
void register_send(const workload<Encode>& w) {
  benchmark::RegisterBenchmark(("send/" + w.name + "/respool").c_str(), [w](benchmark::State& st) {
    send_respool(st, w.encode);
  })->UseManualTime();
#ifdef RESPOOL_BENCH_HIREDIS
  benchmark::RegisterBenchmark(("send/" + w.name + "/hiredis").c_str(), [w](benchmark::State& st) {
    send_hiredis(st, w.commands);
  })->UseManualTime();
#endif
  benchmark::RegisterBenchmark(("send/" + w.name + "/preencoded").c_str(),
                               [w](benchmark::State& st) { send_preencoded(st, w.encode); })
      ->UseManualTime();
}

// `count` pipelined SETs of a `size`-byte value, with the value copied (threshold above its
// size) or referenced (threshold at its size).
void register_threshold(std::size_t size, int count) {
  const std::string name = "threshold/v" + std::to_string(size) + "x" + std::to_string(count);
  auto encode = [size, count](request& r) {
    static const std::string value(1 << 20, 't');
    const std::string_view v(value.data(), size);
    for (int i = 0; i < count; ++i) r.push("SET", "key:000123", v);
  };
  benchmark::RegisterBenchmark((name + "/copy").c_str(), [=](benchmark::State& st) {
    send_respool(st, encode, request_config{.copy_threshold = size + 1});
  })->UseManualTime();
  benchmark::RegisterBenchmark((name + "/reference").c_str(), [=](benchmark::State& st) {
    send_respool(st, encode, request_config{.copy_threshold = size});
  })->UseManualTime();
}

void register_all() {
  const dataset& d = data();
  const argv_list set16{"SET", d.key, d.v16};
  const argv_list set1k{"SET", "key", d.v1k};
  const argv_list set64k{"SET", "key", d.v64k};

  // n pipelined SETs, written as a user writes them: the command name is a literal.
  auto push_n = [](const argv_list& cmd, int n) {
    return [key = cmd[1], value = cmd[2], n](request& r) {
      for (int i = 0; i < n; ++i) r.push("SET", key, value);
    };
  };
  auto mset = [&d](request& r) { r.push_range("MSET", d.mset); };
  auto hset = [&d](request& r) { r.push_range("HSET", "h", d.hset); };
  const auto mset_cmds = std::vector<argv_list>{flatten_pairs({"MSET"}, d.mset)};
  const auto hset_cmds = std::vector<argv_list>{flatten_pairs({"HSET", "h"}, d.hset)};

  register_encode(
      make_workload("set16", {set16}, [&d](request& r) { r.push("SET", d.key, d.v16); }));
  register_encode(
      make_workload("set1k", {set1k}, [&d](request& r) { r.push("SET", "key", d.v1k); }));
  register_encode(
      make_workload("set64k", {set64k}, [&d](request& r) { r.push("SET", "key", d.v64k); }));
  register_encode(
      make_workload("get", {{"GET", d.key}}, [&d](request& r) { r.push("GET", d.key); }));
  register_encode(make_workload("mset100", mset_cmds, mset));
  register_encode(make_workload("hset1000", hset_cmds, hset));
  register_encode(make_workload("pipeline100", repeat(set16, 100), push_n(set16, 100)));

  register_send(make_workload("set16x1", {set16}, push_n(set16, 1)));
  register_send(make_workload("set16x16", repeat(set16, 16), push_n(set16, 16)));
  register_send(make_workload("set16x128", repeat(set16, 128), push_n(set16, 128)));
  register_send(make_workload("set1kx16", repeat(set1k, 16), push_n(set1k, 16)));
  register_send(make_workload("set64kx1", {set64k}, push_n(set64k, 1)));
  register_send(make_workload("mset100", mset_cmds, mset));
  register_send(make_workload("hset1000", hset_cmds, hset));

  for (const std::size_t size : {256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}) {
    register_threshold(size, 1);
    register_threshold(size, 16);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifndef RESPOOL_BENCH_HIREDIS
  std::fprintf(stderr, "note: built without hiredis; the hiredis comparisons are left out\n");
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
