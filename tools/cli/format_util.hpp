/// @file
/// @brief Pieces the reply formatters share (format.cpp, format_text.cpp): type tests, string
/// pieces and escapers. Internal to respool-cli.
#pragma once

#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/resp3/node.hpp>
#include <respool/protocol/resp3/type.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace respool::cli::formatting {

using resp3::node;
using resp3::reply_view;
using resp3::type;
using respool::detail::ascii::c_string;

constexpr bool iequals(std::string_view arg, std::string_view word) noexcept {
  return respool::detail::ascii::c_iequals(arg, word);
}

/// Types printed as strings: a streamed string (`$?`) is one bulk string made of its parts.
inline bool printed_as_bulk(type t) noexcept {
  return t == type::bulk_string || t == type::streamed_string || t == type::streamed_string_part;
}

/// Types formatted as aggregates. A streamed string is an aggregate node in respool but a
/// string here; an attribute never reaches a formatter (the parser delivers attributes apart)
/// and would be shown as the map it looks like.
inline bool is_container(type t) noexcept {
  return resp3::is_aggregate(t) && t != type::streamed_string;
}

/// Calls `f` with each piece of the bytes of the string node `r[i]` (the parts of a streamed
/// string, the text of a verbatim string without its `txt:` header, or the value itself), and
/// returns the index past the node's subtree.
template <class F>
std::size_t for_each_piece(reply_view r, std::size_t i, F&& f) {
  const node& n = r[i];
  if (n.data_type == type::streamed_string) {
    const std::size_t end = i + 1 + n.aggregate_size;  // parts are leaves
    for (std::size_t j = i + 1; j < end && j < r.size(); ++j) f(r[j].value);
    return std::min(end, r.size());
  }
  f(n.data_type == type::verbatim_string ? resp3::verbatim_text(n) : n.value);
  return i + 1;
}

/// Appends an integer reply as `%lld` prints the value hiredis parsed from it: the parser
/// accepts only canonical 64-bit decimals, which are already that text.
inline void append_integer(std::string& out, std::string_view digits) { out += digits; }

/// Appends the scalars CSV and JSON spell alike: an integer, a double as the server wrote it
/// (even `inf` or `nan`), a null as `null_word`, a boolean as true or false. Returns false,
/// appending nothing, for any other type.
inline bool append_plain_scalar(std::string& out, const node& n, std::string_view null_word) {
  switch (n.data_type) {
    case type::number:
      append_integer(out, n.value);
      return true;
    case type::double_:
      out += detail::ascii::c_string(n.value);
      return true;
    case type::null:
      out += null_word;
      return true;
    case type::boolean:
      out += n.value.starts_with('t') ? "true" : "false";
      return true;
    default:
      return false;
  }
}

/// The bytes of the string node `r[i]`: its value, or the parts of a streamed string joined
/// in `storage`.
std::string_view string_bytes(reply_view r, std::size_t i, std::string& storage);

/// True when the reply holds a RESP3 big number, which redis-cli's hiredis reports as reply
/// type 13 and none of its formatters knows.
bool has_unknown_type(reply_view r) noexcept;

/// Appends `n` right-aligned in `width` columns, as `%*u`.
void append_index(std::string& out, std::size_t n, std::size_t width);

/// The number of decimal digits of `n` (1 for 0).
std::size_t decimal_width(std::size_t n) noexcept;

/// Appends the inside of sdscatrepr's quotes for `bytes`, writing each backslash of an escape
/// as `bs` ("\\" for repr, "\\\\" for --quoted-json, which doubles every backslash of repr).
void append_repr_body(std::string& out, std::string_view bytes, std::string_view bs);

/// Appends the inside of escapeJsonString's quotes for `bytes`.
void append_json_escaped(std::string& out, std::string_view bytes);

/// Appends the string node `r[i]` (any string-like type) C-quoted; returns the next index.
std::size_t append_repr_node(std::string& out, reply_view r, std::size_t i);

/// Appends the inside of the JSON string for `bytes`: escapeJsonString for --json (`quoted`
/// false), repr with every backslash doubled for --quoted-json (true).
void append_json_body(std::string& out, std::string_view bytes, bool quoted);

/// Appends `bytes` as a JSON string.
void append_json_text(std::string& out, std::string_view bytes, bool quoted);

}  // namespace respool::cli::formatting
