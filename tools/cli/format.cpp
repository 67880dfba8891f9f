/// @file
/// @brief redis-cli 7.0's reply formatters (cliFormatReplyTTY, cliFormatReplyRaw,
/// cliFormatReplyCSV, cliFormatReplyJson, cliFormatInvalidateTTY), on respool's flat replies.
///
/// A reply is a span of nodes in pre-order: an aggregate's node is followed by its elements
/// (twice its size for a map: key, value, key, value...), each of which may be a subtree. Every
/// formatter below is a recursive walk that takes the index of a node and returns the index
/// just past that node's subtree, so that no subtree is ever scanned twice.
///
/// Where hiredis hands redis-cli a C string and redis-cli prints it with `%s`, `strcat` or
/// `strlen`, the text stops at its first NUL byte; those places use c_string() to match.
#include "format.hpp"

#include "format_util.hpp"
#include <respool/protocol/resp3/type.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace respool::cli {
namespace formatting {
namespace {
// ---------------------------------------------------------------------------------------------
// String escapers
// ---------------------------------------------------------------------------------------------

constexpr std::string_view hex_digits = "0123456789abcdef";

// How a string format writes each byte: 0 copies it, 'x' writes it in hex (\\xHH for repr,
// \\u00HH for JSON), any other letter is the character after the backslash (\\n, \\", ...).
using escape_table = std::array<char, 256>;

constexpr escape_table make_escapes(bool json) {
  escape_table t{};
  for (int c = 0; c < 256; ++c) {
    // repr (sdscatrepr) keeps what isprint() accepts in the C locale; JSON (escapeJsonString)
    // escapes only control characters and copies 0x7f and every byte >= 0x80.
    const bool copied = json ? c > 0x1f : (c >= 0x20 && c <= 0x7e);
    t[static_cast<std::size_t>(c)] = copied ? 0 : 'x';
  }
  t['\\'] = '\\';
  t['"'] = '"';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['\b'] = 'b';
  if (json) {
    t['\f'] = 'f';
  } else {
    t['\a'] = 'a';
  }
  return t;
}

constexpr escape_table repr_escapes = make_escapes(false);
constexpr escape_table json_escapes = make_escapes(true);

/// Appends `bytes` escaped by `table`, each escape starting with `bs` and each hex escape with
/// `bs` + `hex_prefix`.
void append_escaped(std::string& out, std::string_view bytes, const escape_table& table,
                    std::string_view bs, std::string_view hex_prefix) {
  std::size_t run = 0;  // start of the pending run of bytes copied as they are
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const char esc = table[c];
    if (esc == 0) continue;
    out.append(bytes.data() + run, i - run);
    run = i + 1;
    out += bs;
    if (esc == 'x') {
      out += hex_prefix;
      out += hex_digits[c >> 4];
      out += hex_digits[c & 0xf];
    } else if (esc == '\\') {
      out += bs;  // an escaped backslash is written the way escapes begin
    } else {
      out += esc;
    }
  }
  out.append(bytes.data() + run, bytes.size() - run);
}

}  // namespace
// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

using detail::ascii::c_string;

/// The bytes of the string node `r[i]`: its value, or the parts of a streamed string joined
/// in `storage`.
std::string_view string_bytes(reply_view r, std::size_t i, std::string& storage) {
  if (r[i].data_type != type::streamed_string) return r[i].value;
  storage.clear();
  for_each_piece(r, i, [&](std::string_view piece) { storage += piece; });
  return storage;
}

/// True when the reply holds a RESP3 big number, which redis-cli's hiredis reports as reply
/// type 13 and none of its formatters knows.
bool has_unknown_type(reply_view r) noexcept {
  return std::any_of(r.begin(), r.end(),
                     [](const node& n) { return n.data_type == type::big_number; });
}

/// Appends `n` right-aligned in `width` columns, as `%*u`.
void append_index(std::string& out, std::size_t n, std::size_t width) {
  std::array<char, 24> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  const auto len = static_cast<std::size_t>(res.ptr - buf.data());
  if (len < width) out.append(width - len, ' ');
  out.append(buf.data(), res.ptr);
}

