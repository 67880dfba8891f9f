// respool-cli's reply formatters, against what redis-cli 7.0.15 prints for the same replies.
// Every expected string below was checked against the installed redis-cli (DEBUG PROTOCOL,
// EVAL with RESP3 tables, HELLO 3, HGETALL...) on a scratch server.
#include "format.hpp"
#include "reply_text.hpp"
#include <respool/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

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

std::string tty(std::string resp, std::string_view prefix = {}) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_standard(out, p.view(), prefix), format_status::ok);
  return out;
}

std::string raw(std::string resp, std::string_view delimiter = "\n") {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_raw(out, p.view(), delimiter), format_status::ok);
  return out;
}

std::string csv(std::string resp) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_csv(out, p.view()), format_status::ok);
  return out;
}

std::string json(std::string resp, bool quoted = false) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_json(out, p.view(), quoted), format_status::ok);
  return out;
}

std::string qjson(std::string resp) { return json(std::move(resp), true); }

std::string reply(std::string resp, const format_options& opts, bool forced_raw = false) {
  const parsed p(std::move(resp));
  std::string out;
  EXPECT_EQ(cli::format_reply(out, p.view(), opts, forced_raw), format_status::ok);
  return out;
}

format_options mode(output_mode m) {
  format_options o;
  o.mode = m;
  return o;
}

std::string repr(std::string_view bytes) {
  std::string out;
  cli::append_repr(out, bytes);
  return out;
}

std::string jstr(std::string_view bytes) {
  std::string out;
  cli::append_json_string(out, bytes);
  return out;
}

bool forced(std::vector<std::string> argv) { return cli::is_forced_raw(argv); }

std::string invalidation(std::string resp) {
  const parsed p(std::move(resp));
  std::string out;
  if (!cli::format_invalidation(out, p.view())) return "<not an invalidation>";
  return out;
}

// Concatenates strings, characters and views (g++ 12 wrongly warns, -Wrestrict, about
// `"literal" + std::string` in optimized builds).
template <class... T>
std::string cat(const T&... parts) {
  std::string s;
  (s += ... += parts);
  return s;
}

// A bulk string holding every kind of byte repr and JSON treat differently.
const std::string binary = "\x00\xf0\x7f\x1b\"\\'\t\r\n\x07\x08\x0b\x0c ~"s;
const std::string binary_bulk = cat("$16\r\n", binary, "\r\n");

// Ten bulk strings "a" to "j": the indexes become two characters wide.
std::string ten_letters() {
  std::string resp = "*10\r\n";
  for (char c = 'a'; c <= 'j'; ++c) resp += cat("$1\r\n", c, "\r\n");
  return resp;
}

// ------------------------------------------------------------------------------------------
// repr and JSON strings
// ------------------------------------------------------------------------------------------

TEST(cli_format, repr_quotes_and_escapes_like_sdscatrepr) {
  EXPECT_EQ(repr(""), R"("")");
  EXPECT_EQ(repr("foo bar ~"), R"("foo bar ~")");
  EXPECT_EQ(repr("tab\tnewline\n"), R"("tab\tnewline\n")");
  EXPECT_EQ(repr("\\\"\r\a\b"), R"("\\\"\r\a\b")");
  EXPECT_EQ(repr(binary), R"("\x00\xf0\x7f\x1b\"\\'\t\r\n\a\b\x0b\x0c ~")");
  EXPECT_EQ(repr("\xc3\xa9t\xc3\xa9"), R"("\xc3\xa9t\xc3\xa9")");
  EXPECT_EQ(repr("\x1f\x20\x7e\x80\xff"), R"("\x1f ~\x80\xff")");
}

TEST(cli_format, repr_appends) {
  std::string out = "x=";
  cli::append_repr(out, "a\nb");
  EXPECT_EQ(out, R"(x="a\nb")");
}

TEST(cli_format, json_string_escapes_like_escapeJsonString) {
  EXPECT_EQ(jstr(""), R"("")");
  EXPECT_EQ(jstr("a/b"), R"("a/b")");  // '/' is not escaped
  EXPECT_EQ(jstr("\\\"\n\f\r\t\b"), R"("\\\"\n\f\r\t\b")");
  EXPECT_EQ(jstr("Hello\x00\x01World"s), R"("Hello\u0000\u0001World")");
  EXPECT_EQ(jstr("\x07\x0b\x1b\x1f"), R"("\u0007\u000b\u001b\u001f")");
  // 0x7f and bytes >= 0x80 are copied as they are, even when not UTF-8.
  EXPECT_EQ(jstr("\x7f\xf0\xc3\xa9 "), "\"\x7f\xf0\xc3\xa9 \"");
  EXPECT_EQ(jstr(binary), "\"\\u0000\xf0\x7f\\u001b\\\"\\\\'\\t\\r\\n\\u0007\\b\\u000b\\f ~\"");
}

