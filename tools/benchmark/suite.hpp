// What respool-benchmark sends: redis-benchmark's default tests, or the command given.
#pragma once

#include "options.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::benchmark {

/// One test: its title (what the reports and -t call it) and the command sent, whose
/// arguments may hold "__rand_int__" placeholders.
struct test_case {
  std::string title;
  std::vector<std::string> args;
  /// Shown as "N bytes payload": -d for the default tests, the encoded command's size for a
  /// command given on the command line (as redis-benchmark shows them).
  std::size_t payload = 0;
};

/// The placeholder -r replaces, and the width of what replaces it.
inline constexpr std::string_view rand_placeholder = "__rand_int__";
inline constexpr std::size_t rand_digits = 12;

/// --cluster: the placeholder of a hash tag in key names. The load generator replaces it with
/// the tag of its client's slot (slot_tag), so that all the keys of a client's requests, MSET's
/// ten included, live in that one slot.
inline constexpr std::string_view tag_placeholder = "{tag}";

/// What replaces the three letters of "tag" in "{tag}" for `slot` (0 to 16383): a tag of one
/// to three letters and digits that hashes to `slot`, padded with '}' so that the key keeps
/// its length ("{x}}}" hashes as "{x}").
[[nodiscard]] std::string_view slot_tag(std::uint16_t slot);

/// The value of SET, LPUSH, HSET...: `size` bytes of printable pseudo-random characters, the
/// same sequence redis-benchmark generates.
[[nodiscard]] std::string test_data(std::size_t size);

/// Whether `name` is among the comma-framed, lower-cased list `selected` (",set,get,");
/// every test is when `selected` is empty.
[[nodiscard]] bool test_selected(std::string_view selected, std::string_view name);

/// The default tests that `selected` picks, in redis-benchmark's order. `random_keys` turns
/// ZADD's score into a placeholder too; `cluster` puts ":{tag}" after every key's base name
/// ("key:{tag}:__rand_int__", "mylist:{tag}"), as redis-benchmark --cluster does.
[[nodiscard]] std::vector<test_case> default_tests(std::string_view selected, std::string_view data,
                                                   bool random_keys, bool cluster = false);

/// A command given on the command line: the title is the arguments joined by spaces.
[[nodiscard]] test_case command_test(std::span<const std::string> args);

/// Bytes of `args` encoded as a RESP array of bulk strings.
[[nodiscard]] std::size_t encoded_size(std::span<const std::string> args);

}  // namespace respool::benchmark
