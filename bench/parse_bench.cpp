// Reply parsing, respool side by side with hiredis's reader.
//
//   parse/<case>/respool   resp3::parser over the buffer, in place: one parse() per reply
//   parse/<case>/hiredis   redisReaderFeed of the same buffer (hiredis copies it into its own
//                          buffer, as it does after every read), then redisReaderGetReply and
//                          freeReplyObject for each reply; the reader is created once per run
//
// Each iteration parses a whole buffer of replies. Counters: items_per_second (replies),
// time_per_reply, bytes/s, allocs_per_op (heap allocations per iteration, from the malloc
// hook) and allocs_per_reply.
#include "alloc_hook.hpp"
#include <respool/protocol/resp3/parser.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <string_view>

#ifdef RESPOOL_BENCH_HIREDIS
#  include <hiredis/hiredis.h>
#endif

namespace {

using respool::bench::allocations;

struct workload {
  const char* name;
  std::string bytes;
  std::size_t replies;
  bool resp2;  // hiredis 0.14 reads RESP2 only
};

std::string bulk16(int i) {
  char value[17];
  std::snprintf(value, sizeof value, "value:%010d", i);
  return "$16\r\n" + std::string(value, 16) + "\r\n";
}

workload ok10k() {
  std::string s;
  for (int i = 0; i < 10000; ++i) s += "+OK\r\n";
  return {"ok10k", s, 10000, true};
}

workload bulk10k() {
  std::string s;
  for (int i = 0; i < 10000; ++i) s += bulk16(i);
  return {"bulk10k", s, 10000, true};
}

workload array10k() {
  std::string s = "*10000\r\n";
  for (int i = 0; i < 10000; ++i) s += bulk16(i);
  return {"array10k", s, 1, true};
}

// 10 arrays of 10 arrays of 10 bulk strings: three levels, 1111 nodes.
workload nested3() {
  std::string s = "*10\r\n";
  for (int i = 0; i < 10; ++i) {
    s += "*10\r\n";
    for (int j = 0; j < 10; ++j) {
      s += "*10\r\n";
      for (int k = 0; k < 10; ++k) s += bulk16(i * 100 + j * 10 + k);
    }
  }
  return {"nested3", s, 1, true};
}

workload map1000() {
  std::string s = "%1000\r\n";
  for (int i = 0; i < 1000; ++i) s += bulk16(i) + bulk16(-i);
  return {"map1000", s, 1, false};
}

// 16 replies of 64 KiB each.
workload bulk64k() {
  std::string s;
  for (int i = 0; i < 16; ++i)
    s += "$65536\r\n" + std::string(65536, static_cast<char>('a' + i)) + "\r\n";
  return {"bulk64k", s, 16, true};
}

void set_counters(benchmark::State& st, const workload& w, std::uint64_t allocs) {
  const auto iters = static_cast<double>(st.iterations());
  const auto replies = static_cast<double>(w.replies);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * w.replies));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * w.bytes.size()));
  st.counters["time_per_reply"] = benchmark::Counter(
      replies, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["allocs_per_op"] = static_cast<double>(allocs) / iters;
  st.counters["allocs_per_reply"] = static_cast<double>(allocs) / iters / replies;
}

void parse_respool(benchmark::State& st, const workload& w) {
  respool::resp3::parser p;
  auto parse_all = [&] {
    std::string_view in = w.bytes;
    std::size_t n = 0;
    std::error_code ec;
    while (!in.empty() && p.parse(in, ec)) {
      benchmark::DoNotOptimize(p.reply().data());
      in.remove_prefix(p.consumed());
      ++n;
    }
    return n;
  };
  if (parse_all() != w.replies) {  // warm-up: the node arrays reach their size
    st.SkipWithError("respool parsed a different number of replies");
    return;
  }
  const auto before = allocations();
  for (auto _ : st) benchmark::DoNotOptimize(parse_all());
  set_counters(st, w, allocations() - before);
}

#ifdef RESPOOL_BENCH_HIREDIS
void parse_hiredis(benchmark::State& st, const workload& w) {
  redisReader* r = redisReaderCreate();
  auto parse_all = [&] {
    redisReaderFeed(r, w.bytes.data(), w.bytes.size());
    std::size_t n = 0;
    void* reply = nullptr;
    while (redisReaderGetReply(r, &reply) == REDIS_OK && reply != nullptr) {
      freeReplyObject(reply);
      ++n;
    }
    return n;
  };
  if (parse_all() != w.replies) {
    st.SkipWithError("hiredis parsed a different number of replies");
    redisReaderFree(r);
    return;
  }
  const auto before = allocations();
  for (auto _ : st) benchmark::DoNotOptimize(parse_all());
  set_counters(st, w, allocations() - before);
  redisReaderFree(r);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  static const workload workloads[] = {ok10k(),   bulk10k(), array10k(),
                                       nested3(), map1000(), bulk64k()};
  for (const workload& w : workloads) {
    benchmark::RegisterBenchmark((std::string("parse/") + w.name + "/respool").c_str(),
                                 [&w](benchmark::State& st) { parse_respool(st, w); });
#ifdef RESPOOL_BENCH_HIREDIS
    if (w.resp2) {
      benchmark::RegisterBenchmark((std::string("parse/") + w.name + "/hiredis").c_str(),
                                   [&w](benchmark::State& st) { parse_hiredis(st, w); });
    }
#endif
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifndef RESPOOL_BENCH_HIREDIS
  std::fprintf(stderr, "note: built without hiredis; the hiredis comparisons are left out\n");
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