// ------------------------------------------------------------------------------------------
// The standard format
// ------------------------------------------------------------------------------------------

TEST(cli_format, standard_scalars) {
  EXPECT_EQ(tty("+OK\r\n"), "OK\n");
  EXPECT_EQ(tty("+\r\n"), "\n");
  EXPECT_EQ(tty("-ERR unknown command 'foo'\r\n"), "(error) ERR unknown command 'foo'\n");
  EXPECT_EQ(tty("!21\r\nSYNTAX invalid syntax\r\n"), "(error) SYNTAX invalid syntax\n");
  EXPECT_EQ(tty(":12345\r\n"), "(integer) 12345\n");
  EXPECT_EQ(tty(":-9223372036854775808\r\n"), "(integer) -9223372036854775808\n");
  EXPECT_EQ(tty(",3.141\r\n"), "(double) 3.141\n");
  EXPECT_EQ(tty(",inf\r\n"), "(double) inf\n");
  EXPECT_EQ(tty(",-inf\r\n"), "(double) -inf\n");
  EXPECT_EQ(tty("$11\r\nHello World\r\n"), "\"Hello World\"\n");
  EXPECT_EQ(tty("$0\r\n\r\n"), "\"\"\n");
  EXPECT_EQ(tty("$12\r\ntab\tnewline\n\r\n"), "\"tab\\tnewline\\n\"\n");
  EXPECT_EQ(tty(binary_bulk), R"("\x00\xf0\x7f\x1b\"\\'\t\r\n\a\b\x0b\x0c ~")"
                              "\n");
  EXPECT_EQ(tty("$-1\r\n"), "(nil)\n");
  EXPECT_EQ(tty("*-1\r\n"), "(nil)\n");
  EXPECT_EQ(tty("_\r\n"), "(nil)\n");
  EXPECT_EQ(tty("#t\r\n"), "(true)\n");
  EXPECT_EQ(tty("#f\r\n"), "(false)\n");
}

TEST(cli_format, standard_verbatim_prints_the_text_unquoted_without_its_format) {
  EXPECT_EQ(tty("=29\r\ntxt:This is a verbatim\nstring\r\n"), "This is a verbatim\nstring\n");
  EXPECT_EQ(tty("=7\r\nmkd:*x*\r\n"), "*x*\n");
  EXPECT_EQ(tty("=4\r\ntxt:\r\n"), "\n");
}

TEST(cli_format, standard_c_strings_stop_at_nul) {
  // Status, error and double texts are printed with %s / strcat by redis-cli.
  EXPECT_EQ(tty("+O\0K\r\n"s), "O\n");
  EXPECT_EQ(tty("-ERR a\0b\r\n"s), "(error) ERR a\n");
  // A bulk string is binary-safe.
  EXPECT_EQ(tty("$3\r\nx\0y\r\n"s), "\"x\\x00y\"\n");
}

TEST(cli_format, standard_array) {
  EXPECT_EQ(tty("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"), "1) \"foo\"\n2) \"bar\"\n");
  EXPECT_EQ(tty("*3\r\n:0\r\n:1\r\n:2\r\n"), "1) (integer) 0\n2) (integer) 1\n3) (integer) 2\n");
  EXPECT_EQ(tty("*1\r\n$-1\r\n"), "1) (nil)\n");
}

TEST(cli_format, standard_indexes_are_right_aligned) {
  EXPECT_EQ(tty(ten_letters()),
            " 1) \"a\"\n 2) \"b\"\n 3) \"c\"\n 4) \"d\"\n 5) \"e\"\n"
            " 6) \"f\"\n 7) \"g\"\n 8) \"h\"\n 9) \"i\"\n10) \"j\"\n");
  // Nine elements stay one character wide.
  std::string nine = "*9\r\n";
  for (int i = 1; i <= 9; ++i) nine += cat(":", std::to_string(i), "\r\n");
  EXPECT_TRUE(tty(nine).starts_with("1) (integer) 1\n2) "));
  // 105 elements: three characters.
  std::string many = "*105\r\n";
  for (int i = 1; i <= 105; ++i) many += cat(":", std::to_string(i), "\r\n");
  const std::string out = tty(many);
  EXPECT_TRUE(out.starts_with("  1) (integer) 1\n  2) (integer) 2\n")) << out;
  EXPECT_NE(out.find("\n 99) (integer) 99\n100) (integer) 100\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\n105) (integer) 105\n"));
}

