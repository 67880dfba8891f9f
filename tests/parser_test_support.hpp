// What the reply parser's tests share: feeding input whole, byte by byte and split, and the golden
// replies.
#pragma once

#include "alloc_counter.hpp"
#include "reply_text.hpp"
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace parser_test_support {

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

inline std::ostream& operator<<(std::ostream& os, const outcome& o) {
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
inline outcome feed(std::string_view input, const std::vector<std::size_t>& cuts,
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

inline outcome feed_whole(std::string_view input, const parser_config& cfg = {}) {
  return feed(input, {}, cfg);
}

inline outcome feed_bytewise(std::string_view input, const parser_config& cfg = {}) {
  std::vector<std::size_t> cuts(input.size());
  for (std::size_t i = 0; i < cuts.size(); ++i) cuts[i] = i + 1;
  return feed(input, cuts, cfg);
}

// Checks that whole, byte-by-byte and `splits` random splits all agree; returns the outcome.
inline outcome feed_every_way(std::string_view input, int splits = 1000,
                              const parser_config& cfg = {}) {
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

inline std::vector<golden> golden_replies() {
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

}  // namespace parser_test_support
