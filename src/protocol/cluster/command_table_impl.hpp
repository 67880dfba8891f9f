// What command_table.cpp (lookups, key specs) and command_reply.cpp (reading COMMAND) share.
#pragma once

#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::cluster::detail {

// ASCII lowercase: command names and keywords are ASCII, and the server compares them so.
constexpr unsigned char lower(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return static_cast<unsigned char>(static_cast<unsigned>(u - 'A') < 26u ? u + ('a' - 'A') : u);
}

constexpr bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Keeps the names, keywords and key specs read from a reply at fixed addresses, so that the
// views of the entries pointing into it stay valid however the entries move.
struct command_storage {
  std::vector<std::unique_ptr<char[]>> text;
  std::vector<std::unique_ptr<key_spec[]>> specs;

  std::string_view keep(std::string_view s);
  std::span<const key_spec> keep(std::span<const key_spec> s);
};

// The entry index of an empty slot, or of a name not found.
inline constexpr std::uint32_t no_entry = 0xffffffffu;

// A slot of the table's open-addressing index: the hash of an entry's name and where the entry
// is.
struct index_slot {
  std::uint32_t hash = 0;
  std::uint32_t entry = no_entry;
};

// Reads the entries of a COMMAND reply, subcommands included, into `out`, their views into
// `storage`. False, with `why` set, on a malformed reply.
bool read_command_reply(resp3::reply_view reply, std::vector<command_info>& out,
                        command_storage& storage, std::string& why);

}  // namespace respool::cluster::detail

namespace respool::cluster {

struct command_table::impl {
  static constexpr std::uint32_t empty = detail::no_entry;

  std::vector<command_info> entries;
  // Per entry: whether it is a container whose subcommands are entries too ("object").
  std::vector<bool> has_subcommands;
  std::vector<detail::index_slot> index;  // a power of two in size, at most half full
  detail::command_storage storage;

  // Recomputes has_subcommands and the index after entries changed.
  void rebuild();
  // Replaces the entries of the same names and adds the others.
  void merge(std::vector<command_info> incoming, detail::command_storage incoming_storage);
  // The entry named `name` (lowercase, exact), or `empty`.
  [[nodiscard]] std::uint32_t find_exact(std::string_view name) const noexcept;
};

}  // namespace respool::cluster
