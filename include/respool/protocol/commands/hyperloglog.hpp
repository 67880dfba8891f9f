/// @file commands/hyperloglog.hpp
/// @brief Typed commands on HyperLogLogs: PFADD, PFCOUNT, PFMERGE.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <string>

namespace respool::cmd {

/// PFADD of a range of elements: true when the estimate changed.
/// @see https://redis.io/commands/pfadd/
template <arg_range Range>
[[nodiscard]] auto pfadd(borrowed_string key, Range&& elements) {
  return detail::key_range_command<bool>("PFADD", key, elements);
}

/// PFCOUNT of one key: the estimated number of distinct elements.
/// @see https://redis.io/commands/pfcount/
[[nodiscard]] inline auto pfcount(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("PFCOUNT", key); });
}

/// PFMERGE into `dest` of a range of keys: true.
/// @see https://redis.io/commands/pfmerge/
template <arg_range Range>
[[nodiscard]] auto pfmerge(borrowed_string dest, Range&& sources) {
  return make_command<std::string>(
      [dest, &sources](request& r) { r.push_range("PFMERGE", dest, sources); },
      detail::status_ok{});
}

}  // namespace respool::cmd