TEST(cli_format, standard_nested_arrays) {
  // The first element of a nested aggregate continues its parent's line; the others are
  // indented by the parent's index width + 2.
  EXPECT_EQ(tty("*2\r\n*2\r\n:1405067822\r\n:251\r\n*2\r\n:1405067941\r\n:1001\r\n"),
            "1) 1) (integer) 1405067822\n"
            "   2) (integer) 251\n"
            "2) 1) (integer) 1405067941\n"
            "   2) (integer) 1001\n");
  EXPECT_EQ(tty("*2\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n*0\r\n"),
            "1) (integer) 1\n"
            "2) 1) (integer) 2\n"
            "   2) 1) (integer) 3\n"
            "      2) (empty array)\n");
}

TEST(cli_format, standard_nested_in_wide_array_uses_the_wider_indent) {
  // Ten pairs [i, [i]]: the children of the two-digit level are indented by 4.
  std::string resp = "*10\r\n";
  for (int i = 1; i <= 10; ++i) {
    const std::string n = std::to_string(i);
    resp += cat("*2\r\n:", n, "\r\n*1\r\n:", n, "\r\n");
  }
  const std::string out = tty(resp);
  EXPECT_TRUE(
      out.starts_with(" 1) 1) (integer) 1\n"
                      "    2) 1) (integer) 1\n"
                      " 2) 1) (integer) 2\n"))
      << out;
  EXPECT_TRUE(
      out.ends_with("10) 1) (integer) 10\n"
                    "    2) 1) (integer) 10\n"))
      << out;
}

TEST(cli_format, standard_prefix_applies_to_the_lines_after_the_first) {
  EXPECT_EQ(tty("*2\r\n:1\r\n:2\r\n", ">>"), "1) (integer) 1\n>>2) (integer) 2\n");
  EXPECT_EQ(tty(":1\r\n", ">>"), "(integer) 1\n");
}

TEST(cli_format, standard_empty_aggregates) {
  EXPECT_EQ(tty("*0\r\n"), "(empty array)\n");
  EXPECT_EQ(tty("%0\r\n"), "(empty hash)\n");
  EXPECT_EQ(tty("~0\r\n"), "(empty set)\n");
  EXPECT_EQ(tty(">0\r\n"), "(empty push)\n");
  EXPECT_EQ(tty("*?\r\n.\r\n"), "(empty array)\n");
}

TEST(cli_format, standard_set_and_push) {
  EXPECT_EQ(tty("~3\r\n:0\r\n:1\r\n:2\r\n"), "1~ (integer) 0\n2~ (integer) 1\n3~ (integer) 2\n");
  // A push keeps ')'.
  EXPECT_EQ(tty(">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"),
            "1) \"server-cpu-usage\"\n2) (integer) 42\n");
}

TEST(cli_format, standard_map) {
  EXPECT_EQ(tty("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
            "1# (integer) 0 => (false)\n"
            "2# (integer) 1 => (true)\n"
            "3# (integer) 2 => (false)\n");
  // HELLO 3.
  EXPECT_EQ(tty("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:5\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
                "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"),
            "1# \"server\" => \"redis\"\n"
            "2# \"version\" => \"7.0.15\"\n"
            "3# \"proto\" => (integer) 3\n"
            "4# \"id\" => (integer) 5\n"
            "5# \"mode\" => \"standalone\"\n"
            "6# \"role\" => \"master\"\n"
            "7# \"modules\" => (empty array)\n");
}

TEST(cli_format, standard_map_value_on_several_lines_starts_a_new_line) {
  // The line of the key ends in "=> " (with its space), the value goes below, indented.
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"),
            "1# \"a\" => \n"
            "   1) (integer) 1\n"
            "   2) (integer) 2\n");
  // LATENCY HISTOGRAM-like: maps in maps.
  EXPECT_EQ(tty("%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:100000\r\n$14\r\nhistogram_usec\r\n"
                "%2\r\n:1\r\n:99583\r\n:2\r\n:99852\r\n"),
            "1# \"set\" => \n"
            "   1# \"calls\" => (integer) 100000\n"
            "   2# \"histogram_usec\" => \n"
            "      1# (integer) 1 => (integer) 99583\n"
            "      2# (integer) 2 => (integer) 99852\n");
  // One element whose only element has two: still several lines.
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n*1\r\n*2\r\n:1\r\n:2\r\n"),
            "1# \"a\" => \n"
            "   1) 1) (integer) 1\n"
            "      2) (integer) 2\n");
  // A one-pair map whose value spans several lines.
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n%1\r\n$1\r\nx\r\n*2\r\n:1\r\n:2\r\n"),
            "1# \"a\" => \n"
            "   1# \"x\" => \n"
            "      1) (integer) 1\n"
            "      2) (integer) 2\n");
  // A set of two.
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n~2\r\n:1\r\n:2\r\n"),
            "1# \"a\" => \n"
            "   1~ (integer) 1\n"
            "   2~ (integer) 2\n");
}

