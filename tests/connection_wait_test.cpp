// How long a request waits for a connection that can serve it: against a closed port it fails
// with error::not_connected once config::wait_for_connection has passed, whichever front end
// made it (sync_client, client, connection), and says why there was no connection; a server
// that comes up in time serves it; a server loading its dataset after a restart is waited for,
// never reported as a LOADING error.
//
// Time bounds here are generous on purpose: they check that a call ends and does not end too
// early, not how fast it ends.
#include "connection_support.hpp"
#include "server_process.hpp"
#include <respool/client/client.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// The bound the tests set, and the least a failed call must have waited (timers may fire a
// little early against the clock the test reads).
constexpr ms wait_bound = 500ms;
constexpr ms least_wait = 450ms;
// A call that has not ended by then hangs.
constexpr ms hang = 20s;

config make_config(std::uint16_t port, const std::shared_ptr<log_sink>& sink) {
  config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.wait_for_connection = wait_bound;
  cfg.health_check_interval = 0ms;
  cfg.reconnect.initial_delay = 20ms;
  cfg.reconnect.max_delay = 100ms;
  cfg.logger = [sink](log_level, std::string_view message) { sink->add(std::string(message)); };
  return cfg;
}

TEST(connection_wait_test, sync_call_to_a_closed_port_fails_after_the_wait) {
  const std::uint16_t port = closed_port();
  auto log = std::make_shared<log_sink>();
  sync_client redis(make_config(port, log));
  const auto start = steady::now();
  try {
    (void)redis.exec<std::string>("PING");
    FAIL() << "PING succeeded against a closed port";
  } catch (const std::system_error& e) {
    const auto waited = steady::now() - start;
    EXPECT_EQ(e.code(), error::not_connected) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    const std::string refused = make_error_code(asio::error::connection_refused).message();
    EXPECT_NE(what.find("last error: " + refused), std::string::npos) << what;
    EXPECT_GE(waited, least_wait);
    EXPECT_LT(waited, hang);
  }
}

// Without wait_for_connection, a request waits as long as a connection attempt may take.
TEST(connection_wait_test, sync_call_waits_for_the_connect_timeout_by_default) {
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(closed_port(), log);
  cfg.wait_for_connection.reset();
  cfg.connect_timeout = wait_bound;
  sync_client redis(cfg);
  const auto start = steady::now();
  std::error_code ec;
  const std::string pong = redis.exec<std::string>(ec, "PING");
  const auto waited = steady::now() - start;
  EXPECT_EQ(ec, error::not_connected) << ec.message();
  EXPECT_TRUE(pong.empty());
  EXPECT_GE(waited, least_wait);
  EXPECT_LT(waited, hang);
}

TEST(connection_wait_test, client_call_to_a_closed_port_fails_after_the_wait) {
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  connection conn(ioc, make_config(closed_port(), log));
  conn.async_run(asio::detached);
  client c(conn);
  bool done = false;
  std::error_code ec;
  steady::duration waited{};
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        const auto start = steady::now();
        try {
          (void)co_await c.async_exec<std::string>("PING", asio::use_awaitable);
        } catch (const std::system_error& e) {
          ec = e.code();
        }
        waited = steady::now() - start;
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return done; })) << "the call hung\n" << log->dump();
  EXPECT_EQ(ec, error::not_connected) << ec.message();
  EXPECT_EQ(conn.last_error(), asio::error::connection_refused) << conn.last_error().message();
  EXPECT_GE(waited, least_wait);
  conn.cancel();
  ioc.run_for(20ms);
}

TEST(connection_wait_test, connection_request_to_a_closed_port_fails_after_the_wait) {
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  connection conn(ioc, make_config(closed_port(), log));
  request ping;
  ping.push("PING");
  std::string pong;
  // Issued before async_run: it waits for the connection all the same.
  bool done = false;
  std::error_code ec;
  const auto start = steady::now();
  steady::time_point end;
  conn.async_exec(ping, pong, [&](std::error_code e, std::size_t) {
    ec = e;
    end = steady::now();
    done = true;
  });
  conn.async_run(asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return done; })) << "the request hung\n" << log->dump();
  EXPECT_EQ(ec, error::not_connected) << ec.message();
  EXPECT_EQ(conn.last_error(), asio::error::connection_refused) << conn.last_error().message();
  EXPECT_GE(end - start, least_wait);
  EXPECT_GE(conn.stats().connect_failures, 1U);
  conn.cancel();
  ioc.run_for(20ms);
}

