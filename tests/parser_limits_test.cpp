// The reply parser's limits: nesting, configured maximums, lines that never end, allocations.

#include "parser_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace parser_test_support;

TEST(parser_test, deep_nesting_is_rejected_without_recursion) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  EXPECT_EQ(feed_whole(deep).ec, error::nesting_too_deep);
  EXPECT_EQ(feed_bytewise(deep).ec, error::nesting_too_deep);

  // At the limit itself it parses: 128 arrays, then the number at depth 128.
  std::string at_limit;
  for (int i = 0; i < 128; ++i) at_limit += "*1\r\n";
  at_limit += ":1\r\n";
  const outcome o = feed_whole(at_limit);
  ASSERT_FALSE(o.ec) << o.ec.message();
  EXPECT_NE(o.replies[0].find("128/:\"1\""), std::string::npos);

  parser_config shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(feed_whole("*1\r\n*1\r\n*1\r\n:1\r\n", shallow).ec, error::nesting_too_deep);
  EXPECT_FALSE(feed_whole("*1\r\n*1\r\n:1\r\n", shallow).ec);
}

TEST(parser_test, configured_limits_each_have_their_error) {
  parser_config cfg;
  cfg.max_bulk_length = 4;
  EXPECT_EQ(feed_every_way("$5\r\nhello\r\n", 50, cfg).ec, error::bulk_too_long);
  EXPECT_FALSE(feed_every_way("$4\r\nhell\r\n", 50, cfg).ec);
  EXPECT_EQ(feed_every_way("!5\r\nhello\r\n", 50, cfg).ec, error::bulk_too_long);

  cfg = {};
  cfg.max_aggregate_size = 2;
  EXPECT_EQ(feed_every_way("*3\r\n:1\r\n:2\r\n:3\r\n", 50, cfg).ec, error::aggregate_too_large);
  EXPECT_EQ(feed_every_way("*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", 50, cfg).ec,
            error::aggregate_too_large);
  EXPECT_EQ(feed_every_way("%3\r\n", 50, cfg).ec, error::aggregate_too_large);
  EXPECT_FALSE(feed_every_way("%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 50, cfg).ec);

  cfg = {};
  cfg.max_reply_bytes = 16;
  EXPECT_EQ(feed_every_way("$20\r\n", 50, cfg).ec, error::reply_too_large);  // known at once
  EXPECT_EQ(feed_every_way("+0123456789abcdefghij\r\n", 50, cfg).ec, error::reply_too_large);
  EXPECT_EQ(feed_every_way("*2\r\n:1\r\n:23456789\r\n", 50, cfg).ec, error::reply_too_large);
  EXPECT_FALSE(feed_every_way("+0123456789\r\n+0123456789\r\n", 50, cfg).ec);  // per reply

  cfg = {};
  cfg.max_nodes = 3;
  // The nested array fits when announced, but its second element is a fourth node.
  EXPECT_EQ(feed_every_way("*2\r\n*1\r\n:1\r\n:2\r\n", 50, cfg).ec, error::too_many_nodes);
  EXPECT_FALSE(feed_every_way("*2\r\n:1\r\n:2\r\n", 50, cfg).ec);

  cfg = {};
  cfg.max_line_length = 4;
  EXPECT_EQ(feed_every_way("+hello\r\n", 50, cfg).ec, error::line_too_long);
  EXPECT_EQ(feed_every_way("-ERR x\r\n", 50, cfg).ec, error::line_too_long);
  EXPECT_EQ(feed_every_way(":12345\r\n", 50, cfg).ec, error::line_too_long);
  EXPECT_EQ(feed_every_way("$10000\r\n", 50, cfg).ec, error::line_too_long);
  EXPECT_FALSE(feed_every_way("+hell\r\n:1234\r\n$1000\r\n", 50, cfg).ec);
}

TEST(parser_test, a_line_that_never_ends_fails_at_the_limit) {
  // A simple string streamed without its \r\n: the parser fails as soon as the line has
  // grown past max_line_length, not when (if ever) it ends.
  parser_config cfg;
  cfg.max_line_length = 1000;
  for (const char kind : std::string_view("+-:,(#*$%")) {
    parser p(cfg);
    std::error_code ec;
    std::string line(1, kind);
    while (line.size() - 1 <= cfg.max_line_length) {
      ASSERT_FALSE(p.parse(line, ec));
      ASSERT_FALSE(ec) << kind << " at " << line.size() << ": " << ec.message();
      line.push_back(kind == '+' || kind == '-' ? 'x' : '1');
    }
    EXPECT_FALSE(p.parse(line, ec));  // 1001 bytes of content
    EXPECT_EQ(ec, error::line_too_long) << kind;
  }
  // The default limit is the documented one, and a line exactly at it parses.
  parser_config defaults;
  EXPECT_EQ(defaults.max_line_length, std::size_t{64} << 10);
  const std::string at_limit = "+" + std::string(defaults.max_line_length, 'x') + "\r\n";
  EXPECT_FALSE(feed_whole(at_limit).ec);
  const std::string over = "+" + std::string(defaults.max_line_length + 1, 'x') + "\r\n";
  EXPECT_EQ(feed_whole(over).ec, error::line_too_long);
}

TEST(parser_test, an_aggregate_that_could_never_fit_fails_on_its_header) {
  // The default limits: 2^24 nodes. These headers alone are refused, no element awaited.
  for (const std::string_view header : {"*2147483647\r\n", "%2147483647\r\n", "~16777216\r\n",
                                        ">16777216\r\n", "%8388608\r\n", "|8388608\r\n"}) {
    parser p;
    std::error_code ec;
    EXPECT_FALSE(p.parse(header, ec));
    EXPECT_EQ(ec, error::aggregate_cannot_fit) << header;
  }
  // One less than the limit allows still waits for its elements.
  for (const std::string_view header : {"*16777215\r\n", "%8388607\r\n"}) {
    parser p;
    std::error_code ec;
    EXPECT_FALSE(p.parse(header, ec));
    EXPECT_FALSE(ec) << header << ": " << ec.message();
  }

  parser_config cfg;
  cfg.max_nodes = 4;
  EXPECT_EQ(feed_every_way("*4\r\n", 50, cfg).ec, error::aggregate_cannot_fit);
  EXPECT_EQ(feed_every_way("%2\r\n", 50, cfg).ec, error::aggregate_cannot_fit);  // 2 pairs, 5 nodes
  EXPECT_FALSE(feed_every_way("*3\r\n:1\r\n:2\r\n:3\r\n", 50, cfg).ec);
  // Nodes already taken count: the inner array's 2 elements would be nodes 4 and 5.
  EXPECT_EQ(feed_every_way("*2\r\n:1\r\n*2\r\n", 50, cfg).ec, error::aggregate_cannot_fit);

  cfg = {};
  cfg.max_reply_bytes = 16;
  // 4 elements of at least 3 bytes each cannot follow a 4-byte header within 16 bytes.
  EXPECT_EQ(feed_every_way("*5\r\n", 50, cfg).ec, error::aggregate_cannot_fit);
  EXPECT_FALSE(feed_every_way("*4\r\n_\r\n_\r\n_\r\n_\r\n", 50, cfg).ec);
}

TEST(parser_test, declared_sizes_are_never_allocated) {
  parser_config huge;
  huge.max_bulk_length = std::size_t{16} << 30;
  huge.max_reply_bytes = std::size_t{32} << 30;
  parser p(huge);
  std::error_code ec;
  respool::test::allocation_scope scope;
  EXPECT_FALSE(p.parse("$9999999999\r\n", ec));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(p.parse("$9999999999\r\nabc", ec));
  EXPECT_LT(scope.bytes(), 4096u);

  parser_config many;
  // Limits high enough that the announced size is not refused at once.
  many.max_nodes = std::size_t{1} << 32;
  many.max_reply_bytes = std::size_t{32} << 30;
  parser q(many);
  respool::test::allocation_scope scope2;
  EXPECT_FALSE(q.parse("*2147483647\r\n", ec));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(q.parse("*2147483647\r\n:1\r\n:2\r\n", ec));
  EXPECT_LT(scope2.bytes(), 4096u);
}

// -------------------------------------------------------------------------------------------
// Reuse.

TEST(parser_test, steady_state_parsing_allocates_nothing) {
  std::string stream;
  for (int i = 0; i < 100; ++i)
    stream += "*3\r\n$3\r\nfoo\r\n%1\r\n+k\r\n:1\r\n|1\r\n+a\r\n+b\r\n_\r\n";
  parser p;
  auto parse_all = [&] {
    std::string_view in = stream;
    std::size_t replies = 0;
    std::error_code ec;
    while (!in.empty() && p.parse(in, ec)) {
      in.remove_prefix(p.consumed());
      ++replies;
    }
    return replies;
  };
  EXPECT_EQ(parse_all(), 100u);  // warm-up: node arrays reach their size
  respool::test::allocation_scope scope;
  EXPECT_EQ(parse_all(), 100u);
  EXPECT_EQ(scope.count(), 0u);
}

TEST(parser_test, one_byte_at_a_time_is_linear) {
  // A 1 MiB simple string fed byte by byte: every byte is examined once, whatever the feed.
  std::string line = "+" + std::string(1 << 20, 'x') + "\r\n";
  parser_config cfg;
  cfg.max_line_length = line.size();
  parser p(cfg);
  std::error_code ec;
  std::size_t calls = 0;
  for (std::size_t n = 1; n <= line.size(); ++n) {
    ++calls;
    if (p.parse(std::string_view(line.data(), n), ec)) break;
  }
  ASSERT_FALSE(ec);
  EXPECT_EQ(calls, line.size());
  EXPECT_EQ(p.reply()[0].value.size(), std::size_t{1} << 20);
}

}  // namespace
