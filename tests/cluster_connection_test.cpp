// cluster_connection against a real local Redis Cluster (3 masters, 3 replicas) that each
// test starts itself: routing, pipelines split by node, redirections during resharding and
// failover, and a master killed under load.
#include "cluster_connection_support.hpp"
#include "cluster_harness.hpp"
#include <respool/cluster.hpp>
#include <respool/protocol/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::cluster_harness;
using respool::test::cluster_options;
using respool::test::get_calls;
using respool::test::is_error;
using respool::test::text_of;
using respool::test::with_cluster;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

TEST(cluster_connection, routes_each_command_to_its_node_and_keeps_the_pipeline_order) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    // 300 SETs and their GETs in one request: split by node, replies in the request's order.
    respool::request req;
    for (int i = 0; i < 300; ++i)
      req.push("SET", "key:" + std::to_string(i), "value:" + std::to_string(i));
    for (int i = 0; i < 300; ++i) req.push("GET", "key:" + std::to_string(i));
    respool::generic_response resp;
    auto [ec, bytes] = co_await conn.async_exec(req, resp, as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_GT(bytes, 0u);
    EXPECT_EQ(resp.size(), 600u);
    for (std::size_t i = 0; i < 300 && i + 300 < resp.size(); ++i) {
      EXPECT_EQ(text_of(resp[i]), "OK");
      EXPECT_EQ(text_of(resp[300 + i]), "value:" + std::to_string(i));
    }
    EXPECT_GE(conn.stats().split, 1u);
    EXPECT_EQ(conn.stats().moved, 0u);
    EXPECT_TRUE(conn.topology().covers_all());
    // One command at a time, with a typed response.
    std::string value;
    respool::request get;
    get.push("GET", "key:42");
    std::tie(ec, bytes) = co_await conn.async_exec(get, value, as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(value, "value:42");
  });
  // Each key is on the master of its slot.
  std::string why;
  for (int i : {0, 1, 7, 299}) {
    const std::string key = "key:" + std::to_string(i);
    const int owner = cluster->master_of_slot(respool::cluster::hash_slot(key));
    ASSERT_GE(owner, 0);
    EXPECT_EQ(cluster->text(static_cast<std::size_t>(owner), {"GET", key}, why),
              "value:" + std::to_string(i))
        << why;
  }
}

TEST(cluster_connection, scripts_transactions_and_keys_in_several_slots) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    respool::request req;
    // EVAL goes where its key is, whatever the script's text hashes to.
    req.push("EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", 1, "script:key", "ran");
    req.push("GET", "script:key");
    req.push("MSET", "{user1}.a", "1", "{user1}.b", "2");  // one slot: fine
    req.push("MGET", "{user1}.a", "{user1}.b");
    req.push("MSETNX", "a", "1", "b", "2");  // two slots, all or nothing: refused, not sent
    req.push("MULTI");
    req.push("INCR", "{tx}.counter");
    req.push("INCR", "{tx}.counter");
    req.push("EXEC");
    req.push("SET", "after", "x");
    req.push("WAIT", 0, 0);  // goes with the SET before it
    respool::generic_response resp;
    auto [ec, bytes] = co_await conn.async_exec(req, resp, as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(resp.size(), 11u);
    if (resp.size() != 11u) co_return;
    EXPECT_EQ(text_of(resp[0]), "OK");
    EXPECT_EQ(text_of(resp[1]), "ran");
    EXPECT_EQ(text_of(resp[2]), "OK");
    EXPECT_EQ(resp[3].nodes().size(), 3u);  // an array of two
    EXPECT_TRUE(is_error(resp[4]));
    EXPECT_TRUE(text_of(resp[4]).starts_with("CROSSSLOT")) << text_of(resp[4]);
    EXPECT_EQ(text_of(resp[5]), "OK");
    EXPECT_EQ(text_of(resp[6]), "QUEUED");
    EXPECT_EQ(resp[8].nodes().size(), 3u);
    if (resp[8].nodes().size() == 3u) {
      EXPECT_EQ(resp[8].nodes()[2].value, "2");
    }
    EXPECT_EQ(text_of(resp[9]), "OK");
    EXPECT_FALSE(is_error(resp[10])) << text_of(resp[10]);
  });
}

