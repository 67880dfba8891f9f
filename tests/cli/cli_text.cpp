// The runner's text helpers (terminal codes, escapes, line diffs), find_program, temp_dir and
// read_file.
#include "cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace respool::test::cli {

// ---------------------------------------------------------------------------------------------
// text helpers

std::string strip_terminal_codes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r' || c == '\b' || c == '\a') {
      ++i;
      continue;
    }
    if (c != 0x1b) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (i + 1 >= n) break;  // incomplete
    const unsigned char kind = static_cast<unsigned char>(bytes[i + 1]);
    std::size_t j = i + 2;
    if (kind == '[') {  // CSI: parameters and intermediates, then a final byte 0x40..0x7E
      while (j < n && !(bytes[j] >= 0x40 && bytes[j] <= 0x7e)) ++j;
      if (j >= n) break;
      i = j + 1;
    } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
      while (j < n && bytes[j] != '\a' &&
             !(bytes[j] == 0x1b && j + 1 < n && bytes[j + 1] == '\\')) {
        ++j;
      }
      if (j >= n) break;
      i = bytes[j] == '\a' ? j + 1 : j + 2;
    } else if (kind >= 0x20 && kind <= 0x2f) {  // ESC, intermediates, final byte
      while (j < n && bytes[j] >= 0x20 && bytes[j] <= 0x2f) ++j;
      if (j >= n) break;
      i = j + 1;
    } else {
      i += 2;
    }
  }
  return out;
}

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char ch : bytes) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n':
        out += "\\n\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  return out;
}

namespace {

// Lines including their '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto nl = s.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

std::string show_line(char mark, std::string_view line) {
  std::string body = escape_bytes(line);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  if (line.empty() || line.back() != '\n') body += "  [no newline]";
  return std::string(1, mark) + " " + body + "\n";
}

}  // namespace

std::string diff_text(std::string_view expected, std::string_view actual) {
  if (expected == actual) return "(same)\n";
  std::size_t first = 0;
  while (first < expected.size() && first < actual.size() && expected[first] == actual[first]) {
    ++first;
  }
  std::string out = "first difference at byte " + std::to_string(first) + " (expected " +
                    std::to_string(expected.size()) + " bytes, actual " +
                    std::to_string(actual.size()) + " bytes)\n";
  const auto a = split_lines(expected);
  const auto b = split_lines(actual);
  constexpr std::size_t max_lines = 1500;
  if (a.size() > max_lines || b.size() > max_lines) {
    out += "(too long for a line diff; expected then actual)\n";
    for (auto l : a) out += show_line('-', l);
    for (auto l : b) out += show_line('+', l);
    return out;
  }
  // Longest common subsequence of lines.
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out += show_line(' ', a[i]);
      ++i;
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out += show_line('+', b[j++]);
    } else {
      out += show_line('-', a[i++]);
    }
  }
  return out;
}

std::string find_program(std::string_view name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string_view::npos) {
    const std::string path(name);
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
  }
  const char* env_path = std::getenv("PATH");
  std::string dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    const auto colon = std::min(dirs.find(':', pos), dirs.size());
    // An empty entry is the current directory.
    std::string candidate = colon == pos ? std::string(".") : dirs.substr(pos, colon - pos);
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    pos = colon + 1;
  }
  return {};
}

temp_dir::temp_dir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        std::string(prefix) + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path, bool* exists) {
  std::ifstream in(path, std::ios::binary);
  if (exists != nullptr) *exists = static_cast<bool>(in);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace respool::test::cli
