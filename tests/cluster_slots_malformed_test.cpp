// Redis Cluster topologies written by hand: endpoint rules, TLS ports, health, and malformed
// replies, each refused with its own reason.

#include "cluster_test_support.hpp"
#include <respool/protocol/cluster/slot_map.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace respool::cluster;
using namespace cluster_test;

// A CLUSTER SHARDS node (RESP3) with the usual fields.
std::string shard_node(std::string_view id, std::string endpoint, std::string_view role,
                       std::string port = num(7000)) {
  return map3({{"id", bulk(id)},
               {"port", std::move(port)},
               {"ip", bulk("192.168.1.1")},
               {"endpoint", std::move(endpoint)},
               {"role", bulk(role)},
               {"replication-offset", num(1)},
               {"health", bulk("online")}});
}

std::string one_shard(std::string slots, std::string nodes) {
  return arr({map3({{"slots", std::move(slots)}, {"nodes", std::move(nodes)}})});
}

std::string all_slots() { return arr({num(0), num(16383)}); }

TEST(cluster_slots_malformed_test, shards_endpoints_empty_null_and_unknown) {
  const slot_map m = parse_ok(parse_cluster_shards,
                              one_shard(all_slots(), arr({shard_node("a", bulk(""), "master"),
                                                          shard_node("b", null3(), "replica"),
                                                          shard_node("c", bulk("?"), "replica")})),
                              "queried.example");
  ASSERT_EQ(m.nodes().size(), 3u);
  EXPECT_EQ(m.nodes()[0].host, "queried.example");
  EXPECT_EQ(m.nodes()[1].host, "queried.example");
  EXPECT_EQ(m.nodes()[2].host, "");
  EXPECT_FALSE(m.nodes()[2].reachable);
  EXPECT_TRUE(m.covers_all());
  EXPECT_EQ(m.shards()[0].replicas, (std::vector<std::size_t>{1, 2}));
}

TEST(cluster_slots_malformed_test, shards_unknown_master_leaves_its_slots_uncovered) {
  const std::string two = arr({map3({{"slots", arr({num(0), num(99)})},
                                     {"nodes", arr({shard_node("a", bulk("?"), "master")})}}),
                               map3({{"slots", arr({num(100), num(16383)})},
                                     {"nodes", arr({shard_node("b", bulk("h2"), "master")})}})});
  const slot_map m = parse_ok(parse_cluster_shards, two);
  EXPECT_EQ(m.master_of(99), nullptr);
  EXPECT_EQ(m.shard_index(0), slot_map::none);
  EXPECT_EQ(m.master_of(100)->host, "h2");
  EXPECT_EQ(m.covered_slots(), 16384u - 100u);
  EXPECT_FALSE(m.covers_all());
}

TEST(cluster_slots_malformed_test, shards_address_preference_tls_port_and_health) {
  const std::string node = map2({{"id", bulk("t")},
                                 {"tls-port", num(6380)},
                                 {"hostname", bulk("h.example")},
                                 {"ip", bulk("10.1.1.1")},
                                 {"role", bulk("master")},
                                 {"health", bulk("loading")},
                                 {"future-field", arr({num(1), bulk("x")})}});
  const std::string no_ip = map2({{"id", bulk("u")},
                                  {"port", num(7001)},
                                  {"hostname", bulk("u.example")},
                                  {"role", bulk("replica")},
                                  {"health", bulk("failed")}});
  const std::string reply =
      arr({map2({{"slots", arr({num(5), num(5)})}, {"nodes", arr({node, no_ip})}})});
  const slot_map m = parse_ok(parse_cluster_shards, reply);
  const node_info* master = m.master_of(5);
  ASSERT_NE(master, nullptr);
  EXPECT_EQ(master->host, "10.1.1.1");  // no endpoint: the ip before the host name
  EXPECT_EQ(master->port, 0);
  EXPECT_EQ(master->tls_port, 6380);
  EXPECT_EQ(master->health, node_health::loading);
  EXPECT_EQ(m.nodes()[1].host, "u.example");
  EXPECT_EQ(m.nodes()[1].health, node_health::failed);
  EXPECT_EQ(m.covered_slots(), 1u);
  EXPECT_EQ(m.master_of(4), nullptr);
}

