/// @file
/// @brief redis-cli's standard ("TTY"), raw and CSV reply formats (cliFormatReplyTTY,
/// cliFormatReplyRaw, cliFormatReplyCSV): recursive walks over a flat reply, each taking the
/// index of a node and returning the index past its subtree.

#include "format.hpp"
#include "format_util.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace respool::cli {

namespace {

using namespace formatting;

// ---------------------------------------------------------------------------------------------
// The standard ("TTY") format
// ---------------------------------------------------------------------------------------------

/// True when the standard format prints the subtree at `r[i]` on several lines
/// (cliIsMultilineValueTTY): such a map value starts on a line of its own.
bool is_multiline(reply_view r, std::size_t i) noexcept {
  while (i < r.size()) {
    const node& n = r[i];
    if (!is_container(n.data_type) || n.aggregate_size == 0) return false;
    if (n.aggregate_size > 1) return true;
    // One element (or pair): multiline when that element (or the pair's value) is.
    i = resp3::is_map_like(n.data_type) ? subtree_end(r, i + 1) : i + 1;
  }
  return false;
}

class tty_formatter {
 public:
  tty_formatter(std::string& out, reply_view r, std::string_view prefix)
      : out_(out), r_(r), prefix_(prefix) {}

  /// Formats the subtree at `r_[i]`; returns the index past it.
  std::size_t format(std::size_t i) {
    const node& n = r_[i];
    switch (n.data_type) {
      case type::simple_error:
      case type::bulk_error:
        out_ += "(error) ";
        out_ += c_string(n.value);
        out_ += '\n';
        return i + 1;
      case type::simple_string:
        out_ += c_string(n.value);
        out_ += '\n';
        return i + 1;
      case type::number:
        out_ += "(integer) ";
        append_integer(out_, n.value);
        out_ += '\n';
        return i + 1;
      case type::double_:
        out_ += "(double) ";
        out_ += c_string(n.value);
        out_ += '\n';
        return i + 1;
      case type::verbatim_string:  // the text as is, not quoted
        out_ += resp3::verbatim_text(n);
        out_ += '\n';
        return i + 1;
      case type::null:
        out_ += "(nil)\n";
        return i + 1;
      case type::boolean:
        out_ += n.value.starts_with('t') ? "(true)\n" : "(false)\n";
        return i + 1;
      case type::array:
      case type::set:
      case type::push:
      case type::map:
      case type::attribute:
        return aggregate(i);
      case type::bulk_string:
      case type::streamed_string:
      case type::streamed_string_part:
      case type::big_number:  // excluded beforehand
        break;
    }
    const std::size_t next = append_repr_node(out_, r_, i);
    out_ += '\n';
    return next;
  }

 private:
  std::size_t aggregate(std::size_t i) {
    const node& n = r_[i];
    const bool map = resp3::is_map_like(n.data_type);
    const std::size_t count = n.aggregate_size;  // elements, or pairs for a map
    if (count == 0) {
      switch (n.data_type) {
        case type::array:
          out_ += "(empty array)\n";
          break;
        case type::set:
          out_ += "(empty set)\n";
          break;
        case type::push:
          out_ += "(empty push)\n";
          break;
        default:
          out_ += "(empty hash)\n";
          break;
      }
      return i + 1;
    }
    // Each element is preceded by its 1-based index, right-aligned to the width of the
    // largest, and a separator; the lines of nested replies are indented by that width + 2.
    // Every element but the first starts with the prefix the caller was given (the first one
    // continues the caller's line). The prefix is made of whole levels, so it is kept in one
    // string that grows on the way down and shrinks on the way back.
    const char sep = n.data_type == type::set ? '~' : map ? '#' : ')';
    const std::size_t width = decimal_width(count);
    const std::size_t outer = prefix_.size();
    prefix_.append(width + 2, ' ');

    std::size_t next = i + 1;
    for (std::size_t k = 0; k < count && next < r_.size(); ++k) {
      if (k > 0) out_.append(prefix_, 0, outer);
      append_index(out_, k + 1, width);
      out_ += sep;
      out_ += ' ';
      next = format(next);
      if (map && next < r_.size()) {
        out_.pop_back();  // the key's '\n'
        out_ += " => ";
        if (is_multiline(r_, next)) {  // the value starts on a line of its own
          out_ += '\n';
          out_ += prefix_;
        }
        next = format(next);
      }
    }
    prefix_.resize(outer);
    return next;
  }

