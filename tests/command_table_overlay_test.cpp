// The command table against a real server: the COMMAND replies of Redis 7.0.15 (RESP2 and
// RESP3, tests/data/cluster/command_resp*.resp) overlaid on the built-in table must agree with
// it, and the keys found must be those COMMAND GETKEYS gave (tests/data/cluster/getkeys.txt).
// Then replies of older servers, malformed replies, and allocations.

#include "alloc_counter.hpp"
#include "cluster_test_support.hpp"
#include "command_table_test_support.hpp"
#include <respool/protocol/cluster/command_table.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace respool::cluster;
using namespace cluster_test;
using namespace command_table_test;

// A table overlaid with a recorded reply.
command_table overlaid(const std::string& file) {
  const parsed r(read_data(file));
  EXPECT_TRUE(r.ok) << file;
  command_table t;
  std::string why = "left over";
  EXPECT_TRUE(t.overlay(r.reply(), why)) << file << ": " << why;
  EXPECT_EQ(why, "");
  return t;
}

bool same_spec(const key_spec& a, const key_spec& b) {
  return a.begin == b.begin && a.index == b.index && a.keyword == b.keyword &&
         a.startfrom == b.startfrom && a.find == b.find && a.lastkey == b.lastkey &&
         a.keystep == b.keystep && a.limit == b.limit && a.keynumidx == b.keynumidx &&
         a.firstkey == b.firstkey && a.keynum_step == b.keynum_step && a.incomplete == b.incomplete;
}

// argv for an entry's name: "object|encoding" is OBJECT ENCODING.
argv_t name_argv(std::string_view name) {
  const std::size_t bar = name.find('|');
  if (bar == std::string_view::npos) return {name};
  return {name.substr(0, bar), name.substr(bar + 1)};
}

// Sample arguments after the name, from which each command takes prefixes of every length:
// keys, key counts, and the keywords the specs search for.
const std::array<argv_t, 4> samples{{
    {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"},
    {"2", "k1", "k2", "STORE", "k3", "1", "k4", "k5"},
    {"1", "STREAMS", "k1", "k2", "0", "0", "KEYS", "k3"},
    {"0", "0", "0", "1", "km", "STORE", "d", "STOREDIST", "e", "KEYS"},
}};

void expect_agrees_with_builtin(const command_table& server) {
  const command_table builtin;
  EXPECT_EQ(server.size(), builtin.size());
  for (const command_info& b : builtin_commands()) {
    SCOPED_TRACE(b.name);
    const argv_t name = name_argv(b.name);
    const command_info* s = server.find(name);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name, b.name);
    EXPECT_EQ(s->flags, b.flags);
    EXPECT_EQ(s->request, b.request);
    EXPECT_EQ(s->response, b.response);
    ASSERT_EQ(s->keys.size(), b.keys.size());
    for (std::size_t i = 0; i < b.keys.size(); ++i) EXPECT_TRUE(same_spec(s->keys[i], b.keys[i]));
    for (const argv_t& sample : samples) {
      for (std::size_t n = 0; n <= sample.size(); ++n) {
        argv_t argv = name;
        argv.insert(argv.end(), sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_EQ(keys_of(server, argv), keys_of(builtin, argv)) << n << " arguments";
      }
    }
  }
}

TEST(command_table_overlay_test, recorded_resp3_agrees_with_builtin) {
  const command_table t = overlaid("command_resp3.resp");
  EXPECT_EQ(t.size(), 366u);  // 240 commands and 126 subcommands
  expect_agrees_with_builtin(t);
}

TEST(command_table_overlay_test, recorded_resp2_agrees_with_builtin) {
  expect_agrees_with_builtin(overlaid("command_resp2.resp"));
}

TEST(command_table_overlay_test, policies_are_the_server_tips) {
  const command_table t = overlaid("command_resp3.resp");
  struct expected {
    argv_t argv;
    request_policy request;
    response_policy response;
  };
  const expected cases[] = {
      {{"DBSIZE"}, request_policy::all_shards, response_policy::agg_sum},
      {{"KEYS", "*"}, request_policy::all_shards, response_policy::default_},
      {{"FLUSHALL"}, request_policy::all_shards, response_policy::all_succeeded},
      {{"SCRIPT", "LOAD", "s"}, request_policy::all_nodes, response_policy::all_succeeded},
      {{"SCRIPT", "EXISTS", "s"}, request_policy::all_shards, response_policy::agg_logical_and},
      {{"MSET", "a", "1"}, request_policy::multi_shard, response_policy::all_succeeded},
      {{"MSETNX", "a", "1"}, request_policy::multi_shard, response_policy::agg_min},
      {{"MGET", "a"}, request_policy::multi_shard, response_policy::default_},
      {{"DEL", "a"}, request_policy::multi_shard, response_policy::agg_sum},
      {{"PING"}, request_policy::all_shards, response_policy::all_succeeded},
      {{"SCAN", "0"}, request_policy::special, response_policy::default_},
      {{"INFO"}, request_policy::all_shards, response_policy::special},
      {{"CONFIG", "SET", "a", "b"}, request_policy::all_nodes, response_policy::all_succeeded},
      {{"GET", "k"}, request_policy::default_, response_policy::default_},
  };
  const command_table builtin;
  for (const expected& e : cases) {
    for (const command_table* table : {&t, &builtin}) {
      const command_info* c = table->find(e.argv);
      ASSERT_NE(c, nullptr) << e.argv[0];
      EXPECT_EQ(c->request, e.request) << c->name;
      EXPECT_EQ(c->response, e.response) << c->name;
    }
  }
}

// The key names of one line of getkeys.txt, or nullopt when the server refused the command.
std::optional<std::vector<std::string>> server_keys(std::string_view recorded) {
  if (recorded.starts_with("!")) return std::nullopt;
  std::vector<std::string> out;
  std::istringstream in{std::string(recorded)};
  for (std::string k; in >> k;) out.push_back(k);
  return out;
}

TEST(command_table_overlay_test, keys_are_those_the_server_finds) {
  const command_table t;
  std::istringstream lines(read_data("getkeys.txt"));
  int checked = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    SCOPED_TRACE(line);
    const std::size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos);
    std::vector<std::string> args;
    std::istringstream words(line.substr(0, tab));
    for (std::string w; std::getline(words, w, ' ');) args.push_back(w == "\"\"" ? "" : w);
    const argv_t argv(args.begin(), args.end());
    const command_info* c = t.find(argv);
    ASSERT_NE(c, nullptr);
    const std::optional<keys_t> ours = keys_of(t, argv);
    const auto theirs = server_keys(std::string_view(line).substr(tab + 1));
    ++checked;
    if (!ours) {
      // Only where the specs say they cannot tell, or the server found no keys either.
      EXPECT_TRUE((c->flags & incomplete_keys) != 0 || !theirs || theirs->empty());
      continue;
    }
    std::vector<std::string> names;
    for (const std::size_t i : *ours) names.emplace_back(argv[i]);
    if (theirs) {
      EXPECT_EQ(names, *theirs);
    } else if ((c->flags & pubsub) == 0) {
      // A command the server refuses (XREAD without STREAMS) has no keys to route by. Shard
      // channels, though, are keys for routing but not for GETKEYS.
      EXPECT_TRUE(names.empty());
    }
  }
  EXPECT_GT(checked, 70);
}