TEST(cluster_connection, splits_multi_key_commands_by_slot_and_fans_out_keyless_ones) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    respool::request req;
    std::vector<std::string> keys;
    for (int i = 0; i < 20; ++i) keys.push_back("multi:" + std::to_string(i));
    req.push("MSET", keys[0], "v0", keys[1], "v1", keys[2], "v2", keys[3], "v3", keys[4], "v4");
    req.push("MGET", keys[4], keys[0], "multi:missing", keys[3], keys[1], keys[2]);
    req.push("EXISTS", keys[0], keys[1], keys[2], "multi:missing", keys[0]);
    req.push("DBSIZE");
    req.push("KEYS", "multi:*");
    req.push("DEL", keys[0], keys[1], keys[2], keys[3], "multi:missing");
    req.push("MGET", keys[0], keys[4]);
    respool::generic_response resp;
    auto [ec, bytes] = co_await conn.async_exec(req, resp, as_tuple);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(resp.size(), 7u);
    if (resp.size() != 7u) co_return;
    EXPECT_EQ(text_of(resp[0]), "OK");
    // MGET: the values in the order of the keys, from three masters.
    const auto values = resp[1].nodes();
    EXPECT_EQ(values.size(), 7u);
    if (values.size() == 7u) {
      EXPECT_EQ(values[0].aggregate_size, 6u);
      EXPECT_EQ(values[1].value, "v4");
      EXPECT_EQ(values[2].value, "v0");
      EXPECT_EQ(values[3].data_type, respool::resp3::type::null);
      EXPECT_EQ(values[4].value, "v3");
      EXPECT_EQ(values[5].value, "v1");
      EXPECT_EQ(values[6].value, "v2");
    }
    EXPECT_EQ(text_of(resp[2]), "4");  // a key named twice counts twice, as on one server
    EXPECT_EQ(text_of(resp[3]), "5");  // the keys of every master
    EXPECT_EQ(resp[4].nodes().size(), 6u);
    EXPECT_EQ(text_of(resp[5]), "4");
    // Fresh operations of other shapes: parts of one request to the same node, requests of
    // one command split into many parts.
    for (int round = 1; round < 15; ++round) {
      respool::request many;
      std::vector<std::string> asked;
      for (int i = 0; i < round; ++i)
        asked.push_back("multi:" + std::to_string((i * 7 + round) % 5));
      asked.push_back("multi:missing");
      many.push_range("MGET", asked);
      respool::generic_response got;
      std::tie(ec, bytes) = co_await conn.async_exec(many, got, as_tuple);
      EXPECT_FALSE(ec) << ec.message();
      const auto nodes = got.empty() ? std::span<const respool::resp3::node>{} : got[0].nodes();
      EXPECT_EQ(nodes.size(), asked.size() + 1);
      for (std::size_t i = 0; i + 1 < asked.size() && i + 1 < nodes.size(); ++i) {
        // The DEL above left only multi:4.
        EXPECT_EQ(nodes[i + 1].value, asked[i] == "multi:4" ? "v4" : "") << "round " << round;
      }
    }
    const auto after = resp[6].nodes();
    EXPECT_EQ(after.size(), 3u);
    if (after.size() == 3u) {
      EXPECT_EQ(after[1].data_type, respool::resp3::type::null);
      EXPECT_EQ(after[2].value, "v4");
    }
  });
  // The DEL reached the owners.
  std::string why;
  for (const char* key : {"multi:0", "multi:1", "multi:2", "multi:3"}) {
    const int owner = cluster->master_of_slot(respool::cluster::hash_slot(key));
    ASSERT_GE(owner, 0);
    EXPECT_EQ(cluster->text(static_cast<std::size_t>(owner), {"EXISTS", key}, why), "0") << why;
  }
}

