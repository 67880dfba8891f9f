// client (commands by name, typed replies) against the test server.
#include "alloc_counter.hpp"
#include "client_support.hpp"
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

}  // namespace
