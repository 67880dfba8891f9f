// connection::async_wait_connected: completes once the connection is up, at once when it
// already is, and with the run's error when the run ends (or is cancelled) first.
#include "connection_support.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <system_error>

namespace respool::test {
namespace {

using namespace std::chrono_literals;

// A config that never gets up: a closed port, no reconnection.
config unreachable_config() {
  config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = closed_port();
  cfg.reconnect.enabled = false;
  cfg.health_check_interval = 0ms;
  return cfg;
}

TEST(connection_established_test, completes_once_the_connection_is_up) {
  asio::io_context ioc;
  config cfg = server_config();
  cfg.reconnect.enabled = false;  // without a server, the wait ends with the run
  connection conn(ioc, cfg);
  std::optional<std::error_code> waited;
  conn.async_wait_connected([&](std::error_code ec) { waited = ec; });
  conn.async_run([](std::error_code) {});
  ASSERT_TRUE(run_until(ioc, [&] { return waited.has_value(); }));
  if (*waited && !server_required()) GTEST_SKIP() << "no test server: " << waited->message();
  EXPECT_FALSE(*waited) << waited->message();
  EXPECT_TRUE(conn.is_connected());

  // Already up: at once (posted, not inline).
  std::optional<std::error_code> again;
  conn.async_wait_connected([&](std::error_code ec) { again = ec; });
  EXPECT_FALSE(again.has_value());
  ASSERT_TRUE(run_until(ioc, [&] { return again.has_value(); }));
  EXPECT_FALSE(*again) << again->message();
  conn.cancel();
  ioc.run_for(100ms);
}

TEST(connection_established_test, works_with_coroutines) {
  asio::io_context ioc;
  config cfg = server_config();
  cfg.reconnect.enabled = false;  // without a server, the wait ends with the run
  connection conn(ioc, cfg);
  std::optional<std::error_code> waited;
  conn.async_run([](std::error_code) {});
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        try {
          co_await conn.async_wait_connected(asio::use_awaitable);
          waited = std::error_code{};
        } catch (const std::system_error& e) {
          waited = e.code();
        }
      },
      asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return waited.has_value(); }));
  if (*waited && !server_required()) GTEST_SKIP() << "no test server: " << waited->message();
  EXPECT_FALSE(*waited) << waited->message();
  conn.cancel();
  ioc.run_for(100ms);
}

TEST(connection_established_test, completes_with_the_error_that_ended_the_run) {
  asio::io_context ioc;
  connection conn(ioc, unreachable_config());
  std::optional<std::error_code> waited;
  std::optional<std::error_code> run;
  conn.async_wait_connected([&](std::error_code ec) { waited = ec; });
  conn.async_run([&](std::error_code ec) { run = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return waited.has_value() && run.has_value(); }));
  EXPECT_EQ(*waited, asio::error::connection_refused) << waited->message();
  EXPECT_EQ(*waited, *run);

  // The run has ended: nothing will connect it.
  std::optional<std::error_code> after;
  conn.async_wait_connected([&](std::error_code ec) { after = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return after.has_value(); }));
  EXPECT_EQ(*after, error::not_connected) << after->message();
}

TEST(connection_established_test, cancel_completes_it_with_operation_aborted) {
  asio::io_context ioc;
  config cfg = unreachable_config();
  cfg.reconnect.enabled = true;  // keeps trying: only cancel() ends the wait
  cfg.reconnect.initial_delay = 50ms;
  connection conn(ioc, cfg);
  std::optional<std::error_code> waited;
  conn.async_run([](std::error_code) {});
  conn.async_wait_connected([&](std::error_code ec) { waited = ec; });
  ioc.run_for(200ms);
  EXPECT_FALSE(waited.has_value());
  conn.cancel();
  ASSERT_TRUE(run_until(ioc, [&] { return waited.has_value(); }));
  EXPECT_EQ(*waited, asio::error::operation_aborted) << waited->message();
}

TEST(connection_established_test, per_operation_cancellation_leaves_the_run_alone) {
  asio::io_context ioc;
  config cfg = unreachable_config();
  cfg.reconnect.enabled = true;
  cfg.reconnect.initial_delay = 50ms;
  connection conn(ioc, cfg);
  std::optional<std::error_code> waited;
  std::optional<std::error_code> run;
  asio::cancellation_signal signal;
  conn.async_run([&](std::error_code ec) { run = ec; });
  conn.async_wait_connected(
      asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec) { waited = ec; }));
  ioc.run_for(100ms);
  signal.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ioc, [&] { return waited.has_value(); }));
  EXPECT_EQ(*waited, asio::error::operation_aborted) << waited->message();
  EXPECT_FALSE(run.has_value());  // still trying to connect

  // A second wait at once is rejected; the first is still waiting.
  std::optional<std::error_code> first;
  std::optional<std::error_code> second;
  conn.async_wait_connected([&](std::error_code ec) { first = ec; });
  conn.async_wait_connected([&](std::error_code ec) { second = ec; });
  ASSERT_TRUE(run_until(ioc, [&] { return second.has_value(); }));
  EXPECT_EQ(*second, asio::error::already_started);
  EXPECT_FALSE(first.has_value());
  conn.cancel();
  ASSERT_TRUE(run_until(ioc, [&] { return first.has_value() && run.has_value(); }));
  EXPECT_EQ(*first, asio::error::operation_aborted);
}

}  // namespace
}  // namespace respool::test