TEST(cli_format, standard_map_value_on_one_line_stays_on_the_key_line) {
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n*1\r\n:1\r\n"), "1# \"a\" => 1) (integer) 1\n");
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n%1\r\n$1\r\nx\r\n:1\r\n"),
            "1# \"a\" => 1# \"x\" => (integer) 1\n");
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n~1\r\n:1\r\n"), "1# \"a\" => 1~ (integer) 1\n");
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n*0\r\n"), "1# \"a\" => (empty array)\n");
  EXPECT_EQ(tty("%1\r\n$1\r\na\r\n%0\r\n"), "1# \"a\" => (empty hash)\n");
}

TEST(cli_format, standard_map_with_aggregate_key) {
  // The key's last newline is replaced by " => ".
  EXPECT_EQ(tty("%1\r\n*2\r\n:1\r\n:2\r\n$3\r\nOne\r\n"),
            "1# 1) (integer) 1\n"
            "   2) (integer) 2 => \"One\"\n");
}

TEST(cli_format, standard_map_with_ten_pairs_and_nested_values) {
  std::string resp = "%11\r\n";
  for (int i = 1; i <= 11; ++i) {
    const std::string n = std::to_string(i);
    resp +=
        cat("$", std::to_string(1 + n.size()), "\r\nk", n, "\r\n*2\r\n:", n, "\r\n:", n, "\r\n");
  }
  const std::string out = tty(resp);
  EXPECT_TRUE(
      out.starts_with(" 1# \"k1\" => \n"
                      "    1) (integer) 1\n"
                      "    2) (integer) 1\n"
                      " 2# \"k2\" => \n"))
      << out;
  EXPECT_TRUE(
      out.ends_with("11# \"k11\" => \n"
                    "    1) (integer) 11\n"
                    "    2) (integer) 11\n"))
      << out;
}

TEST(cli_format, standard_mixed_array) {
  EXPECT_EQ(tty("*9\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n*0\r\n%0\r\n~0\r\n-ERR boom\r\n"
                "+fine\r\n,2.5\r\n#t\r\n#f\r\n"),
            "1) (integer) 1\n"
            "2) 1) (integer) 2\n"
            "   2) 1) (integer) 3\n"
            "      2) (empty array)\n"
            "3) (empty hash)\n"
            "4) (empty set)\n"
            "5) (error) ERR boom\n"
            "6) fine\n"
            "7) (double) 2.5\n"
            "8) (true)\n"
            "9) (false)\n");
}

TEST(cli_format, standard_appends_to_what_is_there) {
  const parsed p(":1\r\n");
  std::string out = "before\n";
  EXPECT_EQ(cli::format_standard(out, p.view()), format_status::ok);
  EXPECT_EQ(out, "before\n(integer) 1\n");
}

// ------------------------------------------------------------------------------------------
// Streamed strings: one bulk string made of their parts
// ------------------------------------------------------------------------------------------

TEST(cli_format, streamed_string_is_one_bulk_string) {
  const std::string s = "$?\r\n;4\r\nHell\r\n;5\r\no\nwor\r\n;1\r\nd\r\n;0\r\n";
  EXPECT_EQ(tty(s), "\"Hello\\nword\"\n");
  EXPECT_EQ(raw(s), "Hello\nword");
  EXPECT_EQ(csv(s), "\"Hello\\nword\"");
  EXPECT_EQ(json(s), "\"Hello\\nword\"");
  EXPECT_EQ(qjson(s), "\"Hello\\\\nword\"");
  EXPECT_EQ(tty("$?\r\n;0\r\n"), "\"\"\n");
  // Inside aggregates, and as a JSON map key.
  EXPECT_EQ(tty("*2\r\n$?\r\n;2\r\nab\r\n;0\r\n:1\r\n"), "1) \"ab\"\n2) (integer) 1\n");
  EXPECT_EQ(json("%1\r\n$?\r\n;1\r\nk\r\n;0\r\n$?\r\n;1\r\nv\r\n;0\r\n"), R"({"k":"v"})");
  EXPECT_EQ(csv("*2\r\n$?\r\n;2\r\nab\r\n;0\r\n:1\r\n"), "\"ab\",1");
}

// ------------------------------------------------------------------------------------------
// The raw format
// ------------------------------------------------------------------------------------------

