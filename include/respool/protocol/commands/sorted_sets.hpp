/// @file commands/sorted_sets.hpp
/// @brief Typed commands on sorted sets: ZADD, ZRANGE, ZSCORE and the like.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace respool::cmd {

/// ZADD's options.
struct zadd_options {
  set_if only = set_if::always;  ///< NX (absent) or XX (present)
  enum class compare : std::uint8_t { any, greater, less } update = compare::any;  ///< GT, LT
  bool changed = false;  ///< CH: count updated members as well as new ones
};

namespace detail {
inline void encode_zadd_options(arg_list<8>& a, const zadd_options& o) {
  if (o.only == set_if::absent) a.add("NX");
  if (o.only == set_if::present) a.add("XX");
  if (o.update == zadd_options::compare::greater) a.add("GT");
  if (o.update == zadd_options::compare::less) a.add("LT");
  if (o.changed) a.add("CH");
}
}  // namespace detail

/// ZADD of one member: true when it was added (or, with `changed`, added or updated).
/// @see https://redis.io/commands/zadd/
[[nodiscard]] inline auto zadd(borrowed_string key, double score, borrowed_string member,
                               zadd_options o = {}) {
  return make_command<long long>(
      [key, score, member, o](request& r) {
        detail::arg_list<8> a;
        a.add(key);
        detail::encode_zadd_options(a, o);
        char buf[32];
        const auto res = std::to_chars(buf, buf + sizeof buf, score);
        a.add({buf, static_cast<std::size_t>(res.ptr - buf)});
        a.add(member);
        r.push_range("ZADD", a.view());
      },
      [](long long n) { return n == 1; });
}

/// ZSCORE: the member's score, or nothing.
/// @see https://redis.io/commands/zscore/
[[nodiscard]] inline auto zscore(borrowed_string key, borrowed_string member) {
  return make_command<std::optional<double>>(
      [key, member](request& r) { r.push("ZSCORE", key, member); });
}

/// ZINCRBY: the new score.
/// @see https://redis.io/commands/zincrby/
[[nodiscard]] inline auto zincrby(borrowed_string key, double by, borrowed_string member) {
  return make_command<double>(
      [key, by, member](request& r) { r.push("ZINCRBY", key, by, member); });
}

/// ZCARD: how many members (0 for a missing key).
/// @see https://redis.io/commands/zcard/
[[nodiscard]] inline auto zcard(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("ZCARD", key); });
}

/// ZREM of one member: how many were removed (0 or 1).
/// @see https://redis.io/commands/zrem/
[[nodiscard]] inline auto zrem(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("ZREM", key, member); });
}

/// ZRANK: the member's rank from the lowest score, or nothing for a missing member.
/// @see https://redis.io/commands/zrank/
[[nodiscard]] inline auto zrank(borrowed_string key, borrowed_string member) {
  return make_command<std::optional<long long>>(
      [key, member](request& r) { r.push("ZRANK", key, member); });
}

/// ZRANGE by rank (inclusive; negative counts from the end): the members.
/// @see https://redis.io/commands/zrange/
[[nodiscard]] inline auto zrange(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::string>>(
      [key, start, stop](request& r) { r.push("ZRANGE", key, start, stop); });
}

/// ZRANGE … WITHSCORES by rank: the members with their scores.
/// @see https://redis.io/commands/zrange/
[[nodiscard]] inline auto zrange_withscores(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::pair<std::string, double>>>(
      [key, start, stop](request& r) { r.push("ZRANGE", key, start, stop, "WITHSCORES"); });
}

/// ZRANGE … BYSCORE between `min` and `max` (inclusive), with scores.
/// @see https://redis.io/commands/zrange/
[[nodiscard]] inline auto zrange_byscore(borrowed_string key, double min, double max) {
  return make_command<std::vector<std::pair<std::string, double>>>(
      [key, min, max](request& r) { r.push("ZRANGE", key, min, max, "BYSCORE", "WITHSCORES"); });
}

}  // namespace respool::cmd
