// ASCII character helpers, independent of the C locale: the one place the library and its tools
// classify characters and compare words without regard to case (command names, URI schemes,
// keywords). `<cctype>` is not used because its answers depend on the process's locale.
#pragma once

#include <string>
#include <string_view>

namespace respool::detail::ascii {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

/// The value of a hexadecimal digit, or -1 when `c` is not one.
constexpr int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char to_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// `a == b` ignoring ASCII case.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

/// `s` begins with `prefix`, ignoring ASCII case.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// `bytes` as far as a C function would read them: up to the first NUL.
constexpr std::string_view c_string(std::string_view bytes) noexcept {
  return bytes.substr(0, bytes.find('\0'));
}

/// strcasecmp(arg, word) == 0 in the C locale, where `arg` is a C string that ends at its
/// first NUL (as redis-cli compares its arguments).
constexpr bool c_iequals(std::string_view arg, std::string_view word) noexcept {
  return iequals(c_string(arg), word);
}

inline std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

inline std::string upper_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_upper(c);
  return out;
}

}  // namespace respool::detail::ascii
