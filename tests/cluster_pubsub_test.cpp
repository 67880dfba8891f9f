// Pub/sub over a real local Redis Cluster (3 masters, 3 replicas) that each test starts
// itself: shard channels on every master, a channel and a pattern, unsubscribing, and shard
// channels that follow their slot through a resharding and a failover.
#include "cluster_connection_support.hpp"
#include "cluster_harness.hpp"
#include <respool/client/subscriber.hpp>
#include <respool/cluster.hpp>
#include <respool/protocol/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::cluster_harness;
using respool::test::cluster_options;
using respool::test::with_cluster;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// A shard channel on each master, as the cluster sees them now: channel i is on masters()[i].
std::vector<std::string> channel_per_master(cluster_harness& cluster) {
  const std::vector<std::size_t> masters = cluster.masters();
  std::vector<std::string> channels(masters.size());
  std::size_t found = 0;
  for (int n = 0; found < masters.size() && n < 1000; ++n) {
    const std::string channel = "shard:" + std::to_string(n);
    const int owner = cluster.master_of_slot(respool::cluster::hash_slot(channel));
    for (std::size_t m = 0; m < masters.size(); ++m) {
      if (owner >= 0 && static_cast<std::size_t>(owner) == masters[m] && channels[m].empty()) {
        channels[m] = channel;
        ++found;
      }
    }
  }
  EXPECT_EQ(found, masters.size()) << "no channel found on some master";
  return channels;
}

// What a subscriber received, read by a coroutine of its own until the connection stops.
struct inbox {
  explicit inbox(respool::cluster_connection& conn) : sub(conn) {}
  respool::subscriber sub;
  std::vector<respool::message> messages;
  bool has(std::string_view channel, std::string_view payload) const {
    for (const respool::message& m : messages) {
      if (m.channel_name == channel && m.payload == payload) return true;
    }
    return false;
  }
};

// The reader shares the inbox (and its subscriber) with the test: its receive is still pending
// when the test's coroutine returns, and ends only when the connection is cancelled after that.
asio::awaitable<void> read_into(std::shared_ptr<inbox> box) {
  for (;;) {
    respool::message m;
    auto [ec] = co_await box->sub.async_next(m, as_tuple);
    if (ec) co_return;
    box->messages.push_back(std::move(m));
  }
}

std::shared_ptr<inbox> start_reading(respool::cluster_connection& conn) {
  auto box = std::make_shared<inbox>(conn);
  asio::co_spawn(conn.get_executor(), read_into(box), asio::detached);
  return box;
}

asio::awaitable<void> pause(respool::cluster_connection& conn, std::chrono::milliseconds d) {
  asio::steady_timer timer(conn.get_executor(), d);
  co_await timer.async_wait(as_tuple);
}

// Publishes (SPUBLISH, or PUBLISH) and returns the number of subscribers the node counted.
asio::awaitable<long long> publish(respool::cluster_connection& conn, std::string_view command,
                                   std::string_view channel, std::string_view payload) {
  respool::request req;
  req.push(command, channel, payload);
  long long receivers = -1;
  auto [ec, bytes] = co_await conn.async_exec(req, receivers, as_tuple);
  EXPECT_FALSE(ec) << command << ' ' << channel << ": " << ec.message();
  co_return receivers;
}

// Waits (at most 10 s) until `payload` published on `channel` reaches the inbox: publishes it
// again every 50 ms until its node counts one subscriber, then waits for it to arrive.
asio::awaitable<bool> delivered(respool::cluster_connection& conn, const inbox& box,
                                std::string_view channel, std::string_view payload) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    if (box.has(channel, payload)) co_return true;
    const long long receivers = co_await publish(conn, "SPUBLISH", channel, payload);
    EXPECT_LE(receivers, 1) << channel << " is subscribed more than once on its node";
    co_await pause(conn, 50ms);
  }
  co_return box.has(channel, payload);
}

// Runs `fault` (a blocking harness call) on a thread of its own while the io_context goes on.
asio::awaitable<std::string> off_thread(respool::cluster_connection& conn,
                                        std::function<std::string()> fault) {
  std::atomic<bool> done{false};
  std::string result;
  std::thread t([&] {
    result = fault();
    done = true;
  });
  while (!done.load()) co_await pause(conn, 20ms);
  t.join();
  co_return result;
}