TEST(cli_format, raw_scalars) {
  EXPECT_EQ(raw("+OK\r\n"), "OK");
  EXPECT_EQ(raw("-ERR boom\r\n"), "ERR boom\n");
  EXPECT_EQ(raw("!3\r\nERR\r\n"), "ERR\n");
  EXPECT_EQ(raw(":12345\r\n"), "12345");
  EXPECT_EQ(raw(",3.141\r\n"), "3.141");
  EXPECT_EQ(raw("$12\r\ntab\tnewline\n\r\n"), "tab\tnewline\n");
  EXPECT_EQ(raw(binary_bulk), binary);
  EXPECT_EQ(raw("=29\r\ntxt:This is a verbatim\nstring\r\n"), "This is a verbatim\nstring");
  EXPECT_EQ(raw("$-1\r\n"), "");
  EXPECT_EQ(raw("*-1\r\n"), "");
  EXPECT_EQ(raw("_\r\n"), "");
  EXPECT_EQ(raw("#t\r\n"), "(true)");
  EXPECT_EQ(raw("#f\r\n"), "(false)");
  // Raw strings are binary-safe, statuses and errors included.
  EXPECT_EQ(raw("+O\0K\r\n"s), "O\0K"s);
  EXPECT_EQ(raw("-E\0R\r\n"s), "E\0R\n"s);
}

