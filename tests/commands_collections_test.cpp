// Typed commands on hashes, lists, sets, sorted sets, streams, HyperLogLogs and geo indexes,
// against the test server.
#include "commands_support.hpp"
#include <respool/client/sync_client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/error.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;
using respool::set_if;
using respool::test::commands_test;
namespace cmd = respool::cmd;

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
