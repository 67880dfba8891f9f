// respool::connection when an established connection goes wrong: the server killed in the
// middle of a pipeline, the client killed or paused, the server asleep past the health check,
// a malformed reply. Every request completes exactly once, with the error the contract names,
// and the connection recovers by itself; many connections that lose their server together
// come back spread over the backoff's jitter.
//
// Everything runs on the test's own thread (see connection_failure_support.hpp).
#include "connection_failure_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <thread>
#include <tuple>

namespace respool::test {
namespace {

using namespace failure;
using failure::run_until;  // hides connection_support.hpp's, which takes other arguments
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// `total` requests of one SET each, but number `sleeper`, a DEBUG SLEEP 2.
std::vector<request> pipeline_with_sleeper(std::size_t total, std::size_t sleeper) {
  std::vector<request> reqs(total);
  for (std::size_t i = 0; i < total; ++i) {
    if (i == sleeper) {
      reqs[i].push("DEBUG", "SLEEP", 2);
    } else {
      reqs[i].push("SET", "k" + std::to_string(i), i);
    }
  }
  return reqs;
}

// The outcomes of a pipeline's requests, by error; each request must complete exactly once.
struct tally {
  std::size_t ok = 0;
  std::size_t lost = 0;
  std::size_t not_connected = 0;
  std::size_t timed_out = 0;
  std::size_t other = 0;
  std::size_t twice = 0;
  std::size_t first_failure = 0;
  std::size_t last_success = 0;

  static tally of(const std::vector<int>& calls, const std::vector<std::error_code>& ecs) {
    tally t;
    t.first_failure = ecs.size();
    for (std::size_t i = 0; i < ecs.size(); ++i) {
      if (calls[i] != 1) {
        ++t.twice;
        ADD_FAILURE() << "request " << i << " completed " << calls[i] << " times";
      }
      if (!ecs[i]) {
        ++t.ok;
        t.last_success = i;
        continue;
      }
      t.first_failure = std::min(t.first_failure, i);
      if (ecs[i] == error::connection_lost) {
        ++t.lost;
      } else if (ecs[i] == error::not_connected) {
        ++t.not_connected;
      } else if (ecs[i] == error::request_timeout) {
        ++t.timed_out;
      } else if (++t.other <= 5) {
        ADD_FAILURE() << "request " << i << ": " << ecs[i].message();
      }
    }
    return t;
  }
};

// 1. The server dies in the middle of a pipeline.

TEST(connection_failure_test, server_killed_during_pipeline_every_request_completes_once) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 5000ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  // 10 000 requests of one command each, queued at once: one batch, written in a few writev
  // calls. Number 5000 is DEBUG SLEEP 2: the server is killed while it sleeps, so whatever
  // follows it is written (or being written) and unanswered, whatever the timing.
  constexpr std::size_t total = 10000;
  constexpr std::size_t sleeper = 5000;
  const std::vector<request> reqs = pipeline_with_sleeper(total, sleeper);
  std::vector<int> calls(total, 0);
  std::vector<std::error_code> ecs(total);
  std::size_t completed = 0;
  std::size_t succeeded = 0;
  for (std::size_t i = 0; i < total; ++i) {
    c.conn.async_exec(reqs[i], [&, i](std::error_code ec, std::size_t) {
      ++calls[i];
      ecs[i] = ec;
      ++completed;
      if (!ec) ++succeeded;
    });
  }

  // SIGKILL once a good part of the replies has come (or after 300 ms at the latest).
  const auto start = steady::now();
  bool killed = false;
  std::size_t succeeded_at_kill = 0;
  ASSERT_TRUE(run_until(
      ioc,
      [&] {
        if (!killed && (succeeded >= 1000 || steady::now() - start > 300ms)) {
          succeeded_at_kill = succeeded;
          server->kill_hard();
          killed = true;
        }
        return killed;
      },
      3000ms));
  ASSERT_TRUE(run_until(
      ioc, [&] { return completed >= total; }, 4000ms))
      << completed << " of " << total << " requests completed\n"
      << log->dump();

  const tally t = tally::of(calls, ecs);
  std::printf(
      "[          ] killed after %zu replies; outcomes: %zu ok, %zu connection_lost, %zu "
      "not_connected, %zu request_timeout, %zu other\n",
      succeeded_at_kill, t.ok, t.lost, t.not_connected, t.timed_out, t.other);
  EXPECT_EQ(t.twice, 0U);
  EXPECT_EQ(t.other, 0U);
  EXPECT_EQ(t.ok + t.lost + t.not_connected + t.timed_out, total);
  EXPECT_GE(t.ok, 1U);
  EXPECT_GE(t.lost, total - sleeper);  // DEBUG SLEEP and everything after it
  EXPECT_EC(ecs[sleeper], error::connection_lost);
  // Replies come in order: the successes are the first requests.
  EXPECT_LT(t.last_success, t.first_failure);
  EXPECT_EQ(c.conn.stats().disconnects, 1U);

