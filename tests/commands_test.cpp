// Typed commands (commands.hpp) against the test server: strings, keys and server commands,
// on the blocking and the async client. The encoding, the reply types, and the edge replies
// (nil, empty, wrong type). Other types: commands_collections_test.cpp; pipelines,
// transactions and scripts: commands_transactions_test.cpp.
#include "commands_support.hpp"
#include <respool/client/client.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;
using respool::set_if;
using respool::ttl_reply;
using respool::test::commands_test;
namespace cmd = respool::cmd;

TEST_F(commands_test, get_and_set_with_options) {
  EXPECT_EQ(redis().exec(cmd::get("cm:s")), std::nullopt);
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "v1")));
  EXPECT_EQ(redis().exec(cmd::get("cm:s")), "v1");
  // NX on an existing key: not stored, and no error.
  EXPECT_FALSE(redis().exec(cmd::set("cm:s", "v2", {.only = set_if::absent})));
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "v3", {.only = set_if::present})));
  EXPECT_FALSE(redis().exec(cmd::set("cm:gone", "x", {.only = set_if::present})));
  EXPECT_EQ(redis().exec(cmd::get("cm:gone")), std::nullopt);
  // A time to live, kept or replaced.
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "v4", {.ttl = 100s})));
  const ttl_reply t = redis().exec(cmd::pttl("cm:s"));
  EXPECT_EQ(t.state, ttl_reply::expires);
  EXPECT_GT(t.left, 90s);
  EXPECT_LE(t.left, 100s);
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "v5", {.keep_ttl = true})));
  EXPECT_EQ(redis().exec(cmd::pttl("cm:s")).state, ttl_reply::expires);
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "v6")));
  EXPECT_EQ(redis().exec(cmd::pttl("cm:s")).state, ttl_reply::persistent);
  EXPECT_EQ(redis().exec(cmd::pttl("cm:gone")).state, ttl_reply::missing);
  // SET … GET.
  EXPECT_EQ(redis().exec(cmd::set_get("cm:s", "v7")), "v6");
  EXPECT_EQ(redis().exec(cmd::set_get("cm:gone", "x")), std::nullopt);
  EXPECT_EQ(redis().exec(cmd::getdel("cm:gone")), "x");
  EXPECT_EQ(redis().exec(cmd::getdel("cm:gone")), std::nullopt);
  // An empty value is a value.
  EXPECT_TRUE(redis().exec(cmd::set("cm:s", "")));
  EXPECT_EQ(redis().exec(cmd::get("cm:s")), "");
  EXPECT_EQ(redis().exec(cmd::getex("cm:s", 50s)), "");
  EXPECT_EQ(redis().exec(cmd::pttl("cm:s")).state, ttl_reply::expires);
  EXPECT_EQ(redis().exec(cmd::getex("cm:s", 0ms)), "");
  EXPECT_EQ(redis().exec(cmd::pttl("cm:s")).state, ttl_reply::persistent);
}

TEST_F(commands_test, numbers_and_appends) {
  EXPECT_EQ(redis().exec(cmd::incr("cm:n")), 1);
  EXPECT_EQ(redis().exec(cmd::incrby("cm:n", 41)), 42);
  EXPECT_EQ(redis().exec(cmd::decr("cm:n")), 41);
  EXPECT_EQ(redis().exec(cmd::decrby("cm:n", -9)), 50);
  EXPECT_DOUBLE_EQ(redis().exec(cmd::incrbyfloat("cm:f", 0.5)), 0.5);
  EXPECT_DOUBLE_EQ(redis().exec(cmd::incrbyfloat("cm:f", -2.25)), -1.75);
  EXPECT_EQ(redis().exec(cmd::append("cm:a", "ab")), 2);
  EXPECT_EQ(redis().exec(cmd::append("cm:a", "cd")), 4);
  EXPECT_EQ(redis().exec(cmd::strlen("cm:a")), 4);
  EXPECT_EQ(redis().exec(cmd::strlen("cm:gone")), 0);
  // INCR of a string that is not a number: the server's error, with its message.
  try {
    redis().exec(cmd::incr("cm:a"));
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::server_error);
    EXPECT_NE(std::string(e.what()).find("not an integer"), std::string::npos) << e.what();
  }
}

TEST_F(commands_test, multiple_keys) {
  const std::map<std::string, std::string> pairs{{"cm:a", "1"}, {"cm:b", "2"}};
  EXPECT_TRUE(redis().exec(cmd::mset(pairs)));
  const std::vector<std::string> keys{"cm:a", "cm:gone", "cm:b"};
  EXPECT_EQ(redis().exec(cmd::mget(keys)),
            (std::vector<std::optional<std::string>>{"1", std::nullopt, "2"}));
  EXPECT_EQ(redis().exec(cmd::exists(keys)), 2);
  EXPECT_TRUE(redis().exec(cmd::exists("cm:a")));
  EXPECT_FALSE(redis().exec(cmd::exists("cm:gone")));
  EXPECT_EQ(redis().exec(cmd::del(keys)), 2);
  EXPECT_EQ(redis().exec(cmd::del("cm:a")), 0);
}