/// The number of decimal digits of `n` (1 for 0).
std::size_t decimal_width(std::size_t n) noexcept {
  std::size_t w = 1;
  while (n >= 10) {
    n /= 10;
    ++w;
  }
  return w;
}

/// Appends the inside of sdscatrepr's quotes for `bytes`, writing each backslash of an escape
/// as `bs` ("\\" for repr, "\\\\" for --quoted-json, which doubles every backslash of repr).
void append_repr_body(std::string& out, std::string_view bytes, std::string_view bs) {
  append_escaped(out, bytes, repr_escapes, bs, "x");
}

/// Appends the inside of escapeJsonString's quotes for `bytes`.
void append_json_escaped(std::string& out, std::string_view bytes) {
  append_escaped(out, bytes, json_escapes, "\\", "u00");
}

/// Appends the string node `r[i]` (any string-like type) C-quoted; returns the next index.
std::size_t append_repr_node(std::string& out, reply_view r, std::size_t i) {
  out += '"';
  const std::size_t next =
      for_each_piece(r, i, [&](std::string_view piece) { append_repr_body(out, piece, "\\"); });
  out += '"';
  return next;
}

/// Appends the inside of the JSON string for `bytes`: escapeJsonString for --json (`quoted`
/// false), repr with every backslash doubled for --quoted-json (true).
void append_json_body(std::string& out, std::string_view bytes, bool quoted) {
  if (quoted) {
    append_repr_body(out, bytes, "\\\\");
  } else {
    append_json_escaped(out, bytes);
  }
}

/// Appends `bytes` as a JSON string.
void append_json_text(std::string& out, std::string_view bytes, bool quoted) {
  out += '"';
  append_json_body(out, bytes, quoted);
  out += '"';
}
}  // namespace formatting

namespace {

using namespace formatting;

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// Appends the string node `r[i]` as a JSON string; returns the next index.
std::size_t append_json_node(std::string& out, reply_view r, std::size_t i, bool quoted) {
  out += '"';
  const std::size_t next =
      for_each_piece(r, i, [&](std::string_view piece) { append_json_body(out, piece, quoted); });
  out += '"';
  return next;
}

std::size_t format_json_at(std::string& out, reply_view r, std::size_t i, bool quoted) {
  const node& n = r[i];
  if (append_plain_scalar(out, n, "null")) return i + 1;
  switch (n.data_type) {
    case type::simple_error:
    case type::bulk_error:  // `error:"..."`, which is not JSON: redis-cli's choice
      out += "error:";
      append_json_text(out, c_string(n.value), quoted);
      return i + 1;
    case type::array:
    case type::set:
    case type::push: {
      out += '[';
      std::size_t next = i + 1;
      for (std::size_t k = 0; k < n.aggregate_size && next < r.size(); ++k) {
        if (k > 0) out += ',';
        next = format_json_at(out, r, next, quoted);
      }
      out += ']';
      return next;
    }
    case type::map:
    case type::attribute: {
      out += '{';
      std::size_t next = i + 1;
      for (std::size_t k = 0; k < n.aggregate_size && next < r.size(); ++k) {
        if (k > 0) out += ',';
        const type key = r[next].data_type;
        if (printed_as_bulk(key) || key == type::simple_string || key == type::verbatim_string ||
            resp3::is_error(key)) {
          next = format_json_at(out, r, next, quoted);
        } else {
          // JSON keys are strings: any other key is formatted and put between quotes, unless
          // it already starts with one. Its text is not escaped (`{"[1,2]":...}`).
          std::string text;
          next = format_json_at(text, r, next, quoted);
          if (text.starts_with('"')) {
            out += text;
          } else {
            out += '"';
            out += text;
            out += '"';
          }
        }
        out += ':';
        if (next < r.size()) next = format_json_at(out, r, next, quoted);
      }
      out += '}';
      return next;
    }
    default:  // strings (a big number is excluded beforehand)
      break;
  }
  return append_json_node(out, r, i, quoted);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

void append_repr(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + 2);
  out += '"';
  append_repr_body(out, bytes, "\\");
  out += '"';
}

void append_json_string(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + bytes.size() + 2);
  append_json_text(out, bytes, false);
}

