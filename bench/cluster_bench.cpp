// Cluster routing: the cost of finding where a key goes.
//
//   hash_slot/key16     hash_slot() of a 16-byte key without a hash tag
//   hash_slot/tagged    hash_slot() of "{user1000}.following:2024": only the tag is hashed
//   master_of/lookup    slot_map::master_of() over slots in a scattered order, on a map read
//                       from a CLUSTER SHARDS reply of 3 shards
//   command_table/set   command_table::find() and for_each_key() of "SET key value": the key
//                       is found (argument 1)
//   command_table/mget3 the same for "MGET a b c": three keys
//
// An iteration is one call, so the Time column is the time per call. Counter: allocs_per_op
// (heap allocations per call, from the malloc hook; all must be 0).
#include "alloc_hook.hpp"
#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using respool::bench::allocations;
using namespace respool::cluster;

void set_counters(benchmark::State& st, std::uint64_t allocs) {
  st.counters["allocs_per_op"] = static_cast<double>(allocs) / static_cast<double>(st.iterations());
}

void hash_slot_of(benchmark::State& st, std::string key) {
  const auto before = allocations();
  for (auto _ : st) {
    benchmark::DoNotOptimize(key.data());  // the key is not known to the compiler
    benchmark::DoNotOptimize(hash_slot(key));
  }
  set_counters(st, allocations() - before);
}

// A CLUSTER SHARDS reply (RESP2) of 3 masters without replicas, splitting the slots as
// `redis-cli --cluster create` does.
std::string three_shards() {
  std::string s = "*3\r\n";
  const char* ranges[][2] = {{"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}};
  for (int i = 0; i < 3; ++i) {
    const std::string port = std::to_string(7000 + i);
    s.append("*4\r\n$5\r\nslots\r\n*2\r\n:").append(ranges[i][0]).append("\r\n:");
    s.append(ranges[i][1]).append("\r\n$5\r\nnodes\r\n*1\r\n*8\r\n");
    s.append("$4\r\nport\r\n:").append(port).append("\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n");
    s.append("$4\r\nrole\r\n$6\r\nmaster\r\n$2\r\nid\r\n$4\r\nid-").append(1, char('0' + i));
    s.append("\r\n");
  }
  return s;
}

void master_of_lookup(benchmark::State& st) {
  const std::string bytes = three_shards();
  respool::resp3::parser p;
  std::error_code ec;
  slot_map m;
  std::string why;
  if (!p.parse(bytes, ec) || !parse_cluster_shards(p.reply(), "h", m, why) || !m.covers_all()) {
    st.SkipWithError(("the slot map did not parse: " + why).c_str());
    return;
  }
  std::uint16_t slot = 0;
  const auto before = allocations();
  for (auto _ : st) {
    slot = static_cast<std::uint16_t>((slot + 7919) & (slot_count - 1));  // a prime stride
    benchmark::DoNotOptimize(m.master_of(slot));
  }
  set_counters(st, allocations() - before);
}

// One lookup and one walk over the keys per iteration, on the built-in table.
void command_keys(benchmark::State& st, std::vector<std::string_view> argv) {
  const command_table table;
  const auto before = allocations();
  for (auto _ : st) {
    benchmark::DoNotOptimize(argv.data());  // the arguments are not known to the compiler
    std::size_t sum = 0;
    const command_info* c = table.find(argv);
    if (c != nullptr) for_each_key(*c, argv, [&](std::size_t i) { sum += i; });
    benchmark::DoNotOptimize(sum);
  }
  set_counters(st, allocations() - before);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("hash_slot/key16",
                               [](benchmark::State& st) { hash_slot_of(st, "user:0000012345!"); });
  benchmark::RegisterBenchmark("hash_slot/tagged", [](benchmark::State& st) {
    hash_slot_of(st, "{user1000}.following:2024");
  });
  benchmark::RegisterBenchmark("master_of/lookup", master_of_lookup);
  benchmark::RegisterBenchmark("command_table/set", [](benchmark::State& st) {
    command_keys(st, {"SET", "key", "value"});
  });
  benchmark::RegisterBenchmark("command_table/mget3", [](benchmark::State& st) {
    command_keys(st, {"MGET", "a", "b", "c"});
  });
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
