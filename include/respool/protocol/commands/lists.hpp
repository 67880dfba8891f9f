/// @file commands/lists.hpp
/// @brief Typed commands on lists: pushes, pops (blocking ones too), LRANGE and the like.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace respool::cmd {

namespace detail {

// BLPOP/BRPOP: the key and the value, or nothing after the timeout; the value alone is kept.
struct popped_value {
  std::optional<std::string> operator()(
      std::optional<std::pair<std::string, std::string>>&& kv) const {
    return kv ? std::optional<std::string>(std::move(kv->second)) : std::nullopt;
  }
};

}  // namespace detail

/// LPUSH of one value: the new length.
/// @see https://redis.io/commands/lpush/
[[nodiscard]] inline auto lpush(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("LPUSH", key, value); });
}

/// RPUSH of one value: the new length.
/// @see https://redis.io/commands/rpush/
[[nodiscard]] inline auto rpush(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("RPUSH", key, value); });
}

/// LPUSH of a range of values: the new length.
/// @see https://redis.io/commands/lpush/
template <arg_range Range>
[[nodiscard]] auto lpush(borrowed_string key, Range&& values) {
  return detail::key_range_command<long long>("LPUSH", key, values);
}

/// RPUSH of a range of values: the new length.
/// @see https://redis.io/commands/rpush/
template <arg_range Range>
[[nodiscard]] auto rpush(borrowed_string key, Range&& values) {
  return detail::key_range_command<long long>("RPUSH", key, values);
}

/// LPOP: the value, or nothing when the list is empty or missing.
/// @see https://redis.io/commands/lpop/
[[nodiscard]] inline auto lpop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("LPOP", key); });
}

/// RPOP: the value, or nothing when the list is empty or missing.
/// @see https://redis.io/commands/rpop/
[[nodiscard]] inline auto rpop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("RPOP", key); });
}

/// LRANGE (inclusive indexes; negative ones count from the end).
/// @see https://redis.io/commands/lrange/
[[nodiscard]] inline auto lrange(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::string>>(
      [key, start, stop](request& r) { r.push("LRANGE", key, start, stop); });
}

/// LLEN: the length (0 for a missing key).
/// @see https://redis.io/commands/llen/
[[nodiscard]] inline auto llen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("LLEN", key); });
}

/// LINDEX: the element, or nothing when the index is out of range.
/// @see https://redis.io/commands/lindex/
[[nodiscard]] inline auto lindex(borrowed_string key, long long index) {
  return make_command<std::optional<std::string>>(
      [key, index](request& r) { r.push("LINDEX", key, index); });
}

/// LREM: how many were removed.
/// @see https://redis.io/commands/lrem/
[[nodiscard]] inline auto lrem(borrowed_string key, long long count, borrowed_string value) {
  return make_command<long long>(
      [key, count, value](request& r) { r.push("LREM", key, count, value); });
}

/// LTRIM: true.
/// @see https://redis.io/commands/ltrim/
[[nodiscard]] inline auto ltrim(borrowed_string key, long long start, long long stop) {
  return make_command<std::string>(
      [key, start, stop](request& r) { r.push("LTRIM", key, start, stop); }, detail::status_ok{});
}

/// BLPOP on one key: the popped value, or nothing once `timeout` has passed (zero: wait for
/// ever). The connection's request timeout, if any, must be longer than `timeout`, and the
/// health check's timeout too: the server sends nothing while the command blocks.
/// @see https://redis.io/commands/blpop/
[[nodiscard]] inline auto blpop(borrowed_string key, std::chrono::milliseconds timeout) {
  return make_command<std::optional<std::pair<std::string, std::string>>>(
      [key, timeout](request& r) {
        r.push("BLPOP", key, static_cast<double>(timeout.count()) / 1000.0);
      },
      detail::popped_value{});
}

/// BRPOP on one key: as blpop(), from the tail.
/// @see https://redis.io/commands/brpop/
[[nodiscard]] inline auto brpop(borrowed_string key, std::chrono::milliseconds timeout) {
  return make_command<std::optional<std::pair<std::string, std::string>>>(
      [key, timeout](request& r) {
        r.push("BRPOP", key, static_cast<double>(timeout.count()) / 1000.0);
      },
      detail::popped_value{});
}

}  // namespace respool::cmd
