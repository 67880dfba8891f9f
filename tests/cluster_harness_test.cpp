// Tests of the cluster harness itself, against real redis-server processes in cluster mode:
// the cluster it creates is whole and routes keys, and each topology change it provokes
// (failover, slot migration, a master's death) ends with the slots and keys where they belong.
//
// Each test starts its own cluster of 3 masters and 3 replicas: ctest runs every case in a
// process of its own, so a shared cluster would be started once per case anyway, and a fresh
// one keeps the cases independent.
#include "cluster_harness.hpp"

#include "server_process_posix.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <set>
#include <string>
#include <vector>

namespace respool::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::size_t slot_count = 16384;

// A 3 x (1 + 1) cluster with the default node timeout (1 s).
cluster_options three_by_two() { return cluster_options{}; }

// The slot of `key` according to the server, checked against respool's own hash_slot.
std::uint16_t keyslot(cluster_harness& cluster, const std::string& key) {
  std::string why;
  const std::string reply = cluster.text(0, {"CLUSTER", "KEYSLOT", key}, why);
  EXPECT_FALSE(reply.empty()) << why;
  EXPECT_EQ(reply, std::to_string(cluster::hash_slot(key))) << key;
  return cluster::hash_slot(key);
}

// The owner of `key`'s slot, as a node index (fails the test when there is none).
std::size_t owner_of(cluster_harness& cluster, const std::string& key) {
  const int owner = cluster.master_of_slot(keyslot(cluster, key));
  EXPECT_GE(owner, 0) << key;
  return owner < 0 ? 0 : static_cast<std::size_t>(owner);
}

// A master other than `master`.
std::size_t other_master(cluster_harness& cluster, std::size_t master) {
  for (const auto m : cluster.masters()) {
    if (m != master) return m;
  }
  ADD_FAILURE() << "no master besides node " << master;
  return master;
}

// One SET on a fresh connection to `port`, after ASKING when `asking`: the reply, or "" and why.
std::string send_set(std::uint16_t port, bool asking, const std::string& key, std::string& why) {
  const posix::unique_fd fd(posix::connect_tcp(port, 5s, why));
  if (fd.get() < 0) return {};
  std::string request = asking ? encode_command({"ASKING"}) : std::string();
  request += encode_command({"SET", key, "written"});
  posix::reply_reader reader(fd.get());
  std::string asked, reply;
  if (!posix::send_all(fd.get(), request, why) || (asking && !reader.read_reply(asked, why)) ||
      !reader.read_reply(reply, why)) {
    return {};
  }
  return reply;
}

// Writes {moved}:w0, {moved}:w1, ... until `stop`, starting at `port` and following -MOVED and
// -ASK the way a cluster client does. Returns how many keys it wrote; says why it gave up.
std::size_t write_until(const std::atomic<bool>& stop, std::uint16_t port, std::string& error) {
  std::size_t written = 0;
  for (; !stop; ++written) {
    const std::string key = fmt::format("{{moved}}:w{}", written);
    std::uint16_t target = port;
    bool asking = false;
    for (int hop = 0;; ++hop) {
      std::string why;
      const std::string reply = send_set(target, asking, key, why);
      if (reply == "+OK\r\n") break;
      const bool moved = reply.rfind("-MOVED ", 0) == 0;
      asking = reply.rfind("-ASK ", 0) == 0;
      const auto colon = reply.rfind(':');
      if (hop == 3 || (!moved && !asking) || colon == std::string::npos) {
        error = fmt::format("SET {}: {}", key, reply.empty() ? why : reply);
        return written;
      }
      target = static_cast<std::uint16_t>(std::stoi(reply.substr(colon + 1)));
      if (moved) port = target;
    }
  }
  return written;
}

TEST(cluster_harness_test, starts_a_covered_cluster_that_routes_keys) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, three_by_two());
  ASSERT_EQ(cluster->size(), 6U);
  const auto masters = cluster->masters();
  ASSERT_EQ(masters.size(), 3U);
  std::set<std::size_t> everyone(masters.begin(), masters.end());
  for (const auto m : masters) {
    const auto replicas = cluster->replicas_of(m);
    ASSERT_EQ(replicas.size(), 1U) << "master node " << m;
    everyone.insert(replicas.front());
  }
  EXPECT_EQ(everyone.size(), 6U);

  std::string why;
  for (std::size_t i = 0; i < cluster->size(); ++i) {
    const std::string info = cluster->text(i, {"CLUSTER", "INFO"}, why);
    EXPECT_NE(info.find("cluster_slots_ok:16384"), std::string::npos) << "node " << i << info;
  }
  const auto owners = cluster->slot_owners();
  ASSERT_EQ(owners.size(), slot_count);
  for (std::size_t slot = 0; slot < slot_count; ++slot) {
    ASSERT_TRUE(std::count(masters.begin(), masters.end(), owners[slot]) == 1) << slot;
  }
  const std::string seeds = cluster->seeds();
  EXPECT_EQ(std::count(seeds.begin(), seeds.end(), ','), 5) << seeds;
  EXPECT_NE(seeds.find(cluster->seed()), std::string::npos) << seeds;

  const std::string key = "harness:routed";
  const auto owner = owner_of(*cluster, key);
  EXPECT_EQ(cluster->text(owner, {"SET", key, "here"}, why), "OK") << why;
  EXPECT_EQ(cluster->text(owner, {"GET", key}, why), "here") << why;
  const auto elsewhere = other_master(*cluster, owner);
  const std::string moved = cluster->command(elsewhere, {"GET", key}, why);
  const std::string expected = fmt::format("-MOVED {} 127.0.0.1:{}\r\n", cluster::hash_slot(key),
                                           cluster->node(owner).port());
  EXPECT_EQ(moved, expected);
}