  std::string& out_;
  reply_view r_;
  std::string prefix_;
};

// ---------------------------------------------------------------------------------------------
// The raw format
// ---------------------------------------------------------------------------------------------

std::size_t format_raw_at(std::string& out, reply_view r, std::size_t i, std::string_view delim) {
  const node& n = r[i];
  switch (n.data_type) {
    case type::null:
      return i + 1;
    case type::simple_error:
    case type::bulk_error:  // the whole message and a newline, without "(error)"
      out += n.value;
      out += '\n';
      return i + 1;
    case type::boolean:
      out += n.value.starts_with('t') ? "(true)" : "(false)";
      return i + 1;
    case type::number:
      append_integer(out, n.value);
      return i + 1;
    case type::double_:
      out += c_string(n.value);
      return i + 1;
    case type::array:
    case type::set:
    case type::push:
    case type::map:
    case type::attribute: {
      // Elements joined by the delimiter; a map's pairs as "key value".
      const bool map = resp3::is_map_like(n.data_type);
      std::size_t next = i + 1;
      for (std::size_t k = 0; k < n.aggregate_size && next < r.size(); ++k) {
        if (k > 0) out += delim;
        next = format_raw_at(out, r, next, delim);
        if (map && next < r.size()) {
          out += ' ';
          next = format_raw_at(out, r, next, delim);
        }
      }
      return next;
    }
    case type::simple_string:
    case type::bulk_string:
    case type::verbatim_string:
    case type::streamed_string:
    case type::streamed_string_part:
    case type::big_number:  // excluded beforehand
      break;
  }
  return for_each_piece(r, i, [&](std::string_view piece) { out += piece; });
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

std::size_t format_csv_at(std::string& out, reply_view r, std::size_t i) {
  const node& n = r[i];
  if (append_plain_scalar(out, n, "NULL")) return i + 1;
  switch (n.data_type) {
    case type::simple_error:
    case type::bulk_error:
      out += "ERROR,\"";
      append_repr_body(out, c_string(n.value), "\\");
      out += '"';
      return i + 1;
    case type::array:
    case type::set:
    case type::push:
    case type::map:
    case type::attribute: {
      // Flattened, maps included: every element (key or value) separated by ','.
      const std::size_t count = resp3::child_count(n);
      std::size_t next = i + 1;
      for (std::size_t k = 0; k < count && next < r.size(); ++k) {
        if (k > 0) out += ',';
        next = format_csv_at(out, r, next);
      }
      return next;
    }
    default:  // strings (a big number is excluded beforehand)
      break;
  }
  return append_repr_node(out, r, i);
}

}  // namespace

format_status format_standard(std::string& out, resp3::reply_view reply, std::string_view prefix) {
  if (has_unknown_type(reply)) return format_status::unknown_type;
  if (!reply.empty()) tty_formatter(out, reply, prefix).format(0);
  return format_status::ok;
}

format_status format_raw(std::string& out, resp3::reply_view reply,
                         std::string_view element_delimiter) {
  if (has_unknown_type(reply)) return format_status::unknown_type;
  if (!reply.empty()) format_raw_at(out, reply, 0, element_delimiter);
  return format_status::ok;
}

namespace {

// A debugger's line in the color its tags ask for: ESC[<bold>;<color>;49m ... ESC[0m.
void append_ldb_line(std::string& out, std::string_view line, bool color) {
  if (!color) {
    out += line;
    return;
  }
  auto has = [&](std::string_view tag) { return line.find(tag) != std::string_view::npos; };
  int bold = 0, code = 37;  // white
  if (has("<debug>")) bold = 1, code = 37;
  if (has("<redis>")) bold = 0, code = 32;
  if (has("<reply>")) bold = 0, code = 36;
  if (has("<error>")) bold = 0, code = 31;
  if (has("<hint>")) bold = 1, code = 37;
  if (has("<value>") || has("<retval>")) bold = 0, code = 35;
  // A listing: "-> 12  ..." is the current line, " #12 ..." a breakpoint.
  if (line.size() > 4 && std::isdigit(static_cast<unsigned char>(line[3])) != 0) {
    if (line[1] == '>') {
      bold = 0, code = 33;
    } else if (line[2] == '#') {
      bold = 1, code = 37;
    }
  }
  out += fmt::format("\x1b[{};{};49m", bold, code);
  out += line;
  out += "\x1b[0m";
}

std::size_t format_ldb_at(std::string& out, reply_view r, std::size_t i, std::string_view delim,
                          bool color, bool& ended) {
  const node& n = r[i];
  if (n.data_type == type::simple_string) {
    if (n.value.starts_with("<endsession>")) {
      ended = true;
    } else {
      append_ldb_line(out, n.value, color);
    }
    return i + 1;
  }
  if (n.data_type == type::array || n.data_type == type::set || n.data_type == type::push) {
    std::size_t next = i + 1;
    for (std::size_t k = 0; k < n.aggregate_size && next < r.size(); ++k) {
      if (k > 0) out += delim;
      next = format_ldb_at(out, r, next, delim, color, ended);
    }
    return next;
  }
  const std::size_t end = subtree_end(r, i);
  format_raw_at(out, r.subspan(i, end - i), 0, delim);
  return end;
}

}  // namespace

format_status format_ldb(std::string& out, resp3::reply_view reply,
                         std::string_view element_delimiter, bool color, bool& ended) {
  if (has_unknown_type(reply)) return format_status::unknown_type;
  if (!reply.empty()) format_ldb_at(out, reply, 0, element_delimiter, color, ended);
  return format_status::ok;
}

format_status format_csv(std::string& out, resp3::reply_view reply) {
  if (has_unknown_type(reply)) return format_status::unknown_type;
  if (!reply.empty()) format_csv_at(out, reply, 0);
  return format_status::ok;
}

}  // namespace respool::cli
