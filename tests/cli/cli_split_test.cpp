// respool-cli's line splitting (sdssplitargs) and its sensitive-command filter, as redis-cli
// 7.0.15 does them (checked by piping the same lines into the installed redis-cli).
#include "split.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::string_literals;
using respool::cli::is_sensitive_command;
using respool::cli::split_args;
using words = std::vector<std::string>;

std::optional<words> split(std::string_view line) { return split_args(line); }

bool sensitive(words argv) { return is_sensitive_command(argv); }

// ------------------------------------------------------------------------------------------
// Words and whitespace
// ------------------------------------------------------------------------------------------

TEST(cli_split, plain_words) {
  EXPECT_EQ(split("set key value"), (words{"set", "key", "value"}));
  EXPECT_EQ(split("  get   key  "), (words{"get", "key"}));
  EXPECT_EQ(split("\tget\r\nkey\n"), (words{"get", "key"}));
  EXPECT_EQ(split("ping"), (words{"ping"}));
}

TEST(cli_split, empty_and_blank_lines_have_no_words) {
  EXPECT_EQ(split(""), words{});
  EXPECT_EQ(split("   \t \r\n"), words{});
  EXPECT_EQ(split("\v\f "), words{});
}

TEST(cli_split, vertical_tab_and_form_feed_are_skipped_between_words_only) {
  // isspace() skips them before a word, but an unquoted word ends only at ' ', \t, \r, \n.
  EXPECT_EQ(split("\vecho x"), (words{"echo", "x"}));
  EXPECT_EQ(split("echo a\vb\fc"), (words{"echo", "a\vb\fc"}));
  EXPECT_EQ(split("a \f b"), (words{"a", "b"}));
}

TEST(cli_split, backslashes_are_literal_outside_quotes) {
  EXPECT_EQ(split("echo a\\b"), (words{"echo", "a\\b"}));
  EXPECT_EQ(split("get \\x41\\x41"), (words{"get", "\\x41\\x41"}));
  EXPECT_EQ(split("a\\"), (words{"a\\"}));
}

TEST(cli_split, bytes_are_kept) {
  EXPECT_EQ(split("set k \xc3\xa9\xf0\x7f"), (words{"set", "k", "\xc3\xa9\xf0\x7f"}));
  EXPECT_EQ(split("a\xa0"
                  "b"),
            (words{"a\xa0"
                   "b"}));  // 0xa0 is not a space in the C locale
}

TEST(cli_split, the_line_ends_at_a_nul) {
  EXPECT_EQ(split("get a\0b c"s), (words{"get", "a"}));
  EXPECT_EQ(split("\0get"s), words{});
  EXPECT_EQ(split("get \"a\0b\""s), std::nullopt);  // the quote is never closed
}

// ------------------------------------------------------------------------------------------
// Double quotes
// ------------------------------------------------------------------------------------------

TEST(cli_split, double_quotes_keep_spaces) {
  EXPECT_EQ(split("set key \" bar \""), (words{"set", "key", " bar "}));
  EXPECT_EQ(split("\"a b\"\t\"c\""), (words{"a b", "c"}));
  EXPECT_EQ(split("\"multi\nline\""), (words{"multi\nline"}));
  EXPECT_EQ(split("\"it's\""), (words{"it's"}));
}