TEST(cluster_connection, reads_go_to_replicas_by_policy_and_writes_to_masters) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  std::string why;
  ASSERT_TRUE(cluster->wait_replicas_online(10s, why)) << why;
  with_cluster(
      *cluster,
      [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
        respool::request write;
        for (int i = 0; i < 100; ++i) write.push("SET", "read:" + std::to_string(i), i);
        write.push("WAIT", 1, 1000);  // on the master of the last key; the others follow
        auto [ec, bytes] = co_await conn.async_exec(write, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        asio::steady_timer timer(conn.get_executor());
        timer.expires_after(200ms);  // replication of the other masters' writes
        co_await timer.async_wait(as_tuple);
        respool::request read;
        for (int i = 0; i < 100; ++i) read.push("GET", "read:" + std::to_string(i));
        read.push("MGET", "read:1", "read:2", "read:3");
        respool::generic_response values;
        std::tie(ec, bytes) = co_await conn.async_exec(read, values, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(values.size(), 101u);
        for (std::size_t i = 0; i < 100 && i < values.size(); ++i) {
          EXPECT_EQ(text_of(values[i]), std::to_string(i));
        }
      },
      60s, respool::read_policy::prefer_replica);
  // Every GET went to a replica.
  long long on_masters = 0;
  long long on_replicas = 0;
  for (std::size_t m : cluster->masters()) {
    on_masters += get_calls(*cluster, m);
    for (std::size_t r : cluster->replicas_of(m)) on_replicas += get_calls(*cluster, r);
  }
  EXPECT_EQ(on_masters, 0);
  EXPECT_EQ(on_replicas, 100);
}

// The list-log check (as Redis's own manual-failover test): writers RPUSH numbered items,
// some through EVAL, each into lists of its own, keeping a log of the pushes acknowledged;
// `faults` runs on another thread meanwhile. At the end every list must equal its log.
struct list_log {
  static constexpr int writers = 20;
  static constexpr int lists_per_writer = 100;
  std::vector<std::vector<long long>> acknowledged =
      std::vector<std::vector<long long>>(writers * lists_per_writer);
  std::size_t errors = 0;
  std::string first_error;
};

std::string list_key(int list) { return "list:" + std::to_string(list); }

asio::awaitable<void> push_items(respool::cluster_connection& conn, int writer,
                                 const std::atomic<bool>& stop, list_log& log, int& running) {
  respool::request req;
  long long length = 0;
  for (long long n = 0; !stop.load(); ++n) {
    const int list =
        writer * list_log::lists_per_writer + static_cast<int>(n % list_log::lists_per_writer);
    req.clear();
    if (n % 4 == 3) {
      req.push("EVAL", "return redis.call('RPUSH', KEYS[1], ARGV[1])", 1, list_key(list), n);
    } else {
      req.push("RPUSH", list_key(list), n);
    }
    auto [ec, bytes] = co_await conn.async_exec(req, length, as_tuple);
    if (ec) {
      if (log.errors++ == 0) log.first_error = ec.message();
    } else {
      log.acknowledged[static_cast<std::size_t>(list)].push_back(n);
    }
  }
  --running;
}

template <class Faults>
void check_list_log_under(cluster_harness& cluster, Faults faults) {
  list_log log;
  std::atomic<bool> faults_done{false};
  std::atomic<bool> stop{false};
  std::string fault_error;
  with_cluster(
      cluster,
      [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
        int running = list_log::writers;
        for (int w = 0; w < list_log::writers; ++w) {
          asio::co_spawn(conn.get_executor(), push_items(conn, w, stop, log, running),
                         asio::detached);
        }
        std::thread fault_thread([&] {
          std::this_thread::sleep_for(300ms);  // under load first
          fault_error = faults();
          std::this_thread::sleep_for(300ms);  // and after
          faults_done = true;
        });
        asio::steady_timer timer(conn.get_executor());
        while (!faults_done.load() || running > 0) {
          if (faults_done.load()) stop = true;
          timer.expires_after(20ms);
          co_await timer.async_wait(as_tuple);
        }
        fault_thread.join();
        // Read every list back in one request.
        respool::request read;
        for (std::size_t i = 0; i < log.acknowledged.size(); ++i) {
          read.push("LRANGE", list_key(static_cast<int>(i)), 0, -1);
        }
        respool::generic_response lists;
        auto [ec, bytes] = co_await conn.async_exec(read, lists, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(lists.size(), log.acknowledged.size());
        if (lists.size() != log.acknowledged.size()) co_return;
        std::size_t pushes = 0;
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < lists.size(); ++i) {
          std::vector<long long> got;
          const auto nodes = lists[i].nodes();
          for (std::size_t k = 1; k < nodes.size(); ++k)
            got.push_back(std::stoll(std::string(nodes[k].value)));
          pushes += log.acknowledged[i].size();
          if (got != log.acknowledged[i] && wrong++ < 3) {
            ADD_FAILURE() << list_key(static_cast<int>(i)) << ": " << got.size() << " items, "
                          << log.acknowledged[i].size() << " acknowledged";
          }
        }
        EXPECT_EQ(wrong, 0u) << "lists differing from their log";
        EXPECT_GT(pushes, 1000u);
        ::testing::Test::RecordProperty("pushes", static_cast<int>(pushes));
        ::testing::Test::RecordProperty("moved", static_cast<int>(conn.stats().moved));
        ::testing::Test::RecordProperty("asked", static_cast<int>(conn.stats().asked));
        ::testing::Test::RecordProperty("refreshes", static_cast<int>(conn.stats().refreshes));
      },
      120s);
  EXPECT_EQ(fault_error, "");
  EXPECT_EQ(log.errors, 0u) << "first: " << log.first_error;
}

TEST(cluster_connection, list_log_survives_a_failover_of_every_master) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  check_list_log_under(*cluster, [&]() -> std::string {
    std::string why;
    for (std::size_t master : cluster->masters()) {
      const auto replicas = cluster->replicas_of(master);
      if (replicas.empty()) return "a master without a replica";
      if (!cluster->failover(replicas.front(), why)) return why;
    }
    return {};
  });
}

