#include "alloc_counter.hpp"
#include "reply_text.hpp"
#include <respool/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;
using respool::error;
using respool::resp3::parser;
using respool::resp3::parser_config;

// What a stream parses into: the rendered replies (and their attributes), then the error that
// stopped it, if any, and whether bytes were left over waiting for more.
struct outcome {
  std::vector<std::string> replies;
  std::vector<std::string> attributes;
  std::error_code ec;
  bool incomplete = false;

  friend bool operator==(const outcome&, const outcome&) = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  for (std::size_t i = 0; i < o.replies.size(); ++i) {
    os << "[" << o.replies[i] << "]";
    if (!o.attributes[i].empty()) os << " attrs [" << o.attributes[i] << "]";
    os << "; ";
  }
  if (o.ec) os << "error: " << o.ec.message();
  if (o.incomplete) os << "incomplete";
  return os;
}

// Feeds `input` to a parser in pieces ending at `cuts` (ascending offsets), the way a reader
// does: bytes accumulate in a buffer, each completed reply is removed from its front. After
// every piece the buffer is copied to a new allocation, so that the bytes of a reply in
// progress move between calls.
outcome feed(std::string_view input, const std::vector<std::size_t>& cuts,
             const parser_config& cfg = {}) {
  parser p(cfg);
  outcome out;
  std::string buf;
  std::size_t from = 0;
  auto piece = [&](std::size_t to) {
    buf.append(input.substr(from, to - from));
    from = to;
    for (;;) {
      std::error_code ec;
      if (p.parse(buf, ec)) {
        out.replies.push_back(respool::test::render(p.reply()));
        out.attributes.push_back(respool::test::render(p.attributes()));
        buf.erase(0, p.consumed());
        continue;
      }
      if (ec) out.ec = ec;
      break;
    }
    std::string moved;
    moved.reserve(buf.size() + 32);
    moved.append(buf);
    buf.swap(moved);
    return !out.ec;
  };
  for (const std::size_t cut : cuts) {
    if (cut > from && !piece(cut)) return out;
  }
  if (piece(input.size())) out.incomplete = !buf.empty();
  return out;
}

outcome feed_whole(std::string_view input, const parser_config& cfg = {}) {
  return feed(input, {}, cfg);
}

outcome feed_bytewise(std::string_view input, const parser_config& cfg = {}) {
  std::vector<std::size_t> cuts(input.size());
  for (std::size_t i = 0; i < cuts.size(); ++i) cuts[i] = i + 1;
  return feed(input, cuts, cfg);
}

// Checks that whole, byte-by-byte and `splits` random splits all agree; returns the outcome.
outcome feed_every_way(std::string_view input, int splits = 1000, const parser_config& cfg = {}) {
  const outcome whole = feed_whole(input, cfg);
  EXPECT_EQ(feed_bytewise(input, cfg), whole) << "byte by byte: " << respool::test::escape(input);
  std::mt19937 rng(static_cast<unsigned>(input.size()) * 7919u + 13u);
  for (int i = 0; i < splits && input.size() > 1; ++i) {
    std::vector<std::size_t> cuts(1 + rng() % std::min<std::size_t>(input.size(), 8));
    for (auto& c : cuts) c = 1 + rng() % (input.size() - 1);
    std::sort(cuts.begin(), cuts.end());
    const outcome split = feed(input, cuts, cfg);
    if (split != whole) {
      ADD_FAILURE() << "split " << i << " of " << respool::test::escape(input) << ": " << split
                    << " vs whole: " << whole;
      break;
    }
  }
  return whole;
}

// -------------------------------------------------------------------------------------------
// Golden replies, written by hand.

struct golden {
  const char* name;
  std::string input;
  std::vector<std::string> replies;
  std::vector<std::string> attributes = {};
};

