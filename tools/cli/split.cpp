/// @file
/// @brief sdssplitargs() and redis-cli 7.0's isSensitiveCommand(), byte for byte.
#include "split.hpp"

#include <respool/protocol/detail/ascii.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>

namespace respool::cli {

namespace {

/// isspace() in the C locale.
constexpr bool is_c_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

using detail::ascii::hex_value;

constexpr bool iequals(std::string_view arg, std::string_view word) noexcept {
  return detail::ascii::c_iequals(arg, word);
}

}  // namespace

namespace {

// The byte at `k`, or the NUL that ends the C string sdssplitargs reads.
char char_at(std::string_view line, std::size_t k) noexcept {
  return k < line.size() ? line[k] : '\0';
}

// A quoted part must end its word: whitespace or the end follows the closing quote.
bool closes_word(std::string_view line, std::size_t quote) noexcept {
  const char next = char_at(line, quote + 1);
  return next == '\0' || is_c_space(next);
}

// The character a backslash escape inside "..." stands for: \n \r \t \b \a, and any other
// character itself (\" \\ \').
char unescape(char c) noexcept {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// The inside of "...", from `p` just after the opening quote; `p` ends on the closing quote.
// False for an unterminated or badly closed quote.
bool read_double_quoted(std::string_view line, std::size_t& p, std::string& word) {
  for (;; ++p) {
    const char c = char_at(line, p);
    if (c == '\\' && char_at(line, p + 1) == 'x' && is_hex_digit(char_at(line, p + 2)) &&
        is_hex_digit(char_at(line, p + 3))) {
      word += static_cast<char>(hex_value(line[p + 2]) * 16 + hex_value(line[p + 3]));
      p += 3;
    } else if (c == '\\' && char_at(line, p + 1) != '\0') {
      word += unescape(line[++p]);
    } else if (c == '"') {
      return closes_word(line, p);
    } else if (c == '\0') {
      return false;
    } else {
      word += c;
    }
  }
}

// The inside of '...', where only \' is an escape; as read_double_quoted.
bool read_single_quoted(std::string_view line, std::size_t& p, std::string& word) {
  for (;; ++p) {
    const char c = char_at(line, p);
    if (c == '\\' && char_at(line, p + 1) == '\'') {
      word += line[++p];
    } else if (c == '\'') {
      return closes_word(line, p);
    } else if (c == '\0') {
      return false;
    } else {
      word += c;
    }
  }
}

// One word from `p` (not a blank), leaving `p` after it. Outside quotes it ends at a space,
// tab, CR or LF (not at \v or \f, which isspace() skips between words); a quote anywhere in
// it starts a quoted part, whose closing quote must end the word.
std::optional<std::string> read_word(std::string_view line, std::size_t& p) {
  std::string word;
  for (;; ++p) {
    const char c = char_at(line, p);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
      if (p < line.size()) ++p;
      return word;
    }
    if (c == '"' || c == '\'') {
      ++p;
      const bool closed =
          c == '"' ? read_double_quoted(line, p, word) : read_single_quoted(line, p, word);
      if (!closed) return std::nullopt;
      ++p;
      return word;
    }
    word += c;
  }
}

}  // namespace

std::optional<std::vector<std::string>> split_args(std::string_view line) {
  // sdssplitargs reads a C string: it ends at the first NUL.
  line = line.substr(0, line.find('\0'));
  std::vector<std::string> argv;
  std::size_t p = 0;
  for (;;) {
    while (p < line.size() && is_c_space(line[p])) ++p;  // blanks between words
    if (p == line.size()) return argv;
    std::optional<std::string> word = read_word(line, p);
    if (!word) return std::nullopt;
    argv.push_back(std::move(*word));
  }
}

bool is_sensitive_command(std::span<const std::string> argv) noexcept {
  // redis-cli 7.0.15's isSensitiveCommand. Unlike later versions, CONFIG SET is sensitive only
  // when its first parameter is one of the three.
  const std::size_t argc = argv.size();
  if (argc == 0) return false;
  if (iequals(argv[0], "auth")) return true;
  if (argc > 1 && iequals(argv[0], "acl") && iequals(argv[1], "setuser")) return true;
  if (argc > 2 && iequals(argv[0], "config") && iequals(argv[1], "set")) {
    return iequals(argv[2], "masterauth") || iequals(argv[2], "masteruser") ||
           iequals(argv[2], "requirepass");
  }
  if (argc > 4 && iequals(argv[0], "hello")) {
    // HELLO protover [AUTH username password] [SETNAME clientname]: options are read in order
    // up to the first one that is not SETNAME with its value.
    for (std::size_t j = 2; j < argc; j += 2) {  // each option is SETNAME and its value
      const std::size_t more = argc - 1 - j;
      if (iequals(argv[j], "auth") && more >= 2) return true;
      if (!iequals(argv[j], "setname") || more == 0) return false;
    }
    return false;
  }
  if (argc > 7 && iequals(argv[0], "migrate")) {
    // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password]
    // [AUTH2 username password] [KEYS key...]: anything after KEYS is a key name.
    for (std::size_t j = 6; j < argc; ++j) {
      const std::size_t more = argc - 1 - j;
      if (iequals(argv[j], "auth") && more >= 1) return true;
      if (iequals(argv[j], "auth2") && more >= 2) return true;
      if (iequals(argv[j], "keys") && more >= 1) return false;
    }
  }
  return false;
}

}  // namespace respool::cli