TEST(cli_format, raw_aggregates_are_flattened_with_the_delimiter) {
  EXPECT_EQ(raw("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"), "foo\nbar");
  EXPECT_EQ(raw("~3\r\n:0\r\n:1\r\n:2\r\n"), "0\n1\n2");
  EXPECT_EQ(raw(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), "invalidate\na");
  EXPECT_EQ(raw("*4\r\n:1\r\n*2\r\n:2\r\n*0\r\n$-1\r\n:3\r\n"), "1\n2\n\n\n3");
  EXPECT_EQ(raw("*0\r\n"), "");
  EXPECT_EQ(raw("%0\r\n"), "");
  EXPECT_EQ(raw("*2\r\n-ERR x\r\n:1\r\n"), "ERR x\n\n1");
  EXPECT_EQ(raw(ten_letters()), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj");
}

TEST(cli_format, raw_map_pairs_are_key_space_value) {
  EXPECT_EQ(raw("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"), "f1 v1\nf2 v2");
  EXPECT_EQ(raw("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"), "0 (false)\n1 (true)\n2 (false)");
  EXPECT_EQ(raw("%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"), "a 1\n2");
}

TEST(cli_format, raw_element_delimiter) {
  EXPECT_EQ(raw("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", ","), "a,b,c,d");
  EXPECT_EQ(raw("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", ","), "f1 v1,f2 v2");
  EXPECT_EQ(raw("*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n", "<->"), "1<->2<->3");
  EXPECT_EQ(raw("*2\r\n:1\r\n:2\r\n", ""), "12");
}

// ------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------

TEST(cli_format, csv_scalars) {
  EXPECT_EQ(csv("+OK\r\n"), "\"OK\"");
  EXPECT_EQ(csv("-ERR wrong \"x\"\r\n"), R"(ERROR,"ERR wrong \"x\"")");
  EXPECT_EQ(csv("!3\r\nERR\r\n"), R"(ERROR,"ERR")");
  EXPECT_EQ(csv(":-7\r\n"), "-7");
  EXPECT_EQ(csv(",inf\r\n"), "inf");
  EXPECT_EQ(csv("$11\r\nHello World\r\n"), "\"Hello World\"");
  EXPECT_EQ(csv(binary_bulk), R"("\x00\xf0\x7f\x1b\"\\'\t\r\n\a\b\x0b\x0c ~")");
  EXPECT_EQ(csv("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\nstring")");
  EXPECT_EQ(csv("$-1\r\n"), "NULL");
  EXPECT_EQ(csv("_\r\n"), "NULL");
  EXPECT_EQ(csv("#t\r\n"), "true");
  EXPECT_EQ(csv("#f\r\n"), "false");
  // The error text stops at a NUL (strlen); a status is binary-safe.
  EXPECT_EQ(csv("-ERR a\0b\r\n"s), R"(ERROR,"ERR a")");
  EXPECT_EQ(csv("+O\0K\r\n"s), R"("O\x00K")");
}

TEST(cli_format, csv_flattens_every_aggregate) {
  EXPECT_EQ(csv("*3\r\n:0\r\n:1\r\n:2\r\n"), "0,1,2");
  EXPECT_EQ(csv("*4\r\n$1\r\na\r\n:1\r\n$-1\r\n$1\r\nb\r\n"), "\"a\",1,NULL,\"b\"");
  EXPECT_EQ(csv("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"), "0,false,1,true,2,false");
  EXPECT_EQ(csv("*3\r\n:1\r\n*2\r\n:2\r\n%1\r\n:3\r\n:4\r\n~1\r\n:5\r\n"), "1,2,3,4,5");
  EXPECT_EQ(csv(">2\r\n$10\r\ninvalidate\r\n$-1\r\n"), "\"invalidate\",NULL");
  EXPECT_EQ(csv("*0\r\n"), "");
  EXPECT_EQ(csv("*3\r\n:1\r\n*0\r\n:2\r\n"), "1,,2");
  EXPECT_EQ(csv("*2\r\n-ERR x\r\n+OK\r\n"), R"(ERROR,"ERR x","OK")");
}

// ------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------

TEST(cli_format, json_scalars) {
  EXPECT_EQ(json("+OK\r\n"), "\"OK\"");
  EXPECT_EQ(json("-ERR bad \"x\"\r\n"), R"(error:"ERR bad \"x\"")");
  EXPECT_EQ(json("!3\r\nERR\r\n"), R"(error:"ERR")");
  EXPECT_EQ(json(":12345\r\n"), "12345");
  EXPECT_EQ(json(",3.141\r\n"), "3.141");
  EXPECT_EQ(json(",-inf\r\n"), "-inf");
  EXPECT_EQ(json("$15\r\nHello\0\x01World\xf0\x7f/\r\n"s), "\"Hello\\u0000\\u0001World\xf0\x7f/\"");
  EXPECT_EQ(json("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\nstring")");
  EXPECT_EQ(json("$-1\r\n"), "null");
  EXPECT_EQ(json("_\r\n"), "null");
  EXPECT_EQ(json("#t\r\n"), "true");
  EXPECT_EQ(json("#f\r\n"), "false");
  EXPECT_EQ(json("-ERR a\0b\r\n"s), R"(error:"ERR a")");
}

TEST(cli_format, json_aggregates) {
  EXPECT_EQ(json("*3\r\n:0\r\n:1\r\n:2\r\n"), "[0,1,2]");
  EXPECT_EQ(json("~2\r\n$1\r\nx\r\n$1\r\ny\r\n"), R"(["x","y"])");
  EXPECT_EQ(json(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), R"(["invalidate",["a"]])");
  EXPECT_EQ(json("*0\r\n"), "[]");
  EXPECT_EQ(json("%0\r\n"), "{}");
  EXPECT_EQ(json("*4\r\n*0\r\n%0\r\n~0\r\n*1\r\n*1\r\n$-1\r\n"), "[[],{},[],[[null]]]");
  EXPECT_EQ(json("%2\r\n$1\r\na\r\n*2\r\n:1\r\n#t\r\n+b\r\n%1\r\n$1\r\nc\r\n,1.5\r\n"),
            R"({"a":[1,true],"b":{"c":1.5}})");
  EXPECT_EQ(json("*2\r\n-ERR x\r\n:1\r\n"), R"([error:"ERR x",1])");
}

TEST(cli_format, json_keys_that_are_not_strings_are_quoted_unescaped) {
  EXPECT_EQ(json("%1\r\n:1\r\n$3\r\nOne\r\n"), R"({"1":"One"})");
  EXPECT_EQ(json("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
            R"({"0":false,"1":true,"2":false})");
  EXPECT_EQ(json("%1\r\n#t\r\n$3\r\nOne\r\n"), R"({"true":"One"})");
  EXPECT_EQ(json("%1\r\n,2.5\r\n$1\r\nd\r\n"), R"({"2.5":"d"})");
  EXPECT_EQ(json("%1\r\n_\r\n:1\r\n"), R"({"null":1})");
  // The text of an aggregate key is not escaped again.
  EXPECT_EQ(json("%1\r\n*2\r\n:1\r\n:2\r\n$3\r\nOne\r\n"), R"({"[1,2]":"One"})");
  EXPECT_EQ(json("%1\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n$3\r\nOne\r\n"), R"({"["x","y"]":"One"})");
  EXPECT_EQ(json("%1\r\n%1\r\n$1\r\na\r\n:1\r\n$1\r\nx\r\n"), R"({"{"a":1}":"x"})");
  // String-like keys are formatted as themselves, an error key included.
  EXPECT_EQ(json("%1\r\n+st\r\n:1\r\n"), R"({"st":1})");
  EXPECT_EQ(json("%1\r\n=7\r\ntxt:vrb\r\n:1\r\n"), R"({"vrb":1})");
  EXPECT_EQ(json("%1\r\n-ERR k\r\n:1\r\n"), R"({error:"ERR k":1})");
}

TEST(cli_format, quoted_json_uses_repr_with_doubled_backslashes) {
  EXPECT_EQ(qjson("$2\r\n\xf0\x65\r\n"), R"("\\xf0e")");
  EXPECT_EQ(qjson("$5\r\nK\0\x01\x65y\r\n"s), R"("K\\x00\\x01ey")");
  EXPECT_EQ(qjson("$27\r\nThis is a verbatim\nstring\\\"\r\n"),
            R"("This is a verbatim\\nstring\\\\\\"")");
  EXPECT_EQ(qjson("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\\nstring")");
  EXPECT_EQ(qjson(binary_bulk), R"("\\x00\\xf0\\x7f\\x1b\\"\\\\'\\t\\r\\n\\a\\b\\x0b\\x0c ~")");
  EXPECT_EQ(qjson("-MYERR \"q\" \\ \t\r\n"), R"(error:"MYERR \\"q\\" \\\\ \\t")");
  EXPECT_EQ(qjson("%1\r\n$2\r\n\x01k\r\n*1\r\n$1\r\n\n\r\n"), R"({"\\x01k":["\\n"]})");
  EXPECT_EQ(qjson("%1\r\n:1\r\n$3\r\nOne\r\n"), R"({"1":"One"})");
  EXPECT_EQ(qjson("*3\r\n:1\r\n#t\r\n_\r\n"), "[1,true,null]");
}

// ------------------------------------------------------------------------------------------
// format_reply: the mode, and what follows the reply
// ------------------------------------------------------------------------------------------

TEST(cli_format, reply_in_each_mode) {
  const std::string lrange = "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n";
  EXPECT_EQ(reply(lrange, mode(output_mode::standard)), "1) \"foo\"\n2) \"bar\"\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::raw)), "foo\nbar\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::csv)), "\"foo\",\"bar\"\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::json)), "[\"foo\",\"bar\"]\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::quoted_json)), "[\"foo\",\"bar\"]\n");

  EXPECT_EQ(reply(":1\r\n", mode(output_mode::raw)), "1\n");
  EXPECT_EQ(reply("$-1\r\n", mode(output_mode::raw)), "\n");  // GET of a missing key
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::raw)), "ERR x\n\n");
  EXPECT_EQ(reply("$12\r\ntab\tnewline\n\r\n", mode(output_mode::raw)), "tab\tnewline\n\n");
  EXPECT_EQ(reply("*0\r\n", mode(output_mode::csv)), "\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::csv)), "ERROR,\"ERR x\"\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::json)), "error:\"ERR x\"\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::standard)), "(error) ERR x\n");
}

TEST(cli_format, reply_raw_delimiters) {
  format_options o = mode(output_mode::raw);
  o.element_delimiter = ",";
  o.reply_delimiter = "|";
  EXPECT_EQ(reply("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", o), "a,b,c,d|");
  EXPECT_EQ(reply("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", o), "f1 v1,f2 v2|");
  o.reply_delimiter = "";
  EXPECT_EQ(reply("$3\r\n\x00\x01\x02\r\n"s, o), "\x00\x01\x02"s);  // -D "" --raw DUMP
  // The delimiters belong to the raw mode only.
  o.mode = output_mode::csv;
  EXPECT_EQ(reply("*2\r\n:1\r\n:2\r\n", o), "1,2\n");
}

TEST(cli_format, forced_raw_reply_has_nothing_after_it_in_any_mode) {
  const std::string info = "$19\r\n# Server\r\nredis:7\r\n\r\n";
  for (const output_mode m : {output_mode::standard, output_mode::raw, output_mode::csv,
                              output_mode::json, output_mode::quoted_json}) {
    EXPECT_EQ(reply(info, mode(m), true), "# Server\r\nredis:7\r\n");
    EXPECT_EQ(reply("-ERR no such key\r\n", mode(m), true), "ERR no such key\n");
    EXPECT_EQ(reply("+QUEUED\r\n", mode(m), true), "QUEUED");  // INFO inside MULTI
    EXPECT_EQ(reply("$-1\r\n", mode(m), true), "");
  }
  // An aggregate is joined with the element delimiter, still with nothing after it.
  format_options o = mode(output_mode::raw);
  o.element_delimiter = ",";
  o.reply_delimiter = "|";
  EXPECT_EQ(reply("*2\r\n:1\r\n:2\r\n", o, true), "1,2");
}

TEST(cli_format, big_number_is_an_unknown_type_and_nothing_is_written) {
  for (const char* resp : {"(3492890328409238509324850943850943825024385\r\n",
                           "*3\r\n:1\r\n*1\r\n(12\r\n:2\r\n", "%1\r\n(1\r\n:1\r\n"}) {
    const parsed p(resp);
    for (const output_mode m : {output_mode::standard, output_mode::raw, output_mode::csv,
                                output_mode::json, output_mode::quoted_json}) {
      std::string out = "kept";
      EXPECT_EQ(cli::format_reply(out, p.view(), mode(m), false), format_status::unknown_type);
      EXPECT_EQ(cli::format_reply(out, p.view(), mode(m), true), format_status::unknown_type);
      EXPECT_EQ(out, "kept");
    }
    std::string out;
    EXPECT_EQ(cli::format_standard(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_raw(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_csv(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_json(out, p.view(), false), format_status::unknown_type);
    EXPECT_EQ(out, "");
  }
}

// ------------------------------------------------------------------------------------------
// Forced-raw commands
// ------------------------------------------------------------------------------------------

TEST(cli_format, forced_raw_commands) {
  EXPECT_TRUE(forced({"info"}));
  EXPECT_TRUE(forced({"INFO", "server"}));
  EXPECT_TRUE(forced({"Info", "server", "clients"}));
  EXPECT_TRUE(forced({"lolwut"}));
  EXPECT_TRUE(forced({"LOLWUT", "VERSION", "5"}));
  EXPECT_TRUE(forced({"debug", "htstats", "0"}));
  EXPECT_TRUE(forced({"DEBUG", "HTSTATS-KEY", "k"}));
  EXPECT_TRUE(forced({"debug", "client-eviction"}));
  EXPECT_TRUE(forced({"memory", "malloc-stats"}));
  EXPECT_TRUE(forced({"MEMORY", "Doctor"}));
  EXPECT_TRUE(forced({"cluster", "nodes"}));
  EXPECT_TRUE(forced({"CLUSTER", "INFO"}));
  EXPECT_TRUE(forced({"client", "list"}));
  EXPECT_TRUE(forced({"client", "list", "type", "normal"}));
  EXPECT_TRUE(forced({"CLIENT", "INFO"}));
  EXPECT_TRUE(forced({"latency", "graph", "command"}));
  EXPECT_TRUE(forced({"latency", "doctor"}));
  EXPECT_TRUE(forced({"proxy", "info"}));
  EXPECT_TRUE(forced({"PROXY", "INFO", "x"}));
}

TEST(cli_format, not_forced_raw) {
  EXPECT_FALSE(forced({}));
  EXPECT_FALSE(forced({"get", "info"}));
  EXPECT_FALSE(forced({"infos"}));
  EXPECT_FALSE(forced({"debug"}));
  EXPECT_FALSE(forced({"debug", "protocol", "map"}));
  EXPECT_FALSE(forced({"memory", "stats"}));
  EXPECT_FALSE(forced({"memory"}));
  EXPECT_FALSE(forced({"cluster", "nodes", "x"}));  // argc must be 2
  EXPECT_FALSE(forced({"cluster"}));
  EXPECT_FALSE(forced({"cluster", "slots"}));
  EXPECT_FALSE(forced({"client", "id"}));
  EXPECT_FALSE(forced({"client"}));
  EXPECT_FALSE(forced({"latency", "graph"}));  // argc must be 3
  EXPECT_FALSE(forced({"latency", "graph", "a", "b"}));
  EXPECT_FALSE(forced({"latency", "doctor", "x"}));  // argc must be 2
  EXPECT_FALSE(forced({"latency", "latest"}));
  EXPECT_FALSE(forced({"proxy"}));
  // Names are compared as C strings: "info\0x" is "info".
  EXPECT_TRUE(forced({"info\0x"s}));
}

// ------------------------------------------------------------------------------------------
// Invalidation pushes
// ------------------------------------------------------------------------------------------

TEST(cli_format, invalidation_lists_the_keys) {
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), "-> invalidate: 'a'\n");
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n"),
            "-> invalidate: 'k1', 'k2'\n");
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*0\r\n"), "-> invalidate: \n");
  // Keys are printed with %s: as they are, up to a NUL.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\na\nb\r\n$3\r\nc\0d\r\n"s),
            "-> invalidate: 'a\nb', 'c'\n");
  // strncmp over 10 bytes: a longer name is still an invalidation.
  EXPECT_EQ(invalidation(">2\r\n$11\r\ninvalidatex\r\n*1\r\n$1\r\na\r\n"), "-> invalidate: 'a'\n");
  // A streamed key is a string too.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n$?\r\n;1\r\nk\r\n;0\r\n"),
            "-> invalidate: 'k'\n");
}

TEST(cli_format, invalidation_appends) {
  const parsed p(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n");
  std::string out = "x";
  EXPECT_TRUE(cli::format_invalidation(out, p.view()));
  EXPECT_EQ(out, "x-> invalidate: 'a'\n");
}

TEST(cli_format, not_an_invalidation) {
  const std::string no = "<not an invalidation>";
  // FLUSHALL invalidates with a null: formatted like any push.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n_\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n$-1\r\n"), no);
  EXPECT_EQ(invalidation("*2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), no);  // not a push
  EXPECT_EQ(invalidation(">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n:1\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n+invalidate\r\n*1\r\n$1\r\na\r\n"), no);  // not a bulk string
  EXPECT_EQ(invalidation(">2\r\n$9\r\ninvalidat\r\n*1\r\n$1\r\na\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\nInvalidate\r\n*1\r\n$1\r\na\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n~1\r\n$1\r\na\r\n"), no);  // a set
  EXPECT_EQ(invalidation(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"), no);
  EXPECT_EQ(invalidation(">0\r\n"), no);
  EXPECT_EQ(invalidation("+OK\r\n"), no);
  // redis-cli asserts that keys are bulk strings; such a push is left to the formatters.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n:1\r\n"), no);
}

}  // namespace
