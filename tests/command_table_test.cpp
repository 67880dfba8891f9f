// The command table, without a server: where the keys of commands are, per the built-in table
// (command_table_overlay_test.cpp checks it against what a Redis 7.0 server says).

#include "command_table_test_support.hpp"
#include <respool/protocol/cluster/command_table.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace {

using namespace respool::cluster;
using namespace command_table_test;

TEST(command_table_test, keys_of_common_commands) {
  const command_table t;
  EXPECT_EQ(keys_of(t, {"GET", "k"}), keys({1}));
  EXPECT_EQ(keys_of(t, {"SET", "k", "v", "EX", "10"}), keys({1}));
  EXPECT_EQ(keys_of(t, {"MGET", "a", "b", "c"}), keys({1, 2, 3}));
  EXPECT_EQ(keys_of(t, {"MSET", "a", "1", "b", "2", "c", "3"}), keys({1, 3, 5}));
  EXPECT_EQ(keys_of(t, {"DEL", "a", "b"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"EXISTS", "a"}), keys({1}));
  EXPECT_EQ(keys_of(t, {"LMOVE", "src", "dst", "LEFT", "RIGHT"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"BLMPOP", "0", "2", "a", "b", "LEFT"}), keys({3, 4}));
  EXPECT_EQ(keys_of(t, {"ZUNIONSTORE", "d", "2", "a", "b"}), keys({1, 3, 4}));
  EXPECT_EQ(keys_of(t, {"ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}), keys({1, 3, 4}));
  EXPECT_EQ(keys_of(t, {"EVAL", "return 1", "0"}), keys({}));
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "2", "a", "b", "x"}), keys({3, 4}));
  EXPECT_EQ(keys_of(t, {"EVALSHA_RO", "sha", "1", "a"}), keys({3}));
  EXPECT_EQ(keys_of(t, {"FCALL", "f", "1", "k", "arg"}), keys({3}));
  EXPECT_EQ(keys_of(t, {"FCALL_RO", "f", "0", "arg"}), keys({}));
  EXPECT_EQ(keys_of(t, {"RENAME", "a", "b"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"COPY", "a", "b", "REPLACE"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"BLPOP", "a", "b", "0"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"BITOP", "AND", "d", "a", "b"}), keys({2, 3, 4}));
  EXPECT_EQ(keys_of(t, {"WATCH", "a", "b"}), keys({1, 2}));
  EXPECT_EQ(keys_of(t, {"SPUBLISH", "ch", "msg"}), keys({1}));  // the shard channel
  EXPECT_EQ(keys_of(t, {"SSUBSCRIBE", "a", "b"}), keys({1, 2}));
}

TEST(command_table_test, streams_keyword) {
  const command_table t;
  EXPECT_EQ(keys_of(t, {"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}), keys({4, 5}));
  EXPECT_EQ(keys_of(t, {"XREAD", "STREAMS", "a", "0"}), keys({2}));
  EXPECT_EQ(keys_of(t, {"xread", "block", "0", "streams", "a", "b", "c", "$", "$", "$"}),
            keys({4, 5, 6}));
  EXPECT_EQ(keys_of(t, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">", ">"}),
            keys({5, 6}));
  EXPECT_EQ(keys_of(t, {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "a", ">"}),
            keys({7}));
  // No STREAMS: no keys (the server then refuses the command).
  EXPECT_EQ(keys_of(t, {"XREAD", "COUNT", "2"}), keys({}));
  // STREAMS as the last argument: a key would have to follow it.
  EXPECT_EQ(keys_of(t, {"XREAD", "COUNT", "STREAMS"}), keys({}));
}

TEST(command_table_test, subcommands) {
  const command_table t;
  const command_info* c = t.find(argv_t{"OBJECT", "ENCODING", "k"});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->name, "object|encoding");
  EXPECT_EQ(keys_of(t, {"OBJECT", "ENCODING", "k"}), keys({2}));
  EXPECT_EQ(keys_of(t, {"object", "Freq", "k"}), keys({2}));
  // An unknown subcommand, or none, is the container's own entry: keyless.
  EXPECT_EQ(t.find(argv_t{"OBJECT", "NOPE", "k"})->name, "object");
  EXPECT_EQ(t.find(argv_t{"OBJECT"})->name, "object");
  // A command without subcommands ignores its first argument's name.
  EXPECT_EQ(t.find(argv_t{"GET", "help"})->name, "get");
  const command_info* load = t.find(argv_t{"SCRIPT", "LOAD", "return 1"});
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->name, "script|load");
  EXPECT_NE(load->flags & no_keys_at_all, 0u);
  EXPECT_EQ(load->request, request_policy::all_nodes);
  EXPECT_EQ(load->response, response_policy::all_succeeded);
}