  // Back on the same port: the connection finds it by itself.
  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::string set_reply;
  EXPECT_FALSE(c.call(set_reply, "SET", "after", "restart"));
  EXPECT_EQ(set_reply, "OK");
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "after"));
  EXPECT_EQ(value, "restart");
  EXPECT_EQ(c.conn.stats().connects, 2U);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), static_cast<std::ptrdiff_t>(total))
      << "a request completed again after the reconnection";
  c.stop();
}

// 2. The server closes the connection (CLIENT KILL).

TEST(connection_failure_test, client_kill_fails_written_requests_then_reconnects) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  client c(ioc, make_config(server->port(), log));
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  std::int64_t id = 0;
  ASSERT_FALSE(c.call(id, "CLIENT", "ID"));

  // BLPOP blocks on the server; the GET waits behind it. Both are written, neither answered.
  const request blpop = make_request("BLPOP", "respool:empty", 5);
  const request get = make_request("GET", "k");
  std::optional<std::vector<std::string>> popped;
  std::optional<std::string> got;
  const auto o1 = exec(c.conn, blpop, popped);
  const auto o2 = exec(c.conn, get, got);
  const auto deadline = steady::now() + 2s;
  bool blocked = false;
  while (!blocked && steady::now() < deadline) {
    run_for(ioc, 10ms);
    blocked = info_field(*server, "clients", "blocked_clients") == 1;
  }
  ASSERT_TRUE(blocked) << "BLPOP never blocked on the server";
  EXPECT_FALSE(o1->done());

  EXPECT_EQ(server_command(*server, {"CLIENT", "KILL", "ID", std::to_string(id)}), ":1\r\n");
  ASSERT_TRUE(run_until(
      ioc, [&] { return o1->done() && o2->done(); }, 2000ms))
      << log->dump();
  EXPECT_EC(o1->ec, error::connection_lost);
  EXPECT_EC(o2->ec, error::connection_lost);
  EXPECT_EQ(o1->calls, 1);
  EXPECT_EQ(o2->calls, 1);

  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::int64_t new_id = 0;
  EXPECT_FALSE(c.call(new_id, "CLIENT", "ID"));
  EXPECT_NE(new_id, id);
  std::string reply;
  EXPECT_FALSE(c.call(reply, "SET", "k", "v"));
  EXPECT_FALSE(c.call(reply, "GET", "k"));
  EXPECT_EQ(reply, "v");
  EXPECT_EQ(c.conn.stats().connects, 2U);
  EXPECT_EQ(c.conn.stats().disconnects, 1U);
  c.stop();
}

// 3. A request times out while the server is paused; its late reply goes nowhere.

TEST(connection_failure_test, client_pause_times_out_request_and_late_reply_is_dropped) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  ASSERT_EQ(server_command(*server, {"SET", "a", "value of a"}), "+OK\r\n");
  ASSERT_EQ(server_command(*server, {"SET", "b", "value of b"}), "+OK\r\n");
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 100ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  ASSERT_EQ(server_command(*server, {"CLIENT", "PAUSE", "500", "ALL"}), "+OK\r\n");
  const auto paused_at = steady::now();
  const request get_a = make_request("GET", "a");
  std::string a;
  const auto oa = exec(c.conn, get_a, a);
  ASSERT_TRUE(c.wait(oa, 1000ms));
  EXPECT_EC(oa->ec, error::request_timeout);
  EXPECT_LT(oa->at - paused_at, 450ms) << "the timeout came after the pause";
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(c.conn.is_connected());

  // Blocks this thread until the pause is over, without running the io_context: the late
  // reply to GET a is still unread when GET b is written behind it.
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why, {.timeout = 5s}), "+PONG\r\n") << why;
  std::string b;
  EXPECT_FALSE(c.call(b, "GET", "b"));
  EXPECT_EQ(b, "value of b");
  EXPECT_TRUE(a.empty()) << "the timed-out request's response was written to";
  std::string a_again;
  EXPECT_FALSE(c.call(a_again, "GET", "a"));
  EXPECT_EQ(a_again, "value of a");
  EXPECT_EQ(oa->calls, 1);
  EXPECT_EQ(c.conn.stats().disconnects, 0U);
  EXPECT_EQ(c.conn.stats().connects, 1U);
  c.stop();
}

