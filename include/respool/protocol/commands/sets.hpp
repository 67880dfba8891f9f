/// @file commands/sets.hpp
/// @brief Typed commands on sets: SADD, SMEMBERS, SINTER and the like.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <optional>
#include <string>
#include <unordered_set>

namespace respool::cmd {

/// SADD of one member: how many were added (0 or 1).
/// @see https://redis.io/commands/sadd/
[[nodiscard]] inline auto sadd(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("SADD", key, member); });
}

/// SADD of a range of members: how many were added.
/// @see https://redis.io/commands/sadd/
template <arg_range Range>
[[nodiscard]] auto sadd(borrowed_string key, Range&& members) {
  return detail::key_range_command<long long>("SADD", key, members);
}

/// SREM of one member: how many were removed (0 or 1).
/// @see https://redis.io/commands/srem/
[[nodiscard]] inline auto srem(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("SREM", key, member); });
}

/// SISMEMBER.
/// @see https://redis.io/commands/sismember/
[[nodiscard]] inline auto sismember(borrowed_string key, borrowed_string member) {
  return make_command<bool>([key, member](request& r) { r.push("SISMEMBER", key, member); });
}

/// SCARD: how many members (0 for a missing key).
/// @see https://redis.io/commands/scard/
[[nodiscard]] inline auto scard(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("SCARD", key); });
}

/// SMEMBERS: every member.
/// @see https://redis.io/commands/smembers/
[[nodiscard]] inline auto smembers(borrowed_string key) {
  return make_command<std::unordered_set<std::string>>(
      [key](request& r) { r.push("SMEMBERS", key); });
}

/// SPOP of one member: the member removed, or nothing when the set is empty or missing.
/// @see https://redis.io/commands/spop/
[[nodiscard]] inline auto spop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("SPOP", key); });
}

/// SINTER of a range of keys.
/// @see https://redis.io/commands/sinter/
template <arg_range Range>
[[nodiscard]] auto sinter(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SINTER", keys); });
}

/// SUNION of a range of keys.
/// @see https://redis.io/commands/sunion/
template <arg_range Range>
[[nodiscard]] auto sunion(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SUNION", keys); });
}

/// SDIFF of a range of keys: the members of the first set that are in none of the others.
/// @see https://redis.io/commands/sdiff/
template <arg_range Range>
[[nodiscard]] auto sdiff(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SDIFF", keys); });
}

}  // namespace respool::cmd
