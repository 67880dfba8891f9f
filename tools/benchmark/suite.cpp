#include "suite.hpp"

#include <cstdint>

namespace respool::benchmark {

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
                                     bool random_keys) {
  std::vector<test_case> tests;
  const std::string value(data);
  const auto add = [&](std::string title, std::vector<std::string> args) {
    tests.push_back({std::move(title), std::move(args), data.size()});
  };
  const auto is = [&](std::string_view name) { return test_selected(selected, name); };

  if (is("ping_inline") || is("ping")) add("PING_INLINE", {"PING"});
  if (is("ping_mbulk") || is("ping")) add("PING_MBULK", {"PING"});
  if (is("set")) add("SET", {"SET", "key:__rand_int__", value});
  if (is("get")) add("GET", {"GET", "key:__rand_int__"});
  if (is("incr")) add("INCR", {"INCR", "counter:__rand_int__"});
  if (is("lpush")) add("LPUSH", {"LPUSH", "mylist", value});
  if (is("rpush")) add("RPUSH", {"RPUSH", "mylist", value});
  if (is("lpop")) add("LPOP", {"LPOP", "mylist"});
  if (is("rpop")) add("RPOP", {"RPOP", "mylist"});
  if (is("sadd")) add("SADD", {"SADD", "myset", "element:__rand_int__"});
  if (is("hset")) add("HSET", {"HSET", "myhash", "element:__rand_int__", value});
  if (is("spop")) add("SPOP", {"SPOP", "myset"});
  if (is("zadd")) {
    add("ZADD", {"ZADD", "myzset", random_keys ? "__rand_int__" : "0", "element:__rand_int__"});
  }
  if (is("zpopmin")) add("ZPOPMIN", {"ZPOPMIN", "myzset"});
  const bool lrange =
      is("lrange") || is("lrange_100") || is("lrange_300") || is("lrange_500") || is("lrange_600");
  if (lrange) add("LPUSH (needed to benchmark LRANGE)", {"LPUSH", "mylist", value});
  for (const char* n : {"100", "300", "500", "600"}) {
    if (is("lrange") || is(std::string("lrange_") + n)) {
      add(std::string("LRANGE_") + n + " (first " + n + " elements)",
          {"LRANGE", "mylist", "0", std::to_string(std::stoi(n) - 1)});
    }
  }
  if (is("mset")) {
    std::vector<std::string> args{"MSET"};
    for (int i = 0; i < 10; ++i) {
      args.emplace_back("key:__rand_int__");
      args.push_back(value);
    }
    add("MSET (10 keys)", std::move(args));
  }
  if (is("xadd")) add("XADD", {"XADD", "mystream", "*", "myfield", value});
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