// 4. The server stops answering (DEBUG SLEEP): the health check notices.

TEST(connection_failure_test, debug_sleep_fails_health_check_then_reconnects) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.health_check_interval = 100ms;
  cfg.health_check_timeout = 200ms;
  cfg.connect_timeout = 3000ms;  // the reconnection waits for the end of the sleep
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  std::string sleep_reply;
  std::string sleep_why;
  const auto start = steady::now();
  std::thread sleeper([&] {
    sleep_reply = server->command({"DEBUG", "SLEEP", "2"}, sleep_why, {.timeout = 5s});
  });
  struct joiner {
    std::thread& t;
    ~joiner() {
      if (t.joinable()) t.join();
    }
  } join_sleeper{sleeper};

  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().disconnects >= 1; }, 3000ms))
      << log->dump();
  EXPECT_LT(steady::now() - start, 900ms) << "noticed only after the server woke up";
  EXPECT_TRUE(log->contains("health check failed")) << log->dump();
  EXPECT_TRUE(log->contains(make_error_code(error::health_check_failed).message())) << log->dump();
  EXPECT_GE(c.conn.stats().health_checks, 1U);

  ASSERT_TRUE(c.wait_connected(2, 4000ms)) << log->dump();
  std::string pong;
  EXPECT_FALSE(c.call(pong, "PING"));
  EXPECT_EQ(pong, "PONG");
  sleeper.join();
  EXPECT_EQ(sleep_reply, "+OK\r\n") << sleep_why;
  c.stop();
}

// 5. A malformed reply: a protocol error for everything pending, then a new connection.

TEST(connection_failure_test, malformed_reply_fails_pending_requests_then_reconnects) {
  fake_server fake([](fake_server::peer& p) {
    if (!answer_setup(p)) return;
    if (p.index() == 0) {
      for (int i = 0; i < 3; ++i) {
        if (!p.read_command(5000ms)) return;
      }
      p.write("+OK\r\n?bad\r\n");
      p.wait_closed(5000ms);
      return;
    }
    while (auto command = p.read_command(5000ms)) {
      p.write(upper((*command)[0]) == "GET" ? "$5\r\nfresh\r\n" : "+OK\r\n");
    }
  });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  client c(ioc, make_config(fake.port(), log));
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  const request set = make_request("SET", "x", "1");
  const request get_y = make_request("GET", "y");
  const request get_z = make_request("GET", "z");
  std::string set_reply;
  std::optional<std::string> y, z;
  const auto o1 = exec(c.conn, set, set_reply);
  const auto o2 = exec(c.conn, get_y, y);
  const auto o3 = exec(c.conn, get_z, z);
  ASSERT_TRUE(run_until(
      ioc, [&] { return o1->done() && o2->done() && o3->done(); }, 3000ms))
      << log->dump();
  EXPECT_FALSE(o1->ec) << o1->ec.message();
  EXPECT_EQ(set_reply, "OK");
  EXPECT_EC(o2->ec, error::invalid_type_byte);
  EXPECT_EC(o3->ec, error::invalid_type_byte);
  EXPECT_TRUE(log->contains(make_error_code(error::invalid_type_byte).message())) << log->dump();

  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::string fresh;
  EXPECT_FALSE(c.call(fresh, "GET", "y"));
  EXPECT_EQ(fresh, "fresh");
  EXPECT_EQ(fake.connections(), 2U);
  EXPECT_EQ(o1->calls + o2->calls + o3->calls, 3);
  c.stop();
}

// 6. Many connections lose their server at the same instant: the jitter spreads their
// reconnections instead of sending them all back together.

struct spread {
  double min = 0, median = 0, max = 0, stddev = 0;
};

spread spread_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  spread s;
  s.min = v.front();
  s.max = v.back();
  s.median = v[v.size() / 2];
  const double n = static_cast<double>(v.size());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double squares = 0;
  for (const double x : v) squares += (x - mean) * (x - mean);
  s.stddev = std::sqrt(squares / (n - 1));
  return s;
}

