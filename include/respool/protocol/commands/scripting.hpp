/// @file commands/scripting.hpp
/// @brief Typed commands that run server-side code: FCALL. Lua scripts run through
/// respool::script (script.hpp), which handles EVALSHA and its NOSCRIPT fallback.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace respool::cmd {

/// FCALL of a library function with keys and arguments; its reply adapted to T.
/// @see https://redis.io/commands/fcall/
template <class T, arg_range Keys, arg_range Args>
[[nodiscard]] auto fcall(borrowed_string function, Keys&& keys, Args&& args) {
  return make_command<T>([function, &keys, &args](request& r) {
    std::vector<std::string_view> all{function};
    const std::string count = std::to_string(std::size(keys));
    all.push_back(count);
    for (const auto& k : keys) all.push_back(k);
    for (const auto& a : args) all.push_back(a);
    r.push_range("FCALL", all);
  });
}

}  // namespace respool::cmd