format_status format_json(std::string& out, resp3::reply_view reply, bool quoted) {
  if (has_unknown_type(reply)) return format_status::unknown_type;
  if (!reply.empty()) format_json_at(out, reply, 0, quoted);
  return format_status::ok;
}

format_status format_reply(std::string& out, resp3::reply_view reply, const format_options& opts,
                           bool forced_raw) {
  // cliFormatReply: a forced-raw command's reply gets nothing after it, in any mode.
  if (forced_raw) return format_raw(out, reply, opts.element_delimiter);
  switch (opts.mode) {
    case output_mode::standard:
      return format_standard(out, reply);
    case output_mode::raw: {
      const format_status st = format_raw(out, reply, opts.element_delimiter);
      if (st == format_status::ok) out += opts.reply_delimiter;
      return st;
    }
    case output_mode::csv: {
      const format_status st = format_csv(out, reply);
      if (st == format_status::ok) out += '\n';
      return st;
    }
    case output_mode::json:
    case output_mode::quoted_json: {
      const format_status st = format_json(out, reply, opts.mode == output_mode::quoted_json);
      if (st == format_status::ok) out += '\n';
      return st;
    }
  }
  return format_status::ok;
}

bool is_forced_raw(std::span<const std::string> argv) noexcept {
  // cliSendCommand's list, with its argument-count conditions.
  const std::size_t argc = argv.size();
  if (argc == 0) return false;
  const std::string_view cmd = argv[0];
  if (iequals(cmd, "info") || iequals(cmd, "lolwut")) return true;
  if (argc < 2) return false;
  const std::string_view sub = argv[1];
  if (iequals(cmd, "debug")) {
    return iequals(sub, "htstats") || iequals(sub, "htstats-key") ||
           iequals(sub, "client-eviction");
  }
  if (iequals(cmd, "memory")) return iequals(sub, "malloc-stats") || iequals(sub, "doctor");
  if (iequals(cmd, "cluster")) return argc == 2 && (iequals(sub, "nodes") || iequals(sub, "info"));
  if (iequals(cmd, "client")) return iequals(sub, "list") || iequals(sub, "info");
  if (iequals(cmd, "latency")) {
    return (argc == 3 && iequals(sub, "graph")) || (argc == 2 && iequals(sub, "doctor"));
  }
  if (iequals(cmd, "proxy")) return iequals(sub, "info");
  return false;
}

bool format_invalidation(std::string& out, resp3::reply_view reply) {
  // isInvalidateReply: a push of two elements, a bulk string that starts with "invalidate"
  // (strncmp over 10 bytes) and an array (a flush invalidates with a null instead, which is
  // formatted like any other push).
  if (reply.size() < 2 || reply[0].data_type != type::push || reply[0].aggregate_size != 2) {
    return false;
  }
  if (!printed_as_bulk(reply[1].data_type)) return false;
  std::string storage;
  if (!string_bytes(reply, 1, storage).starts_with("invalidate")) return false;
  const std::size_t keys = subtree_end(reply, 1);
  if (keys >= reply.size() || reply[keys].data_type != type::array) return false;

  // cliFormatInvalidateTTY asserts that every key is a bulk string; a reply where one is not
  // is left to the ordinary formatters rather than printed half.
  const std::size_t count = reply[keys].aggregate_size;
  std::size_t i = keys + 1;
  for (std::size_t k = 0; k < count; ++k) {
    if (i >= reply.size() || !printed_as_bulk(reply[i].data_type)) return false;
    i = subtree_end(reply, i);
  }

  out += "-> invalidate: ";
  i = keys + 1;
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) out += ", ";
    // Printed with "%s": the key stops at its first NUL byte.
    out += '\'';
    out += c_string(string_bytes(reply, i, storage));
    out += '\'';
    i = subtree_end(reply, i);
  }
  out += '\n';
  return true;
}

}  // namespace respool::cli