TEST(command_table_test, keys_the_specs_cannot_give) {
  const command_table t;
  // SORT's BY, GET and STORE are unknown to the specs: always asked of the server.
  const command_info* sort = t.find(argv_t{"SORT", "k"});
  ASSERT_NE(sort, nullptr);
  EXPECT_NE(sort->flags & incomplete_keys, 0u);
  EXPECT_NE(sort->flags & movablekeys, 0u);
  EXPECT_EQ(keys_of(t, {"SORT", "k"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"SORT_RO", "k", "BY", "w_*"}), std::nullopt);
  // MIGRATE: one key at 3, or KEYS (an incomplete spec: "KEYS" could be a password).
  EXPECT_NE(t.find(argv_t{"MIGRATE"})->flags & incomplete_keys, 0u);
  EXPECT_EQ(keys_of(t, {"MIGRATE", "h", "6379", "k", "0", "5000"}), keys({3}));
  EXPECT_EQ(keys_of(t, {"MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b"}), std::nullopt);
  // GEORADIUS's STORE and STOREDIST specs are complete: searched from argument 6 on.
  const command_info* geo = t.find(argv_t{"GEORADIUS"});
  EXPECT_EQ(geo->flags & incomplete_keys, 0u);
  EXPECT_NE(geo->flags & movablekeys, 0u);
  EXPECT_EQ(keys_of(t, {"GEORADIUS", "k", "0", "0", "1", "km"}), keys({1}));
  EXPECT_EQ(keys_of(t, {"GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d"}), keys({1, 7}));
  EXPECT_EQ(keys_of(t, {"GEORADIUS", "k", "0", "0", "1", "km", "ASC", "STOREDIST", "d"}),
            keys({1, 8}));
}

TEST(command_table_test, keyless_and_unknown) {
  const command_table t;
  for (const std::string_view name : {"PING", "INFO", "DBSIZE", "MULTI", "EXEC", "KEYS"}) {
    const command_info* c = t.find(argv_t{name});
    ASSERT_NE(c, nullptr) << name;
    EXPECT_NE(c->flags & no_keys_at_all, 0u) << name;
    EXPECT_TRUE(c->keys.empty()) << name;
  }
  EXPECT_EQ(keys_of(t, {"PING"}), keys({}));
  EXPECT_EQ(keys_of(t, {"KEYS", "user:*"}), keys({}));
  EXPECT_EQ(t.find(argv_t{"NOSUCHCOMMAND", "k"}), nullptr);
  EXPECT_EQ(t.find(argv_t{"GETT"}), nullptr);
  EXPECT_EQ(t.find(argv_t{""}), nullptr);
  EXPECT_EQ(t.find(argv_t{}), nullptr);
}

