// respool-cli's cluster manager (--cluster) against redis-cli's: the same command lines through
// both tools, on private cluster-mode servers, with stdout, stderr and exit status compared.
//
// Where both tools read the same cluster (check, info, call, set-timeout) the bytes must be
// the same. Two `create` runs cannot share nodes, so each tool creates a cluster of six fresh
// nodes of its own; their outputs are compared after three substitutions, each for a reason
// that is not a difference between the tools:
// - node ids are random per node (and which master a replica gets is drawn at random by
//   redis-cli when all nodes share one host): every id becomes <id>;
// - the ports are the harness's: each becomes the index of its node on the command line;
// - the dots of "Waiting for the cluster to join" count seconds of waiting;
// and the node list of the final check, whose order is that of the first node's CLUSTER NODES
// (hashed node ids), is sorted.
#include "cli_cluster_manager_support.hpp"
#include "cli_runner.hpp"
#include "cluster_harness.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

namespace {

using respool::test::cluster_harness;
using respool::test::cluster_options;
namespace cli = respool::test::cli;
using namespace std::chrono_literals;
using namespace respool::test::cluster_manager;

std::vector<std::string> create_args(cluster_harness& c, std::vector<std::string> extra) {
  std::vector<std::string> args{"--cluster", "create"};
  for (std::size_t i = 0; i < c.size(); ++i) args.push_back(address(c, i));
  args.insert(args.end(), {"--cluster-replicas", "1"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The node blocks ("M: ..." or "S: ..." and their indented lines) after the line starting
// with `heading`, sorted.
std::string sort_nodes_after(const std::string& text, const std::string& heading) {
  std::vector<std::string> lines = lines_with_ends(text);
  auto it = std::find_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.starts_with(heading); });
  if (it == lines.end()) return text;
  std::vector<std::string> blocks;
  auto line = it + 1;
  for (; line != lines.end(); ++line) {
    if (line->starts_with("M: ") || line->starts_with("S: ")) {
      blocks.push_back(*line);
    } else if (line->starts_with("   ") && !blocks.empty()) {
      blocks.back() += *line;
    } else {
      break;
    }
  }
  std::sort(blocks.begin(), blocks.end());
  std::string out;
  for (auto l = lines.begin(); l != it + 1; ++l) out += *l;
  for (const auto& b : blocks) out += b;
  for (; line != lines.end(); ++line) out += *line;
  return out;
}

// A create's output with the substitutions this file's header explains.
std::string normalise_create(std::string text, cluster_harness& c) {
  text = without_ids(std::move(text));
  for (std::size_t i = 0; i < c.size(); ++i) {
    const std::regex port("127\\.0\\.0\\.1:" + std::to_string(c.node(i).port()) + "(?![0-9])");
    text = std::regex_replace(text, port, "127.0.0.1:<node " + std::to_string(i) + ">");
  }
  static const std::regex dots("Waiting for the cluster to join\n\\.*\n");
  text = std::regex_replace(text, dots, "Waiting for the cluster to join\n<dots>\n");
  return sort_nodes_after(text, ">>> Performing Cluster Check");
}

// Keys on every master, so that info has keys to count, copied to the replicas.
void write_keys(cluster_harness& c) {
  std::string why;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::string slot = c.text(0, {"CLUSTER", "KEYSLOT", key}, why);
    ASSERT_FALSE(slot.empty()) << why;
    const int owner = c.master_of_slot(static_cast<std::uint16_t>(std::stoi(slot)));
    ASSERT_GE(owner, 0);
    EXPECT_EQ(c.text(static_cast<std::size_t>(owner), {"SET", key, "v"}, why), "OK") << why;
  }
  // The replicas too (`call dbsize` asks them), before either tool looks.
  for (const auto m : c.masters()) EXPECT_TRUE(c.wait_replicated(m, 10s, why)) << why;
}

// What create made of `c`: every slot served, three masters with one replica each.
void expect_three_masters_with_a_replica_each(cluster_harness& c) {
  std::string why;
  ASSERT_TRUE(c.wait_ok(30s, why)) << why;
  const auto owners = c.slot_owners();
  ASSERT_EQ(owners.size(), 16384U);
  EXPECT_TRUE(std::all_of(owners.begin(), owners.end(), [](int o) { return o >= 0; }));
  const auto masters = c.masters();
  EXPECT_EQ(masters.size(), 3U);
  for (const auto m : masters) EXPECT_EQ(c.replicas_of(m).size(), 1U) << "node " << m;
}

// The commands that only read the cluster, or send each node a command, by both tools.
void expect_same_reports(cluster_harness& c) {
  const std::string seed = address(c, 0);
  const std::string port = std::to_string(c.node(0).port());
  expect_same({"--cluster", "check", seed});
  expect_same({"--cluster", "info", seed});
  expect_same({"--cluster", "check", "127.0.0.1", port, "--cluster-yes"});
  expect_same({"--cluster", "call", seed, "dbsize"});
  expect_same({"--cluster", "call", seed, "get", "key:1"});
  expect_same(
      {"--cluster", "call", seed, "cluster", "countkeysinslot", "0", "--cluster-only-masters"});
  expect_same({"-d", ",", "--cluster-only-replicas", "--cluster", "call", seed, "config", "get",
               "cluster-node-timeout"});
}

TEST(cli_cluster_manager, create_check_info_call_and_set_timeout_as_redis_cli) {
  cluster_options fresh;
  fresh.create = false;
  RESPOOL_START_CLUSTER_OR_SKIP(theirs, fresh);
  RESPOOL_START_CLUSTER_OR_SKIP(ours, fresh);

  // Declined at the prompt: the plan, the question, then nothing (status 0). Nothing changes,
  // so both tools can be asked on the same nodes.
  expect_same(create_args(*ours, {}), "no\n", without_ids);

  const outcome by_redis_cli = run_tool("redis-cli", create_args(*theirs, {"--cluster-yes"}), "");
  const outcome by_respool = run_tool(RESPOOL_CLI_PATH, create_args(*ours, {"--cluster-yes"}), "");
  const std::string expected = normalise_create(by_redis_cli.out, *theirs);
  const std::string actual = normalise_create(by_respool.out, *ours);
  EXPECT_TRUE(actual == expected) << cli::diff_text(expected, actual);
  EXPECT_EQ(by_respool.err, by_redis_cli.err);
  EXPECT_EQ(by_respool.status, by_redis_cli.status);
  expect_three_masters_with_a_replica_each(*theirs);
  expect_three_masters_with_a_replica_each(*ours);

  // The clusters are not empty any more.
  expect_same(create_args(*ours, {"--cluster-yes"}));
  for (cluster_harness* c : {theirs.get(), ours.get()}) {
    write_keys(*c);
    expect_same_reports(*c);
  }
  expect_same({"--cluster", "set-timeout", address(*ours, 1), "1500"});
  expect_same({"--cluster", "set-timeout", address(*ours, 1), "99"});
}

// Slots being moved: six of them, enough for redis-cli's table of open slots to grow (the
// order it lists them in follows that table).
TEST(cli_cluster_manager, open_slots_and_unreachable_nodes_as_redis_cli) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  std::string why;
  const auto masters = cluster->masters();
  ASSERT_EQ(masters.size(), 3U);
  const std::size_t from = static_cast<std::size_t>(cluster->master_of_slot(0));
  const std::size_t to = from == masters[0] ? masters[1] : masters[0];
  const std::vector<std::string> slots{"0", "1", "2", "3", "10", "11"};
  for (const std::string& slot : slots) {
    ASSERT_EQ(
        cluster->text(to, {"CLUSTER", "SETSLOT", slot, "IMPORTING", cluster->node_id(from)}, why),
        "OK")
        << why;
    ASSERT_EQ(
        cluster->text(from, {"CLUSTER", "SETSLOT", slot, "MIGRATING", cluster->node_id(to)}, why),
        "OK")
        << why;
  }
  const std::string seed = address(*cluster, 0);
  expect_same({"--cluster", "check", seed});
  for (const std::string& slot : slots) {
    for (const std::size_t n : {from, to})
      cluster->text(n, {"CLUSTER", "SETSLOT", slot, "STABLE"}, why);
  }
  expect_same({"--cluster", "check", seed, "--cluster-search-multiple-owners"});

