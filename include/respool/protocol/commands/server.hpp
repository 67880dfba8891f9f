/// @file commands/server.hpp
/// @brief Typed commands about the connection and the server: PING, INFO, FLUSHDB, DBSIZE.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <string>

namespace respool::cmd {

/// PING: "PONG".
/// @see https://redis.io/commands/ping/
[[nodiscard]] inline auto ping() {
  return make_command<std::string>([](request& r) { r.push("PING"); });
}

/// INFO of one section ("server", "memory", …; empty: the default sections), as the text
/// the server sends.
/// @see https://redis.io/commands/info/
[[nodiscard]] inline auto info(borrowed_string section = {}) {
  return make_command<std::string>([section](request& r) {
    if (section.empty()) {
      r.push("INFO");
    } else {
      r.push("INFO", section);
    }
  });
}

/// FLUSHDB (ASYNC when asked): true.
/// @see https://redis.io/commands/flushdb/
[[nodiscard]] inline auto flushdb(bool async = false) {
  return make_command<std::string>(
      [async](request& r) {
        if (async) {
          r.push("FLUSHDB", "ASYNC");
        } else {
          r.push("FLUSHDB");
        }
      },
      detail::status_ok{});
}

/// DBSIZE: how many keys the current database holds.
/// @see https://redis.io/commands/dbsize/
[[nodiscard]] inline auto dbsize() {
  return make_command<long long>([](request& r) { r.push("DBSIZE"); });
}

}  // namespace respool::cmd
