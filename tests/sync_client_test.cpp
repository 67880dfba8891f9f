// sync_client against the test server: blocking calls, from one thread and from many, the
// threads taking turns at driving the connection (and its own thread between calls), deadlines
// and a lost connection while a caller reads.
#include "alloc_counter.hpp"
#include "client_support.hpp"
#include <respool/client/sync_client.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;

respool::config test_config() { return respool::test::server_config(); }

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

TEST(sync_client_test, one_thread_allocates_nothing_per_call) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  respool::request set;
  set.push("SET", "sc:alloc", "0123456789abcdef0123");
  respool::request get;
  get.push("GET", "sc:alloc");
  respool::ignore_t ignored;
  std::string value;
  auto round = [&] {
    EXPECT_FALSE(redis.exec_request(set, ignored));
    EXPECT_FALSE(redis.exec_request(get, value));
  };
  for (int i = 0; i < 100; ++i) round();  // buffers and pools reach their size
  const respool::test::allocation_scope scope;
  for (int i = 0; i < 1000; ++i) round();
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(value, "0123456789abcdef0123");
}

// Threads call in bursts with pauses longer than the idle grace, so the driving goes from
// caller to caller, to the sync_client's own thread and back, many times.
TEST(sync_client_test, threads_that_come_and_go_take_turns_at_driving) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  redis.exec<long long>("DEL", "sc:turns");
  constexpr int threads = 12;
  constexpr int bursts = 6;
  constexpr int per_burst = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      for (int b = 0; b < bursts; ++b) {
        for (int i = 0; i < per_burst; ++i) {
          std::error_code ec;
          redis.exec<long long>(ec, "INCR", "sc:turns");
          if (ec) ++failures;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + 7 * ((t + b) % 5)));
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(redis.exec<long long>("GET", "sc:turns"), threads * bursts * per_burst);
}

// The caller that drives reads in a recv() that blocks; a request's deadline still ends its
// call, and the connection serves the next one.
TEST(sync_client_test, a_deadline_ends_a_call_whose_caller_reads) {
  RESPOOL_SERVER_OR_SKIP();
  respool::config cfg = test_config();
  cfg.request_timeout = 100ms;
  respool::sync_client redis(cfg);
  EXPECT_EQ(redis.exec<std::string>("PING"), "PONG");  // up, and read by its caller
  std::error_code ec;
  redis.exec<std::optional<std::string>>(ec, "BLPOP", "sc:never", "0.3");
  EXPECT_EQ(ec, error::request_timeout) << ec.message();
  // The server answers the BLPOP first, once it times out there: then the next call.
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(redis.exec<std::string>("ECHO", "after"), "after");
}

// A connection the server closes while its caller waits in recv() fails that call, and the
// next call goes out on a new connection.
TEST(sync_client_test, a_connection_lost_while_its_caller_reads) {
  RESPOOL_SERVER_OR_SKIP();
  respool::sync_client redis(test_config());
  respool::sync_client killer(test_config());
  const long long id = redis.exec<long long>("CLIENT", "ID");
  auto blocked = std::async(std::launch::async, [&] {
    std::error_code ec;
    redis.exec<std::optional<std::string>>(ec, "BLPOP", "sc:never", "5");
    return ec;
  });
  // Killed once the BLPOP is under way (CLIENT KILL would also work before it).
  for (int i = 0; i < 200; ++i) {
    const auto clients = killer.exec<std::string>("CLIENT", "LIST", "ID", id);
    if (clients.find("cmd=blpop") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(killer.exec<long long>("CLIENT", "KILL", "ID", id), 1);
  EXPECT_EQ(blocked.get(), error::connection_lost);
  EXPECT_NE(redis.exec<long long>("CLIENT", "ID"), id);
}

}  // namespace