TEST(cli_split, double_quote_escapes) {
  EXPECT_EQ(split(R"("\n\r\t\b\a")"), (words{"\n\r\t\b\a"}));
  EXPECT_EQ(split(R"(set key "\"bar\"")"), (words{"set", "key", "\"bar\""}));
  EXPECT_EQ(split(R"("\\" "\'" "\q" "\ ")"), (words{"\\", "'", "q", " "}));
  EXPECT_EQ(split(R"("\x41\x4a\x4b\x6c\x6D\xfF")"), (words{"AJKlm\xff"}));
  EXPECT_EQ(split(R"("\x00\x00")"), (words{"\0\0"s}));
  // \x needs exactly two hex digits; otherwise it is an escaped 'x'.
  EXPECT_EQ(split(R"("\x4G\xZZ\x")"), (words{"x4GxZZx"}));
  EXPECT_EQ(split(R"("\x414")"), (words{"A4"}));
  // The C-code's sample line.
  EXPECT_EQ(split(R"("\x41\x4a\x4G\xZZ\n\q\\")"), (words{"AJx4GxZZ\nq\\"}));
}

TEST(cli_split, empty_quoted_words) {
  EXPECT_EQ(split(R"("")"), (words{""}));
  EXPECT_EQ(split(R"(set k "")"), (words{"set", "k", ""}));
  EXPECT_EQ(split(R"("" '' "")"), (words{"", "", ""}));
}

// ------------------------------------------------------------------------------------------
// Single quotes
// ------------------------------------------------------------------------------------------

TEST(cli_split, single_quotes_only_understand_escaped_single_quote) {
  EXPECT_EQ(split("'a b'"), (words{"a b"}));
  EXPECT_EQ(split(R"('a\b\'c')"), (words{R"(a\b'c)"}));
  EXPECT_EQ(split(R"('\n\x41\\ x')"), (words{R"(\n\x41\\ x)"}));
  EXPECT_EQ(split(R"('\\')"), std::nullopt);  // the second backslash escapes the quote
  EXPECT_EQ(split(R"('say "hi"')"), (words{"say \"hi\""}));
  EXPECT_EQ(split("''"), (words{""}));
}

// ------------------------------------------------------------------------------------------
// A quote inside a word
// ------------------------------------------------------------------------------------------

TEST(cli_split, a_quote_anywhere_in_a_word_opens_quoting) {
  EXPECT_EQ(split(R"(echo a"b c")"), (words{"echo", "ab c"}));
  EXPECT_EQ(split(R"(key"")"), (words{"key"}));
  EXPECT_EQ(split("a'b c'"), (words{"ab c"}));
  EXPECT_EQ(split(R"(x"\x41" y)"), (words{"xA", "y"}));
}

TEST(cli_split, closing_quote_may_be_followed_by_any_space) {
  EXPECT_EQ(split("\"a\"\vb"), (words{"a", "b"}));
  EXPECT_EQ(split("'a'\fb"), (words{"a", "b"}));
  EXPECT_EQ(split("\"a\"\n"), (words{"a"}));
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

TEST(cli_split, closing_quote_followed_by_a_character_is_an_error) {
  EXPECT_EQ(split(R"(echo "foo"bar)"), std::nullopt);
  EXPECT_EQ(split(R"(get ""key)"), std::nullopt);
  EXPECT_EQ(split(R"("key"x)"), std::nullopt);
  EXPECT_EQ(split(R"("a""b")"), std::nullopt);
  EXPECT_EQ(split(R"(a"b"c)"), std::nullopt);
  EXPECT_EQ(split("'a'b"), std::nullopt);
  EXPECT_EQ(split("'a''b'"), std::nullopt);
  EXPECT_EQ(split(R"("a"'b')"), std::nullopt);
}

TEST(cli_split, unterminated_quotes_are_an_error) {
  EXPECT_EQ(split(R"(echo "unterminated)"), std::nullopt);
  EXPECT_EQ(split("echo 'unterminated"), std::nullopt);
  EXPECT_EQ(split(R"(")"), std::nullopt);
  EXPECT_EQ(split("'"), std::nullopt);
  EXPECT_EQ(split(R"("a\")"), std::nullopt);  // \" is an escaped quote
  EXPECT_EQ(split(R"('a\')"), std::nullopt);  // \' is an escaped quote
  EXPECT_EQ(split(R"("a\)"), std::nullopt);   // a backslash that ends the line
  EXPECT_EQ(split(R"("\x4)"), std::nullopt);
  EXPECT_EQ(split(R"(ok "x" ")"), std::nullopt);
}

// ------------------------------------------------------------------------------------------
// Sensitive commands (never written to the history)
// ------------------------------------------------------------------------------------------

TEST(cli_split, auth_is_sensitive) {
  EXPECT_TRUE(sensitive({"auth"}));
  EXPECT_TRUE(sensitive({"AUTH", "pw"}));
  EXPECT_TRUE(sensitive({"Auth", "user", "pw"}));
  EXPECT_FALSE(sensitive({"authx", "pw"}));
  EXPECT_FALSE(sensitive({}));
  EXPECT_FALSE(sensitive({"ping"}));
  EXPECT_FALSE(sensitive({"get", "auth"}));
}

TEST(cli_split, acl_setuser_is_sensitive) {
  EXPECT_TRUE(sensitive({"acl", "setuser"}));
  EXPECT_TRUE(sensitive({"ACL", "SETUSER", "u", "on", ">pw"}));
  EXPECT_FALSE(sensitive({"acl"}));
  EXPECT_FALSE(sensitive({"acl", "list"}));
  EXPECT_FALSE(sensitive({"acl", "getuser", "u"}));
}

TEST(cli_split, config_set_of_a_password_is_sensitive) {
  EXPECT_TRUE(sensitive({"config", "set", "masterauth", "x"}));
  EXPECT_TRUE(sensitive({"CONFIG", "SET", "MasterUser", "x"}));
  EXPECT_TRUE(sensitive({"config", "set", "requirepass"}));
  EXPECT_FALSE(sensitive({"config", "set"}));
  EXPECT_FALSE(sensitive({"config", "get", "requirepass"}));
  EXPECT_FALSE(sensitive({"config", "set", "maxmemory", "0"}));
  // redis-cli 7.0 looks at the first parameter only (7.2 looks at every one).
  EXPECT_FALSE(sensitive({"config", "set", "maxmemory-policy", "bogus", "masterauth", "x"}));
}

TEST(cli_split, hello_with_auth_is_sensitive) {
  EXPECT_TRUE(sensitive({"hello", "3", "auth", "u", "p"}));
  EXPECT_TRUE(sensitive({"HELLO", "2", "AUTH", "u", "p", "setname", "n"}));
  EXPECT_TRUE(sensitive({"hello", "3", "setname", "n", "auth", "u", "p"}));
  EXPECT_FALSE(sensitive({"hello", "3", "auth", "u"}));              // argc must be > 4
  EXPECT_FALSE(sensitive({"hello", "3", "foo", "auth", "u", "p"}));  // stops at "foo"
  EXPECT_FALSE(sensitive({"hello", "3", "setname", "n", "auth", "u"}));
  EXPECT_FALSE(sensitive({"hello", "3", "setname", "auth", "u", "p"}));  // "auth" is the name
  EXPECT_FALSE(sensitive({"hello"}));
  EXPECT_FALSE(sensitive({"hello", "3"}));
}

TEST(cli_split, migrate_with_auth_is_sensitive) {
  EXPECT_TRUE(sensitive({"migrate", "127.0.0.1", "1", "k", "0", "10", "auth", "pw"}));
  EXPECT_TRUE(sensitive({"MIGRATE", "h", "1", "", "0", "10", "AUTH2", "u", "p"}));
  EXPECT_TRUE(sensitive({"migrate", "h", "1", "", "0", "10", "copy", "replace", "auth", "p"}));
  EXPECT_TRUE(sensitive({"migrate", "h", "1", "", "0", "10", "auth", "p", "keys", "a"}));
  // After KEYS come key names.
  EXPECT_FALSE(sensitive({"migrate", "h", "1", "", "0", "10", "keys", "auth", "x"}));
  EXPECT_FALSE(sensitive({"migrate", "h", "1", "", "0", "10", "copy", "auth2", "u"}));
  EXPECT_FALSE(sensitive({"migrate", "h", "1", "k", "0", "auth", "x", "y"}));  // from argv[6]
  EXPECT_FALSE(sensitive({"migrate", "h", "1", "k", "0", "10", "auth"}));      // argc must be > 7
  EXPECT_FALSE(sensitive({"migrate", "h", "1", "k", "0", "10", "copy", "auth"}));
}

TEST(cli_split, names_are_compared_as_c_strings) {
  EXPECT_TRUE(sensitive({"auth\0x"s, "pw"}));
  EXPECT_FALSE(sensitive({"au\0th"s, "pw"}));
}

}  // namespace
