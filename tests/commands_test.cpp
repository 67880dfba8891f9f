// Typed commands (commands.hpp) against the test server: the encoding, the reply types, and
// the edge replies (nil, empty, wrong type).
#include "connection_support.hpp"
#include <respool/client.hpp>
#include <respool/commands.hpp>
#include <respool/error.hpp>
#include <respool/sync_client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;
using respool::set_if;
using respool::ttl_reply;
namespace cmd = respool::cmd;

respool::config test_config() {
  respool::config cfg = respool::test::server_config();
  cfg.request_timeout = 5s;
  cfg.reconnect.enabled = false;
  return cfg;
}

class commands_test : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<respool::sync_client>(test_config());
    std::error_code ec;
    redis_->exec(ec, cmd::ping());
    if (ec) {
      if (respool::test::server_required()) {
        FAIL() << "test server required but unreachable: " << ec.message();
      }
      GTEST_SKIP() << "no Redis server: " << ec.message();
    }
    redis_->exec<long long>("DEL", "cm:s", "cm:n", "cm:f", "cm:a", "cm:b", "cm:h", "cm:l",
                            "cm:gone");
  }
  respool::sync_client& redis() { return *redis_; }
  std::unique_ptr<respool::sync_client> redis_;
};

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
  respool::connection conn(ioc, test_config());
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

}  // namespace

namespace {

TEST_F(commands_test, hashes) {
  EXPECT_TRUE(redis().exec(cmd::hset("cm:h", "a", "1")));
  EXPECT_FALSE(redis().exec(cmd::hset("cm:h", "a", "2")));  // updated, not new
  const std::vector<std::pair<std::string, std::string>> more{{"b", "x"}, {"c", "y"}};
  EXPECT_EQ(redis().exec(cmd::hset("cm:h", more)), 2);
  EXPECT_FALSE(redis().exec(cmd::hsetnx("cm:h", "a", "3")));
  EXPECT_TRUE(redis().exec(cmd::hsetnx("cm:h", "d", "")));
  EXPECT_EQ(redis().exec(cmd::hget("cm:h", "a")), "2");
  EXPECT_EQ(redis().exec(cmd::hget("cm:h", "zz")), std::nullopt);
  EXPECT_EQ(redis().exec(cmd::hget("cm:gone", "a")), std::nullopt);
  const std::vector<std::string_view> fields{"a", "zz", "d"};
  EXPECT_EQ(redis().exec(cmd::hmget("cm:h", fields)),
            (std::vector<std::optional<std::string>>{"2", std::nullopt, ""}));
  EXPECT_EQ(redis().exec(cmd::hgetall("cm:h")),
            (std::unordered_map<std::string, std::string>{
                {"a", "2"}, {"b", "x"}, {"c", "y"}, {"d", ""}}));
  EXPECT_TRUE(redis().exec(cmd::hgetall("cm:gone")).empty());
  EXPECT_TRUE(redis().exec(cmd::hexists("cm:h", "b")));
  EXPECT_FALSE(redis().exec(cmd::hexists("cm:h", "zz")));
  EXPECT_EQ(redis().exec(cmd::hincrby("cm:h", "n", 5)), 5);
  EXPECT_DOUBLE_EQ(redis().exec(cmd::hincrbyfloat("cm:h", "n", 0.25)), 5.25);
  EXPECT_EQ(redis().exec(cmd::hlen("cm:h")), 5);
  EXPECT_EQ(redis().exec(cmd::hkeys("cm:h")).size(), 5u);
  EXPECT_EQ(redis().exec(cmd::hvals("cm:gone")), std::vector<std::string>{});
  EXPECT_EQ(redis().exec(cmd::hdel("cm:h", "a")), 1);
  const std::vector<std::string> gone_fields{"b", "zz"};
  EXPECT_EQ(redis().exec(cmd::hdel("cm:h", gone_fields)), 1);
  // A hash command on a string: WRONGTYPE, with the server's message.
  redis().exec(cmd::set("cm:s", "v"));
  std::error_code ec;
  redis().exec(ec, cmd::hget("cm:s", "a"));
  EXPECT_EQ(ec, error::server_error);
}

TEST_F(commands_test, lists_and_blocking_pops) {
  redis().exec(cmd::del("cm:l"));
  EXPECT_EQ(redis().exec(cmd::rpush("cm:l", "b")), 1);
  EXPECT_EQ(redis().exec(cmd::lpush("cm:l", "a")), 2);
  const std::vector<std::string> tail{"c", "d", "c"}, head{"z"};
  EXPECT_EQ(redis().exec(cmd::rpush("cm:l", tail)), 5);
  EXPECT_EQ(redis().exec(cmd::lpush("cm:l", head)), 6);
  EXPECT_EQ(redis().exec(cmd::lrange("cm:l", 0, -1)),
            (std::vector<std::string>{"z", "a", "b", "c", "d", "c"}));
  EXPECT_EQ(redis().exec(cmd::lrange("cm:gone", 0, -1)), std::vector<std::string>{});
  EXPECT_EQ(redis().exec(cmd::llen("cm:l")), 6);
  EXPECT_EQ(redis().exec(cmd::lindex("cm:l", -1)), "c");
  EXPECT_EQ(redis().exec(cmd::lindex("cm:l", 99)), std::nullopt);
  EXPECT_EQ(redis().exec(cmd::lrem("cm:l", 0, "c")), 2);
  EXPECT_TRUE(redis().exec(cmd::ltrim("cm:l", 1, -1)));
  EXPECT_EQ(redis().exec(cmd::lpop("cm:l")), "a");
  EXPECT_EQ(redis().exec(cmd::rpop("cm:l")), "d");
  EXPECT_EQ(redis().exec(cmd::lpop("cm:l")), "b");
  EXPECT_EQ(redis().exec(cmd::lpop("cm:l")), std::nullopt);
  // A blocking pop that times out gives nothing; one that finds a value gives it.
  EXPECT_EQ(redis().exec(cmd::blpop("cm:l", 100ms)), std::nullopt);
  redis().exec(cmd::rpush("cm:l", "late"));
  EXPECT_EQ(redis().exec(cmd::brpop("cm:l", 1000ms)), "late");
}

}  // namespace