std::vector<golden> golden_replies() {
  return {
      {"simple_string", "+OK\r\n", {"0/+\"OK\""}},
      {"empty_simple_string", "+\r\n", {"0/+\"\""}},
      {"simple_error", "-ERR unknown command 'foo'\r\n", {"0/-\"ERR unknown command 'foo'\""}},
      {"integers",
       ":0\r\n:-42\r\n:9223372036854775807\r\n:-9223372036854775808\r\n",
       {"0/:\"0\"", "0/:\"-42\"", "0/:\"9223372036854775807\"", "0/:\"-9223372036854775808\""}},
      {"bulk", "$5\r\nhello\r\n", {"0/$\"hello\""}},
      {"empty_bulk", "$0\r\n\r\n", {"0/$\"\""}},
      {"binary_bulk", "$6\r\na\r\n\0b\n\r\n"s, {"0/$\"a\\x0d\\x0a\\x00b\\x0a\""}},
      {"null_bulk", "$-1\r\n", {"0/_"}},
      {"null_array", "*-1\r\n", {"0/_"}},
      {"empty_array", "*0\r\n", {"0/*0"}},
      {"array", "*2\r\n$3\r\nfoo\r\n:1\r\n", {"0/*2 1/$\"foo\" 1/:\"1\""}},
      {"null", "_\r\n", {"0/_"}},
      {"booleans", "#t\r\n#f\r\n", {"0/#\"t\"", "0/#\"f\""}},
      {"doubles",
       ",3.14\r\n,inf\r\n,-inf\r\n,nan\r\n,1.5e10\r\n,-2E-5\r\n,10\r\n,1e400\r\n",
       {"0/,\"3.14\"", "0/,\"inf\"", "0/,\"-inf\"", "0/,\"nan\"", "0/,\"1.5e10\"", "0/,\"-2E-5\"",
        "0/,\"10\"", "0/,\"1e400\""}},
      {"big_numbers",
       "(3492890328409238509324850943850943825024385\r\n(-1\r\n",
       {"0/(\"3492890328409238509324850943850943825024385\"", "0/(\"-1\""}},
      {"bulk_error", "!21\r\nSYNTAX invalid syntax\r\n", {"0/!\"SYNTAX invalid syntax\""}},
      {"verbatim", "=15\r\ntxt:Some string\r\n", {"0/=\"txt:Some string\""}},
      {"map",
       "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
       {"0/%2 1/+\"first\" 1/:\"1\" 1/+\"second\" 1/:\"2\""}},
      {"set", "~3\r\n+a\r\n+b\r\n+c\r\n", {"0/~3 1/+\"a\" 1/+\"b\" 1/+\"c\""}},
      {"push",
       ">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n",
       {"0/>3 1/+\"message\" 1/+\"chan\" 1/$\"hello\""}},
      {"nested",
       "*3\r\n*2\r\n:1\r\n:2\r\n%1\r\n+k\r\n*0\r\n_\r\n",
       {"0/*3 1/*2 2/:\"1\" 2/:\"2\" 1/%1 2/+\"k\" 2/*0 1/_"}},
      // The attribute example of the RESP3 specification: apart from the reply it annotates.
      {"attribute",
       "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
       "*2\r\n:2039123\r\n:9543892\r\n",
       {"0/*2 1/:\"2039123\" 1/:\"9543892\""},
       {"0/|1 1/+\"key-popularity\" 1/%2 2/$\"a\" 2/,\"0.1923\" 2/$\"b\" 2/,\"0.0012\""}},
      {"nested_attribute",
       "*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n",
       {"0/*2 1/:\"1\" 1/:\"2\""},
       {"1/|1 2/+\"ttl\" 2/:\"3600\""}},
      {"empty_attribute", "|0\r\n+OK\r\n", {"0/+\"OK\""}, {"0/|0"}},
      // An attribute about the key of another attribute: just before that key, not counted.
      {"attribute_in_attribute",
       "|1\r\n|1\r\n+a\r\n+b\r\n+k\r\n+v\r\n+OK\r\n",
       {"0/+\"OK\""},
       {"0/|1 1/|1 2/+\"a\" 2/+\"b\" 1/+\"k\" 1/+\"v\""}},
      {"attribute_before_streamed_element",
       "*?\r\n|0\r\n*?\r\n.\r\n.\r\n",
       {"0/*1 1/*0"},
       {"1/|0"}},
      {"streamed_string",
       "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
       {"0/$?3 1/;\"Hell\" 1/;\"o wor\" 1/;\"d\""}},
      {"empty_streamed_string", "$?\r\n;0\r\n", {"0/$?0"}},
      {"streamed_array", "*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", {"0/*3 1/:\"1\" 1/:\"2\" 1/:\"3\""}},
      {"streamed_map",
       "%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
       {"0/%2 1/+\"a\" 1/:\"1\" 1/+\"b\" 1/:\"2\""}},
      {"empty_streamed_set", "~?\r\n.\r\n", {"0/~0"}},
      {"streamed_inside_streamed",
       "*?\r\n$?\r\n;2\r\nab\r\n;0\r\n*?\r\n.\r\n.\r\n",
       {"0/*2 1/$?1 2/;\"ab\" 1/*0"}},
      {"several_replies",
       "+OK\r\n:1\r\n$-1\r\n*1\r\n+x\r\n",
       {"0/+\"OK\"", "0/:\"1\"", "0/_", "0/*1 1/+\"x\""}},
  };
}

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