double ms_between(steady::time_point from, steady::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// When each connection of `clients` is up again (its second connection made), in ms after
// `since`; empty when they are not all up again within `timeout`. `lost_after` gets when each
// noticed the loss.
std::vector<double> reconnect_times(asio::io_context& ioc,
                                    const std::vector<std::unique_ptr<client>>& clients,
                                    steady::time_point since, std::vector<double>& lost_after,
                                    ms timeout) {
  const std::size_t n = clients.size();
  std::vector<std::optional<steady::time_point>> lost(n), up(n);
  // Looked at after every handler the io_context runs: the time is that of the handler that
  // made the connection.
  const bool all_up = run_until(
      ioc,
      [&] {
        const auto now = steady::now();
        std::size_t done = 0;
        for (std::size_t i = 0; i < n; ++i) {
          const connection_stats& st = clients[i]->conn.stats();
          if (!lost[i] && st.disconnects >= 1) lost[i] = now;
          if (!up[i] && st.connects >= 2) up[i] = now;
          if (up[i]) ++done;
        }
        return done == n;
      },
      timeout);
  if (!all_up) return {};
  std::vector<double> times;
  lost_after.clear();
  for (std::size_t i = 0; i < n; ++i) {
    times.push_back(ms_between(since, *up[i]));
    lost_after.push_back(lost[i] ? ms_between(since, *lost[i]) : 0.0);
  }
  return times;
}

TEST(connection_failure_test, reconnections_after_a_common_loss_are_spread_by_the_jitter) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  // The first reconnection after a loss waits d·(1 − j·u), u uniform in [0, 1): here a wait
  // uniform over [500, 1000] ms, a window w = d·j = 500 ms wide.
  const ms d = 1000ms;
  const double j = 0.5;
  cfg.reconnect.initial_delay = d;
  cfg.reconnect.max_delay = d;
  cfg.reconnect.jitter = j;
  cfg.connect_timeout = 5000ms;
  constexpr std::size_t n = 200;
  std::vector<std::unique_ptr<client>> clients;
  for (std::size_t i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<client>(ioc, cfg));
    clients.back()->run();
  }
  const auto count_if = [&](auto&& pred) {
    return static_cast<std::size_t>(std::count_if(clients.begin(), clients.end(),
                                                  [&](const auto& c) { return pred(c->conn); }));
  };
  ASSERT_TRUE(run_until(
      ioc, [&] { return count_if([](connection& c) { return c.is_connected(); }) == n; }, 10000ms))
      << log->dump();

  // Every connection of the server but the harness's own, closed by the server at once.
  const auto killed_at = steady::now();
  ASSERT_EQ(server_command(*server, {"CLIENT", "KILL", "TYPE", "normal"}),
            ":" + std::to_string(n) + "\r\n");
  std::vector<double> lost_after;
  const std::vector<double> up_after =
      reconnect_times(ioc, clients, killed_at, lost_after, 10000ms);
  ASSERT_EQ(up_after.size(), n) << log->dump();
  EXPECT_EQ(count_if([](connection& c) { return c.stats().disconnects == 1; }), n);
  EXPECT_EQ(count_if([](connection& c) { return c.stats().connects == 2; }), n);
  EXPECT_EQ(count_if([](connection& c) { return c.stats().connect_failures == 0; }), n);

  const spread up = spread_of(up_after);
  const spread noticed = spread_of(lost_after);
  std::printf(
      "[          ] %zu connections up again after the kill (ms): min %.1f, median %.1f, max "
      "%.1f, stddev %.1f; losses noticed within %.1f-%.1f ms\n",
      n, up.min, up.median, up.max, up.stddev, noticed.min, noticed.max);
  const auto format = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", v);
    return std::string(text);
  };
  RecordProperty("reconnect_min_ms", format(up.min));
  RecordProperty("reconnect_median_ms", format(up.median));
  RecordProperty("reconnect_max_ms", format(up.max));
  RecordProperty("reconnect_stddev_ms", format(up.stddev));

  // The waits are n independent uniform draws over w, shifted by the loss's detection and the
  // setup, a few milliseconds alike for every connection. The range R of n uniform draws has
  // P(R < x·w) = n·x^(n−1) − (n−1)·x^n: about 1e-58 for x = 1/2 and n = 200. Their standard
  // deviation is w/√12 ≈ 144 ms, and the sample's is within about 3 % of it (the variance's
  // relative standard error is √(4/(5n)) ≈ 6 %); half of it is some 12 standard errors below.
  // Connections coming back in lock step (no jitter, or one draw for all) would be spread
  // over the few milliseconds their setups take, and fail both.
  const double w = static_cast<double>(d.count()) * j;
  EXPECT_GE(up.max - up.min, w / 2) << "reconnections in lock step";
  EXPECT_GE(up.stddev, w / std::sqrt(12.0) / 2) << "reconnections bunched together";

  for (auto& c : clients) c->stop();
}

}  // namespace
}  // namespace respool::test
