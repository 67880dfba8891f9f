/// @file
/// @brief How respool-cli prints replies: redis-cli's four output formats, byte for byte.
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace respool::cli {

enum class output_mode {
  standard,     ///< redis-cli's "TTY" format: `1) "foo"`, `(integer) 1`, `(error) ...`
  raw,          ///< the bytes themselves (the default when stdout is not a terminal)
  csv,          ///< one line per reply, aggregates flattened with ','
  json,         ///< JSON (errors as `error:"..."`, which is not valid JSON, as redis-cli does)
  quoted_json,  ///< JSON whose strings are C-quoted (binary-safe)
};

struct format_options {
  output_mode mode = output_mode::standard;
  /// Between the elements of an aggregate in raw mode (-d).
  std::string_view element_delimiter = "\n";
  /// After each reply in raw mode (-D).
  std::string_view reply_delimiter = "\n";
};

/// What a reply holds that redis-cli cannot print.
enum class format_status {
  ok,
  unknown_type,  ///< a RESP3 big number: redis-cli says "Unknown reply type: 13"
};

/// The walk of a reply's subtrees is the protocol layer's (resp3/node.hpp).
using resp3::subtree_end;

/// Appends `bytes` C-quoted as redis-cli quotes strings: `"a\n\x00"` (sdscatrepr).
void append_repr(std::string& out, std::string_view bytes);

/// Appends `bytes` as a JSON string the way redis-cli escapes it (bytes >= 0x7f are copied).
void append_json_string(std::string& out, std::string_view bytes);

/// The individual formats, without anything appended after the reply.
format_status format_standard(std::string& out, resp3::reply_view reply,
                              std::string_view prefix = {});
format_status format_raw(std::string& out, resp3::reply_view reply,
                         std::string_view element_delimiter = "\n");
format_status format_csv(std::string& out, resp3::reply_view reply);
format_status format_json(std::string& out, resp3::reply_view reply, bool quoted);

/// A reply in a Lua debugging session (--ldb), in the raw format: the debugger's status lines
/// colored by their tags when `color` (redis-cli does it when TERM names an xterm). A line
/// that starts with "<endsession>" is not printed: it sets `ended`.
format_status format_ldb(std::string& out, resp3::reply_view reply,
                         std::string_view element_delimiter, bool color, bool& ended);

/// The bytes redis-cli writes for the reply of a command: the reply in the chosen mode followed
/// by what that mode puts after a reply, or the reply in raw form and nothing after it when
/// the command's output is always raw (`forced_raw`, see is_forced_raw()).
format_status format_reply(std::string& out, resp3::reply_view reply, const format_options& opts,
                           bool forced_raw);

/// Commands whose reply is printed raw in every mode: INFO, CLIENT LIST, CLUSTER NODES, ...
/// (names compared without regard to case).
[[nodiscard]] bool is_forced_raw(std::span<const std::string> argv) noexcept;

/// A RESP3 client-tracking invalidation push (`invalidate` + keys), printed by redis-cli in
/// the standard mode as `-> invalidate: 'k1', 'k2'`. Appends that line and returns true when
/// `reply` is one; false otherwise.
bool format_invalidation(std::string& out, resp3::reply_view reply);

}  // namespace respool::cli