TEST(cluster_connection, list_log_survives_resharding_under_load) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  check_list_log_under(*cluster, [&]() -> std::string {
    std::string why;
    // The slots of 30 lists each go to the next master.
    const auto masters = cluster->masters();
    for (int list = 0; list < 30 * 67; list += 67) {
      const std::uint16_t slot = respool::cluster::hash_slot(list_key(list));
      const int owner = cluster->master_of_slot(slot);
      std::size_t to = masters.front();
      for (std::size_t i = 0; i < masters.size(); ++i) {
        if (static_cast<int>(masters[i]) == owner) to = masters[(i + 1) % masters.size()];
      }
      if (!cluster->move_slot(slot, to, why)) return why;
    }
    return {};
  });
}

// Writers SET their keys with a WAIT 1 after each (replicated before acknowledged) while a
// master is killed: every request completes, with a reply or an error, the writes go on once
// a replica has taken over, and every acknowledged write is still there.
struct kill_log {
  static constexpr int writers = 20;
  static constexpr int keys_per_writer = 50;
  std::vector<long long> acknowledged = std::vector<long long>(writers * keys_per_writer, -1);
  std::size_t started = 0;
  std::size_t completed = 0;
  std::size_t errors = 0;
  std::atomic<std::size_t> progress{0};  // `completed`, for the thread that kills
};

asio::awaitable<void> set_and_wait(respool::cluster_connection& conn, int writer,
                                   const std::atomic<bool>& stop, kill_log& log, int& running) {
  respool::request req;
  std::tuple<respool::result<std::string>, respool::result<long long>> resp;
  for (long long n = 0; !stop.load(); ++n) {
    const int key =
        writer * kill_log::keys_per_writer + static_cast<int>(n % kill_log::keys_per_writer);
    req.clear();
    req.push("SET", "kill:" + std::to_string(key), n);
    // WAIT blocks its connection (one per node, shared by every writer) until a replica has
    // the write or the timeout passes: after the failover the new master has no replica.
    req.push("WAIT", 1, 100);
    ++log.started;
    auto [ec, bytes] = co_await conn.async_exec(req, resp, as_tuple);
    ++log.completed;
    ++log.progress;
    if (ec || !std::get<0>(resp) || !std::get<1>(resp)) {
      ++log.errors;
    } else if (std::get<1>(resp).value() >= 1) {
      log.acknowledged[static_cast<std::size_t>(key)] = n;
    }
  }
  --running;
}

