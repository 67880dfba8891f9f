// Typed commands combined (pipelines, MULTI/EXEC transactions), Lua scripts and functions,
// against the test server.
#include "commands_support.hpp"
#include <respool/client/client.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/script.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;
using respool::ttl_reply;
using respool::test::commands_test;
namespace cmd = respool::cmd;

TEST_F(commands_test, pipelines_give_a_tuple_of_results) {
  auto [stored, value, n, missing] = redis().exec(cmd::pipeline(
      cmd::set("cm:s", "p"), cmd::get("cm:s"), cmd::incrby("cm:n", 3), cmd::get("cm:gone")));
  EXPECT_TRUE(stored);
  EXPECT_EQ(value, "p");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(missing, std::nullopt);
  // A failing command fails the call, with its own message.
  std::error_code ec;
  redis().exec(ec, cmd::pipeline(cmd::incr("cm:n"), cmd::incr("cm:s")));
  EXPECT_EQ(ec, error::server_error);
  EXPECT_EQ(redis().exec(cmd::get("cm:n")), "4");  // the first one ran
}

TEST_F(commands_test, transactions_run_together_or_report_why_not) {
  auto done =
      redis().exec(cmd::transaction(cmd::set("cm:s", "t"), cmd::incr("cm:n"), cmd::pttl("cm:s")));
  ASSERT_TRUE(done.has_value());
  auto [stored, n, ttl] = *done;
  EXPECT_TRUE(stored);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(ttl.state, ttl_reply::persistent);

  // A command the server refuses to queue (wrong arity): EXECABORT, nothing ran.
  std::error_code ec;
  auto aborted = redis().exec(
      ec,
      cmd::transaction(cmd::incr("cm:n"), respool::make_command<long long>([](respool::request& r) {
                         r.push("INCRBY", "cm:n");
                       })));
  EXPECT_EQ(ec, error::server_error);
  EXPECT_FALSE(aborted.has_value());
  EXPECT_EQ(redis().exec(cmd::get("cm:n")), "1");

  // A command that fails while EXEC runs: the others ran, the call fails with its error.
  redis().exec(ec, cmd::transaction(cmd::incr("cm:n"), cmd::incr("cm:s")));
  EXPECT_EQ(ec, error::server_error);
  EXPECT_EQ(redis().exec(cmd::get("cm:n")), "2");
}

TEST_F(commands_test, a_transaction_aborted_by_watch_gives_nothing) {
  // WATCH belongs to a connection: this uses one of its own, and a second one to interfere.
  asio::io_context ioc;
  respool::connection conn(ioc, respool::test::commands_config());
  conn.async_run(asio::detached);
  respool::client c(conn);
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.async_exec<std::string>("WATCH", "cm:s", asio::use_awaitable);
        redis().exec(cmd::set("cm:s", "changed elsewhere"));  // the other connection
        auto r =
            co_await c.async_exec(cmd::transaction(cmd::set("cm:s", "mine")), asio::use_awaitable);
        EXPECT_FALSE(r.has_value());
        EXPECT_EQ(redis().exec(cmd::get("cm:s")), "changed elsewhere");
        // Without interference, the same transaction runs.
        co_await c.async_exec<std::string>("WATCH", "cm:s", asio::use_awaitable);
        r = co_await c.async_exec(cmd::transaction(cmd::set("cm:s", "mine")), asio::use_awaitable);
        EXPECT_TRUE(r.has_value());
        done = true;
        conn.cancel();
      },
      asio::detached);
  ioc.run_for(10s);
  EXPECT_TRUE(done);
  EXPECT_EQ(redis().exec(cmd::get("cm:s")), "mine");
}

TEST_F(commands_test, scripts_run_by_sha1_and_load_themselves) {
  const respool::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  EXPECT_EQ(add.sha1().size(), 40u);
  // The server computes the same digest.
  EXPECT_EQ(redis().exec<std::string>("SCRIPT", "LOAD", add.source()), add.sha1());
  redis().exec<std::string>("SCRIPT", "FLUSH");  // the server forgets it: NOSCRIPT, then EVAL
  const std::string_view keys[] = {"cm:n"};
  const std::string_view args[] = {"5"};
  EXPECT_EQ(redis().eval<long long>(add, keys, args), 5);
  EXPECT_EQ(redis().exec<std::vector<long long>>("SCRIPT", "EXISTS", add.sha1()),
            std::vector<long long>{1});
  EXPECT_EQ(redis().eval<long long>(add, keys, args), 10);  // by SHA1 now
  // A script error is the server's, with its message.
  const respool::script bad("return redis.call('INCR', KEYS[1])");
  redis().exec(cmd::set("cm:s", "text"));
  const std::string_view skeys[] = {"cm:s"};
  try {
    redis().eval<long long>(bad, skeys);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::server_error);
    EXPECT_NE(std::string(e.what()).find("not an integer"), std::string::npos) << e.what();
  }
}

TEST_F(commands_test, functions_and_scripts_on_the_async_client) {
  // A function library (Redis 7), replaced if a previous run loaded it.
  redis().exec<std::string>("FUNCTION", "LOAD", "REPLACE",
                            "#!lua name=cmtest\n"
                            "redis.register_function('cm_double', function(keys, args) "
                            "return tonumber(args[1]) * 2 end)");
  const std::vector<std::string> no_keys;
  const std::vector<std::string> args{"21"};
  EXPECT_EQ(redis().exec(cmd::fcall<long long>("cm_double", no_keys, args)), 42);
  std::error_code ec;
  redis().exec(ec, cmd::fcall<long long>("cm_no_such_function", no_keys, args));
  EXPECT_EQ(ec, error::server_error);

  asio::io_context ioc;
  respool::connection conn(ioc, respool::test::commands_config());
  conn.async_run(asio::detached);
  respool::client c(conn);
  const respool::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.async_exec<std::string>("SCRIPT", "FLUSH", asio::use_awaitable);
        const std::string_view keys[] = {"cm:n"};
        const std::string_view by[] = {"4"};
        // Unknown to the server: NOSCRIPT, then EVAL; known afterwards: EVALSHA alone.
        EXPECT_EQ(co_await c.async_eval<long long>(add, keys, by, asio::use_awaitable), 4);
        EXPECT_EQ(co_await c.async_eval<long long>(add, keys, by, asio::use_awaitable), 8);
        // A script error: the server's, through the error code.
        co_await c.async_exec<std::string>("SET", "cm:s", "text", asio::use_awaitable);
        const std::string_view text_key[] = {"cm:s"};
        auto [e, v] = co_await c.async_eval<long long>(
            add, text_key, by, asio::experimental::as_tuple(asio::use_awaitable));
        EXPECT_EQ(e, error::server_error);
        EXPECT_EQ(v, 0);
        done = true;
        conn.cancel();
      },
      asio::detached);
  ioc.run_for(10s);
  EXPECT_TRUE(done);
}

}  // namespace
