#include "suite.hpp"

#include <respool/protocol/cluster/hash_slot.hpp>

#include <array>
#include <cstdint>

namespace respool::benchmark {

namespace {

using tag_table = std::array<std::array<char, 3>, cluster::slot_count>;

// The shortest tag of letters and digits for every slot: three characters are enough to reach
// all of them (benchmark_cluster_nodes_test checks each one).
tag_table make_slot_tags() {
  constexpr std::string_view alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  tag_table table{};
  std::array<bool, cluster::slot_count> found{};
  std::size_t missing = cluster::slot_count;
  const auto offer = [&](std::string_view tag) {
    const std::uint16_t slot = cluster::hash_slot(tag);
    if (found[slot]) return;
    found[slot] = true;
    --missing;
    table[slot] = {'}', '}', '}'};
    for (std::size_t i = 0; i < tag.size(); ++i) table[slot][i] = tag[i];
  };
  constexpr std::size_t n = alphabet.size();
  char tag[3];
  for (std::size_t length = 1, count = n; length <= 3 && missing > 0; ++length, count *= n) {
    for (std::size_t i = 0; i < count && missing > 0; ++i) {
      std::size_t rest = i;
      for (std::size_t k = length; k-- > 0; rest /= n) tag[k] = alphabet[rest % n];
      offer({tag, length});
    }
  }
  return table;
}

}  // namespace

std::string_view slot_tag(std::uint16_t slot) {
  static const tag_table table = make_slot_tags();
  const auto& tag = table[slot % cluster::slot_count];
  return {tag.data(), tag.size()};
}

std::string test_data(std::size_t size) {
  // A linear congruential sequence: bits 16..21 of each state pick one of 64 characters
  // from '0' on.
  std::uint32_t state = 1234;
  std::string out(size, '\0');
  for (char& c : out) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>('0' + ((state >> 16) & 63));
  }
  return out;
}

bool test_selected(std::string_view selected, std::string_view name) {
  if (selected.empty()) return true;
  std::string framed;
  framed.reserve(name.size() + 2);
  framed += ',';
  framed += name;
  framed += ',';
  return selected.find(framed) != std::string_view::npos;
}

std::vector<test_case> default_tests(std::string_view selected, std::string_view data,
                                     bool random_keys, bool cluster) {
  std::vector<test_case> tests;
  const std::string value(data);
  // On a cluster every key name carries the tag placeholder, after its base name.
  const auto key_of = [cluster](std::string_view base, std::string_view rest = {}) {
    std::string key(base);
    if (cluster) {
      key += ':';
      key += tag_placeholder;
    }
    key += rest;
    return key;
  };
  const auto add = [&](std::string title, std::vector<std::string> args) {
    tests.push_back({std::move(title), std::move(args), data.size()});
  };
  const auto is = [&](std::string_view name) { return test_selected(selected, name); };

  if (is("ping_inline") || is("ping")) add("PING_INLINE", {"PING"});
  if (is("ping_mbulk") || is("ping")) add("PING_MBULK", {"PING"});
  if (is("set")) add("SET", {"SET", key_of("key", ":__rand_int__"), value});
  if (is("get")) add("GET", {"GET", key_of("key", ":__rand_int__")});
  if (is("incr")) add("INCR", {"INCR", key_of("counter", ":__rand_int__")});
  if (is("lpush")) add("LPUSH", {"LPUSH", key_of("mylist"), value});
  if (is("rpush")) add("RPUSH", {"RPUSH", key_of("mylist"), value});
  if (is("lpop")) add("LPOP", {"LPOP", key_of("mylist")});
  if (is("rpop")) add("RPOP", {"RPOP", key_of("mylist")});
  if (is("sadd")) add("SADD", {"SADD", key_of("myset"), "element:__rand_int__"});
  if (is("hset")) add("HSET", {"HSET", key_of("myhash"), "element:__rand_int__", value});
  if (is("spop")) add("SPOP", {"SPOP", key_of("myset")});
  if (is("zadd")) {
    add("ZADD",
        {"ZADD", key_of("myzset"), random_keys ? "__rand_int__" : "0", "element:__rand_int__"});
  }
  if (is("zpopmin")) add("ZPOPMIN", {"ZPOPMIN", key_of("myzset")});
  const bool lrange =
      is("lrange") || is("lrange_100") || is("lrange_300") || is("lrange_500") || is("lrange_600");
  if (lrange) add("LPUSH (needed to benchmark LRANGE)", {"LPUSH", key_of("mylist"), value});
  for (const char* n : {"100", "300", "500", "600"}) {
    if (is("lrange") || is(std::string("lrange_") + n)) {
      add(std::string("LRANGE_") + n + " (first " + n + " elements)",
          {"LRANGE", key_of("mylist"), "0", std::to_string(std::stoi(n) - 1)});
    }
  }
  if (is("mset")) {
    std::vector<std::string> args{"MSET"};
    for (int i = 0; i < 10; ++i) {
      args.push_back(key_of("key", ":__rand_int__"));
      args.push_back(value);
    }
    add("MSET (10 keys)", std::move(args));
  }
  if (is("xadd")) add("XADD", {"XADD", key_of("mystream"), "*", "myfield", value});
  return tests;
}

std::size_t encoded_size(std::span<const std::string> args) {
  const auto digits = [](std::size_t n) {
    std::size_t d = 1;
    while (n >= 10) {
      n /= 10;
      ++d;
    }
    return d;
  };
  std::size_t size = 1 + digits(args.size()) + 2;  // *N\r\n
  for (const std::string& a : args) size += 1 + digits(a.size()) + 2 + a.size() + 2;
  return size;
}

test_case command_test(std::span<const std::string> args) {
  test_case t;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i != 0) t.title += ' ';
    t.title += args[i];
  }
  t.args.assign(args.begin(), args.end());
  t.payload = encoded_size(args);
  return t;
}

}  // namespace respool::benchmark
