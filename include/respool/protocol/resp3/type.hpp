/// @file
/// @brief The RESP2/RESP3 data types a reply node can have.
#pragma once

#include <cstdint>
#include <string_view>

namespace respool::resp3 {

/// The type of a reply node. One byte, so that nodes stay small.
enum class type : std::uint8_t {
  simple_string,         ///< `+OK`
  simple_error,          ///< `-ERR message`
  number,                ///< `:42`, a signed 64-bit integer
  bulk_string,           ///< `$5 hello`
  null,                  ///< `_`, and RESP2's `$-1` and `*-1`
  boolean,               ///< `#t`, `#f`
  double_,               ///< `,3.14`, `,inf`, `,-inf`, `,nan`
  big_number,            ///< `(3492890328409238509324850943850943825024385`
  bulk_error,            ///< `!21 SYNTAX invalid syntax`
  verbatim_string,       ///< `=15 txt:Some string`; see verbatim_format() and verbatim_text()
  array,                 ///< `*N`, N elements
  map,                   ///< `%N`, N key/value pairs
  set,                   ///< `~N`, N elements
  attribute,             ///< `|N`, N key/value pairs about the next element
  push,                  ///< `>N`, an out-of-band message (pub/sub, invalidation)
  streamed_string,       ///< `$?`, followed by its parts
  streamed_string_part,  ///< `;N` inside a streamed string
};

/// True for types whose node is followed by child nodes.
[[nodiscard]] constexpr bool is_aggregate(type t) noexcept {
  switch (t) {
    case type::array:
    case type::map:
    case type::set:
    case type::attribute:
    case type::push:
    case type::streamed_string:
      return true;
    default:
      return false;
  }
}

/// True for key/value aggregates, whose size counts pairs and whose children are twice as many.
[[nodiscard]] constexpr bool is_map_like(type t) noexcept {
  return t == type::map || t == type::attribute;
}

/// True for the string types: simple, bulk and verbatim (whose value starts with its format).
[[nodiscard]] constexpr bool is_string(type t) noexcept {
  return t == type::simple_string || t == type::bulk_string || t == type::verbatim_string;
}

/// True for error replies.
[[nodiscard]] constexpr bool is_error(type t) noexcept {
  return t == type::simple_error || t == type::bulk_error;
}

/// A readable name ("bulk string", "map"), for messages.
[[nodiscard]] std::string_view to_string(type t) noexcept;

}  // namespace respool::resp3
