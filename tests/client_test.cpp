// client (commands by name, typed replies) and sync_client (blocking) against the test server.
#include "alloc_counter.hpp"
#include "connection_support.hpp"
#include <respool/client/client.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/protocol/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using respool::test::run_until;

using namespace std::chrono_literals;
using respool::error;

respool::config test_config() { return respool::test::server_config(); }

// Skips (or fails, when a server is required) if nothing answers a PING within a second.
bool server_reachable(std::string& why) {
  respool::config cfg = test_config();
  cfg.reconnect.enabled = false;
  cfg.fail_unwritten_when_down = false;
  cfg.request_timeout = 1s;
  respool::sync_client probe(cfg);
  std::error_code ec;
  probe.exec<std::string>(ec, "PING");
  why = ec.message();
  return !ec;
}

#define RESPOOL_SERVER_OR_SKIP()                                   \
  do {                                                             \
    std::string why;                                               \
    if (!server_reachable(why)) {                                  \
      if (respool::test::server_required()) {                      \
        FAIL() << "test server required but unreachable: " << why; \
      }                                                            \
      GTEST_SKIP() << "no Redis server: " << why;                  \
    }                                                              \
  } while (false)

TEST(client_test, typed_replies_with_callbacks_and_coroutines) {
  RESPOOL_SERVER_OR_SKIP();
  asio::io_context ioc;
  respool::connection conn(ioc, test_config());
  conn.async_run(asio::detached);
  respool::client c(conn);

  std::string key = "cl:typed";
  std::string ok;
  bool set_done = false;
  c.async_exec<std::string>("SET", key, 41, [&](std::error_code ec, std::string v) {
    EXPECT_FALSE(ec);
    ok = std::move(v);
    set_done = true;
  });
  key = "changed";  // the client copied its arguments
  ASSERT_TRUE(run_until(ioc, [&] { return set_done; }));
  EXPECT_EQ(ok, "OK");

  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        const long long n =
            co_await c.async_exec<long long>("INCR", "cl:typed", asio::use_awaitable);
        EXPECT_EQ(n, 42);
        auto missing = co_await c.async_exec<std::optional<std::string>>("GET", "cl:missing",
                                                                         asio::use_awaitable);
        EXPECT_FALSE(missing.has_value());
        auto r = co_await c.async_exec<respool::result<long long>>("HINCRBY", "cl:typed", "f", 1,
                                                                   asio::use_awaitable);
        EXPECT_FALSE(r.has_value());
        EXPECT_NE(r.error().message.find("WRONGTYPE"), std::string::npos) << r.error().message;
        try {
          co_await c.async_exec<long long>("HINCRBY", "cl:typed", "f", 1, asio::use_awaitable);
          ADD_FAILURE() << "no exception";
        } catch (const std::system_error& e) {
          EXPECT_EQ(e.code(), error::server_error);
        }
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return done; }));
  conn.cancel();
  ioc.run_for(20ms);
}

TEST(client_test, steady_state_calls_allocate_nothing) {
  RESPOOL_SERVER_OR_SKIP();
  asio::io_context ioc;
  respool::connection conn(ioc, test_config());
  conn.async_run(asio::detached);
  respool::client c(conn);
  std::size_t during = 0;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) {
          co_await c.async_exec<long long>("INCR", "cl:alloc", asio::use_awaitable);
        }
        const respool::test::allocation_scope scope;
        for (int i = 0; i < 1000; ++i) {
          co_await c.async_exec<long long>("INCR", "cl:alloc", asio::use_awaitable);
        }
        during = scope.count();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return done; }));
  EXPECT_EQ(during, 0u);
  conn.cancel();
  ioc.run_for(20ms);
}

TEST(sync_client_test, blocking_calls_and_errors) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  EXPECT_EQ(redis.exec<std::string>("SET", "sc:k", "v"), "OK");
  EXPECT_EQ(redis.exec<std::optional<std::string>>("GET", "sc:k"), "v");
  EXPECT_EQ(redis.exec<std::optional<std::string>>("GET", "sc:missing"), std::nullopt);
  try {
    redis.exec<long long>("INCR", "sc:k");
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::server_error);
    EXPECT_NE(std::string(e.what()).find("not an integer"), std::string::npos) << e.what();
  }
  std::error_code ec;
  const long long v = redis.exec<long long>(ec, "INCR", "sc:k");
  EXPECT_EQ(ec, error::server_error);
  EXPECT_EQ(v, 0);
  // A type mismatch is an error naming both types, never undefined behaviour.
  redis.exec<long long>(ec, "GET", "sc:k");
  EXPECT_EQ(ec, error::not_a_number);

  respool::request req;
  req.push("DEL", "sc:list");
  req.push("RPUSH", "sc:list", "a", "b");
  req.push("LRANGE", "sc:list", 0, -1);
  std::tuple<respool::ignore_t, int, std::vector<std::string>> resp;
  EXPECT_FALSE(redis.exec_request(req, resp));
  EXPECT_EQ(std::get<2>(resp), (std::vector<std::string>{"a", "b"}));
}

TEST(sync_client_test, calls_from_eight_threads_share_the_connection) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  redis.exec<long long>("DEL", "sc:counter");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        std::error_code ec;
        redis.exec<long long>(ec, "INCR", "sc:counter");
        if (ec) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(redis.exec<long long>("GET", "sc:counter"), 16000);
}

TEST(sync_client_test, exec_from_the_connections_own_thread_is_refused) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  std::promise<bool> refused;
  asio::post(redis.get_connection().get_executor(), [&] {
    try {
      redis.exec<std::string>("PING");
      refused.set_value(false);
    } catch (const std::logic_error&) {
      refused.set_value(true);
    }
  });
  EXPECT_TRUE(refused.get_future().get());
}

TEST(sync_client_test, a_borrowed_io_context) {
  RESPOOL_SERVER_OR_SKIP();
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::thread runner([&] { ioc.run(); });
  {
    respool::sync_client redis(ioc.get_executor(), test_config());
    EXPECT_EQ(redis.exec<std::string>("ECHO", "borrowed"), "borrowed");
  }
  work.reset();
  runner.join();
}

}  // namespace