// Writes to the slot of "kill:0" one after the other until `killed` is set and three more
// have been tried; returns the longest write (how long the service was out for a caller, its
// retries included), and whether the last one succeeded.
asio::awaitable<std::chrono::steady_clock::duration> longest_write(
    respool::cluster_connection& conn, const std::atomic<bool>& killed, bool& served) {
  asio::steady_timer timer(conn.get_executor());
  respool::request probe;
  probe.push("SET", "{kill:0}.probe", "probe");
  auto longest = std::chrono::steady_clock::duration::zero();
  for (int after = 0; after < 3;) {
    const auto sent = std::chrono::steady_clock::now();
    auto [ec, bytes] = co_await conn.async_exec(probe, as_tuple);
    longest = std::max(longest, std::chrono::steady_clock::now() - sent);
    served = !ec;
    if (killed.load()) ++after;
    timer.expires_after(20ms);
    co_await timer.async_wait(as_tuple);
  }
  co_return longest;
}

TEST(cluster_connection, a_master_killed_under_load_is_replaced_and_nothing_hangs) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  kill_log log;
  std::atomic<bool> stop{false};
  std::atomic<bool> killed{false};
  std::string fault_error;
  const std::uint16_t victim_slot = respool::cluster::hash_slot("kill:0");
  const int victim = cluster->master_of_slot(victim_slot);
  ASSERT_GE(victim, 0);
  // Right after a replica's first full sync Redis 7.0 may count it in WAIT before it has the
  // write: start once the replica is in step.
  std::string why;
  ASSERT_TRUE(cluster->wait_replicated(static_cast<std::size_t>(victim), 10s, why)) << why;
  with_cluster(
      *cluster,
      [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
        int running = kill_log::writers;
        for (int w = 0; w < kill_log::writers; ++w) {
          asio::co_spawn(conn.get_executor(), set_and_wait(conn, w, stop, log, running),
                         asio::detached);
        }
        std::thread fault_thread([&] {
          // Under load first: a hundred requests done (at most 30 s on a busy machine).
          for (int i = 0; i < 3000 && log.progress.load() < 100; ++i) {
            std::this_thread::sleep_for(10ms);
          }
          std::string kill_why;
          if (!cluster->kill(static_cast<std::size_t>(victim), kill_why)) fault_error = kill_why;
          killed = true;
        });
        // Meanwhile, one write after another to the killed master's slot, from a connection of
        // its own (not to queue behind the writers' WAITs).
        respool::cluster_connection prober(conn.get_executor(),
                                           respool::cluster_config_from_uri(cluster->seed()));
        prober.async_run(asio::detached);
        asio::steady_timer timer(conn.get_executor());
        bool served = false;
        const auto longest = co_await longest_write(prober, killed, served);
        fault_thread.join();
        prober.cancel();
        EXPECT_TRUE(served);
        ::testing::Test::RecordProperty(
            "longest_write_ms",
            static_cast<int>(
                std::chrono::duration_cast<std::chrono::milliseconds>(longest).count()));
        stop = true;
        while (running > 0) {
          timer.expires_after(20ms);
          co_await timer.async_wait(as_tuple);
        }
        // Every acknowledged write is there (a later one may be too: a write whose connection
        // was lost may have run).
        respool::request read;
        for (std::size_t i = 1; i < log.acknowledged.size(); ++i)
          read.push("GET", "kill:" + std::to_string(i));
        respool::generic_response values;
        auto [ec, bytes] = co_await conn.async_exec(read, values, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        std::size_t missing = 0;
        for (std::size_t i = 1; i < log.acknowledged.size() && i - 1 < values.size(); ++i) {
          if (log.acknowledged[i] < 0) continue;
          const std::string got = text_of(values[i - 1]);
          if (is_error(values[i - 1]) || got.empty() || std::stoll(got) < log.acknowledged[i])
            ++missing;
        }
        EXPECT_EQ(missing, 0u) << "acknowledged writes lost";
        ::testing::Test::RecordProperty("requests", static_cast<int>(log.completed));
        ::testing::Test::RecordProperty("errors", static_cast<int>(log.errors));
      },
      120s);
  EXPECT_EQ(fault_error, "");
  EXPECT_EQ(log.started, log.completed);
  EXPECT_GE(log.completed, 100u);  // the kill came under load
}

}  // namespace
