// What the reply formatters' tests share: replies parsed from literal RESP, and each format applied
// to one.
#pragma once

// respool-cli's reply formatters, against what redis-cli 7.0.15 prints for the same replies.
// Every expected string below was checked against the installed redis-cli (DEBUG PROTOCOL,
// EVAL with RESP3 tables, HELLO 3, HGETALL...) on a scratch server.
#include "format.hpp"
#include "reply_text.hpp"
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace cli_format_test_support {

using namespace std::string_literals;
using respool::cli::format_options;
using respool::cli::format_status;
using respool::cli::output_mode;
namespace cli = respool::cli;
namespace resp3 = respool::resp3;

// One reply parsed from literal RESP bytes; the nodes point into `bytes_`, so the object stays
// where it was made.
class parsed {
 public:
  explicit parsed(std::string bytes) : bytes_(std::move(bytes)) {
    std::error_code ec;
    complete_ = parser_.parse(bytes_, ec);
    EXPECT_TRUE(complete_) << "not one whole reply: " << respool::test::escape(bytes_) << " "
                           << ec.message();
    EXPECT_EQ(parser_.consumed(), bytes_.size()) << respool::test::escape(bytes_);
  }
  parsed(const parsed&) = delete;
  parsed& operator=(const parsed&) = delete;

  [[nodiscard]] resp3::reply_view view() const {
    return complete_ ? parser_.reply() : resp3::reply_view{};
  }

 private:
  std::string bytes_;
  resp3::parser parser_;
  bool complete_ = false;
};

inline std::string tty(std::string resp, std::string_view prefix = {}) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_standard(out, p.view(), prefix), format_status::ok);
  return out;
}

inline std::string raw(std::string resp, std::string_view delimiter = "\n") {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_raw(out, p.view(), delimiter), format_status::ok);
  return out;
}

inline std::string csv(std::string resp) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_csv(out, p.view()), format_status::ok);
  return out;
}

inline std::string json(std::string resp, bool quoted = false) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_json(out, p.view(), quoted), format_status::ok);
  return out;
}

inline std::string qjson(std::string resp) { return json(std::move(resp), true); }

inline std::string reply(std::string resp, const format_options& opts, bool forced_raw = false) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_reply(out, p.view(), opts, forced_raw), format_status::ok);
  return out;
}

inline format_options mode(output_mode m) {
  format_options o;
  o.mode = m;
  return o;
}

inline std::string repr(std::string_view bytes) {
  std::string out;
  cli::append_repr(out, bytes);
  return out;
}

inline std::string jstr(std::string_view bytes) {
  std::string out;
  cli::append_json_string(out, bytes);
  return out;
}

inline bool forced(std::vector<std::string> argv) { return cli::is_forced_raw(argv); }

inline std::string invalidation(std::string resp) {
  const parsed p(std::move(resp));
  std::string out;
  if (!cli::format_invalidation(out, p.view())) return "<not an invalidation>";
  return out;
}

// Concatenates strings, characters and views (g++ 12 wrongly warns, -Wrestrict, about
// `"literal" + std::string` in optimized builds).
template <class... T>
inline std::string cat(const T&... parts) {
  std::string s;
  (s += ... += parts);
  return s;
}

// A bulk string holding every kind of byte repr and JSON treat differently.
inline const std::string binary = "\x00\xf0\x7f\x1b\"\\'\t\r\n\x07\x08\x0b\x0c ~"s;
inline const std::string binary_bulk = cat("$16\r\n", binary, "\r\n");

// Ten bulk strings "a" to "j": the indexes become two characters wide.
inline std::string ten_letters() {
  std::string resp = "*10\r\n";
  for (char c = 'a'; c <= 'j'; ++c) resp += cat("$1\r\n", c, "\r\n");
  return resp;
}

}  // namespace cli_format_test_support