TEST(cluster_harness_test, failover_promotes_the_replica_to_the_same_slots) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, three_by_two());
  std::string why;
  const std::string key = "harness:failover";
  const auto master = owner_of(*cluster, key);
  ASSERT_EQ(cluster->text(master, {"SET", key, "kept"}, why), "OK") << why;
  const auto replicas = cluster->replicas_of(master);
  ASSERT_EQ(replicas.size(), 1U);
  const auto replica = replicas.front();
  const auto before = cluster->slot_owners();

  ASSERT_TRUE(cluster->failover(replica, why)) << why;
  const auto after = cluster->slot_owners();
  ASSERT_EQ(after.size(), slot_count);
  for (std::size_t slot = 0; slot < slot_count; ++slot) {
    const int expected =
        before[slot] == static_cast<int>(master) ? static_cast<int>(replica) : before[slot];
    ASSERT_EQ(after[slot], expected) << slot;
  }
  EXPECT_EQ(cluster->replicas_of(replica), std::vector<std::size_t>{master});
  EXPECT_EQ(cluster->text(replica, {"GET", key}, why), "kept") << why;
}

TEST(cluster_harness_test, move_slot_carries_its_keys_to_the_new_owner) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, three_by_two());
  std::string why;
  const std::uint16_t slot = keyslot(*cluster, "{moved}");
  const auto from = owner_of(*cluster, "{moved}");
  const auto to = other_master(*cluster, from);
  std::vector<std::string> mset = {"MSET"}, mget = {"MGET"};
  for (int i = 0; i < 500; ++i) {
    const std::string key = fmt::format("{{moved}}:{}", i);
    mset.insert(mset.end(), {key, fmt::format("v{}", i)});
    mget.push_back(key);
  }
  ASSERT_EQ(cluster->text(from, mset, why), "OK") << why;

  // A client keeps writing new keys to the slot while it moves, and none of them is lost.
  std::atomic<bool> stop{false};
  std::string writer_error;
  auto writer = std::async(std::launch::async, write_until, std::cref(stop),
                           cluster->node(from).port(), std::ref(writer_error));
  const bool moved_ok = cluster->move_slot(slot, to, why);
  stop = true;
  const std::size_t written = writer.get();
  ASSERT_TRUE(moved_ok) << why;
  EXPECT_EQ(writer_error, "");
  EXPECT_GT(written, 0U);

  EXPECT_EQ(cluster->master_of_slot(slot), static_cast<int>(to));
  const std::string number = std::to_string(slot);
  EXPECT_EQ(cluster->text(to, {"CLUSTER", "COUNTKEYSINSLOT", number}, why),
            std::to_string(500 + written))
      << why;
  EXPECT_EQ(cluster->text(from, {"CLUSTER", "COUNTKEYSINSLOT", number}, why), "0") << why;
  const std::string values = cluster->command(to, mget, why);
  ASSERT_EQ(values.rfind("*500\r\n", 0), 0U) << why << values.substr(0, 100);
  for (int i = 0; i < 500; ++i) {
    const std::string value = fmt::format("v{}", i);
    ASSERT_NE(values.find(fmt::format("${}\r\n{}\r\n", value.size(), value)), std::string::npos)
        << value;
  }
  const std::string moved = cluster->command(from, {"GET", "{moved}:0"}, why);
  EXPECT_EQ(moved, fmt::format("-MOVED {} 127.0.0.1:{}\r\n", slot, cluster->node(to).port()));
}

TEST(cluster_harness_test, kill_of_a_master_hands_its_slots_to_its_replica) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, three_by_two());
  std::string why;
  const std::string key = "harness:killed";
  const auto master = owner_of(*cluster, key);
  const auto replicas = cluster->replicas_of(master);
  ASSERT_EQ(replicas.size(), 1U);
  ASSERT_EQ(cluster->text(master, {"SET", key, "survives"}, why), "OK") << why;
  // Replication is asynchronous: make sure the replica has the key before its master dies.
  ASSERT_TRUE(cluster->wait_replicated(master, 5s, why)) << why;

  const auto started = steady::now();
  ASSERT_TRUE(cluster->kill(master, why)) << why;
  EXPECT_LT(steady::now() - started, 6s);
  EXPECT_FALSE(cluster->alive(master));
  EXPECT_EQ(cluster->master_of_slot(cluster::hash_slot(key)), static_cast<int>(replicas.front()));
  const auto masters = cluster->masters();
  EXPECT_EQ(std::count(masters.begin(), masters.end(), replicas.front()), 1);
  EXPECT_EQ(cluster->text(replicas.front(), {"GET", key}, why), "survives") << why;
}

}  // namespace
}  // namespace respool::test
