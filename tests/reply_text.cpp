#include "reply_text.hpp"

#include <cstdio>

namespace respool::test {

namespace {
const char* code(resp3::type t) {
  using resp3::type;
  switch (t) {
    case type::simple_string:
      return "+";
    case type::simple_error:
      return "-";
    case type::number:
      return ":";
    case type::bulk_string:
      return "$";
    case type::null:
      return "_";
    case type::boolean:
      return "#";
    case type::double_:
      return ",";
    case type::big_number:
      return "(";
    case type::bulk_error:
      return "!";
    case type::verbatim_string:
      return "=";
    case type::array:
      return "*";
    case type::map:
      return "%";
    case type::set:
      return "~";
    case type::attribute:
      return "|";
    case type::push:
      return ">";
    case type::streamed_string:
      return "$?";
    case type::streamed_string_part:
      return ";";
  }
  return "?";
}
}  // namespace

std::string escape(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    }
  }
  return out;
}

std::string render(std::span<const resp3::node> nodes) {
  std::string out;
  for (const resp3::node& n : nodes) {
    if (!out.empty()) out += ' ';
    out += std::to_string(n.depth);
    out += '/';
    out += code(n.data_type);
    if (resp3::is_aggregate(n.data_type)) {
      out += std::to_string(n.aggregate_size);
    } else if (n.data_type != resp3::type::null) {
      out += '"';
      out += escape(n.value);
      out += '"';
    }
  }
  return out;
}

}  // namespace respool::test
