// The respool-benchmark executable with --cluster against a private Redis Cluster (3 masters,
// 3 replicas) that each test starts: the tests run and report, the keys land on the masters
// that serve them, and a run goes on through two failovers.
#include "benchmark_process.hpp"
#include "cluster_harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::cluster_harness;
using respool::test::cluster_options;
using respool::test::json_count;
using respool::test::run_benchmark;

std::string port_of_first_node(cluster_harness& cluster) {
  return std::to_string(cluster.node(0).port());
}

// The requests per second of `title`'s -q line ("SET: 81234.77 requests per second, ..."),
// or -1 when there is none. The progress lines before it start the same way: the -q line is
// the last one.
double quiet_rate(const std::string& out, const std::string& title) {
  const std::size_t at = out.rfind("\r" + title + ": ");
  if (at == std::string::npos) return -1;
  const std::size_t number = at + 1 + title.size() + 2;
  const std::size_t end = out.find(" requests per second", number);
  if (end == std::string::npos || out.find('\n', number) < end) return -1;
  return std::strtod(out.c_str() + number, nullptr);
}

}  // namespace

TEST(benchmark_cluster_test, quiet_run_reports_every_test) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const auto r = run_benchmark("--cluster -p " + port_of_first_node(*cluster) +
                               " -t set,get,mset -n 20000 -q");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Cluster has 3 master nodes:\n\n"), std::string::npos) << r.out;
  for (std::size_t m : cluster->masters()) {
    // "Master i: <id> 127.0.0.1:<port>", in whatever order the node listed them.
    const std::string line =
        cluster->node_id(m) + " 127.0.0.1:" + std::to_string(cluster->node(m).port()) + "\n";
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
  for (const char* title : {"SET", "GET", "MSET (10 keys)"}) {
    EXPECT_GT(quiet_rate(r.out, title), 0) << title << "\n" << r.out;
  }
}

TEST(benchmark_cluster_test, keys_land_on_the_masters_that_serve_them) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const auto r = run_benchmark("--cluster -p " + port_of_first_node(*cluster) +
                               " -t set,mset -n 20000 -r 1000 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  // --json counts the cluster connections' work: each of the 50 clients reached the three
  // masters before the first test; the node connections' own counters are not reachable.
  const std::size_t totals = r.out.find("\n  \"connections\": null, \"cluster\": {");
  ASSERT_NE(totals, std::string::npos) << r.out;
  EXPECT_GE(json_count(r.out, totals, "nodes"), 3 * 50) << r.out;
  EXPECT_GE(json_count(r.out, totals, "refreshes"), 50) << r.out;
  const std::size_t set = r.out.find("\"cluster\": {", r.out.find("\"test\": \"SET\""));
  EXPECT_EQ(json_count(r.out, set, "nodes"), 0) << r.out;
  EXPECT_GE(json_count(r.out, set, "moved"), 0) << r.out;  // there, whatever its value
  const std::vector<std::size_t> masters = cluster->masters();
  ASSERT_EQ(masters.size(), 3u);
  for (std::size_t m : masters) {
    std::string why;
    const std::string size = cluster->text(m, {"DBSIZE"}, why);
    EXPECT_GT(std::atoll(size.c_str()), 0) << "master " << m << ": " << why;
    // A key it holds is of a slot it serves, in the tool's shape: key:{tag}:<12 digits>.
    const std::string key = cluster->text(m, {"RANDOMKEY"}, why);
    ASSERT_EQ(key.rfind("key:{", 0), 0u) << key << why;
    EXPECT_EQ(key.size(), std::string("key:{abc}:000000000000").size()) << key;
    const std::string slot = cluster->text(m, {"CLUSTER", "KEYSLOT", key}, why);
    EXPECT_EQ(cluster->master_of_slot(static_cast<std::uint16_t>(std::atoi(slot.c_str()))),
              static_cast<int>(m))
        << key;
  }
}

TEST(benchmark_cluster_test, run_completes_through_two_failovers) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::size_t> masters = cluster->masters();
  ASSERT_EQ(masters.size(), 3u);
  const std::vector<std::size_t> first = cluster->replicas_of(masters[0]);
  const std::vector<std::size_t> second = cluster->replicas_of(masters[1]);
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());

  // Three tests, long enough for both failovers (about 10 s on a 2-core machine).
  std::atomic<bool> finished{false};
  respool::test::process_output r;
  std::thread bench([&] {
    r = run_benchmark("--cluster -p " + port_of_first_node(*cluster) +
                      " -t set,get,incr -n 100000 -c 20 -r 100000 -q");
    finished = true;
  });
  std::this_thread::sleep_for(1s);
  std::string why;
  EXPECT_TRUE(cluster->failover(first.front(), why)) << why;
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(cluster->failover(second.front(), why)) << why;
  // Both failovers happened while the benchmark was sending.
  const bool during = !finished.load();
  bench.join();
  EXPECT_TRUE(during) << "the benchmark ended before the second failover: make it longer";
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* title : {"SET", "GET", "INCR"}) {
    EXPECT_GT(quiet_rate(r.out, title), 0) << title << "\n" << r.out;
  }
  // The masters did change: the replicas promoted serve slots now.
  const std::vector<std::size_t> now = cluster->masters();
  EXPECT_NE(std::find(now.begin(), now.end(), first.front()), now.end());
  EXPECT_NE(std::find(now.begin(), now.end(), second.front()), now.end());
}
