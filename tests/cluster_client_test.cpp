// client and sync_client over a real local Redis Cluster (3 masters, 3 replicas) that each
// test starts itself: typed commands and pipelines across slots, scripts loaded on every
// master by the NOSCRIPT fallback, a transaction, many threads at once, and a failover.
#include "cluster_connection_support.hpp"
#include "cluster_harness.hpp"
#include <respool/client/client.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/cluster.hpp>
#include <respool/protocol/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::cluster_harness;
using respool::test::cluster_options;
using respool::test::with_cluster;
namespace cmd = respool::cmd;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// A key on each master, as the cluster sees them now: key i is on masters()[i].
std::vector<std::string> key_per_master(cluster_harness& cluster, const std::string& prefix) {
  const std::vector<std::size_t> masters = cluster.masters();
  std::vector<std::string> keys(masters.size());
  std::size_t found = 0;
  for (int n = 0; found < masters.size() && n < 1000; ++n) {
    std::string key = prefix;
    key += std::to_string(n);
    const int owner = cluster.master_of_slot(respool::cluster::hash_slot(key));
    for (std::size_t m = 0; m < masters.size(); ++m) {
      if (owner >= 0 && static_cast<std::size_t>(owner) == masters[m] && keys[m].empty()) {
        keys[m] = key;
        ++found;
      }
    }
  }
  EXPECT_EQ(found, 3u) << "no key found on some master";
  return keys;
}

// Whether node i has the script of `sha` in its cache (SCRIPT EXISTS answers [1]).
bool script_cached(cluster_harness& cluster, std::size_t i, const std::string& sha) {
  std::string why;
  return cluster.command(i, {"SCRIPT", "EXISTS", sha}, why) == "*1\r\n:1\r\n";
}

// SORT's specs cannot name every key (STORE, BY, GET): the key they do name routes it,
// straight to its master, with no MOVED on the way.
asio::awaitable<void> sort_routes_by_its_key(respool::client& c,
                                             const std::vector<std::string>& keys) {
  const std::string list = keys[2] + "{s}";
  const std::string sorted = keys[0] + "{s}";
  const std::string_view items[] = {"3", "1", "2"};
  auto [ec7, pushed] = co_await c.async_exec(cmd::rpush(list, items), as_tuple);
  EXPECT_FALSE(ec7) << ec7.message();
  EXPECT_EQ(pushed, 3);
  const auto moved = c.get_cluster().stats().moved;
  auto [ec8, order] = co_await c.async_exec<std::vector<std::string>>("SORT", list, as_tuple);
  EXPECT_FALSE(ec8) << ec8.message();
  EXPECT_EQ(order, (std::vector<std::string>{"1", "2", "3"}));
  auto [ec9, count] =
      co_await c.async_exec<long long>("SORT", list, "DESC", "STORE", sorted, as_tuple);
  EXPECT_FALSE(ec9) << ec9.message();
  EXPECT_EQ(count, 3);
  auto [ec10, stored_order] = co_await c.async_exec(cmd::lrange(sorted, 0, -1), as_tuple);
  EXPECT_FALSE(ec10) << ec10.message();
  EXPECT_EQ(stored_order, (std::vector<std::string>{"3", "2", "1"}));
  EXPECT_EQ(c.get_cluster().stats().moved, moved);
}