namespace {

TEST_F(commands_test, sets) {
  const std::vector<std::string> keys{"cm:x", "cm:y"};
  redis().exec(cmd::del(keys));
  EXPECT_EQ(redis().exec(cmd::sadd("cm:x", "a")), 1);
  EXPECT_EQ(redis().exec(cmd::sadd("cm:x", "a")), 0);
  const std::vector<std::string> x_members{"b", "c"}, y_members{"c", "d"};
  EXPECT_EQ(redis().exec(cmd::sadd("cm:x", x_members)), 2);
  EXPECT_EQ(redis().exec(cmd::sadd("cm:y", y_members)), 2);
  EXPECT_TRUE(redis().exec(cmd::sismember("cm:x", "b")));
  EXPECT_FALSE(redis().exec(cmd::sismember("cm:x", "d")));
  EXPECT_EQ(redis().exec(cmd::scard("cm:x")), 3);
  using strings = std::unordered_set<std::string>;
  EXPECT_EQ(redis().exec(cmd::smembers("cm:x")), (strings{"a", "b", "c"}));
  EXPECT_EQ(redis().exec(cmd::smembers("cm:gone")), strings{});
  const std::vector<std::string> both{"cm:x", "cm:y"};
  EXPECT_EQ(redis().exec(cmd::sinter(both)), (strings{"c"}));
  EXPECT_EQ(redis().exec(cmd::sunion(both)), (strings{"a", "b", "c", "d"}));
  EXPECT_EQ(redis().exec(cmd::sdiff(both)), (strings{"a", "b"}));
  EXPECT_EQ(redis().exec(cmd::srem("cm:x", "a")), 1);
  EXPECT_TRUE(redis().exec(cmd::spop("cm:x")).has_value());
  EXPECT_EQ(redis().exec(cmd::spop("cm:gone")), std::nullopt);
  redis().exec(cmd::del(both));
}

TEST_F(commands_test, sorted_sets) {
  using respool::cmd::zadd_options;
  redis().exec(cmd::del("cm:z"));
  EXPECT_TRUE(redis().exec(cmd::zadd("cm:z", 1.5, "a")));
  EXPECT_TRUE(redis().exec(cmd::zadd("cm:z", 3, "c")));
  EXPECT_TRUE(redis().exec(cmd::zadd("cm:z", -2, "b")));
  EXPECT_FALSE(redis().exec(cmd::zadd("cm:z", 10, "a", {.only = set_if::absent})));
  EXPECT_EQ(redis().exec(cmd::zscore("cm:z", "a")), 1.5);
  // GT with CH: a lower score changes nothing, a higher one counts as changed.
  EXPECT_FALSE(redis().exec(
      cmd::zadd("cm:z", 1, "a", {.update = zadd_options::compare::greater, .changed = true})));
  EXPECT_TRUE(redis().exec(
      cmd::zadd("cm:z", 2, "a", {.update = zadd_options::compare::greater, .changed = true})));
  EXPECT_EQ(redis().exec(cmd::zscore("cm:z", "zz")), std::nullopt);
  EXPECT_DOUBLE_EQ(redis().exec(cmd::zincrby("cm:z", 0.5, "a")), 2.5);
  EXPECT_EQ(redis().exec(cmd::zcard("cm:z")), 3);
  EXPECT_EQ(redis().exec(cmd::zrank("cm:z", "b")), 0);
  EXPECT_EQ(redis().exec(cmd::zrank("cm:z", "zz")), std::nullopt);
  EXPECT_EQ(redis().exec(cmd::zrange("cm:z", 0, -1)), (std::vector<std::string>{"b", "a", "c"}));
  using scored = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(redis().exec(cmd::zrange_withscores("cm:z", 0, 1)), (scored{{"b", -2}, {"a", 2.5}}));
  EXPECT_EQ(redis().exec(cmd::zrange_byscore("cm:z", 0, 3)), (scored{{"a", 2.5}, {"c", 3}}));
  EXPECT_EQ(redis().exec(cmd::zrange("cm:gone", 0, -1)), std::vector<std::string>{});
  EXPECT_EQ(redis().exec(cmd::zrem("cm:z", "b")), 1);
}

}  // namespace