// With reconnection off, the first failure ends the connection's run: later calls fail at
// once instead of waiting for a connection nothing will make. The sync client's thread, whose
// io_context had nothing left to do, used to end then, and later calls hung for ever.
TEST(connection_wait_test, calls_after_the_run_ended_fail_at_once) {
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(closed_port(), log);
  cfg.reconnect.enabled = false;
  sync_client redis(cfg);
  std::error_code ec;
  (void)redis.exec<std::string>(ec, "PING");
  EXPECT_EQ(ec, error::not_connected) << ec.message();
  // The run ends on the connection's thread shortly after; every later call must end too.
  for (int i = 0; i < 20; ++i) {
    const auto start = steady::now();
    (void)redis.exec<std::string>(ec, "PING");
    EXPECT_EQ(ec, error::not_connected) << ec.message();
    EXPECT_LT(steady::now() - start, hang);
    std::this_thread::sleep_for(5ms);
  }

  asio::io_context ioc;
  connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return conn.stats().connect_failures >= 1; }));
  ioc.run_for(20ms);  // the run's end is delivered
  request ping;
  ping.push("PING");
  std::string pong;
  bool done = false;
  conn.async_exec(ping, pong, [&](std::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  ioc.restart();  // it ran out of work
  ioc.poll();
  EXPECT_TRUE(done) << "a request to a connection whose run ended waited";
  EXPECT_EQ(ec, error::not_connected) << ec.message();
}

// fail_unwritten_when_down keeps its meaning: no wait at all.
TEST(connection_wait_test, fail_unwritten_when_down_still_fails_at_once) {
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(closed_port(), log);
  cfg.wait_for_connection = 10s;
  cfg.fail_unwritten_when_down = true;
  connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  request ping;
  ping.push("PING");
  bool done = false;
  std::error_code ec;
  const auto start = steady::now();
  conn.async_exec(ping, [&](std::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  ASSERT_TRUE(run_until(ioc, [&] { return done; }));
  EXPECT_EQ(ec, error::not_connected) << ec.message();
  EXPECT_LT(steady::now() - start, 5s);
  conn.cancel();
  ioc.run_for(20ms);
}

TEST(connection_wait_test, request_made_while_down_is_served_when_the_server_comes_up_in_time) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  server->stop();  // its port is closed now, and restart() brings the server back on it
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.wait_for_connection = hang;
  sync_client redis(cfg);

  std::atomic<bool> done = false;
  std::error_code ec;
  std::string pong;
  std::thread caller([&] {
    pong = redis.exec<std::string>(ec, "PING");
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(done) << "the request did not wait: " << ec.message();
  std::string why;
  const bool restarted = server->restart(why);
  caller.join();
  ASSERT_TRUE(restarted) << why;
  EXPECT_FALSE(ec) << ec.message() << "\n" << log->dump();
  EXPECT_EQ(pong, "PONG");
  EXPECT_TRUE(log->contains(make_error_code(asio::error::connection_refused).message()))
      << log->dump();
}

// A restart with a dataset to load: the server accepts connections and their HELLO while it
// loads, and refuses every command with LOADING. key-load-delay (microseconds per key) makes a
// small dataset take a second or more to load, and loading-process-events-interval-bytes makes
// the server answer its clients meanwhile.
TEST(connection_wait_test, restart_with_a_dataset_to_load_is_waited_for_not_reported) {
  server_options options;
  options.extra = {"key-load-delay 100", "loading-process-events-interval-bytes 1024"};
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  std::string why;
  ASSERT_EQ(server->command({"DEBUG", "POPULATE", "15000", "key", "16"}, why), "+OK\r\n") << why;
  ASSERT_EQ(server->command({"SAVE"}, why), "+OK\r\n") << why;

  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.wait_for_connection = hang;
  sync_client redis(cfg);
  std::atomic<bool> stop = false;
  std::atomic<int> ok = 0;
  std::mutex errors_mutex;
  std::vector<std::error_code> errors;
  std::thread caller([&] {
    while (!stop) {
      std::error_code ec;
      const auto value = redis.exec<std::string>(ec, "GET", "key:1");
      if (!ec && value.starts_with("value:1")) {
        ++ok;
        continue;
      }
      const std::lock_guard lock(errors_mutex);
      errors.push_back(ec ? ec : make_error_code(error::unexpected_type));
    }
  });
  const auto wait_for_ok = [&](int n) {
    const auto deadline = steady::now() + hang;
    while (ok < n && steady::now() < deadline) std::this_thread::sleep_for(10ms);
    return ok >= n;
  };
  EXPECT_TRUE(wait_for_ok(1)) << log->dump();

  server->kill_hard();
  const bool restarted = server->restart(why);  // returns once the dataset is loaded
  const int before = ok;
  EXPECT_TRUE(wait_for_ok(before + 3)) << log->dump();
  stop = true;
  caller.join();
  ASSERT_TRUE(restarted) << why;

  // The connection met the loading server, and no caller heard of it. The request in flight
  // when the server was killed may be lost; nothing else fails.
  EXPECT_TRUE(log->contains("LOADING")) << "the client never saw the server loading\n"
                                        << log->dump();
  int lost = 0;
  for (const std::error_code& ec : errors) {
    EXPECT_NE(ec, error::server_loading);
    if (ec == error::connection_lost) {
      ++lost;
    } else {
      ADD_FAILURE() << "a call failed with: " << ec.message();
    }
  }
  EXPECT_LE(lost, 1);
  EXPECT_EQ(redis.exec<long long>("DBSIZE"), 15000);
}

}  // namespace
}  // namespace respool::test
