// respool-cli's reply formats: the escapers and the standard format, as redis-cli prints them.

#include "cli_format_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace cli_format_test_support;

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

}  // namespace