  // A master and its only replica die: no one can take over, their slots are not covered.
  std::size_t victim = masters[0] == 0 ? masters[1] : masters[0];
  const auto replicas = cluster->replicas_of(victim);
  ASSERT_EQ(replicas.size(), 1U);
  ASSERT_NE(replicas[0], 0U);
  cluster->node(replicas[0]).kill_hard();
  cluster->node(victim).kill_hard();
  expect_same({"--cluster", "check", seed});
  expect_same({"--cluster", "info", seed});
  expect_same({"--cluster", "call", seed, "ping"});
}

TEST(cli_cluster_manager, wrong_usage_and_unusable_nodes_as_redis_cli) {
  cluster_options fresh;
  fresh.create = false;
  fresh.replicas_per_master = 0;
  RESPOOL_START_CLUSTER_OR_SKIP(nodes, fresh);
  RESPOOL_START_SERVER_OR_SKIP(plain, respool::test::server_options{});
  const std::string node = address(*nodes, 0);
  const std::string not_cluster = "127.0.0.1:" + std::to_string(plain->port());
  // A port nothing listens on: the plain server's, once it is gone.
  RESPOOL_START_SERVER_OR_SKIP(gone, respool::test::server_options{});
  const std::string closed = "127.0.0.1:" + std::to_string(gone->port());
  gone.reset();

  expect_same({"--cluster", "help"});
  expect_same({"--cluster", "help", "with", "words"});
  expect_same({"--cluster", "frobnicate", node});
  expect_same({"--cluster", "--cluster-yes"});
  expect_same({"--cluster", "check"});
  expect_same({"--cluster", "create", node});
  expect_same({"--cluster", "set-timeout", node});
  expect_same({"--cluster", "check", "no-port-here"});
  expect_same({"--cluster", "info", "127.0.0.1", "0"});
  expect_same({"--cluster", "call", "127.0.0.1", "ping"});
  expect_same({"--cluster", "create", "a", "b", "c"});
  expect_same({"--cluster", "set-timeout", node, "99"});
  expect_same({"--cluster-replicas"});
  expect_same({"--cluster-weight"});
  expect_same({"--cluster-replica", "--cluster", "check", node});
  expect_same({"--cluster-weight", "a=1", "b=2", "--cluster-weight", "c=3"});
  expect_same({"--cluster", "check", closed});
  // AUTH refused (the node has no password): the node's error, status 1.
  expect_same({"-a", "wrong", "--cluster", "check", node});
  expect_same({"--cluster", "info", "localhost", std::to_string(nodes->node(0).port())});
  expect_same({"--cluster", "check", not_cluster});
  expect_same({"--cluster", "info", not_cluster});
  expect_same({"--cluster", "create", not_cluster, node});
  // One node alone: a cluster without slots.
  expect_same({"--cluster", "info", node});
  expect_same({"--cluster", "check", node});
  expect_same({"--cluster", "check", node, "--cluster-yes", "ignored", "words"});
  expect_same({"--cluster", "check", "--cluster-yes", node, "two", "words"});
  expect_same({"--cluster", "create", node, address(*nodes, 1)});
  expect_same({"--cluster", "call", node, "echo", "hello world"});
  expect_same({"-x", "--cluster", "call", node, "echo"}, "from stdin\n");
  expect_same({"-X", "tag", "--cluster", "call", node, "echo", "no"}, "x");
  expect_same({"-X", "tag", "--cluster", "call", node, "echo", "tag"}, "x");
  expect_same({"--cluster", "backup", node});
  expect_same({"--cluster", "backup", closed, "/tmp"});
  expect_same({"--cluster", "backup", "no-port-here", "/tmp"});
}

}  // namespace
