/// @file commands/keys.hpp
/// @brief Typed commands on keys of any type: DEL, EXISTS, expiry, SCAN, TYPE.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace respool {

/// What TTL and PTTL say.
struct ttl_reply {
  enum state_t : std::uint8_t { expires, persistent, missing };
  state_t state = missing;
  std::chrono::milliseconds left{0};  ///< when `state == expires`
  friend bool operator==(const ttl_reply&, const ttl_reply&) = default;
};

namespace cmd {

namespace detail {

// TTL/PTTL: -2 missing, -1 no expiry, else the time left in `unit`.
template <class Unit>
struct to_ttl {
  ttl_reply operator()(long long v) const {
    if (v == -2) return {ttl_reply::missing, {}};
    if (v == -1) return {ttl_reply::persistent, {}};
    return {ttl_reply::expires, std::chrono::duration_cast<std::chrono::milliseconds>(Unit(v))};
  }
};

}  // namespace detail

/// DEL of one key: how many were deleted (0 or 1).
/// @see https://redis.io/commands/del/
[[nodiscard]] inline auto del(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("DEL", key); });
}

/// DEL of a range of keys: how many were deleted.
/// @see https://redis.io/commands/del/
template <arg_range Range>
[[nodiscard]] auto del(Range&& keys) {
  return make_command<long long>([&keys](request& r) { r.push_range("DEL", keys); });
}

/// UNLINK of one key: how many were removed (0 or 1); the memory is freed in the background.
/// @see https://redis.io/commands/unlink/
[[nodiscard]] inline auto unlink(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("UNLINK", key); });
}

/// EXISTS of one key.
/// @see https://redis.io/commands/exists/
[[nodiscard]] inline auto exists(borrowed_string key) {
  return make_command<bool>([key](request& r) { r.push("EXISTS", key); });
}

/// EXISTS of a range of keys: how many exist (a key named twice counts twice).
/// @see https://redis.io/commands/exists/
template <arg_range Range>
[[nodiscard]] auto exists(Range&& keys) {
  return make_command<long long>([&keys](request& r) { r.push_range("EXISTS", keys); });
}

/// PEXPIRE: true when the timeout was set.
/// @see https://redis.io/commands/pexpire/
[[nodiscard]] inline auto pexpire(borrowed_string key, std::chrono::milliseconds ttl) {
  return make_command<bool>(
      [key, ttl](request& r) { r.push("PEXPIRE", key, static_cast<long long>(ttl.count())); });
}

/// PERSIST: true when a timeout was removed.
/// @see https://redis.io/commands/persist/
[[nodiscard]] inline auto persist(borrowed_string key) {
  return make_command<bool>([key](request& r) { r.push("PERSIST", key); });
}

/// PTTL, as a ttl_reply (missing key, no expiry, or the time left).
/// @see https://redis.io/commands/pttl/
[[nodiscard]] inline auto pttl(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("PTTL", key); },
                                 detail::to_ttl<std::chrono::milliseconds>{});
}

/// EXPIREAT (Unix time, seconds): true when the timeout was set.
/// @see https://redis.io/commands/expireat/
[[nodiscard]] inline auto expireat(borrowed_string key, std::chrono::sys_seconds when) {
  return make_command<bool>([key, when](request& r) {
    r.push("EXPIREAT", key, static_cast<long long>(when.time_since_epoch().count()));
  });
}

/// One SCAN step from `cursor` ("0" to start): the next cursor ("0" when done) and a batch of
/// keys. sync_client::scan() iterates for you; on the async client, loop until the cursor
/// comes back "0".
/// @see https://redis.io/commands/scan/
[[nodiscard]] inline auto scan(borrowed_string cursor, borrowed_string pattern = {},
                               long long count = 0) {
  return make_command<std::pair<std::string, std::vector<std::string>>>(
      [cursor, pattern, count](request& r) {
        detail::arg_list<8> a;
        a.add(cursor);
        if (!pattern.empty()) {
          a.add("MATCH");
          a.add(pattern);
        }
        if (count > 0) {
          a.add("COUNT");
          a.add_number(count);
        }
        r.push_range("SCAN", a.view());
      });
}

/// TYPE: "string", "list", "set", "zset", "hash", "stream", or "none".
/// @see https://redis.io/commands/type/
[[nodiscard]] inline auto type(borrowed_string key) {
  return make_command<std::string>([key](request& r) { r.push("TYPE", key); });
}

}  // namespace cmd
}  // namespace respool
