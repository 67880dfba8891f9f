// Redis Cluster, without a server: hash slots of keys, and topologies read from CLUSTER SHARDS
// and CLUSTER SLOTS replies recorded from a real 6-node cluster (Redis 7.0.15, 3 masters with a
// replica each) in tests/data/cluster/.

#include "alloc_counter.hpp"
#include "cluster_test_support.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/cluster/slot_map.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace {

using namespace respool::cluster;
using namespace cluster_test;
using namespace std::string_view_literals;

// CRC16-XMODEM one bit at a time, straight from its definition, to check the table-driven one.
std::uint16_t crc16_bitwise(std::string_view data) {
  unsigned crc = 0;
  for (const char c : data) {
    crc ^= static_cast<unsigned>(static_cast<unsigned char>(c)) << 8;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000u) ? (crc << 1) ^ 0x1021u : crc << 1;
    crc &= 0xffffu;
  }
  return static_cast<std::uint16_t>(crc);
}

static_assert(crc16("123456789") == 0x31C3);
static_assert(hash_slot("{user1000}.following") == 3443);

TEST(cluster_slots_test, crc16_check_value_and_every_length) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
  std::mt19937 rng(7);
  std::string s;
  for (std::size_t len = 0; len < 100; ++len) {
    s.resize(len);
    for (char& c : s) c = static_cast<char>(rng());
    EXPECT_EQ(crc16(s), crc16_bitwise(s)) << "length " << len;
  }
}

TEST(cluster_slots_test, hash_tags) {
  EXPECT_EQ(hash_slot("{user1000}.following"), 3443);
  EXPECT_EQ(hash_slot("{user1000}.followers"), 3443);
  EXPECT_EQ(hash_slot("foo{}{bar}"), 8363);     // the first tag is empty: the whole key
  EXPECT_EQ(hash_slot("foo{{bar}}zap"), 4015);  // the tag is "{bar"
  EXPECT_EQ(hash_slot("foo{bar}{zap}"), 5061);  // the tag is "bar"
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_tag("foo{"), "foo{");
  EXPECT_EQ(hash_tag("}{x"), "}{x");
  EXPECT_EQ(hash_slot(""), 0);
  EXPECT_EQ(hash_slot("{}"), crc16("{}") & 16383);
}

// CLUSTER KEYSLOT of a Redis 7.0.15 server started with --cluster-enabled yes.
TEST(cluster_slots_test, slots_the_server_computed) {
  struct known {
    std::string_view key;
    std::uint16_t slot;
  };
  const known cases[] = {
      {"foo", 12182},
      {"bar", 5061},
      {"hello", 866},
      {"key:1", 6657},
      {"a{b}c", 3300},
      {"{user1000}.following", 3443},
      {""sv, 0},
      {"\x00\xff{\x01\x02}z"sv, 4979},  // binary bytes, and a binary tag
      {"\xfe\xff\x00\x80"sv, 9212},
  };
  for (const known& k : cases) EXPECT_EQ(hash_slot(k.key), k.slot) << k.key;
}

// The recorded cluster: each master's id, port and slots, and its replica's.
struct recorded_shard {
  std::string_view master_id;
  std::uint16_t master_port;
  std::string_view replica_id;
  std::uint16_t replica_port;
  std::uint16_t first, last;
};
constexpr recorded_shard recorded[] = {
    {"6ba2d98de237bf580087e598999906bcebe03bbc", 41001, "50603089dd4edab5a027269ade3a2745eb3fa969",
     41006, 0, 5460},
    {"2ed1d362a7b881fb7b7b26834100e691c017432a", 41002, "3795174120fa0063f58b438f0b48bb1a737ea341",
     41004, 5461, 10922},
    {"8bffc688dea30616608424f8bb197aac8cf59f30", 41003, "dceeac4c4978de20ca946f371d24a9cd08d5efd0",
     41005, 10923, 16383},
};

void expect_recorded_cluster(const slot_map& m, bool with_health) {
  ASSERT_EQ(m.nodes().size(), 6u);
  ASSERT_EQ(m.shards().size(), 3u);
  EXPECT_TRUE(m.covers_all());
  for (const recorded_shard& r : recorded) {
    SCOPED_TRACE(r.master_port);
    for (const std::uint16_t slot : {r.first, r.last, std::uint16_t((r.first + r.last) / 2)}) {
      const node_info* master = m.master_of(slot);
      ASSERT_NE(master, nullptr);
      EXPECT_EQ(master->id, r.master_id);
      EXPECT_EQ(master->host, "127.0.0.1");
      EXPECT_EQ(master->port, r.master_port);
      EXPECT_EQ(master->tls_port, 0);
      EXPECT_EQ(master->role, node_role::master);
      EXPECT_EQ(master->health, with_health ? node_health::online : node_health::unknown);
    }
    const shard* s = m.shard_of(r.first);
    ASSERT_EQ(s->ranges.size(), 1u);
    EXPECT_EQ(s->ranges[0], (slot_range{r.first, r.last}));
    ASSERT_EQ(s->replicas.size(), 1u);
    const node_info& replica = m.nodes()[s->replicas[0]];
    EXPECT_EQ(replica.id, r.replica_id);
    EXPECT_EQ(replica.port, r.replica_port);
    EXPECT_EQ(replica.role, node_role::replica);
    EXPECT_TRUE(replica.reachable);
  }
  EXPECT_EQ(m.master_of(hash_slot("foo"))->port, 41003);  // the server's MOVED 12182 41003
}

