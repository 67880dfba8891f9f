/// @file commands/strings.hpp
/// @brief Typed commands on string values: GET, SET, INCR, MGET and the like.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace respool {

/// SET's options: a time to live (zero: none), or keeping the current one, and a condition.
struct set_options {
  std::chrono::milliseconds ttl{0};
  bool keep_ttl = false;
  set_if only = set_if::always;
};

namespace cmd {

namespace detail {

inline void encode_set(request& r, std::string_view key, std::string_view value,
                       const set_options& o, bool get) {
  arg_list<8> a;
  a.add(key);
  a.add(value);
  if (o.ttl.count() > 0) {
    a.add("PX");
    a.add_number(o.ttl.count());
  } else if (o.keep_ttl) {
    a.add("KEEPTTL");
  }
  if (o.only == set_if::absent) a.add("NX");
  if (o.only == set_if::present) a.add("XX");
  if (get) a.add("GET");
  r.push_range("SET", a.view());
}

struct is_ok {
  bool operator()(const std::optional<std::string>& s) const { return s.has_value(); }
};

}  // namespace detail

/// GET: the value, or nothing when the key does not exist.
/// @see https://redis.io/commands/get/
[[nodiscard]] inline auto get(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("GET", key); });
}

/// SET with options: true when the value was stored, false when the condition kept it out.
/// @see https://redis.io/commands/set/
[[nodiscard]] inline auto set(borrowed_string key, borrowed_string value, set_options o = {}) {
  return make_command<std::optional<std::string>>(
      [key, value, o](request& r) { detail::encode_set(r, key, value, o, false); },
      detail::is_ok{});
}

/// SET … GET: the previous value (nothing if there was none), whether or not it was replaced.
/// @see https://redis.io/commands/set/
[[nodiscard]] inline auto set_get(borrowed_string key, borrowed_string value, set_options o = {}) {
  return make_command<std::optional<std::string>>(
      [key, value, o](request& r) { detail::encode_set(r, key, value, o, true); });
}

/// GETDEL: the value, deleted.
/// @see https://redis.io/commands/getdel/
[[nodiscard]] inline auto getdel(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("GETDEL", key); });
}

/// GETEX with a new time to live (zero: PERSIST).
/// @see https://redis.io/commands/getex/
[[nodiscard]] inline auto getex(borrowed_string key, std::chrono::milliseconds ttl) {
  return make_command<std::optional<std::string>>([key, ttl](request& r) {
    if (ttl.count() > 0) {
      r.push("GETEX", key, "PX", static_cast<long long>(ttl.count()));
    } else {
      r.push("GETEX", key, "PERSIST");
    }
  });
}

/// MGET: one optional value per key, in order.
/// @see https://redis.io/commands/mget/
template <arg_range Range>
[[nodiscard]] auto mget(Range&& keys) {
  return make_command<std::vector<std::optional<std::string>>>(
      [&keys](request& r) { r.push_range("MGET", keys); });
}

/// MSET of a range of key/value pairs: true.
/// @see https://redis.io/commands/mset/
template <arg_range Range>
[[nodiscard]] auto mset(Range&& pairs) {
  return make_command<std::string>([&pairs](request& r) { r.push_range("MSET", pairs); },
                                   detail::status_ok{});
}

/// INCR: the new value.
/// @see https://redis.io/commands/incr/
[[nodiscard]] inline auto incr(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("INCR", key); });
}

/// INCRBY: the new value.
/// @see https://redis.io/commands/incrby/
[[nodiscard]] inline auto incrby(borrowed_string key, long long by) {
  return make_command<long long>([key, by](request& r) { r.push("INCRBY", key, by); });
}

/// DECR: the new value.
/// @see https://redis.io/commands/decr/
[[nodiscard]] inline auto decr(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("DECR", key); });
}

/// DECRBY: the new value.
/// @see https://redis.io/commands/decrby/
[[nodiscard]] inline auto decrby(borrowed_string key, long long by) {
  return make_command<long long>([key, by](request& r) { r.push("DECRBY", key, by); });
}

/// INCRBYFLOAT: the new value.
/// @see https://redis.io/commands/incrbyfloat/
[[nodiscard]] inline auto incrbyfloat(borrowed_string key, double by) {
  return make_command<double>([key, by](request& r) { r.push("INCRBYFLOAT", key, by); });
}

/// APPEND: the new length.
/// @see https://redis.io/commands/append/
[[nodiscard]] inline auto append(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("APPEND", key, value); });
}

/// STRLEN: the length of the value (0 for a missing key).
/// @see https://redis.io/commands/strlen/
[[nodiscard]] inline auto strlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("STRLEN", key); });
}

}  // namespace cmd
}  // namespace respool