TEST(cluster_client, typed_commands_and_a_pipeline_across_slots) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> keys = key_per_master(*cluster, "typed:");
  ASSERT_EQ(keys.size(), 3u);
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    respool::client c(conn);
    EXPECT_TRUE(c.on_cluster());
    EXPECT_THROW((void)c.get_connection(), std::logic_error);
    for (const std::string& key : keys) {
      const std::string value = "v:" + key;
      auto [ec, stored] = co_await c.async_exec(cmd::set(key, value), as_tuple);
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_TRUE(stored);
      auto [ec2, v] = co_await c.async_exec(cmd::get(key), as_tuple);
      EXPECT_FALSE(ec2) << ec2.message();
      EXPECT_EQ(v, value);
      // The same through a command by name.
      auto [ec3, n] = co_await c.async_exec<long long>("INCR", key + ":n", as_tuple);
      EXPECT_FALSE(ec3) << ec3.message();
      EXPECT_EQ(n, 1);
    }
    const std::string hash = keys[1] + ":h";
    auto [ec, added] = co_await c.async_exec(cmd::hset(hash, "f", "x"), as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(added, 1);
    auto [ec2, all] = co_await c.async_exec(cmd::hgetall(hash), as_tuple);
    EXPECT_FALSE(ec2) << ec2.message();
    EXPECT_EQ(all, (std::unordered_map<std::string, std::string>{{"f", "x"}}));

    // One request to three nodes: the results come back in the pipeline's order.
    const std::string n1 = keys[1] + ":n";
    const std::string n2 = keys[2] + ":n";
    auto [ec3, res] =
        co_await c.async_exec(cmd::pipeline(cmd::incr(n2), cmd::get(keys[0]), cmd::incr(n1),
                                            cmd::get(keys[2]), cmd::get("typed:missing")),
                              as_tuple);
    EXPECT_FALSE(ec3) << ec3.message();
    EXPECT_EQ(std::get<0>(res), 2);
    EXPECT_EQ(std::get<1>(res), "v:" + keys[0]);
    EXPECT_EQ(std::get<2>(res), 2);
    EXPECT_EQ(std::get<3>(res), "v:" + keys[2]);
    EXPECT_FALSE(std::get<4>(res).has_value());

    // Keys of one slot in one command ({tags}).
    const std::string a = keys[0] + "{t}";
    const std::string b = keys[1] + "{t}";
    auto [ec4, stored] = co_await c.async_exec(cmd::set(a, "1"), as_tuple);
    EXPECT_FALSE(ec4) << ec4.message();
    EXPECT_TRUE(stored);
    auto [ec5, values] =
        co_await c.async_exec<std::vector<std::optional<std::string>>>("MGET", b, a, as_tuple);
    EXPECT_FALSE(ec5) << ec5.message();
    EXPECT_EQ(values, (std::vector<std::optional<std::string>>{std::nullopt, "1"}));
    co_await sort_routes_by_its_key(c, keys);
    // A command that cannot be split is refused, with the cluster's error.
    auto [ec6, renamed] = co_await c.async_exec<std::string>("RENAME", keys[0], keys[1], as_tuple);
    EXPECT_EQ(ec6, respool::error::server_error);
    EXPECT_TRUE(c.get_cluster().topology().covers_all());
  });
  // Each key is on its master, written there by the client.
  const std::vector<std::size_t> masters = cluster->masters();
  std::string why;
  for (std::size_t m = 0; m < keys.size() && m < masters.size(); ++m) {
    EXPECT_EQ(cluster->text(masters[m], {"GET", keys[m]}, why), "v:" + keys[m]) << why;
  }
}

TEST(cluster_client, a_script_loads_on_every_master_and_a_transaction_runs_on_its_node) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> keys = key_per_master(*cluster, "script:");
  ASSERT_EQ(keys.size(), 3u);
  const std::vector<std::size_t> masters = cluster->masters();
  const respool::script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  for (std::size_t m : masters) EXPECT_FALSE(script_cached(*cluster, m, incr_by.sha1()));
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    respool::client c(conn);
    for (int round = 1; round <= 2; ++round) {
      for (const std::string& key : keys) {
        const std::string_view key_list[] = {key};
        const std::string_view args[] = {"5"};
        // The first round goes by source (NOSCRIPT on each node), the second by SHA.
        auto [ec, n] = co_await c.async_eval<long long>(incr_by, key_list, args, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(n, 5 * round);
      }
    }
    // A transaction of one slot ({tx} tags), on whichever node has it.
    auto [ec, res] =
        co_await c.async_exec(cmd::transaction(cmd::incr("{tx}.a"), cmd::incr("{tx}.a"),
                                               cmd::set("{tx}.b", "z"), cmd::get("{tx}.b")),
                              as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(res.has_value());
    if (!res) co_return;
    EXPECT_EQ(std::get<0>(*res), 1);
    EXPECT_EQ(std::get<1>(*res), 2);
    EXPECT_EQ(std::get<3>(*res), "z");
  });
  // Every master now has the script, loaded there by the fallback.
  for (std::size_t m : masters) EXPECT_TRUE(script_cached(*cluster, m, incr_by.sha1())) << m;
}

respool::cluster_config sync_config(cluster_harness& cluster) {
  respool::cluster_config cfg = respool::cluster_config_from_uri(cluster.seed());
  cfg.seeds.front().request_timeout = 20s;
  return cfg;
}

