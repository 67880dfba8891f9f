// Helpers for the cluster tests: replies parsed from bytes, and RESP built by hand.
#pragma once

#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

namespace cluster_test {

// A reply parsed from bytes it owns.
struct parsed {
  std::string bytes;
  respool::resp3::parser p;
  bool ok = false;

  explicit parsed(std::string b) : bytes(std::move(b)) {
    std::error_code ec;
    ok = p.parse(bytes, ec) && p.consumed() == bytes.size();
  }
  [[nodiscard]] respool::resp3::reply_view reply() const { return p.reply(); }
};

inline std::string read_data(const std::string& name) {
  std::ifstream in(std::string(RESPOOL_SOURCE_DIR "/tests/data/cluster/") + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// RESP encoders for hand-written replies. They append piece by piece: GCC 12 warns wrongly
// (-Wrestrict) about `"literal" + std::string` once inlined.
inline std::string header(char kind, std::size_t n) {
  std::string s(1, kind);
  s.append(std::to_string(n)).append("\r\n");
  return s;
}
inline std::string bulk(std::string_view s) {
  return header('$', s.size()).append(s).append("\r\n");
}
inline std::string num(std::int64_t n) {
  std::string s(1, ':');
  s.append(std::to_string(n)).append("\r\n");
  return s;
}
inline std::string null3() { return "_\r\n"; }
inline std::string arr(std::initializer_list<std::string> items) {
  std::string s = header('*', items.size());
  for (const auto& i : items) s.append(i);
  return s;
}
using fields = std::initializer_list<std::pair<std::string_view, std::string>>;
// A RESP3 map of names to encoded values.
inline std::string map3(fields f) {
  std::string s = header('%', f.size());
  for (const auto& [k, v] : f) s.append(bulk(k)).append(v);
  return s;
}
// A RESP2 flat array of names and values.
inline std::string map2(fields f) {
  std::string s = header('*', 2 * f.size());
  for (const auto& [k, v] : f) s.append(bulk(k)).append(v);
  return s;
}

// Parses `bytes` with one of the two functions, expecting success.
template <class F>
respool::cluster::slot_map parse_ok(F parse_fn, const std::string& bytes,
                                    std::string_view queried = "10.0.0.9") {
  parsed r(bytes);
  EXPECT_TRUE(r.ok);
  respool::cluster::slot_map m;
  std::string why;
  EXPECT_TRUE(parse_fn(r.reply(), queried, m, why)) << why;
  EXPECT_EQ(why, "");
  return m;
}

// Parses `bytes`, expecting failure; returns `why`, and checks that the map was left empty.
template <class F>
std::string parse_fails(F parse_fn, const std::string& bytes) {
  parsed r(bytes);
  EXPECT_TRUE(r.ok) << "the test's RESP does not parse";
  respool::cluster::slot_map m;
  std::string why;
  EXPECT_FALSE(parse_fn(r.reply(), "10.0.0.9", m, why));
  EXPECT_TRUE(m.nodes().empty());
  EXPECT_TRUE(m.shards().empty());
  EXPECT_EQ(m.covered_slots(), 0u);
  EXPECT_EQ(m.shard_of(0), nullptr);
  return why;
}

}  // namespace cluster_test
