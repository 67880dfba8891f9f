/// @file
/// @brief sdssplitargs() and redis-cli 7.0's isSensitiveCommand(), byte for byte.
#include "split.hpp"

#include <respool/detail/ascii.hpp>

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

std::optional<std::vector<std::string>> split_args(std::string_view line) {
  // sdssplitargs reads a C string: it ends at the first NUL. at() gives that NUL past the end,
  // so that the code below can look ahead as the C code does.
  line = line.substr(0, line.find('\0'));
  const auto at = [line](std::size_t k) noexcept { return k < line.size() ? line[k] : '\0'; };

  std::vector<std::string> argv;
  std::size_t p = 0;
  for (;;) {
    while (p < line.size() && is_c_space(line[p])) ++p;  // blanks between words
    if (p == line.size()) return argv;

    // One word. Outside quotes it ends at a space, tab, CR or LF (not at \v or \f, which
    // isspace() skips between words); a quote anywhere in it starts a quoted part, whose
    // closing quote must end the word.
    std::string word;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && is_hex_digit(at(p + 2)) && is_hex_digit(at(p + 3))) {
          word += static_cast<char>(hex_value(at(p + 2)) * 16 + hex_value(at(p + 3)));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (line[p]) {
            case 'n':
              word += '\n';
              break;
            case 'r':
              word += '\r';
              break;
            case 't':
              word += '\t';
              break;
            case 'b':
              word += '\b';
              break;
            case 'a':
              word += '\a';
              break;
            default:
              word += line[p];
              break;  // \" \\ \' and any other character itself
          }
        } else if (c == '"') {
          if (at(p + 1) != '\0' && !is_c_space(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // unterminated quotes
        } else {
          word += c;
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          word += '\'';
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !is_c_space(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // unterminated quotes
        } else {
          word += c;
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            word += c;
            break;
        }
      }
      if (p < line.size()) ++p;
    }
    argv.push_back(std::move(word));
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
