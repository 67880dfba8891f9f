// respool-benchmark --cluster without a server: the option, the slot tags that replace
// "{tag}", the tagged test list, the reading of CLUSTER NODES, and the lines printed about the
// cluster, against what redis-benchmark 7.0 prints.
#include "cluster_nodes.hpp"
#include "options.hpp"
#include "report.hpp"
#include "suite.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace rb = respool::benchmark;

namespace {

// Three masters as a node of a 3-master, 3-replica cluster lists them, the queried node
// ("myself") in the middle, the replicas in between, and a master left without slots.
constexpr std::string_view nodes_reply =
    "994d8773 127.0.0.1:30003@40003 master - 0 1796622215089 3 connected 10923-16383\n"
    "b528a9ce 127.0.0.1:30006@40006 slave 6adf1451 0 1796622215089 1 connected\n"
    "4883345a 127.0.0.1:30002@40002,node-b master - 0 1796622215089 2 connected 5461 "
    "5462-10922 [5461->-994d8773]\n"
    "6adf1451 :30001@40001 myself,master - 0 1796622215000 1 connected [7-<-4883345a] 0-5460\n"
    "79e1a9fa 127.0.0.1:30004@40004 slave 4883345a 0 1796622215000 2 connected\n"
    "0f0f0f0f 127.0.0.1:30007@40007 master - 0 1796622215000 4 connected\n";

}  // namespace

TEST(benchmark_cluster_nodes_test, cluster_is_an_option) {
  const std::vector<std::string_view> with{"--cluster", "-p", "30001"};
  const rb::parse_result r = rb::parse_options(with);
  ASSERT_EQ(r.action, rb::parse_action::run);
  EXPECT_TRUE(r.opts.cluster);
  EXPECT_EQ(r.opts.server.port, 30001);
  EXPECT_FALSE(rb::parse_options(std::vector<std::string_view>{"-q"}).opts.cluster);
  EXPECT_NE(rb::usage_text().find(" --cluster "), std::string::npos);
}

TEST(benchmark_cluster_nodes_test, every_slot_has_a_tag_that_hashes_to_it) {
  for (unsigned slot = 0; slot < respool::cluster::slot_count; ++slot) {
    const std::string_view tag = rb::slot_tag(static_cast<std::uint16_t>(slot));
    ASSERT_EQ(tag.size(), 3u);
    ASSERT_EQ(tag.find('{'), std::string_view::npos) << slot;
    ASSERT_NE(tag[0], '}') << slot;
    // In place of "tag" in a key, as the load generator writes it.
    std::string key = "key:{";
    key += tag;
    key += "}:000000000042";
    ASSERT_EQ(respool::cluster::hash_slot(key), slot) << key;
  }
}

TEST(benchmark_cluster_nodes_test, cluster_tests_tag_every_key) {
  const auto tests = rb::default_tests("", "xyz", false, true);
  ASSERT_FALSE(tests.empty());
  for (const rb::test_case& t : tests) {
    if (t.title.rfind("PING", 0) == 0) continue;
    // The key, always the first argument, carries the tag after its base name.
    EXPECT_NE(t.args.at(1).find(":{tag}"), std::string::npos) << t.title << ": " << t.args[1];
  }
  const auto set = rb::default_tests(",set,mset,", "xyz", false, true);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].args, (std::vector<std::string>{"SET", "key:{tag}:__rand_int__", "xyz"}));
  // MSET's ten keys share the placeholder, hence one slot once it is replaced.
  ASSERT_EQ(set[1].args.size(), 21u);
  for (std::size_t i = 1; i < 21; i += 2) EXPECT_EQ(set[1].args[i], "key:{tag}:__rand_int__");
  // Without --cluster the keys stay as they were.
  EXPECT_EQ(rb::default_tests(",get,", "xyz", false).at(0).args[1], "key:__rand_int__");
}

TEST(benchmark_cluster_nodes_test, reads_masters_with_slots_in_the_nodes_order) {
  std::vector<rb::cluster_master> masters;
  std::vector<std::string> warnings;
  std::string why;
  ASSERT_TRUE(rb::parse_cluster_nodes(nodes_reply, "localhost", masters, warnings, why)) << why;
  ASSERT_EQ(masters.size(), 3u);
  EXPECT_EQ(masters[0].id, "994d8773");
  EXPECT_EQ(masters[0].host, "127.0.0.1");
  EXPECT_EQ(masters[0].port, 30003);
  EXPECT_EQ(masters[0].first_slot, 10923);
  EXPECT_EQ(masters[1].port, 30002);
  EXPECT_EQ(masters[1].first_slot, 5461);
  // The node queried, listed with no address of its own, takes the address asked; the
  // importing slot in brackets is not one it serves.
  EXPECT_EQ(masters[2].host, "localhost");
  EXPECT_EQ(masters[2].port, 30001);
  EXPECT_EQ(masters[2].first_slot, 0);
  EXPECT_EQ(warnings, std::vector<std::string>{
                          "WARNING: Master node 127.0.0.1:30007 has no slots, skipping..."});
}

TEST(benchmark_cluster_nodes_test, refuses_a_line_without_flags) {
  std::vector<rb::cluster_master> masters;
  std::vector<std::string> warnings;
  std::string why;
  EXPECT_FALSE(rb::parse_cluster_nodes("994d8773 127.0.0.1:30003@40003\n", "127.0.0.1", masters,
                                       warnings, why));
  EXPECT_EQ(why, "Invalid CLUSTER NODES reply: missing flags.");
}

TEST(benchmark_cluster_nodes_test, banner_is_redis_benchmarks) {
  std::vector<rb::cluster_master> masters(2);
  masters[0].id = "994d87732ee743cf4cd8f5e30858b5a277f46833";
  masters[0].host = "127.0.0.1";
  masters[0].port = 30003;
  masters[1].host = "127.0.0.1";
  masters[1].port = 30002;
  EXPECT_EQ(rb::cluster_banner(masters),
            "Cluster has 2 master nodes:\n\n"
            "Master 0: 994d87732ee743cf4cd8f5e30858b5a277f46833 127.0.0.1:30003\n"
            "Master 1: 127.0.0.1:30002\n\n");
}

TEST(benchmark_cluster_nodes_test, report_shows_each_masters_settings) {
  rb::run_settings run;
  run.threads = 3;
  run.server = rb::server_settings{"3600 1", "yes"};  // not shown on a cluster
  run.cluster = {rb::server_settings{"", "no"}, std::nullopt, rb::server_settings{"3600 1", "yes"}};
  rb::test_figures t;
  t.title = "SET";
  t.requests = 1;
  t.seconds = 0.5;
  t.latency.record(1000000, 1);
  const std::string report = rb::full_report(run, t);
  EXPECT_NE(report.find("  keep alive: 1\n"
                        "  cluster mode: yes (3 masters)\n"
                        "  node [0] configuration:\n"
                        "    save: NONE\n"
                        "    appendonly: no\n"
                        "  node [2] configuration:\n"
                        "    save: 3600 1\n"
                        "    appendonly: yes\n"
                        "  multi-thread: yes\n"
                        "  threads: 3\n"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("host configuration"), std::string::npos);
  EXPECT_NE(rb::json_report(run, {&t, 1}, "v").find("\"cluster_masters\": 3"), std::string::npos);
}