// Older servers: entries of 6 (Redis 5) or 7 (Redis 6) fields; the keys are first..last by
// step. Module commands are added.
TEST(command_table_overlay_test, entries_without_key_specs) {
  const std::string reply = arr({
      arr({bulk("get"), num(2), arr({bulk("readonly"), bulk("fast")}), num(1), num(1), num(1)}),
      arr({bulk("MyMod.MSet"), num(-3), arr({bulk("write")}), num(1), num(-1), num(2),
           arr({bulk("@write")})}),
      arr({bulk("mymod.eval"), num(-3), arr({bulk("movablekeys")}), num(0), num(0), num(0),
           arr({})}),
      arr({bulk("mymod.zstore"), num(-4), arr({bulk("movablekeys")}), num(1), num(1), num(1),
           arr({})}),
  });
  const parsed r(reply);
  ASSERT_TRUE(r.ok);
  command_table t;
  const std::size_t before = t.size();
  std::string why;
  ASSERT_TRUE(t.overlay(r.reply(), why)) << why;
  EXPECT_EQ(t.size(), before + 3);
  EXPECT_EQ(keys_of(t, {"GET", "k"}), keys({1}));
  EXPECT_EQ(t.find(argv_t{"get"})->request, request_policy::default_);  // no tips
  EXPECT_EQ(keys_of(t, {"mymod.mset", "a", "1", "b", "2"}), keys({1, 3}));
  EXPECT_EQ(t.find(argv_t{"MYMOD.MSET"})->name, "mymod.mset");
  EXPECT_EQ(t.find(argv_t{"mymod.mset"})->flags, static_cast<std::uint32_t>(command_flag::write));
  const command_info* eval = t.find(argv_t{"mymod.eval"});
  ASSERT_NE(eval, nullptr);
  EXPECT_EQ(eval->flags, movablekeys | incomplete_keys);
  EXPECT_EQ(keys_of(t, {"mymod.eval", "s", "1", "k"}), std::nullopt);
  EXPECT_EQ(keys_of(t, {"mymod.zstore", "d", "1", "k"}), std::nullopt);
  EXPECT_NE(t.find(argv_t{"mymod.zstore"})->flags & incomplete_keys, 0u);
}