namespace {

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
  respool::connection conn(ioc, test_config());
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

}  // namespace

namespace {

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

}  // namespace

namespace {

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

}  // namespace

namespace {

TEST_F(commands_test, streams_with_a_consumer_group) {
  redis().exec(cmd::del("cm:st"));
  using fields = std::vector<std::pair<std::string, std::string>>;
  const fields f1{{"temp", "20"}, {"unit", "C"}};
  const std::string id1 = redis().exec(cmd::xadd("cm:st", f1));
  const fields f2{{"temp", "21"}};
  const std::string id2 = redis().exec(cmd::xadd("cm:st", f2));
  EXPECT_NE(id1, id2);
  EXPECT_EQ(redis().exec(cmd::xlen("cm:st")), 2);
  const auto all = redis().exec(cmd::xrange("cm:st"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], (respool::stream_entry{id1, f1}));
  EXPECT_EQ(redis().exec(cmd::xrange("cm:st", "-", "+", 1)).size(), 1u);
  EXPECT_TRUE(redis().exec(cmd::xrange("cm:gone")).empty());
  // XREAD after the first entry; a blocking read that times out gives nothing.
  const auto after = redis().exec(cmd::xread("cm:st", id1));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, id2);
  EXPECT_TRUE(redis().exec(cmd::xread("cm:st", "$", 0, 50ms)).empty());
  // A consumer group: read what was never delivered, acknowledge it.
  EXPECT_TRUE(redis().exec(cmd::xgroup_create("cm:st", "g", "0")));
  const auto got = redis().exec(cmd::xreadgroup("g", "alice", "cm:st", ">", 10));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].fields, (fields{{"temp", "21"}}));
  EXPECT_EQ(redis().exec(cmd::xack("cm:st", "g", got[0].id)), 1);
  EXPECT_EQ(redis().exec(cmd::xack("cm:st", "g", got[0].id)), 0);
  EXPECT_TRUE(redis().exec(cmd::xreadgroup("g", "alice", "cm:st", ">", 10, 50ms)).empty());
  // A group that exists already: BUSYGROUP, the server's message.
  std::error_code ec;
  redis().exec(ec, cmd::xgroup_create("cm:st", "g"));
  EXPECT_EQ(ec, error::server_error);
}

TEST_F(commands_test, hyperloglog_and_geo) {
  const std::vector<std::string> keys{"cm:hll1", "cm:hll2", "cm:hll", "cm:geo"};
  const std::vector<std::string> abc{"a", "b", "c"}, a{"a"}, cd{"c", "d"},
      sources{"cm:hll1", "cm:hll2"};
  redis().exec(cmd::del(keys));
  EXPECT_TRUE(redis().exec(cmd::pfadd("cm:hll1", abc)));
  EXPECT_FALSE(redis().exec(cmd::pfadd("cm:hll1", a)));
  redis().exec(cmd::pfadd("cm:hll2", cd));
  EXPECT_EQ(redis().exec(cmd::pfcount("cm:hll1")), 3);
  EXPECT_TRUE(redis().exec(cmd::pfmerge("cm:hll", sources)));
  EXPECT_EQ(redis().exec(cmd::pfcount("cm:hll")), 4);

  EXPECT_EQ(redis().exec(cmd::geoadd("cm:geo", 13.361389, 38.115556, "Palermo")), 1);
  EXPECT_EQ(redis().exec(cmd::geoadd("cm:geo", 15.087269, 37.502669, "Catania")), 1);
  const auto d = redis().exec(cmd::geodist("cm:geo", "Palermo", "Catania"));
  ASSERT_TRUE(d.has_value());
  EXPECT_NEAR(*d, 166274.0, 10.0);
  EXPECT_EQ(redis().exec(cmd::geodist("cm:geo", "Palermo", "Atlantis")), std::nullopt);
  EXPECT_EQ(redis().exec(cmd::geosearch_byradius("cm:geo", 15, 37, 200000)),
            (std::vector<std::string>{"Catania", "Palermo"}));
  EXPECT_TRUE(redis().exec(cmd::geosearch_byradius("cm:geo", 0, 0, 1000)).empty());
}

}  // namespace

namespace {

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
  respool::connection conn(ioc, test_config());
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

namespace {

TEST_F(commands_test, server_commands_scan_steps_and_expire_at) {
  const std::string server = redis().exec(cmd::info("server"));
  EXPECT_NE(server.find("redis_version:"), std::string::npos);
  EXPECT_NE(redis().exec(cmd::info()).find("# Server"), std::string::npos);
  // FLUSHDB on a database of its own, so that other tests' keys stay.
  respool::config cfg = test_config();
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
