// The connection against the shared test server: every completion token, automatic
// pipelining, typed responses, cancellation, timeouts, a user-supplied setup, and requests
// without a server.
#include "alloc_counter.hpp"
#include "connection_fixture.hpp"
#include "connection_support.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>
namespace {

using respool::test::connection_test;
using respool::test::run_until;
using respool::test::test_config;

using namespace std::chrono_literals;
using respool::error;
using respool::request;

TEST_F(connection_test, callback_with_a_pipeline_tuple) {
  request req;
  req.push("DEL", "ct:a", "ct:l");
  req.push("SET", "ct:a", 41);
  req.push("INCR", "ct:a");
  req.push("RPUSH", "ct:l", "x", "y", "z");
  req.push("LRANGE", "ct:l", 0, -1);
  req.push("GET", "ct:missing");
  std::tuple<respool::ignore_t, std::string, long long, int, std::vector<std::string>,
             std::optional<std::string>>
      resp;
  bool done = false;
  std::error_code ec;
  std::size_t bytes = 0;
  conn_->async_exec(req, resp, [&](std::error_code e, std::size_t n) {
    done = true;
    ec = e;
    bytes = n;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::get<1>(resp), "OK");
  EXPECT_EQ(std::get<2>(resp), 42);
  EXPECT_EQ(std::get<3>(resp), 3);
  EXPECT_EQ(std::get<4>(resp), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_FALSE(std::get<5>(resp).has_value());
  EXPECT_GT(bytes, 20u);
}

TEST_F(connection_test, use_future_from_another_thread) {
  // The io_context runs on a thread of its own; the test waits on futures.
  auto work = asio::make_work_guard(ioc_);
  std::thread runner([&] { ioc_.run(); });
  request req;
  req.push("SET", "ct:future", "v");
  req.push("GET", "ct:future");
  std::tuple<std::string, std::string> resp;
  // Member functions are called on the connection's executor.
  auto fut = asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<std::size_t> {
        co_return co_await conn_->async_exec(req, resp, asio::use_awaitable);
      },
      asio::use_future);
  ASSERT_EQ(fut.wait_for(10s), std::future_status::ready);
  EXPECT_GT(fut.get(), 0u);
  EXPECT_EQ(std::get<1>(resp), "v");

  std::future<std::size_t> direct;
  asio::post(ioc_, [&] { direct = conn_->async_exec(req, resp, asio::use_future); });
  while (!direct.valid()) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(direct.wait_for(10s), std::future_status::ready);
  EXPECT_GT(direct.get(), 0u);

  // A server error through a future is an exception carrying the code.
  request bad;
  bad.push("INCR", "ct:future");
  long long n = 0;
  std::future<std::size_t> failing;
  asio::post(ioc_, [&] { failing = conn_->async_exec(bad, n, asio::use_future); });
  while (!failing.valid()) std::this_thread::sleep_for(1ms);
  try {
    failing.get();
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::server_error);
  }
  work.reset();
  asio::post(ioc_, [&] { conn_->cancel(); });
  runner.join();
  ioc_.restart();
}

TEST_F(connection_test, coroutines_deferred_and_as_tuple) {
  bool done = false;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        request req;
        req.push("SET", "ct:co", 7);
        co_await conn_->async_exec(req, asio::use_awaitable);

        request get;
        get.push("GET", "ct:co");
        int v = 0;
        auto op = conn_->async_exec(get, v, asio::experimental::deferred);
        co_await std::move(op)(asio::use_awaitable);
        EXPECT_EQ(v, 7);

        request bad;
        bad.push("LPUSH", "ct:co", "x");  // WRONGTYPE
        auto [ec, n] =
            co_await conn_->async_exec(bad, asio::experimental::as_tuple(asio::use_awaitable));
        EXPECT_EQ(ec, error::server_error);
        (void)n;

        // The server's message, kept by result<T>.
        respool::result<long long> r;
        co_await conn_->async_exec(bad, r, asio::use_awaitable);
        EXPECT_FALSE(r.has_value());
        EXPECT_NE(r.error().message.find("WRONGTYPE"), std::string::npos) << r.error().message;
        done = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
}

TEST_F(connection_test, requests_issued_together_share_a_write) {
  constexpr int n = 200;
  std::vector<request> reqs(n);
  std::vector<long long> values(n);
  int completed = 0;
  const auto batches_before = conn_->stats().write_batches;
  for (int i = 0; i < n; ++i) {
    reqs[i].push("INCRBY", "ct:batch", 1);
    conn_->async_exec(reqs[i], values[i], [&](std::error_code ec, std::size_t) {
      EXPECT_FALSE(ec);
      ++completed;
    });
  }
  ASSERT_TRUE(run_until(ioc_, [&] { return completed == n; }));
  // Issued in one go, they went out in one batch; replies came back in order.
  EXPECT_EQ(conn_->stats().write_batches - batches_before, 1u);
  for (int i = 1; i < n; ++i) EXPECT_EQ(values[i], values[i - 1] + 1);
}

// Replies to the first commands come while the write of the rest is still going: they must
// go to this request, on either write path, with health-check PINGs going out meanwhile.
TEST_F(connection_test, replies_that_come_during_a_long_write_go_to_its_request) {
  for (const bool direct : {true, false}) {
    respool::config cfg = test_config();
    cfg.direct_writev = direct;
    // The requests are queued before the connection is up: room for a loaded machine.
    cfg.connect_timeout = 10s;
    cfg.health_check_interval = 5ms;
    // Far beyond what the server needs to answer, on a loaded machine too.
    cfg.health_check_timeout = 10s;
    respool::connection c(ioc_, cfg);
    bool ran = false;
    c.async_run([&](std::error_code) { ran = true; });
    request big;
    for (int i = 0; i < 200000; ++i) big.push("SET", "ct:big:0123456789abcdef", i);
    big.push("GET", "ct:big:0123456789abcdef");
    respool::generic_response resp;
    request small;
    small.push("ECHO", "small");
    std::string echo;
    std::error_code ec_big, ec_small;
    int done = 0;
    c.async_exec(big, resp, [&](std::error_code e, std::size_t) {
      ec_big = e;
      ++done;
    });
    c.async_exec(small, echo, [&](std::error_code e, std::size_t) {
      ec_small = e;
      ++done;
    });
    ASSERT_TRUE(run_until(
        ioc_, [&] { return done == 2; }, 60s))
        << "direct_writev " << direct;
    EXPECT_FALSE(ec_big) << ec_big.message();
    EXPECT_FALSE(ec_small) << ec_small.message();
    ASSERT_EQ(resp.size(), 200001u);
    EXPECT_EQ(resp[199999].nodes()[0].value, "OK");
    EXPECT_EQ(resp[200000].nodes()[0].value, "199999");
    EXPECT_EQ(echo, "small");
    EXPECT_EQ(c.queued_pushes(), 0u);
    c.cancel();
    ASSERT_TRUE(run_until(ioc_, [&] { return ran; }));
  }
}

// A blocking command keeps the server silent for its timeout: the health check, set far
// shorter, neither pings behind it nor closes the connection. Forever (timeout 0) too.
TEST_F(connection_test, blocking_commands_outlast_a_short_health_check) {
  respool::config cfg = test_config();
  cfg.health_check_interval = 100ms;
  cfg.health_check_timeout = 100ms;
  respool::connection c(ioc_, cfg);
  bool ran = false;
  c.async_run([&](std::error_code) { ran = true; });
  const std::string key = "ct:blocking:" + std::to_string(::getpid());
  request timed, forever;
  timed.push("BLPOP", key, "0.8");  // seconds: eight health-check timeouts
  forever.push("DEL", key);
  forever.push("BLPOP", key, 0);
  std::optional<std::vector<std::string>> got_timed;
  std::tuple<respool::ignore_t, std::optional<std::vector<std::string>>> got_forever;
  std::error_code ec_timed = asio::error::would_block, ec_forever = asio::error::would_block;
  c.async_exec(timed, got_timed, [&](std::error_code e, std::size_t) { ec_timed = e; });
  c.async_exec(forever, got_forever, [&](std::error_code e, std::size_t) { ec_forever = e; });
  ASSERT_TRUE(run_until(
      ioc_, [&] { return ec_timed != asio::error::would_block; }, 10s));
  EXPECT_FALSE(ec_timed) << ec_timed.message();
  EXPECT_FALSE(got_timed.has_value());  // timed out: a null
  // The second waits until another client pushes, a second later.
  request push;
  push.push("RPUSH", key, "woken");
  respool::ignore_t pushed;
  asio::steady_timer later(ioc_, 1s);
  later.async_wait([&](std::error_code) {
    conn_->async_exec(push, pushed, [](std::error_code, std::size_t) {});
  });
  ASSERT_TRUE(run_until(
      ioc_, [&] { return ec_forever != asio::error::would_block; }, 10s));
  EXPECT_FALSE(ec_forever) << ec_forever.message();
  ASSERT_TRUE(std::get<1>(got_forever).has_value());
  EXPECT_EQ(*std::get<1>(got_forever), (std::vector<std::string>{key, "woken"}));
  EXPECT_EQ(c.stats().disconnects, 0u);
  EXPECT_EQ(c.stats().health_checks, 0u);  // no PING went out behind them
  c.cancel();
  ASSERT_TRUE(run_until(ioc_, [&] { return ran; }));
}

TEST_F(connection_test, cancelling_a_request_before_it_is_written) {
  request req;
  req.push("SET", "ct:cancelled", "x");
  asio::cancellation_signal sig;
  std::error_code ec;
  bool done = false;
  conn_->async_exec(req,
                    asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, std::size_t) {
                      ec = e;
                      done = true;
                    }));
  sig.emit(asio::cancellation_type::total);  // before the io_context ran: still queued
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
  EXPECT_EQ(ec, asio::error::operation_aborted);
  // It was never sent.
  request get;
  get.push("EXISTS", "ct:cancelled");
  request del;
  del.push("DEL", "ct:cancelled");
  int exists = -1;
  bool got = false;
  conn_->async_exec(get, exists, [&](std::error_code, std::size_t) { got = true; });
  ASSERT_TRUE(run_until(ioc_, [&] { return got; }));
  EXPECT_EQ(exists, 0);
}