// Overlays `bytes`, which must fail, and checks the table is as it was.
std::string overlay_fails(const std::string& bytes, std::size_t keep_nodes = SIZE_MAX) {
  const parsed r(bytes);
  EXPECT_TRUE(r.ok) << "the test's RESP does not parse";
  command_table t;
  const std::size_t size = t.size();
  const command_info* get = t.find(argv_t{"get"});
  std::string why;
  EXPECT_FALSE(t.overlay(r.reply().first(std::min(keep_nodes, r.reply().size())), why));
  EXPECT_NE(why, "");
  EXPECT_EQ(t.size(), size);
  EXPECT_EQ(t.find(argv_t{"get"}), get);
  EXPECT_EQ(t.find(argv_t{"mymod.x"}), nullptr);
  return why;
}

TEST(command_table_overlay_test, malformed_replies_change_nothing) {
  const std::string get =
      arr({bulk("get"), num(2), arr({}), num(1), num(1), num(1), arr({}), arr({}), arr({})});
  const std::string mod = arr({bulk("mymod.x"), num(2), arr({}), num(1), num(1), num(1)});
  EXPECT_EQ(overlay_fails("-ERR unknown command\r\n"),
            "the server replied with an error: ERR unknown command");
  EXPECT_EQ(overlay_fails(num(1)), "the reply is not an array");
  command_table t;
  std::string why;
  EXPECT_FALSE(t.overlay({}, why));
  EXPECT_EQ(why, "an empty reply");
  // Good entries before a bad one are not kept.
  EXPECT_EQ(overlay_fails(arr({mod, arr({bulk("x"), num(1), arr({}), num(1), num(1)})})),
            "a command entry has fewer than 6 fields");
  EXPECT_EQ(overlay_fails(arr({mod, arr({num(7), num(1), arr({}), num(1), num(1), num(1)})})),
            "a command name is not a string");
  EXPECT_EQ(overlay_fails(arr({arr({bulk("x"), num(1), num(3), num(1), num(1), num(1)})})),
            "the flags of a command is not an array");
  EXPECT_EQ(overlay_fails(arr({arr({bulk("x"), num(1), arr({}), bulk("a"), num(1), num(1)})})),
            "a first key is not an integer");
  EXPECT_EQ(overlay_fails(arr({arr({bulk("x"), num(1), arr({}), num(1), num(1), num(0)})})),
            "a command's key step is not positive");
  const std::string no_find = arr({bulk("x"), num(2), arr({}), num(1), num(1), num(1), arr({}),
                                   arr({}), arr({map3({{"flags", arr({})}})})});
  EXPECT_EQ(overlay_fails(arr({mod, no_find})), "a key spec without a begin search or find keys");
  const std::string bad_range =
      map3({{"begin_search", map3({{"type", bulk("index")}, {"spec", map3({{"index", num(1)}})}})},
            {"find_keys", map3({{"type", bulk("range")}, {"spec", map3({{"lastkey", num(0)}})}})}});
  EXPECT_EQ(overlay_fails(arr({arr({bulk("x"), num(2), arr({}), num(1), num(1), num(1), arr({}),
                                    arr({}), arr({bad_range})})})),
            "a find keys spec is incomplete");
  EXPECT_EQ(overlay_fails(arr({get, mod}), 10), "the reply is cut short");
  EXPECT_EQ(overlay_fails(arr({get, mod}), 12), "a command entry is cut short");
  // The recorded reply, cut short at many places.
  const parsed whole(read_data("command_resp3.resp"));
  for (std::size_t n = 1; n < whole.reply().size(); n += whole.reply().size() / 37) {
    SCOPED_TRACE(n);
    overlay_fails(read_data("command_resp3.resp"), n);
  }
}

TEST(command_table_overlay_test, lookups_and_key_walks_do_not_allocate) {
  const command_table t = overlaid("command_resp3.resp");
  const argv_t argvs[] = {
      {"GET", "k"},
      {"set", "k", "v"},
      {"MGET", "a", "b", "c"},
      {"XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"},
      {"EVAL", "s", "2", "a", "b"},
      {"object", "encoding", "k"},
      {"SORT", "k"},
      {"nosuchcommand", "x"},
  };
  std::size_t found = 0;
  respool::test::allocation_scope scope;
  for (int round = 0; round < 100; ++round) {
    for (const argv_t& argv : argvs) {
      const command_info* c = t.find(argv);
      if (c != nullptr) for_each_key(*c, argv, [&](std::size_t i) { found += i; });
    }
  }
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(found, 100u * (1 + 1 + 6 + 9 + 7 + 2));
}

}  // namespace
