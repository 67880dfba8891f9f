// A connection that follows a master watched by Redis Sentinel, on private deployments
// (sentinel_harness: a master, a replica, three sentinels): it goes where the sentinels say,
// checks the server's ROLE, survives a dead and a lying sentinel, and follows a failover (asked
// for, or after a kill -9 of the master) under load without losing an acknowledged write.
#include "connection_support.hpp"
#include "fake_server.hpp"
#include "sentinel_harness.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/generic_reply.hpp>
#include <respool/protocol/request.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::fake_server;
using respool::test::sentinel_harness;
using respool::test::sentinel_options;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// Runs `body` (a coroutine taking the connection) on a fresh io_context with a running
// connection made from `cfg`, until it returns (at most `limit`).
template <class Body>
void with_connection(respool::config cfg, Body body, std::chrono::seconds limit = 60s) {
  asio::io_context ioc;
  respool::connection conn(ioc, std::move(cfg));
  conn.async_run(asio::detached);
  EXPECT_TRUE(respool::test::run_body(ioc, conn, std::move(body), limit))
      << "the test's coroutine did not finish in time";
}

asio::awaitable<void> pause(respool::connection& conn, std::chrono::milliseconds d) {
  asio::steady_timer timer(conn.get_executor(), d);
  co_await timer.async_wait(as_tuple);
}

// The port of the server the connection talks to (CONFIG GET port), or "" on an error.
asio::awaitable<std::string> server_port(respool::connection& conn) {
  respool::request req;
  req.push("CONFIG", "GET", "port");
  respool::generic_response resp;
  auto [ec, n] = co_await conn.async_exec(req, resp, as_tuple);
  if (ec || resp.size() != 1 || resp[0].nodes().size() != 3) co_return std::string();
  co_return std::string(resp[0].nodes()[2].value);
}

respool::config config_for(const sentinel_harness& h) {
  respool::config cfg;
  cfg.sentinel = h.sentinel_settings();
  cfg.sentinel.timeout = 1s;
  cfg.connect_timeout = 5s;
  return cfg;
}

TEST(sentinel, the_connection_goes_where_the_sentinels_say) {
  RESPOOL_START_SENTINELS_OR_SKIP(h, sentinel_options{});
  with_connection(config_for(*h), [&](respool::connection& conn) -> asio::awaitable<void> {
    EXPECT_EQ(co_await server_port(conn), std::to_string(h->server(0).port())) << "the master";
  });
  respool::config replica = respool::config_from_uri(h->uri() + "?role=replica");
  with_connection(replica, [&](respool::connection& conn) -> asio::awaitable<void> {
    EXPECT_EQ(co_await server_port(conn), std::to_string(h->server(1).port())) << "the replica";
    respool::request req;
    req.push("SET", "k", "v");
    respool::generic_response resp;
    co_await conn.async_exec(req, resp, as_tuple);
    EXPECT_EQ(resp.size(), 1u);
    if (resp.size() != 1 || resp[0].empty()) co_return;
    EXPECT_TRUE(respool::resp3::is_error(resp[0].nodes().front().data_type)) << "READONLY";
  });
}

// A sentinel that names the replica as the master, whatever it is asked.
fake_server::session liar(std::uint16_t replica_port) {
  return [replica_port](fake_server::peer& p) {
    const std::string port = std::to_string(replica_port);
    while (auto cmd = p.read_command(10s)) {
      const std::string name = cmd->empty() ? std::string() : cmd->front();
      if (name == "HELLO") {
        p.write("-ERR unknown command 'HELLO'\r\n");
      } else if (name == "SENTINEL") {
        p.write(std::string("*2\r\n$9\r\n127.0.0.1\r\n$") + std::to_string(port.size()) + "\r\n" +
                port + "\r\n");
      } else {
        p.write("+PONG\r\n");
      }
    }
  };
}

TEST(sentinel, a_dead_sentinel_and_a_lying_one_are_survived) {
  RESPOOL_START_SENTINELS_OR_SKIP(h, sentinel_options{});
  fake_server lying(liar(h->server(1).port()));
  respool::config cfg = config_for(*h);
  // First a sentinel that is down, then the liar, then the real ones.
  h->sentinel(0).kill_hard();
  cfg.sentinel.nodes.insert(cfg.sentinel.nodes.begin() + 1, {"127.0.0.1", lying.port()});
  with_connection(cfg, [&](respool::connection& conn) -> asio::awaitable<void> {
    EXPECT_EQ(co_await server_port(conn), std::to_string(h->server(0).port())) << "the master";
    EXPECT_GE(conn.stats().connect_failures, 1u) << "the replica the liar named was refused";
  });
}

// 100 coroutines doing INCR + WAIT 1 0 until told to stop; what they saw.
struct increments {
  static constexpr int writers = 100;
  bool stop = false;
  int running = 0;
  long long issued = 0, completed = 0, acknowledged = 0, max_acked = 0;
};

bool is_number(const respool::generic_reply& r, long long min) {
  if (r.nodes().size() != 1 || r.nodes()[0].data_type != respool::resp3::type::number) {
    return false;
  }
  return std::stoll(std::string(r.nodes()[0].value)) >= min;
}

asio::awaitable<void> increment(respool::connection& conn, increments& s) {
  respool::request req;
  req.push("INCR", "sentinel:counter");
  req.push("WAIT", 1, 0);
  while (!s.stop) {
    ++s.issued;
    respool::generic_response resp;
    auto [ec, n] = co_await conn.async_exec(req, resp, as_tuple);
    ++s.completed;
    if (!ec && resp.size() == 2 && is_number(resp[0], 1) && is_number(resp[1], 1)) {
      ++s.acknowledged;
      s.max_acked = std::max(s.max_acked, std::stoll(std::string(resp[0].nodes()[0].value)));
    } else {
      co_await pause(conn, 10ms);  // refused or lost: a moment before the next
    }
  }
  --s.running;
}