TEST_F(connection_test, terminal_cancellation_of_a_written_request_keeps_the_stream_in_step) {
  // BLPOP blocks on the server; terminal cancellation gives up on its reply, which is
  // dropped when it comes, and the next request gets its own reply.
  request blpop;
  blpop.push("BLPOP", "ct:empty-list", "1");
  asio::cancellation_signal sig;
  std::error_code ec;
  bool cancelled = false;
  conn_->async_exec(blpop,
                    asio::bind_cancellation_slot(sig.slot(), [&](std::error_code e, std::size_t) {
                      ec = e;
                      cancelled = true;
                    }));
  ASSERT_TRUE(run_until(ioc_, [&] { return conn_->stats().write_batches > 0; }));
  ioc_.run_for(50ms);
  sig.emit(asio::cancellation_type::total);  // not terminal: it stays
  ioc_.run_for(20ms);
  EXPECT_FALSE(cancelled);
  sig.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(ioc_, [&] { return cancelled; }));
  EXPECT_EQ(ec, asio::error::operation_aborted);

  request echo;
  echo.push("ECHO", "mine");
  std::string reply;
  bool done = false;
  conn_->async_exec(echo, reply, [&](std::error_code e, std::size_t) {
    EXPECT_FALSE(e);
    done = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
  EXPECT_EQ(reply, "mine");
}

TEST_F(connection_test, request_timeout_on_a_blocked_command) {
  respool::config cfg = test_config();
  cfg.request_timeout = 100ms;
  respool::connection c(ioc_, cfg);
  bool ran = false;
  c.async_run([&](std::error_code) { ran = true; });
  // Connected first: on a loaded machine the setup alone may outlast the 100 ms.
  ASSERT_TRUE(run_until(ioc_, [&] { return c.is_connected(); }));
  request blpop;
  blpop.push("BLPOP", "ct:empty-list-2", "0.5");
  request echo;
  echo.push("ECHO", "after");
  std::error_code ec1, ec2;
  std::string reply;
  int done = 0;
  c.async_exec(blpop, [&](std::error_code e, std::size_t) {
    ec1 = e;
    ++done;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done == 1; }));
  EXPECT_EQ(ec1, error::request_timeout);
  EXPECT_TRUE(c.is_connected());
  // Issued after the timeout, this waits behind BLPOP's late reply and gets its own.
  cfg.request_timeout = 0ms;
  c.async_exec(echo, reply, [&](std::error_code e, std::size_t) {
    ec2 = e;
    ++done;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done == 2; }));
  // Its own timeout (100 ms) may end it first while BLPOP blocks; either way, no mix-up.
  if (!ec2) {
    EXPECT_EQ(reply, "after");
  }
  EXPECT_EQ(c.stats().disconnects, 0u);
  c.cancel();
  ASSERT_TRUE(run_until(ioc_, [&] { return ran; }));
}

