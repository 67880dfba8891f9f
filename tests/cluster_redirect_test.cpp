// cluster_connection against fake cluster nodes that answer as the test scripts them: MOVED,
// ASK (ASKING must come in the same write as its command), TRYAGAIN, CLUSTERDOWN, a
// redirection loop, a master that cannot be reached, and a node that answers garbage.
#include "connection_support.hpp"
#include "fake_server.hpp"
#include <respool/cluster.hpp>
#include <respool/protocol/error.hpp>

#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::fake_server;

std::string bulk(const std::string& s) {
  std::string out = "$" + std::to_string(s.size());
  out.append("\r\n").append(s).append("\r\n");
  return out;
}

// One shard of a CLUSTER SHARDS reply (RESP3): the slots first..last (none when first > last),
// served by a master on 127.0.0.1:port.
std::string shard(int first, int last, std::uint16_t port) {
  std::string out = "%2\r\n$5\r\nslots\r\n";
  if (first <= last) {
    out.append("*2\r\n:").append(std::to_string(first)).append("\r\n:");
    out.append(std::to_string(last)).append("\r\n");
  } else {
    out.append("*0\r\n");
  }
  out.append("$5\r\nnodes\r\n*1\r\n%4\r\n$2\r\nid\r\n");
  out.append(bulk(std::string(35, 'a') + std::to_string(port)));
  out.append("$4\r\nport\r\n:").append(std::to_string(port)).append("\r\n");
  out.append("$8\r\nendpoint\r\n").append(bulk("127.0.0.1"));
  out.append("$4\r\nrole\r\n$6\r\nmaster\r\n");
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// A scripted cluster node: the setup, `CLUSTER SHARDS` (from `shards`) and `COMMAND` (an empty
// table) are answered for it; every other command goes to `answer`, whose bytes are written.
class fake_node {
 public:
  using answer_fn = std::function<std::string(const std::vector<std::string>&, fake_server::peer&)>;

  explicit fake_node(answer_fn answer) : answer_{std::move(answer)} {}

  std::uint16_t port() const noexcept { return server_.port(); }
  void set_shards(std::string reply) {
    std::lock_guard lock(mutex_);
    shards_ = std::move(reply);
  }
  int refreshes() const noexcept { return refreshes_.load(); }

 private:
  void session(fake_server::peer& p) {
    if (!respool::test::answer_setup(p)) return;
    while (auto command = p.read_command(10s)) {
      if (command->empty()) return;
      const std::string name = upper(command->front());
      if (name == "CLUSTER" && command->size() == 2 && upper((*command)[1]) == "SHARDS") {
        ++refreshes_;
        std::lock_guard lock(mutex_);
        p.write(shards_);
      } else if (name == "COMMAND") {
        p.write("*0\r\n");
      } else if (!p.write(answer_(*command, p))) {
        return;
      }
    }
  }

  answer_fn answer_;
  std::mutex mutex_;
  std::string shards_ = "*0\r\n";
  std::atomic<int> refreshes_{0};
  fake_server server_{[this](fake_server::peer& p) { session(p); }};
};

respool::cluster_config config_for(const fake_node& seed) {
  respool::cluster_config cfg;
  cfg.seeds.emplace_back();
  cfg.seeds.back().host = "127.0.0.1";
  cfg.seeds.back().port = seed.port();
  cfg.seeds.back().request_timeout = 5s;
  return cfg;
}

// Runs one GET of `key` through a cluster connection seeded with `seed`.
struct get_outcome {
  std::error_code ec;
  respool::result<std::string> value;
  respool::cluster_stats stats;
};

// Runs `times` GETs of `key`, one after the other, `pause` apart, through one cluster
// connection; returns the last one's outcome.
get_outcome run_get(const respool::cluster_config& cfg, const std::string& key, int times = 1,
                    std::chrono::milliseconds pause = 0ms, const std::string& command = "GET") {
  asio::io_context ioc;
  respool::cluster_connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  respool::request req;
  req.push(command, key);
  get_outcome out;
  asio::steady_timer timer(ioc);
  int done = 0;
  std::function<void()> next = [&] {
    conn.async_exec(req, out.value, [&](std::error_code ec, std::size_t) {
      out.ec = ec;
      if (++done == times) {
        conn.cancel();
        return;
      }
      timer.expires_after(pause);
      timer.async_wait([&](std::error_code) { next(); });
    });
  };
  next();
  ioc.run_for(20s);
  EXPECT_EQ(done, times) << "the requests did not complete";
  out.stats = conn.stats();
  return out;
}

std::string value_of(const get_outcome& o) {
  return o.value.has_value() ? o.value.value() : "error: " + o.value.error().message;
}

TEST(cluster_redirect, moved_updates_the_slot_and_resends_there) {
  std::atomic<int> asked_a{0};
  fake_node b([](const std::vector<std::string>& c, fake_server::peer&) {
    return c.size() == 2 && c[1] == "k" ? std::string("$6\r\nfrom-b\r\n")
                                        : std::string("-ERR ?\r\n");
  });
  fake_node* seed = nullptr;
  fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
    ++asked_a;
    // The slots have moved to b: so says the topology from now on.
    seed->set_shards("*2\r\n" + shard(1, 0, seed->port()) + shard(0, 16383, b.port()));
    return "-MOVED " + std::to_string(respool::cluster::hash_slot("k")) +
           " 127.0.0.1:" + std::to_string(b.port()) + "\r\n";
  });
  seed = &a;
  a.set_shards("*2\r\n" + shard(0, 16383, a.port()) + shard(1, 0, b.port()));
  // Three GETs, 150 ms apart: only the first goes to a.
  const get_outcome o = run_get(config_for(a), "k", 3, 150ms);
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(value_of(o), "from-b");
  EXPECT_EQ(asked_a.load(), 1);
  EXPECT_EQ(o.stats.moved, 1u);
  EXPECT_GE(o.stats.refreshes, 2u);  // the first, and one after the MOVED
}