TEST(cluster_sync_client, commands_pipelines_scripts_and_transactions) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> keys = key_per_master(*cluster, "sync:");
  ASSERT_EQ(keys.size(), 3u);
  respool::sync_client redis(sync_config(*cluster));
  EXPECT_TRUE(redis.on_cluster());
  EXPECT_THROW((void)redis.get_connection(), std::logic_error);
  EXPECT_FALSE(redis.get_cluster().get_config().seeds.empty());

  const respool::script append_twice(
      "redis.call('APPEND', KEYS[1], ARGV[1]) return redis.call('APPEND', KEYS[1], ARGV[1])");
  for (const std::string& key : keys) {
    const std::string counter = key + ":n";
    const std::string hash = key + ":h";
    EXPECT_EQ(redis.exec<std::string>("SET", key, "a"), "OK");
    EXPECT_EQ(redis.exec(cmd::incr(counter)), 1);
    EXPECT_EQ(redis.exec(cmd::hset(hash, "f", key)), 1);
    EXPECT_EQ(redis.exec(cmd::hgetall(hash)),
              (std::unordered_map<std::string, std::string>{{"f", key}}));
    const std::string_view key_list[] = {key};
    const std::string_view args[] = {"b"};
    EXPECT_EQ(redis.eval<long long>(append_twice, key_list, args), 3);
  }
  for (std::size_t m : cluster->masters()) {
    EXPECT_TRUE(script_cached(*cluster, m, append_twice.sha1())) << m;
  }
  const std::string counter = keys[1] + ":n";
  const auto res = redis.exec(
      cmd::pipeline(cmd::get(keys[2]), cmd::get(keys[0]), cmd::incr(counter), cmd::get(keys[1])));
  EXPECT_EQ(std::get<0>(res), "abb");
  EXPECT_EQ(std::get<1>(res), "abb");
  EXPECT_EQ(std::get<2>(res), 2);
  EXPECT_EQ(std::get<3>(res), "abb");
  const auto tx = redis.exec(cmd::transaction(cmd::incr("{tx}.s"), cmd::incr("{tx}.s")));
  ASSERT_TRUE(tx.has_value());
  EXPECT_EQ(std::get<1>(*tx), 2);
  // SCAN over every master: each key once at least, and nothing else.
  std::set<std::string> scanned;
  for (const std::string& key : redis.scan("sync:*", 2)) scanned.insert(key);
  std::set<std::string> written;
  for (const std::string& key : keys) written.insert({key, key + ":n", key + ":h"});
  EXPECT_EQ(scanned, written);
  // A cluster's refusal is an error reply, as on a connection.
  std::error_code ec;
  (void)redis.exec<std::string>(ec, "RENAME", keys[0], keys[1]);
  EXPECT_EQ(ec, respool::error::server_error);
  try {
    (void)redis.exec<std::string>("RENAME", keys[0], keys[1]);
    ADD_FAILURE() << "RENAME across slots did not throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("CROSSSLOT"), std::string::npos) << e.what();
  }
}

TEST(cluster_sync_client, eight_threads_at_once_on_keys_across_slots) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  respool::sync_client redis(sync_config(*cluster));
  constexpr int threads = 8;
  constexpr int calls = 500;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        const std::string key = "mt:" + std::to_string(t) + ":" + std::to_string(i % 50);
        try {
          // Each thread owns its keys: the count is known.
          const long long n = redis.exec(cmd::incr(key));
          if (n != i / 50 + 1) ++wrong;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& th : pool) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  // The keys were spread over every master.
  std::set<int> owners;
  for (int i = 0; i < 50; ++i) {
    owners.insert(
        cluster->master_of_slot(respool::cluster::hash_slot("mt:0:" + std::to_string(i))));
  }
  EXPECT_EQ(owners.size(), 3u);
  EXPECT_EQ(redis.exec(cmd::get("mt:7:49")), std::to_string(calls / 50));
}

TEST(cluster_sync_client, a_call_after_a_failover_succeeds) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> keys = key_per_master(*cluster, "fo:");
  ASSERT_EQ(keys.size(), 3u);
  respool::sync_client redis(sync_config(*cluster));
  EXPECT_EQ(redis.exec(cmd::incr(keys[0])), 1);
  const std::size_t old_master = cluster->masters().front();
  const std::vector<std::size_t> replicas = cluster->replicas_of(old_master);
  ASSERT_FALSE(replicas.empty());
  std::string why;
  ASSERT_TRUE(cluster->wait_replicated(old_master, 10s, why)) << why;
  ASSERT_TRUE(cluster->failover(replicas.front(), why)) << why;
  EXPECT_EQ(cluster->master_of_slot(respool::cluster::hash_slot(keys[0])),
            static_cast<int>(replicas.front()));
  // The old master now answers MOVED: the call follows it to the new one.
  EXPECT_EQ(redis.exec(cmd::incr(keys[0])), 2);
  EXPECT_EQ(redis.exec(cmd::get(keys[1])), std::nullopt);
}

TEST(cluster_sync_client, no_reachable_node_is_not_connected_naming_the_seeds) {
  // Nothing listens on port 1 here.
  respool::cluster_config cfg = respool::cluster_config_from_uri("127.0.0.1:1");
  cfg.seeds.front().request_timeout = 300ms;
  respool::sync_client redis(cfg);
  try {
    (void)redis.exec<std::string>("GET", "k");
    ADD_FAILURE() << "a call with no node reachable did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), respool::error::not_connected);
    EXPECT_NE(std::string(e.what()).find("seeds 127.0.0.1:1"), std::string::npos) << e.what();
  }
  std::error_code ec;
  EXPECT_FALSE(redis.exec(ec, cmd::get("k")).has_value());
  EXPECT_EQ(ec, respool::error::not_connected);
}

}  // namespace
