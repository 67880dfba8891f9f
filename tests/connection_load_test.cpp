// The connection against the shared test server under load: push messages, a thousand
// coroutines, and allocations in the steady state.
#include "alloc_counter.hpp"
#include "connection_fixture.hpp"
#include "connection_support.hpp"
#include "stress.hpp"
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
namespace {

using respool::test::connection_test;
using respool::test::run_until;
using respool::test::test_config;

using namespace std::chrono_literals;
using respool::error;
using respool::request;

TEST_F(connection_test, push_messages_go_to_async_receive) {
  request sub;
  sub.push("SUBSCRIBE", "ct:chan");
  bool subscribed = false;
  conn_->async_exec(sub, [&](std::error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    subscribed = true;
  });
  respool::generic_reply push;
  bool received = false;
  conn_->async_receive(push, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    received = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return subscribed && received; }));
  ASSERT_GE(push.nodes().size(), 4u);
  EXPECT_EQ(push.nodes()[0].data_type, respool::resp3::type::push);
  EXPECT_EQ(push.nodes()[1].value, "subscribe");
  EXPECT_EQ(push.nodes()[2].value, "ct:chan");

  // A message published from a second connection arrives between this one's replies. A
  // request issued around it still gets its own reply.
  respool::connection pub(ioc_, test_config());
  pub.async_run([](std::error_code) {});
  request publish;
  publish.push("PUBLISH", "ct:chan", "hello");
  int receivers = 0;
  bool published = false;
  pub.async_exec(publish, receivers, [&](std::error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    published = true;
  });
  request ping;
  ping.push("PING", "mine");
  std::string pong;
  bool pinged = false;
  conn_->async_exec(ping, pong, [&](std::error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    pinged = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return published && pinged; }));
  EXPECT_EQ(receivers, 1);
  EXPECT_EQ(pong, "mine");
  received = false;
  conn_->async_receive(push, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    received = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return received; }));
  ASSERT_EQ(push.nodes().size(), 4u);
  EXPECT_EQ(push.nodes()[1].value, "message");
  EXPECT_EQ(push.nodes()[3].value, "hello");
  EXPECT_EQ(conn_->queued_pushes(), 0u);
  pub.cancel();
  ioc_.run_for(20ms);
}

TEST_F(connection_test, a_second_receive_at_once_is_refused) {
  respool::generic_reply a, b;
  std::error_code ec_a, ec_b;
  int done = 0;
  conn_->async_receive(a, [&](std::error_code ec) {
    ec_a = ec;
    ++done;
  });
  conn_->async_receive(b, [&](std::error_code ec) {
    ec_b = ec;
    ++done;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return done == 1; }));
  EXPECT_EQ(ec_b, asio::error::already_started);
  conn_->cancel();
  ASSERT_TRUE(run_until(ioc_, [&] { return done == 2; }));
  EXPECT_EQ(ec_a, asio::error::operation_aborted);
}

TEST_F(connection_test, thousand_coroutines_times_thousand_commands) {
  constexpr int coroutines = 1000;
  constexpr int commands = respool::test::stress_rounds(1000);
  int finished = 0;
  int mismatches = 0;
  for (int c = 0; c < coroutines; ++c) {
    asio::co_spawn(
        ioc_,
        [&, c]() -> asio::awaitable<void> {
          const std::string key = "ct:load:" + std::to_string(c);
          request set, get;
          std::string value;
          for (int i = 0; i < commands; ++i) {
            set.clear();
            get.clear();
            set.push("SET", key, c * commands + i);
            get.push("GET", key);
            co_await conn_->async_exec(set, asio::use_awaitable);
            co_await conn_->async_exec(get, value, asio::use_awaitable);
            if (value != std::to_string(c * commands + i)) ++mismatches;
          }
          ++finished;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  ASSERT_TRUE(run_until(
      ioc_, [&] { return finished == coroutines; }, 240s));
  EXPECT_EQ(mismatches, 0);
  // Automatic pipelining: two million commands in far fewer writes.
  EXPECT_LT(conn_->stats().write_batches, 2u * coroutines * commands / 10);
  request del;
  del.push("EVAL", "return redis.call('DEL', unpack(redis.call('KEYS', 'ct:load:*')))", 0);
  bool done = false;
  conn_->async_exec(del, [&](std::error_code, std::size_t) { done = true; });
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
}

TEST_F(connection_test, steady_state_allocates_nothing_with_callbacks_and_coroutines) {
  request req;
  req.push("SET", "ct:alloc", "0123456789abcdef");
  req.push("GET", "ct:alloc");
  std::tuple<respool::ignore_t, std::string_view> resp;
  int left = 0;
  struct chain {
    respool::connection* conn;
    const request* req;
    std::tuple<respool::ignore_t, std::string_view>* resp;
    int* left;
    void operator()(std::error_code ec, std::size_t) const {
      EXPECT_FALSE(ec);
      if (--*left > 0) conn->async_exec(*req, *resp, *this);
    }
  };
  auto run_chain = [&](int n) {
    left = n;
    conn_->async_exec(req, resp, chain{conn_.get(), &req, &resp, &left});
    ASSERT_TRUE(run_until(ioc_, [&] { return left == 0; }));
  };
  run_chain(100);  // warm-up: pools, buffers and Asio's handler memory reach their size
  auto before = respool::test::allocations();
  run_chain(1000);
  EXPECT_EQ(respool::test::allocations() - before, 0u) << "with callbacks";

  bool done = false;
  std::uint64_t during = 0;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) co_await conn_->async_exec(req, resp, asio::use_awaitable);
        const auto start = respool::test::allocations();
        for (int i = 0; i < 1000; ++i) co_await conn_->async_exec(req, resp, asio::use_awaitable);
        during = respool::test::allocations() - start;
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
  EXPECT_EQ(during, 0u) << "with coroutines";
}

}  // namespace