// A command the cluster cannot find keys for goes to any master; its MOVED then names the
// slot, and it is resent to that slot's owner (not to any master again), with no new topology
// read when the map already said so.
TEST(cluster_redirect, moved_gives_a_keyless_looking_command_its_slot) {
  const std::uint16_t slot = respool::cluster::hash_slot("k");
  ASSERT_GT(slot, 0);
  fake_node b([](const std::vector<std::string>& c, fake_server::peer&) {
    return c.size() == 2 && c[1] == "k" ? std::string("$6\r\nfrom-b\r\n")
                                        : std::string("-ERR ?\r\n");
  });
  std::atomic<int> asked_a{0};
  fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
    ++asked_a;
    return "-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(b.port()) + "\r\n";
  });
  a.set_shards("*2\r\n" + shard(0, slot - 1, a.port()) + shard(slot, 16383, b.port()));
  // The MOVED's own refresh is held back past the end of the test, so the resend to b can
  // only come from the slot the MOVED named.
  respool::cluster_config cfg = config_for(a);
  cfg.min_refresh_interval = 60s;
  const get_outcome o = run_get(cfg, "k", 1, 0ms, "MODULE.GETLIKE");
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(value_of(o), "from-b");
  EXPECT_EQ(asked_a.load(), 1);
  EXPECT_EQ(o.stats.moved, 1u);
  EXPECT_EQ(o.stats.refreshes, 1u);  // the first only
}

// A request whose slot's master cannot be reached backs off; meanwhile the topology is read
// again, and the request goes as soon as one names a master it can reach, not at the end of
// its backoff (here 30 to 60 s, beyond the 20 s run_get waits).
TEST(cluster_redirect, a_request_waiting_for_a_node_goes_when_a_topology_gives_one) {
  fake_node b([](const std::vector<std::string>& c, fake_server::peer&) {
    return c.size() == 2 && c[1] == "k" ? std::string("$6\r\nfrom-b\r\n")
                                        : std::string("-ERR ?\r\n");
  });
  fake_node a([](const std::vector<std::string>&, fake_server::peer&) {
    return std::string("-ERR not a master\r\n");
  });
  const std::uint16_t dead = respool::test::closed_port();
  a.set_shards("*2\r\n" + shard(1, 0, a.port()) + shard(0, 16383, dead));
  respool::cluster_config cfg = config_for(a);
  cfg.seeds.back().request_timeout = 120s;
  cfg.retry_delay = 60s;
  cfg.max_retry_delay = 60s;
  cfg.node_wait = 100ms;
  std::thread failover([&] {
    std::this_thread::sleep_for(500ms);
    a.set_shards("*2\r\n" + shard(1, 0, a.port()) + shard(0, 16383, b.port()));
  });
  const get_outcome o = run_get(cfg, "k");
  failover.join();
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(value_of(o), "from-b");
  EXPECT_GE(o.stats.refreshes, 2u);
}