TEST(cluster_slots_malformed_test, shards_refused_with_reasons) {
  const std::string m1 = shard_node("a", bulk("h"), "master");
  const struct {
    std::string reply;
    std::string why;
  } cases[] = {
      {one_shard(arr({num(0), num(17000)}), arr({m1})), "slot 17000 out of range"},
      {one_shard(arr({num(-1), num(5)}), arr({m1})), "slot -1 out of range"},
      {one_shard(arr({num(9), num(5)}), arr({m1})), "slot range 9-5 ends before it starts"},
      {one_shard(arr({num(0), num(10), num(5), num(20)}), arr({m1})), "slot 5 is claimed twice"},
      {one_shard(arr({num(0)}), arr({m1})), "slots is not an array of start and end pairs"},
      {one_shard(bulk("0-10"), arr({m1})), "slots is not an array of start and end pairs"},
      {one_shard(arr({bulk("zero"), num(1)}), arr({m1})), "a slot is not an integer"},
      {one_shard(all_slots(), arr({shard_node("a", bulk("h"), "replica")})),
       "a shard without a master"},
      {one_shard(all_slots(), arr({m1, shard_node("b", bulk("h"), "master")})),
       "a shard with two masters"},
      {one_shard(all_slots(), arr({m1, m1})), "node a is listed twice"},
      {one_shard(all_slots(), arr({shard_node("a", bulk("h"), "master", num(0))})),
       "a node without a port"},
      {one_shard(all_slots(), arr({shard_node("a", bulk("h"), "master", num(70000))})),
       "port 70000 out of range"},
      {one_shard(all_slots(), arr({shard_node("a", bulk("h"), "master", bulk("x"))})),
       "a port is not an integer"},
      {one_shard(all_slots(), arr({shard_node("a", num(5), "master")})),
       "the endpoint of a node is not a string"},
      {one_shard(all_slots(), arr({shard_node("a", bulk("h"), "boss")})), "unknown role \"boss\""},
      {one_shard(all_slots(),
                 arr({map3({{"id", bulk("a")}, {"port", num(1)}, {"ip", bulk("h")}})})),
       "a node without a role"},
      {one_shard(all_slots(), arr({map3({{"port", num(1)}, {"role", bulk("master")}})})),
       "a node without an address"},
      {one_shard(all_slots(), arr({num(1)})), "a node is not a map"},
      {one_shard(all_slots(), bulk("x")), "nodes is not an array"},
      {arr({map3({{"slots", all_slots()}})}), "a shard without nodes"},
      {arr({map3({{"nodes", arr({m1})}})}), "a shard without slots"},
      {arr({arr({bulk("slots")})}), "a shard is not a map"},
      {arr({arr({num(1), num(2)})}), "a field name of a shard is not a string"},
      {"-ERR unknown subcommand 'SHARDS'\r\n",
       "the server replied with an error: ERR unknown subcommand 'SHARDS'"},
      {num(3), "the reply is a number, not an array"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    EXPECT_EQ(parse_fails(parse_cluster_shards, c.reply), c.why);
  }
}

// A CLUSTER SLOTS node: [endpoint, port, id], and metadata when given.
std::string slot_node(std::string endpoint, std::int64_t port, std::string_view id) {
  return arr({std::move(endpoint), num(port), bulk(id), map3({{"hostname", bulk("n")}})});
}

TEST(cluster_slots_malformed_test, slots_merge_ranges_and_endpoints) {
  const std::string good = arr(
      {arr({num(0), num(10), slot_node(bulk(""), 7000, "a"), slot_node(null3(), 7001, "b")}),
       arr({num(11), num(20), slot_node(bulk("h3"), 7002, "c"), arr({bulk("?"), num(7003)})}),
       arr({num(21), num(16383), slot_node(bulk(""), 7000, "a"), slot_node(null3(), 7001, "b")})});
  const slot_map m = parse_ok(parse_cluster_slots, good, "q");
  ASSERT_EQ(m.shards().size(), 2u);
  ASSERT_EQ(m.nodes().size(), 4u);
  EXPECT_TRUE(m.covers_all());
  const shard& a = m.shards()[0];
  EXPECT_EQ(a.ranges, (std::vector<slot_range>{{0, 10}, {21, 16383}}));
  EXPECT_EQ(a.replicas, (std::vector<std::size_t>{1}));
  EXPECT_EQ(m.nodes()[a.master].host, "q");
  EXPECT_EQ(m.nodes()[1].host, "q");
  EXPECT_EQ(m.master_of(15)->host, "h3");
  EXPECT_EQ(m.nodes()[3].id, "");  // an old server's node: no id
  EXPECT_FALSE(m.nodes()[3].reachable);
}

TEST(cluster_slots_malformed_test, slots_refused_with_reasons) {
  const std::string a = slot_node(bulk("h"), 7000, "a");
  const struct {
    std::string reply;
    std::string why;
  } cases[] = {
      {arr({arr({num(0), num(17000), a})}), "slot 17000 out of range"},
      {arr({arr({num(0), num(10), a}), arr({num(10), num(12), a})}), "slot 10 is claimed twice"},
      {arr({arr({num(0), num(10)})}), "a slot entry without a master"},
      {arr({arr({num(0), bulk("ten"), a})}), "a slot is not an integer"},
      {arr({arr({num(0), num(10), arr({bulk("h")})})}), "a node without a port"},
      {arr({arr({num(0), num(10), arr({bulk("h"), num(0)})})}), "port 0 out of range"},
      {arr({arr({num(0), num(10), arr({num(1), num(7000)})})}),
       "the endpoint of a node is not a string"},
      {arr({arr({num(0), num(10), arr({bulk("h"), num(7000), num(5)})})}),
       "the id of a node is not a string"},
      {arr({arr({num(0), num(10), arr({bulk("h"), num(7000), bulk("a"), arr({num(1)})})})}),
       "the metadata of a node is not a map"},
      {arr({arr({num(0), num(10), a, a})}), "node a is both a master and a replica"},
      {arr({arr({num(0), num(10), a, slot_node(bulk("h"), 7001, "r")}),
            arr({num(11), num(12), slot_node(bulk("h"), 7002, "b"),
                 slot_node(bulk("h"), 7001, "r")})}),
       "node r is the replica of two masters"},
      {arr({num(1)}), "a slot entry is not an array"},
      {arr({arr({num(0), num(10), num(1)})}), "a node is not an array"},
      {"-ERR This instance has cluster support disabled\r\n",
       "the server replied with an error: ERR This instance has cluster support disabled"},
      {map3({}), "the reply is a map, not an array"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.why);
    EXPECT_EQ(parse_fails(parse_cluster_slots, c.reply), c.why);
  }
}

}  // namespace
