// Helpers for the command table tests: the keys of a command as a list of indices.
#pragma once

#include <respool/protocol/cluster/command_table.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

namespace command_table_test {

using argv_t = std::vector<std::string_view>;
using keys_t = std::vector<std::size_t>;

// The key indices of `argv` per `t`, or nullopt when the command is unknown or its keys
// cannot be found from the specs.
inline std::optional<keys_t> keys_of(const respool::cluster::command_table& t, const argv_t& argv) {
  const respool::cluster::command_info* c = t.find(argv);
  if (c == nullptr) return std::nullopt;
  keys_t keys;
  if (!for_each_key(*c, argv, [&](std::size_t i) { keys.push_back(i); })) return std::nullopt;
  return keys;
}

inline std::optional<keys_t> keys(std::initializer_list<std::size_t> k) { return keys_t(k); }

}  // namespace command_table_test
