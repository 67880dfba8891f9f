/// @file commands/hashes.hpp
/// @brief Typed commands on hashes: HSET, HGET, HGETALL and the like.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace respool::cmd {

/// HSET of one field: true when the field is new.
/// @see https://redis.io/commands/hset/
[[nodiscard]] inline auto hset(borrowed_string key, borrowed_string field, borrowed_string value) {
  return make_command<long long>(
      [key, field, value](request& r) { r.push("HSET", key, field, value); },
      [](long long added) { return added == 1; });
}

/// HSET of a range of field/value pairs: how many fields are new.
/// @see https://redis.io/commands/hset/
template <arg_range Range>
[[nodiscard]] auto hset(borrowed_string key, Range&& pairs) {
  return detail::key_range_command<long long>("HSET", key, pairs);
}

/// HSETNX: true when the field was set (it did not exist).
/// @see https://redis.io/commands/hsetnx/
[[nodiscard]] inline auto hsetnx(borrowed_string key, borrowed_string field,
                                 borrowed_string value) {
  return make_command<bool>(
      [key, field, value](request& r) { r.push("HSETNX", key, field, value); });
}

/// HGET: the value, or nothing.
/// @see https://redis.io/commands/hget/
[[nodiscard]] inline auto hget(borrowed_string key, borrowed_string field) {
  return make_command<std::optional<std::string>>(
      [key, field](request& r) { r.push("HGET", key, field); });
}

/// HMGET: one optional value per field, in order.
/// @see https://redis.io/commands/hmget/
template <arg_range Range>
[[nodiscard]] auto hmget(borrowed_string key, Range&& fields) {
  return make_command<std::vector<std::optional<std::string>>>(
      [key, &fields](request& r) { r.push_range("HMGET", key, fields); });
}

/// HGETALL: every field and value (empty for a missing key).
/// @see https://redis.io/commands/hgetall/
[[nodiscard]] inline auto hgetall(borrowed_string key) {
  return make_command<std::unordered_map<std::string, std::string>>(
      [key](request& r) { r.push("HGETALL", key); });
}

/// HDEL of one field: how many were removed (0 or 1).
/// @see https://redis.io/commands/hdel/
[[nodiscard]] inline auto hdel(borrowed_string key, borrowed_string field) {
  return make_command<long long>([key, field](request& r) { r.push("HDEL", key, field); });
}

/// HDEL of a range of fields: how many were removed.
/// @see https://redis.io/commands/hdel/
template <arg_range Range>
[[nodiscard]] auto hdel(borrowed_string key, Range&& fields) {
  return detail::key_range_command<long long>("HDEL", key, fields);
}

/// HEXISTS.
/// @see https://redis.io/commands/hexists/
[[nodiscard]] inline auto hexists(borrowed_string key, borrowed_string field) {
  return make_command<bool>([key, field](request& r) { r.push("HEXISTS", key, field); });
}

/// HINCRBY: the new value.
/// @see https://redis.io/commands/hincrby/
[[nodiscard]] inline auto hincrby(borrowed_string key, borrowed_string field, long long by) {
  return make_command<long long>(
      [key, field, by](request& r) { r.push("HINCRBY", key, field, by); });
}

/// HINCRBYFLOAT: the new value.
/// @see https://redis.io/commands/hincrbyfloat/
[[nodiscard]] inline auto hincrbyfloat(borrowed_string key, borrowed_string field, double by) {
  return make_command<double>(
      [key, field, by](request& r) { r.push("HINCRBYFLOAT", key, field, by); });
}

/// HLEN: how many fields.
/// @see https://redis.io/commands/hlen/
[[nodiscard]] inline auto hlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("HLEN", key); });
}

/// HKEYS: the field names.
/// @see https://redis.io/commands/hkeys/
[[nodiscard]] inline auto hkeys(borrowed_string key) {
  return make_command<std::vector<std::string>>([key](request& r) { r.push("HKEYS", key); });
}

/// HVALS: the values.
/// @see https://redis.io/commands/hvals/
[[nodiscard]] inline auto hvals(borrowed_string key) {
  return make_command<std::vector<std::string>>([key](request& r) { r.push("HVALS", key); });
}

}  // namespace respool::cmd
