#include "uri_text.hpp"

#include <respool/protocol/detail/ascii.hpp>

#include <cstddef>

namespace respool::detail::uri {

namespace {

constexpr std::size_t max_quoted_length = 200;

using ascii::hex_value;
using ascii::is_control;
using ascii::is_digit;

}  // namespace

std::string quote(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  const bool cut = text.size() > max_quoted_length;
  if (cut) text = text.substr(0, max_quoted_length);
  std::string out = "'";
  for (const char c : text) {
    if (is_control(c)) {
      const auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 0xf];
    } else {
      out += c;
    }
  }
  out += cut ? "...'" : "'";
  return out;
}

std::string redact(std::string_view uri) {
  const auto sep = uri.find("://");
  if (sep == std::string_view::npos) return std::string(uri);
  const std::size_t auth_begin = sep + 3;
  auto auth_end = uri.find_first_of(authority_ends, auth_begin);
  if (auth_end == std::string_view::npos) auth_end = uri.size();
  const auto at = uri.substr(auth_begin, auth_end - auth_begin).rfind('@');
  if (at == std::string_view::npos || at == 0) return std::string(uri);
  const std::string_view userinfo = uri.substr(auth_begin, at);
  const auto colon = userinfo.find(':');
  // With no ':' the whole userinfo is the password.
  const std::size_t secret_begin = colon == std::string_view::npos ? 0 : colon + 1;
  if (secret_begin == userinfo.size()) return std::string(uri);
  std::string out(uri.substr(0, auth_begin + secret_begin));
  out += "***";
  out += uri.substr(auth_begin + at);
  return out;
}

bool percent_decode(std::string_view in, std::string& out, std::string_view& bad) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      bad = in.substr(i, 3);
      return false;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool parse_decimal(std::string_view text, long max, long& value) {
  if (text.empty()) return false;
  long v = 0;
  for (const char c : text) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
    // Checked on every digit, so a long run of digits cannot overflow.
    if (v > max) return false;
  }
  value = v;
  return true;
}

}  // namespace respool::detail::uri