TEST(cluster_slots_test, recorded_cluster_shards_resp2_and_resp3) {
  for (const char* file : {"shards_resp2.resp", "shards_resp3.resp"}) {
    SCOPED_TRACE(file);
    expect_recorded_cluster(parse_ok(parse_cluster_shards, read_data(file)), true);
  }
}

TEST(cluster_slots_test, recorded_cluster_slots_resp2_and_resp3) {
  for (const char* file : {"slots_resp2.resp", "slots_resp3.resp"}) {
    SCOPED_TRACE(file);
    expect_recorded_cluster(parse_ok(parse_cluster_slots, read_data(file)), false);
  }
}

// cluster-preferred-endpoint-type hostname on the queried node, host names announced by 41002
// and 41004 only: the others' endpoints are "?", so only 41002's slots can be routed.
void expect_hostname_cluster(const slot_map& m) {
  ASSERT_EQ(m.nodes().size(), 6u);
  EXPECT_FALSE(m.covers_all());
  EXPECT_EQ(m.covered_slots(), 10922u - 5461u + 1u);
  EXPECT_EQ(m.master_of(0), nullptr);
  EXPECT_EQ(m.master_of(16383), nullptr);
  ASSERT_NE(m.master_of(5461), nullptr);
  EXPECT_EQ(m.master_of(5461)->host, "node-b.example");
  const shard* s = m.shard_of(5461);
  EXPECT_EQ(m.nodes()[s->replicas.at(0)].host, "node-d.example");
  std::size_t unreachable = 0;
  for (const node_info& n : m.nodes()) {
    if (n.reachable) continue;
    ++unreachable;
    EXPECT_EQ(n.host, "");
  }
  EXPECT_EQ(unreachable, 4u);
  EXPECT_EQ(m.shards().size(), 3u);  // the unreachable shards are known, not routed
}

TEST(cluster_slots_test, recorded_hostname_endpoints) {
  expect_hostname_cluster(parse_ok(parse_cluster_shards, read_data("shards_hostname_resp3.resp")));
  expect_hostname_cluster(parse_ok(parse_cluster_slots, read_data("slots_hostname_resp2.resp")));
}

// 41006, 41001's replica, killed: CLUSTER SHARDS says "fail".
TEST(cluster_slots_test, recorded_failed_replica) {
  const slot_map m = parse_ok(parse_cluster_shards, read_data("shards_failed_resp2.resp"));
  EXPECT_TRUE(m.covers_all());
  const shard* s = m.shard_of(0);
  ASSERT_EQ(s->replicas.size(), 1u);
  EXPECT_EQ(m.nodes()[s->replicas[0]].port, 41006);
  EXPECT_EQ(m.nodes()[s->replicas[0]].health, node_health::failed);
  EXPECT_EQ(m.nodes()[s->master].health, node_health::online);
}

// A reply cut anywhere (a prefix of its nodes) is refused, never read past its end.
TEST(cluster_slots_test, every_truncation_of_the_recorded_replies_fails) {
  for (const char* file : {"shards_resp2.resp", "shards_resp3.resp", "slots_resp2.resp",
                           "slots_resp3.resp", "slots_hostname_resp2.resp"}) {
    SCOPED_TRACE(file);
    const parsed r(read_data(file));
    ASSERT_TRUE(r.ok);
    auto fn =
        std::string_view(file).starts_with("shards") ? parse_cluster_shards : parse_cluster_slots;
    for (std::size_t k = 0; k < r.reply().size(); ++k) {
      slot_map m;
      std::string why;
      EXPECT_FALSE(fn(r.reply().first(k), "h", m, why)) << k;
      EXPECT_NE(why, "");
      EXPECT_EQ(m.covered_slots(), 0u);
    }
  }
}

TEST(cluster_slots_test, lookups_do_not_allocate) {
  const slot_map m = parse_ok(parse_cluster_shards, read_data("shards_resp3.resp"));
  respool::test::allocation_scope scope;
  std::size_t ports = 0;
  for (std::uint32_t slot = 0; slot < slot_count; ++slot) {
    ports += m.master_of(static_cast<std::uint16_t>(slot))->port;
    ports += m.shard_index(static_cast<std::uint16_t>(slot));
  }
  EXPECT_EQ(m.master_of(16384), nullptr);
  EXPECT_EQ(m.shard_index(65535), slot_map::none);
  EXPECT_GT(ports, 0u);
  EXPECT_EQ(scope.count(), 0u);
}

TEST(cluster_slots_test, a_map_is_reused_and_cleared) {
  slot_map m = parse_ok(parse_cluster_slots, read_data("slots_resp3.resp"));
  const parsed r(read_data("shards_resp2.resp"));
  std::string why;
  ASSERT_TRUE(parse_cluster_shards(r.reply(), "h", m, why)) << why;
  expect_recorded_cluster(m, true);
  m.clear();
  EXPECT_EQ(m.master_of(0), nullptr);
  EXPECT_FALSE(m.covers_all());
}

}  // namespace
