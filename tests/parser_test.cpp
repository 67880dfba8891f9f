// The reply parser: golden replies whole, byte by byte and split, malformed input, sticky errors.

#include "parser_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace parser_test_support;

TEST(parser_test, golden_replies_whole_bytewise_and_split) {
  for (const golden& g : golden_replies()) {
    SCOPED_TRACE(g.name);
    const outcome o = feed_every_way(g.input);
    EXPECT_FALSE(o.ec) << o.ec.message();
    EXPECT_FALSE(o.incomplete);
    EXPECT_EQ(o.replies, g.replies);
    std::vector<std::string> attrs = g.attributes;
    attrs.resize(g.replies.size());
    EXPECT_EQ(o.attributes, attrs);
  }
}

TEST(parser_test, verbatim_format_and_text) {
  parser p;
  std::error_code ec;
  ASSERT_TRUE(p.parse("=15\r\ntxt:Some string\r\n", ec));
  EXPECT_EQ(respool::resp3::verbatim_format(p.reply()[0]), "txt");
  EXPECT_EQ(respool::resp3::verbatim_text(p.reply()[0]), "Some string");
}

TEST(parser_test, views_point_into_the_last_buffer) {
  parser p;
  std::error_code ec;
  std::string first = "*2\r\n$3\r\nfoo\r\n";
  EXPECT_FALSE(p.parse(first, ec));
  std::string second = first + "$3\r\nbar\r\n";  // the same bytes, elsewhere, and more
  ASSERT_TRUE(p.parse(second, ec));
  ASSERT_EQ(p.reply().size(), 3u);
  EXPECT_EQ(p.reply()[1].value.data(), second.data() + 8);
  EXPECT_EQ(p.reply()[2].value.data(), second.data() + 17);
  EXPECT_EQ(p.consumed(), second.size());
}

TEST(parser_test, bytes_needed_for_a_bulk) {
  parser p;
  std::error_code ec;
  EXPECT_FALSE(p.parse("$10\r\nabc", ec));
  EXPECT_FALSE(ec);
  EXPECT_EQ(p.bytes_needed(), 9u);  // 7 more bytes and the CRLF
  EXPECT_TRUE(p.in_progress());
}

// -------------------------------------------------------------------------------------------
// Malformed input: each fault its own error, in every way of feeding.

struct malformed {
  std::string input;
  error expected;
};

TEST(parser_test, malformed_input_fails_with_its_error) {
  const std::vector<malformed> cases = {
      {"x\r\n", error::invalid_type_byte},
      {"\r\n", error::invalid_type_byte},
      {"+OK\r\n?\r\n", error::invalid_type_byte},
      {"\0\r\n"s, error::invalid_type_byte},
      {"$01\r\nx\r\n", error::invalid_length},
      {"$+1\r\nx\r\n", error::invalid_length},
      {"$ 1\r\nx\r\n", error::invalid_length},
      {"$\r\n", error::invalid_length},
      {"$1a\r\n", error::invalid_length},
      {"*01\r\n", error::invalid_length},
      {"*1.5\r\n", error::invalid_length},
      {"$-\r\n", error::invalid_length},
      {"$?\r\n;?\r\n", error::invalid_length},
      {"$-2\r\n", error::negative_length},
      {"*-5\r\n", error::negative_length},
      {"%-1\r\n", error::negative_length},
      {"!-1\r\n", error::negative_length},
      {"=-1\r\n", error::negative_length},
      {"$3\r\nfooXX", error::missing_crlf},
      {"$3\r\nfoo\rX", error::missing_crlf},
      {"+OK\rX\r\n", error::missing_crlf},
      {"+OK\n", error::bare_newline},
      {"+O\nK\r\n", error::bare_newline},
      {"*1\r\n:1\n", error::bare_newline},
      {"#x\r\n", error::invalid_boolean},
      {"#tt\r\n", error::invalid_boolean},
      {"#\r\n", error::invalid_boolean},
      {":abc\r\n", error::invalid_integer},
      {":01\r\n", error::invalid_integer},
      {":9223372036854775808\r\n", error::invalid_integer},
      {":-9223372036854775809\r\n", error::invalid_integer},
      {":99999999999999999x\r\n", error::invalid_integer},
      {":\r\n", error::invalid_integer},
      {":+1\r\n", error::invalid_integer},
      {":1 \r\n", error::invalid_integer},
      {":-0\r\n", error::invalid_integer},
      {":-01\r\n", error::invalid_integer},
      {"$-0\r\n", error::invalid_length},
      {"*-01\r\n", error::invalid_length},
      {",abc\r\n", error::invalid_double},
      {",\r\n", error::invalid_double},
      {",+1\r\n", error::invalid_double},
      {",1.5x\r\n", error::invalid_double},
      {",INF\r\n", error::invalid_double},
      {",infinity\r\n", error::invalid_double},
      {",nan(1)\r\n", error::invalid_double},
      {",1e\r\n", error::invalid_double},
      {",.\r\n", error::invalid_double},
      {"(abc\r\n", error::invalid_big_number},
      {"(\r\n", error::invalid_big_number},
      {"(-\r\n", error::invalid_big_number},
      {"_x\r\n", error::invalid_null},
      {"=3\r\ntxt\r\n", error::invalid_verbatim},
      {"=5\r\ntxtXa\r\n", error::invalid_verbatim},
      {";3\r\nabc\r\n", error::invalid_stream_part},
      {"$?\r\n+OK\r\n", error::invalid_stream_part},
      {"*1\r\n;1\r\na\r\n", error::invalid_stream_part},
      {".\r\n", error::unexpected_stream_end},
      {"*2\r\n:1\r\n.\r\n", error::unexpected_stream_end},
      {"*?\r\n.x\r\n", error::unexpected_stream_end},
      {"%?\r\n+a\r\n.\r\n", error::odd_streamed_map},
      {"*?\r\n|0\r\n.\r\n", error::unexpected_stream_end},  // an attribute annotating nothing
      {"|1\r\n*?\r\n|0\r\n.\r\n+v\r\n+OK\r\n", error::unexpected_stream_end},
      {"$9999999999\r\n", error::bulk_too_long},
      {"*4294967296\r\n", error::aggregate_too_large},
      {"*99999999999999999999999\r\n", error::aggregate_too_large},
      {"*9999999999999999999\r\n", error::aggregate_too_large},  // 19 digits, the fast path
      {"*999999999999999999x\r\n", error::invalid_length},       // 19 characters
      {"*9999999999999999999x\r\n", error::invalid_length},      // 20 characters
      {"*?1\r\n", error::invalid_length},
  };
  for (const malformed& m : cases) {
    SCOPED_TRACE(respool::test::escape(m.input));
    const outcome o = feed_every_way(m.input, 100);
    EXPECT_EQ(o.ec, m.expected) << o.ec.message();
  }
}

TEST(parser_test, errors_are_sticky_until_reset) {
  parser p;
  std::error_code ec;
  EXPECT_FALSE(p.parse("#x\r\n", ec));
  EXPECT_EQ(ec, error::invalid_boolean);
  EXPECT_FALSE(p.parse("+OK\r\n", ec));  // good input, still the same error
  EXPECT_EQ(ec, error::invalid_boolean);
  EXPECT_EQ(p.error(), error::invalid_boolean);
  p.reset();
  EXPECT_FALSE(p.error());
  ASSERT_TRUE(p.parse("+OK\r\n", ec));
  EXPECT_EQ(respool::test::render(p.reply()), "0/+\"OK\"");
}

// -------------------------------------------------------------------------------------------
// Limits.

}  // namespace
