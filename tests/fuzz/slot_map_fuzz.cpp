// libFuzzer target: the input is parsed as one reply, which is then read both as a CLUSTER
// SHARDS and as a CLUSTER SLOTS reply, whole and cut short. Neither may crash, read outside the
// reply or run away; a map that is accepted must be consistent (each covered slot routes to a
// reachable master of an existing shard) and a refused one empty, with a reason.

#include "reply_check.hpp"
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace respool::cluster;

void check_map(const slot_map& m) {
  std::size_t covered = 0;
  for (std::uint32_t slot = 0; slot < slot_count; ++slot) {
    const auto s = static_cast<std::uint16_t>(slot);
    const std::uint16_t i = m.shard_index(s);
    if (i == slot_map::none) {
      RESPOOL_FUZZ_CHECK(m.master_of(s) == nullptr);
      continue;
    }
    ++covered;
    RESPOOL_FUZZ_CHECK(i < m.shards().size());
    const node_info* master = m.master_of(s);
    RESPOOL_FUZZ_CHECK(master != nullptr && master->reachable && !master->host.empty());
    RESPOOL_FUZZ_CHECK(master->role == node_role::master);
    RESPOOL_FUZZ_CHECK(master->port != 0 || master->tls_port != 0);
  }
  RESPOOL_FUZZ_CHECK(covered == m.covered_slots());
  std::size_t in_ranges = 0;
  for (const shard& sh : m.shards()) {
    RESPOOL_FUZZ_CHECK(sh.master < m.nodes().size());
    for (const std::size_t r : sh.replicas) {
      RESPOOL_FUZZ_CHECK(r < m.nodes().size() && r != sh.master);
      RESPOOL_FUZZ_CHECK(m.nodes()[r].role == node_role::replica);
    }
    for (const slot_range& r : sh.ranges) {
      RESPOOL_FUZZ_CHECK(r.first <= r.last && r.last < slot_count);
      in_ranges += r.last - r.first + 1u;
    }
  }
  RESPOOL_FUZZ_CHECK(in_ranges <= slot_count);  // no slot claimed twice
  RESPOOL_FUZZ_CHECK(covered <= in_ranges);
}

template <class F>
void check_parse(F parse_fn, respool::resp3::reply_view reply, slot_map& m) {
  std::string why = "left over";
  if (parse_fn(reply, "queried.host", m, why)) {
    RESPOOL_FUZZ_CHECK(why.empty());
    check_map(m);
  } else {
    RESPOOL_FUZZ_CHECK(!why.empty() && why != "left over");
    RESPOOL_FUZZ_CHECK(m.nodes().empty() && m.shards().empty() && m.covered_slots() == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static slot_map m;  // 32 KiB of table: reused, as a client would, and not on the stack
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  respool::resp3::parser p;
  std::error_code ec;
  if (!p.parse(input, ec)) return 0;
  const respool::resp3::reply_view reply = p.reply();
  check_parse(parse_cluster_shards, reply, m);
  check_parse(parse_cluster_slots, reply, m);
  // The same reply cut short, as a caller with a broken reply could pass it.
  const respool::resp3::reply_view half = reply.first(reply.size() / 2);
  check_parse(parse_cluster_shards, half, m);
  check_parse(parse_cluster_slots, half, m);
  return 0;
}