TEST_F(connection_test, a_user_supplied_setup_replaces_the_handshake) {
  respool::config cfg = test_config();
  cfg.setup.emplace();
  cfg.setup->push("CLIENT", "SETNAME", "custom-setup");
  cfg.setup->push("SELECT", 5);
  respool::connection c(ioc_, cfg);
  bool ran = false;
  c.async_run([&](std::error_code) { ran = true; });
  request req;
  req.push("CLIENT", "GETNAME");
  req.push("CLIENT", "INFO");
  std::tuple<std::string, std::string> resp;
  bool done = false;
  c.async_exec(req, resp, [&](std::error_code ec, std::size_t) {
    EXPECT_FALSE(ec) << ec.message();
    done = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
  EXPECT_EQ(std::get<0>(resp), "custom-setup");
  EXPECT_NE(std::get<1>(resp).find(" db=5 "), std::string::npos) << std::get<1>(resp);
  // No HELLO was sent: the connection speaks RESP2.
  EXPECT_NE(std::get<1>(resp).find(" resp=2"), std::string::npos) << std::get<1>(resp);
  EXPECT_EQ(c.protocol(), 2);
  c.cancel();
  ASSERT_TRUE(run_until(ioc_, [&] { return ran; }));
}

TEST(connection_unit_test, requests_wait_for_a_connection_and_fail_when_stopped) {
  // No server needed: the connection never runs.
  asio::io_context ioc;
  respool::connection conn(ioc, respool::config{});
  request req;
  req.push("PING");
  std::error_code ec;
  bool done = false;
  conn.async_exec(req, [&](std::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  ioc.run_for(50ms);
  EXPECT_FALSE(done);  // waiting for async_run
  conn.cancel();
  ioc.restart();
  ioc.run_for(50ms);
  ASSERT_TRUE(done);
  EXPECT_EQ(ec, asio::error::operation_aborted);
}

TEST(connection_unit_test, fail_unwritten_when_down_fails_at_once) {
  asio::io_context ioc;
  respool::config cfg;
  cfg.fail_unwritten_when_down = true;
  respool::connection conn(ioc, cfg);
  request req;
  req.push("PING");
  std::error_code ec;
  conn.async_exec(req, [&](std::error_code e, std::size_t) { ec = e; });
  EXPECT_FALSE(ec);  // never inside the initiating call
  ioc.run_for(50ms);
  EXPECT_EQ(ec, error::not_connected);
}

TEST(connection_unit_test, destroying_the_connection_completes_its_operations) {
  asio::io_context ioc;
  std::error_code ec;
  bool done = false;
  request req;
  req.push("PING");
  {
    respool::connection conn(ioc, respool::config{});
    conn.async_exec(req, [&](std::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
  }
  ioc.run_for(50ms);
  ASSERT_TRUE(done);
  EXPECT_EQ(ec, asio::error::operation_aborted);
}

}  // namespace