TEST(cluster_redirect, ask_sends_asking_and_the_command_in_one_write) {
  std::atomic<bool> together{false};
  fake_node b([&](const std::vector<std::string>& c, fake_server::peer& p) -> std::string {
    if (upper(c[0]) != "ASKING") return "-ERR expected ASKING first\r\n";
    // The command is already there: it came in the same write.
    auto next = p.read_command(0ms);
    together = next && next->size() == 2 && (*next)[0] == "GET";
    return "+OK\r\n$6\r\nfrom-b\r\n";
  });
  fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
    return "-ASK " + std::to_string(respool::cluster::hash_slot("k")) +
           " 127.0.0.1:" + std::to_string(b.port()) + "\r\n";
  });
  a.set_shards("*2\r\n" + shard(0, 16383, a.port()) + shard(1, 0, b.port()));
  const get_outcome o = run_get(config_for(a), "k");
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(value_of(o), "from-b");
  EXPECT_TRUE(together.load());
  EXPECT_EQ(o.stats.asked, 1u);
  EXPECT_EQ(o.stats.moved, 0u);
}

TEST(cluster_redirect, tryagain_and_clusterdown_are_retried_until_an_answer) {
  for (const char* refusal : {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
                              "-CLUSTERDOWN The cluster is down\r\n",
                              "-LOADING Redis is loading the dataset in memory\r\n"}) {
    std::atomic<int> calls{0};
    fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
      return ++calls <= 3 ? std::string(refusal) : std::string("$2\r\nok\r\n");
    });
    a.set_shards("*1\r\n" + shard(0, 16383, a.port()));
    const get_outcome o = run_get(config_for(a), "k");
    EXPECT_FALSE(o.ec) << o.ec.message();
    EXPECT_EQ(value_of(o), "ok") << refusal;
    EXPECT_EQ(calls.load(), 4);
    EXPECT_EQ(o.stats.retries, 3u);
  }
}

TEST(cluster_redirect, a_refusal_that_lasts_ends_with_the_servers_error_at_the_deadline) {
  fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
    return std::string("-CLUSTERDOWN The cluster is down\r\n");
  });
  a.set_shards("*1\r\n" + shard(0, 16383, a.port()));
  respool::cluster_config cfg = config_for(a);
  cfg.seeds.front().request_timeout = 300ms;
  const get_outcome o = run_get(cfg, "k");
  EXPECT_FALSE(o.value.has_value());
  EXPECT_NE(o.value.error().message.find("CLUSTERDOWN The cluster is down"), std::string::npos)
      << o.value.error().message;
  EXPECT_GE(o.stats.retries, 2u);
}

TEST(cluster_redirect, a_redirection_loop_ends_with_an_error_naming_the_last_node) {
  std::uint16_t port_a = 0;
  std::uint16_t port_b = 0;
  const auto moved_to = [](const std::uint16_t& port) {
    return [&port](const std::vector<std::string>&, fake_server::peer&) {
      return "-MOVED " + std::to_string(respool::cluster::hash_slot("k")) +
             " 127.0.0.1:" + std::to_string(port) + "\r\n";
    };
  };
  fake_node a(moved_to(port_b));
  fake_node b(moved_to(port_a));
  port_a = a.port();
  port_b = b.port();
  const std::string shards = "*2\r\n" + shard(0, 16383, a.port()) + shard(1, 0, b.port());
  a.set_shards(shards);
  b.set_shards(shards);
  const get_outcome o = run_get(config_for(a), "k");
  EXPECT_FALSE(o.value.has_value());
  const std::string& why = o.value.error().message;
  EXPECT_NE(why.find("MOVED"), std::string::npos) << why;
  EXPECT_NE(why.find("after 5 redirections"), std::string::npos) << why;
  EXPECT_NE(why.find("127.0.0.1:"), std::string::npos) << why;
  EXPECT_EQ(o.stats.moved, 5u);
}

TEST(cluster_redirect, a_node_answering_garbage_fails_the_request_with_a_protocol_error) {
  fake_node a([&](const std::vector<std::string>&, fake_server::peer&) {
    return std::string("?this is not RESP\r\n");
  });
  a.set_shards("*1\r\n" + shard(0, 16383, a.port()));
  const get_outcome o = run_get(config_for(a), "k");
  EXPECT_TRUE(respool::is_protocol_error(o.ec)) << o.ec.message();
}

}  // namespace