TEST(cluster_pubsub, shard_channels_on_every_master_a_channel_and_a_pattern) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> channels = channel_per_master(*cluster);
  ASSERT_EQ(channels.size(), 3u);
  with_cluster(*cluster, [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
    const std::shared_ptr<inbox> reader = start_reading(conn);
    respool::subscriber& sub = reader->sub;
    const inbox& box = *reader;
    const std::string_view shard[] = {channels[0], channels[1], channels[2]};
    const std::string_view news[] = {"news"};
    const std::string_view pattern[] = {"pat:*"};
    auto [e1] = co_await sub.async_ssubscribe(shard, as_tuple);
    EXPECT_FALSE(e1) << e1.message();
    auto [e2] = co_await sub.async_subscribe(news, as_tuple);
    EXPECT_FALSE(e2) << e2.message();
    auto [e3] = co_await sub.async_psubscribe(pattern, as_tuple);
    EXPECT_FALSE(e3) << e3.message();

    // Confirmed: each owner counts exactly one subscriber, and the messages come.
    for (const std::string& ch : channels) {
      EXPECT_EQ(co_await publish(conn, "SPUBLISH", ch, "hello " + ch), 1) << ch;
    }
    co_await publish(conn, "PUBLISH", "news", "extra");
    co_await publish(conn, "PUBLISH", "pat:x", "matched");
    for (int i = 0; i < 200 && box.messages.size() < 5; ++i) co_await pause(conn, 10ms);
    for (const std::string& ch : channels) EXPECT_TRUE(box.has(ch, "hello " + ch)) << ch;
    EXPECT_TRUE(box.has("news", "extra"));
    EXPECT_TRUE(box.has("pat:x", "matched"));
    EXPECT_EQ(box.messages.size(), 5u) << "a message came twice";

    // Unsubscribed: its owner counts nobody.
    const std::string_view last[] = {channels[2]};
    auto [e4] = co_await sub.async_sunsubscribe(last, as_tuple);
    EXPECT_FALSE(e4) << e4.message();
    EXPECT_EQ(co_await publish(conn, "SPUBLISH", channels[2], "gone"), 0);
    EXPECT_EQ(co_await publish(conn, "SPUBLISH", channels[0], "still"), 1);

    // Bad calls get an error, not a hang.
    const std::string_view none[] = {"x"};
    auto [e5] = co_await conn.async_pubsub("PUBLISH", none, as_tuple);
    EXPECT_EQ(e5, std::errc::invalid_argument);
    auto [e6] = co_await conn.async_pubsub("SSUBSCRIBE", {}, as_tuple);
    EXPECT_EQ(e6, std::errc::invalid_argument);
  });
}

TEST(cluster_pubsub, shard_channels_follow_their_slot_through_resharding_and_failover) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  const std::vector<std::string> channels = channel_per_master(*cluster);
  ASSERT_EQ(channels.size(), 3u);
  const std::vector<std::size_t> masters = cluster->masters();
  with_cluster(
      *cluster,
      [&](respool::cluster_connection& conn) -> asio::awaitable<void> {
        const std::shared_ptr<inbox> reader = start_reading(conn);
        respool::subscriber& sub = reader->sub;
        const inbox& box = *reader;
        const std::string_view shard[] = {channels[0], channels[1], channels[2]};
        auto [ec] = co_await sub.async_ssubscribe(shard, as_tuple);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_TRUE(co_await delivered(conn, box, channels[0], "before"));

        // The slot of channel 0 moves to the master of channel 1: its old node says
        // `sunsubscribe`, and the subscription is made again at the new one.
        const std::uint16_t slot = respool::cluster::hash_slot(channels[0]);
        EXPECT_EQ(co_await off_thread(conn,
                                      [&] {
                                        std::string why;
                                        cluster->move_slot(slot, masters[1], why);
                                        return why;
                                      }),
                  "");
        EXPECT_TRUE(co_await delivered(conn, box, channels[0], "after the move"));

        // The master of channel 2 fails over to its replica.
        const auto replicas = cluster->replicas_of(masters[2]);
        EXPECT_FALSE(replicas.empty());
        if (replicas.empty()) co_return;
        EXPECT_EQ(co_await off_thread(conn,
                                      [&] {
                                        std::string why;
                                        cluster->failover(replicas.front(), why);
                                        return why;
                                      }),
                  "");
        EXPECT_TRUE(co_await delivered(conn, box, channels[2], "after the failover"));
        EXPECT_TRUE(co_await delivered(conn, box, channels[1], "untouched"));
        EXPECT_GE(conn.stats().resubscribed, 2u);
      },
      120s);
}

TEST(cluster_pubsub, resp2_seeds_are_refused) {
  asio::io_context ioc;
  respool::cluster_config cfg = respool::cluster_config_from_uri("redis://127.0.0.1:1");
  cfg.seeds.front().protocol = 2;
  respool::cluster_connection conn(ioc, cfg);
  const std::string_view channels[] = {"a"};
  std::error_code got;
  conn.async_pubsub("SSUBSCRIBE", channels, [&](std::error_code ec) { got = ec; });
  ioc.run_for(5s);
  EXPECT_EQ(got, respool::error::resp3_required);
}

}  // namespace
