// libFuzzer target: the input is parsed as one reply, which is then read as a CLUSTER SHARDS,
// as a CLUSTER SLOTS and as a COMMAND reply, whole and cut short. None may crash, read outside
// the reply or run away. A slot map that is accepted must be consistent (each covered slot
// routes to a reachable master of an existing shard) and a refused one empty, with a reason.
// A COMMAND reply that is refused leaves the command table as it was; one that is accepted
// gives entries that lookups find and whose keys, for any arguments, are arguments.

#include "../../src/protocol/cluster/command_table_impl.hpp"
#include "reply_check.hpp"
#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// The keys of `c` for `argv`: each an argument after the name, in order within a spec.
void check_keys(const command_info& c, std::span<const std::string_view> argv) {
  std::size_t calls = 0;
  const bool ok = for_each_key(c, argv, [&](std::size_t i) {
    RESPOOL_FUZZ_CHECK(i >= 1 && i < argv.size());
    ++calls;
  });
  RESPOOL_FUZZ_CHECK(ok || calls == 0);
  RESPOOL_FUZZ_CHECK(calls <= argv.size() * c.keys.size());
}

void check_command_reply(respool::resp3::reply_view reply) {
  static command_table unchanged;  // built once: overlays that fail must leave it as it is
  const std::size_t size = unchanged.size();
  std::string why = "left over";
  std::vector<command_info> entries;
  respool::cluster::detail::command_storage storage;
  if (!respool::cluster::detail::read_command_reply(reply, entries, storage, why)) {
    RESPOOL_FUZZ_CHECK(!why.empty() && why != "left over");
    RESPOOL_FUZZ_CHECK(!unchanged.overlay(reply, why) && unchanged.size() == size);
    return;
  }
  command_table t;
  RESPOOL_FUZZ_CHECK(t.overlay(reply, why) && why.empty());
  RESPOOL_FUZZ_CHECK(t.size() >= size && t.size() <= size + entries.size());
  // Arguments: the reply's own strings, after each entry's name.
  std::vector<std::string_view> words;
  for (const auto& n : reply) {
    if (!n.value.empty() && words.size() < 12) words.push_back(n.value);
  }
  for (const command_info& c : entries) {
    const std::size_t bar = c.name.find('|');
    std::vector<std::string_view> argv{c.name.substr(0, bar)};
    if (bar != std::string_view::npos) argv.push_back(c.name.substr(bar + 1));
    const command_info* found = t.find(argv);
    // A subcommand is found through its container; one without ("x|y" with no "x") is not.
    if (bar == std::string_view::npos) {
      RESPOOL_FUZZ_CHECK(found != nullptr && found->name == c.name);
    } else if (found == nullptr) {
      RESPOOL_FUZZ_CHECK(t.find(std::span(argv).first(1)) == nullptr);
      continue;
    }
    for (const std::string_view w : words) {
      check_keys(*found, argv);
      check_keys(c, argv);
      argv.push_back(w);
    }
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
  check_command_reply(reply);
  check_command_reply(half);
  return 0;
}