// When the connection said it connected to `port` (its log), after `since`; nullopt if not.
struct connect_log {
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> lines;
  std::optional<std::chrono::steady_clock::duration> first(
      std::uint16_t port, std::chrono::steady_clock::time_point since) const {
    const std::string text = std::string("connected to 127.0.0.1:") + std::to_string(port) + " ";
    for (const auto& [t, line] : lines) {
      if (t >= since && line.rfind(text, 0) == 0) return t - since;
    }
    return std::nullopt;
  }
};

long long ms(std::chrono::steady_clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Puts `fault` (a blocking call that returns the new master's index, or -1 and prints why)
// under load, then checks that the connection goes to the new master, that every request
// completes, and that no increment a replica acknowledged is missing there.
void check_failover_under_load(sentinel_harness& h, const std::function<int()>& fault,
                               const char* what) {
  respool::config cfg = config_for(h);
  cfg.request_timeout = 10s;  // nothing waits for ever, whatever happens
  connect_log log;
  cfg.logger = [&log](respool::log_level, std::string_view m) {
    log.lines.emplace_back(std::chrono::steady_clock::now(), std::string(m));
  };
  increments s;
  int to = -1;
  with_connection(cfg, [&](respool::connection& conn) -> asio::awaitable<void> {
    for (int i = 0; i < increments::writers; ++i, ++s.running) {
      asio::co_spawn(conn.get_executor(), increment(conn, s), asio::detached);
    }
    while (s.acknowledged < 200) co_await pause(conn, 10ms);  // under load first
    std::atomic<bool> done{false};
    const auto start = std::chrono::steady_clock::now();
    std::thread t([&] {
      to = fault();
      done = true;
    });
    while (!done) co_await pause(conn, 20ms);
    t.join();
    const auto agreed = std::chrono::steady_clock::now() - start;
    const auto bound = start + 40s;
    while (to >= 0 && !log.first(h.server(to).port(), start) &&
           std::chrono::steady_clock::now() < bound) {
      co_await pause(conn, 10ms);
    }
    const auto moved = to < 0 ? std::nullopt : log.first(h.server(to).port(), start);
    EXPECT_TRUE(moved) << "the connection did not go to the new master";
    std::printf(
        "%s: the sentinels agreed after %lld ms, the connection was on the new master "
        "after %lld ms\n",
        what, ms(agreed), moved ? ms(*moved) : -1LL);
    // And writes acknowledged there (once the new master has a replica).
    const long long before = s.acknowledged;
    while (s.acknowledged < before + 200 && std::chrono::steady_clock::now() < bound) {
      co_await pause(conn, 10ms);
    }
    EXPECT_GE(s.acknowledged, before + 200) << "no writes acknowledged after the failover";
    s.stop = true;
    while (s.running > 0) co_await pause(conn, 10ms);
  });
  ASSERT_GE(to, 0) << "the failover did not happen";
  EXPECT_EQ(s.completed, s.issued) << "every request completed";
  std::string why;
  const std::string reply =
      h.server(static_cast<std::size_t>(to)).command({"GET", "sentinel:counter"}, why);
  const auto eol = reply.find("\r\n");
  ASSERT_TRUE(reply.size() > 1 && reply[0] == '$' && eol != std::string::npos) << reply << why;
  const long long final_value = std::stoll(reply.substr(eol + 2));
  EXPECT_GE(final_value, s.max_acked) << "an acknowledged increment is missing";
}

// A forced failover keeps the old master up, still taking writes until a sentinel notices it
// (up to 10 s later) and makes it a replica of the new one. With a single replica, promoted,
// nothing acknowledges those writes (WAIT 1 says 0): acknowledged writes are all on the new
// master. A second replica, still following the old master until the sentinels move it, would
// acknowledge them, and they would be lost: that is Redis's replication, which no client can
// change. The new master has a replica again once the old master follows it: WAIT 1 blocks
// until then.
TEST(sentinel, a_failover_under_load_loses_no_acknowledged_write) {
  RESPOOL_START_SENTINELS_OR_SKIP(h, sentinel_options{});
  check_failover_under_load(
      *h,
      [&] {
        std::string why;
        std::size_t to = 0;
        if (h->failover(to, why)) return static_cast<int>(to);
        std::printf("failover: %s\n", why.c_str());
        return -1;
      },
      "SENTINEL FAILOVER");
}

// Two replicas: the one not promoted follows the new master, so WAIT 1 succeeds there.
TEST(sentinel, a_master_killed_under_load_is_replaced_and_no_acknowledged_write_is_lost) {
  RESPOOL_START_SENTINELS_OR_SKIP(h, (sentinel_options{.replicas = 2}));
  check_failover_under_load(
      *h,
      [&] {
        std::string why;
        const int from = h->master_index(why);
        if (from < 0) return -1;
        h->server(static_cast<std::size_t>(from)).kill_hard();
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
          const int now = h->master_index(why);
          if (now >= 0 && now != from && h->wait_master(static_cast<std::size_t>(now), 10s, why)) {
            return now;
          }
          std::this_thread::sleep_for(50ms);
        }
        std::printf("kill -9: %s\n", why.c_str());
        return -1;
      },
      "kill -9 of the master");
}

}  // namespace