TEST_F(commands_test, expiry_and_types) {
  redis().exec(cmd::set("cm:s", "v"));
  EXPECT_TRUE(redis().exec(cmd::pexpire("cm:s", 30s)));
  EXPECT_FALSE(redis().exec(cmd::pexpire("cm:gone", 30s)));
  EXPECT_TRUE(redis().exec(cmd::persist("cm:s")));
  EXPECT_FALSE(redis().exec(cmd::persist("cm:s")));
  EXPECT_EQ(redis().exec(cmd::type("cm:s")), "string");
  redis().exec<long long>("HSET", "cm:h", "f", "v");
  EXPECT_EQ(redis().exec(cmd::type("cm:h")), "hash");
  EXPECT_EQ(redis().exec(cmd::type("cm:gone")), "none");
  EXPECT_EQ(redis().exec(cmd::unlink("cm:h")), 1);
  EXPECT_GE(redis().exec(cmd::dbsize()), 1);
  // GET of a hash: the server's WRONGTYPE, through the error_code form.
  redis().exec<long long>("HSET", "cm:h", "f", "v");
  std::error_code ec;
  EXPECT_EQ(redis().exec(ec, cmd::get("cm:h")), std::nullopt);
  EXPECT_EQ(ec, error::server_error);
}

TEST_F(commands_test, typed_commands_on_the_async_client) {
  asio::io_context ioc;
  respool::connection conn(ioc, respool::test::commands_config());
  conn.async_run(asio::detached);
  respool::client c(conn);
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(
            co_await c.async_exec(cmd::set("cm:s", "async", {.ttl = 10s}), asio::use_awaitable));
        EXPECT_EQ(co_await c.async_exec(cmd::get("cm:s"), asio::use_awaitable), "async");
        const ttl_reply t = co_await c.async_exec(cmd::pttl("cm:s"), asio::use_awaitable);
        EXPECT_EQ(t.state, ttl_reply::expires);
        EXPECT_EQ(co_await c.async_exec(cmd::incrby("cm:n", 7), asio::use_awaitable), 7);
        done = true;
        conn.cancel();
      },
      asio::detached);
  ioc.run_for(10s);
  EXPECT_TRUE(done);
}

TEST_F(commands_test, scan_is_a_range_of_keys) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 250; ++i) pairs.emplace_back("cm:scan:" + std::to_string(i), "v");
  redis().exec(cmd::mset(pairs));
  std::set<std::string> seen;
  std::size_t visits = 0;
  for (const std::string& key : redis().scan("cm:scan:*", 37)) {
    seen.insert(key);
    ++visits;
  }
  EXPECT_EQ(seen.size(), 250u);  // every key, some perhaps more than once
  EXPECT_GE(visits, 250u);
  EXPECT_EQ(seen.count("cm:scan:0"), 1u);
  EXPECT_EQ(seen.count("cm:scan:249"), 1u);
  // Nothing matches: an empty range, however many batches SCAN needs to say so.
  std::size_t none = 0;
  for (const std::string& key : redis().scan("cm:no-such-key:*", 10)) {
    (void)key;
    ++none;
  }
  EXPECT_EQ(none, 0u);
  std::vector<std::string> keys(seen.begin(), seen.end());
  EXPECT_EQ(redis().exec(cmd::del(keys)), 250);
}

TEST_F(commands_test, server_commands_scan_steps_and_expire_at) {
  const std::string server = redis().exec(cmd::info("server"));
  EXPECT_NE(server.find("redis_version:"), std::string::npos);
  EXPECT_NE(redis().exec(cmd::info()).find("# Server"), std::string::npos);
  // FLUSHDB on a database of its own, so that other tests' keys stay.
  respool::config cfg = respool::test::commands_config();
  cfg.database = 9;
  respool::sync_client db9(cfg);
  db9.exec(cmd::set("cm:flush", "x"));
  EXPECT_EQ(db9.exec(cmd::dbsize()), 1);
  EXPECT_TRUE(db9.exec(cmd::flushdb()));
  EXPECT_EQ(db9.exec(cmd::dbsize()), 0);
  EXPECT_TRUE(db9.exec(cmd::flushdb(true)));
  // PUBLISH to a channel nobody listens to: delivered to no one.
  EXPECT_EQ(db9.exec(cmd::publish("cm:nobody", "hello")), 0);

  // SCAN steps by hand, as an async caller would loop.
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"cm:sc:1", "a"}, {"cm:sc:2", "b"}, {"cm:sc:3", "c"}, {"other", "d"}};
  db9.exec(cmd::mset(pairs));
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    auto [next, keys] = db9.exec(cmd::scan(cursor, "cm:sc:*", 1));
    seen.insert(keys.begin(), keys.end());
    cursor = next;
  } while (cursor != "0");
  EXPECT_EQ(seen, (std::set<std::string>{"cm:sc:1", "cm:sc:2", "cm:sc:3"}));
  auto [first_cursor, all] = db9.exec(cmd::scan("0", {}, 1000));
  EXPECT_EQ(first_cursor, "0");
  EXPECT_EQ(all.size(), 4u);

  // EXPIREAT in the future: a TTL; in the past: the key is gone.
  using namespace std::chrono;
  const auto in_an_hour = time_point_cast<seconds>(system_clock::now()) + hours(1);
  EXPECT_TRUE(db9.exec(cmd::expireat("other", in_an_hour)));
  const auto ttl = db9.exec(cmd::pttl("other"));
  EXPECT_EQ(ttl.state, respool::ttl_reply::expires);
  EXPECT_GT(ttl.left, minutes(59));
  EXPECT_TRUE(db9.exec(cmd::expireat("other", sys_seconds(seconds(1)))));
  EXPECT_FALSE(db9.exec(cmd::exists("other")));
  EXPECT_FALSE(db9.exec(cmd::expireat("cm:gone", in_an_hour)));
  db9.exec(cmd::flushdb());
}

}  // namespace