TEST(command_table_test, case_insensitive) {
  const command_table t;
  const command_info* get = t.find(argv_t{"GET"});
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->name, "get");
  EXPECT_EQ(t.find(argv_t{"get"}), get);
  EXPECT_EQ(t.find(argv_t{"GeT"}), get);
  EXPECT_EQ(t.find(argv_t{"gEt"}), get);
  EXPECT_EQ(t.find(argv_t{"Get\0"}), get);  // a string_view of "Get", the NUL not part of it
  EXPECT_EQ(t.find(argv_t{"Zunionstore"})->name, "zunionstore");
  EXPECT_EQ(t.find(argv_t{"config", "GET", "x"})->name, "config|get");
  EXPECT_EQ(keys_of(t, {"Eval", "s", "1", "k"}), keys({3}));
}

TEST(command_table_test, malformed_arguments) {
  const command_table t;
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "x", "a"}), std::nullopt);       // not a number
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "3", "a", "b"}), std::nullopt);  // more keys than args
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "-1", "a"}), std::nullopt);      // negative
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "+1", "a"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "01", "a"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "", "a"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"EVAL", "s", "99999999999999999999999", "a"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"EVAL", "s"}), std::nullopt);  // no key count
  EXPECT_EQ(keys_of(t, {"GET"}), std::nullopt);        // index past argc
  EXPECT_EQ(keys_of(t, {"LMOVE", "a"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"MGET"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"ZUNIONSTORE", "d", "3", "a", "b"}), std::nullopt);
  // The first spec's key is fine, the second's count is not: no key is reported at all.
  const command_info* z = t.find(argv_t{"ZUNIONSTORE"});
  std::size_t calls = 0;
  EXPECT_FALSE(
      for_each_key(*z, argv_t{"ZUNIONSTORE", "d", "x", "a"}, [&](std::size_t) { ++calls; }));
  EXPECT_EQ(calls, 0u);
}

TEST(command_table_test, hand_made_specs) {
  key_spec s;
  s.begin = key_spec::begin_kind::index;
  s.index = 1;
  s.find = key_spec::find_kind::range;
  s.lastkey = -1;
  command_info c{"x", 0, {}, {}, {&s, 1}};
  keys_t got;
  const auto collect = [&](std::size_t i) { got.push_back(i); };
  ASSERT_TRUE(for_each_key(c, argv_t{"x", "a", "b", "c"}, collect));
  EXPECT_EQ(got, (keys_t{1, 2, 3}));
  s.lastkey = -2;  // all but the last
  got.clear();
  ASSERT_TRUE(for_each_key(c, argv_t{"x", "a", "b", "c"}, collect));
  EXPECT_EQ(got, (keys_t{1, 2}));
  s.keystep = 0;  // would never advance
  EXPECT_FALSE(for_each_key(c, argv_t{"x", "a", "b", "c"}, collect));
  s.keystep = 1;
  s.lastkey = -1;
  s.limit = 3;  // the first third of what follows
  got.clear();
  ASSERT_TRUE(for_each_key(c, argv_t{"x", "a", "b", "c", "d", "e", "f"}, collect));
  EXPECT_EQ(got, (keys_t{1, 2}));
  s.index = 0;  // argv[0] is the command's name, never a key
  EXPECT_FALSE(for_each_key(c, argv_t{"x", "a"}, collect));
  s.index = 1;
  s.find = key_spec::find_kind::unknown;
  EXPECT_FALSE(for_each_key(c, argv_t{"x", "a"}, collect));
  // A keyword searched backward from the end.
  s.begin = key_spec::begin_kind::keyword;
  s.keyword = "KEYS";
  s.startfrom = -2;
  s.find = key_spec::find_kind::range;
  s.limit = 0;
  got.clear();
  ASSERT_TRUE(for_each_key(c, argv_t{"x", "KEYS", "keys", "a", "b"}, collect));
  EXPECT_EQ(got, (keys_t{3, 4}));  // the last "keys" before the end is the keyword
  // Movable keys and no specs (a Redis 6 entry): unknown.
  const command_info movable{"y", movablekeys, {}, {}, {}};
  EXPECT_FALSE(for_each_key(movable, argv_t{"y", "a"}, collect));
}

}  // namespace
