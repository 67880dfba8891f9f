// Differential test: respool's reply parser against hiredis's reader, on generated RESP2,
// valid and mutated (hiredis_diff_support.hpp says how, and lists where the two differ).

#include "hiredis_diff_streams.hpp"
#include "hiredis_diff_support.hpp"
#include "stress.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace hiredis_diff;

// -------------------------------------------------------------------------------------------
// Mutating RESP2.

// Bytes a random mutation writes: framing, signs, digits and RESP3 type bytes, or any byte.
char interesting_byte(std::mt19937& rng) {
  static constexpr char bytes[] = "\r\n\0\r\n+-:$*0123456789 ?_#,(!=;%~|>.x";
  return below(rng, 3) == 0 ? static_cast<char>(below(rng, 256))
                            : bytes[below(rng, sizeof bytes - 1)];
}

const item* pick_item(std::mt19937& rng, const stream& s, std::string_view kinds,
                      bool with_payload = false) {
  std::vector<const item*> fit;
  for (const item& i : s.items) {
    if (kinds.find(i.kind) != std::string_view::npos &&
        (!with_payload || (!i.null && i.kind == '$'))) {
      fit.push_back(&i);
    }
  }
  return fit.empty() ? nullptr : fit[below(rng, fit.size())];
}

void replace_line(std::string& b, const item& i, std::string_view content) {
  b.replace(i.offset + 1, i.line_end - i.offset - 1, content);
}

std::vector<std::size_t> crlf_offsets(std::string_view b) {
  std::vector<std::size_t> out;
  for (std::size_t i = b.find("\r\n"); i != std::string_view::npos; i = b.find("\r\n", i + 1)) {
    out.push_back(i);
  }
  return out;
}

// One blind mutation anywhere; returns its name.
const char* mutate_blindly(std::mt19937& rng, std::string& b) {
  if (b.empty()) {
    b += interesting_byte(rng);
    return "insert_byte";
  }
  const std::size_t at = below(rng, b.size());
  switch (below(rng, 6)) {
    case 0:
      b[at] = static_cast<char>(b[at] ^ (1 << below(rng, 8)));
      return "flip_bit";
    case 1:
      b[at] = interesting_byte(rng);
      return "replace_byte";
    case 2:
      b.insert(below(rng, b.size() + 1), 1, interesting_byte(rng));
      return "insert_byte";
    case 3:
      b.erase(at, 1);
      return "delete_byte";
    case 4:
      if (at + 1 < b.size()) std::swap(b[at], b[at + 1]);
      return "swap_bytes";
    default:
      b.resize(at);
      return "truncate";
  }
}

// A digit of a length or count changed. Returns the mutation's name, or nullptr (and `b` unchanged)
// when `s` has nothing to aim at.
const char* mutate_length_digit(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, "$*"); i != nullptr && !i->null) {
    const std::size_t at = i->offset + 1 + below(rng, i->line_end - i->offset - 1);
    b[at] = static_cast<char>('0' + below(rng, 10));
    return "length_digit";
  }
  return nullptr;
}

// A length or count replaced by a near miss: off by one, signed, padded, huge... Returns the
// mutation's name, or nullptr (and `b` unchanged) when `s` has nothing to aim at.
const char* mutate_length_text(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, "$*")) {
    const std::string n(b.data() + i->offset + 1, i->line_end - i->offset - 1);
    const std::uint64_t v = i->null ? 1 : std::stoull(n);
    const std::string forms[] = {std::to_string(v + 1),
                                 std::to_string(v == 0 ? 0 : v - 1),
                                 std::to_string(v + 2),
                                 "0" + n,
                                 "+" + n,
                                 "-" + n,
                                 "-" + std::to_string(2 + below(rng, 9)),
                                 "-0",
                                 "-01",
                                 " " + n,
                                 n + " ",
                                 n + "\t",
                                 "",
                                 "-",
                                 "?",
                                 n + "a",
                                 "0x" + n,
                                 "536870912",
                                 "536870913",
                                 "2147483647",
                                 "2147483648",
                                 "4294967296",
                                 "18446744073709551616",
                                 "-1"};
    replace_line(b, *i, forms[below(rng, std::size(forms))]);
    return "length_text";
  }
  return nullptr;
}

// An integer reply replaced by a near miss. Returns the mutation's name, or nullptr (and `b`
// unchanged) when `s` has nothing to aim at.
const char* mutate_integer_text(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, ":")) {
    const std::string v(b.data() + i->offset + 1, i->line_end - i->offset - 1);
    const std::string digits = v[0] == '-' ? v.substr(1) : v;
    std::string changed = v;
    changed[below(rng, v.size())] = static_cast<char>('0' + below(rng, 10));
    const std::string forms[] = {"-0",
                                 "+" + digits,
                                 "0" + v,
                                 "-0" + digits,
                                 "00",
                                 v + " ",
                                 " " + v,
                                 "",
                                 "-",
                                 "--" + digits,
                                 "-" + digits,
                                 digits,
                                 v + "0",
                                 v + "9",
                                 changed,
                                 changed,
                                 "9223372036854775808",
                                 "-9223372036854775809",
                                 "99999999999999999999",
                                 "1.5",
                                 "1e3",
                                 "0x1f"};
    replace_line(b, *i, forms[below(rng, std::size(forms))]);
    return "integer_text";
  }
  return nullptr;
}

// A type byte replaced. Returns the mutation's name, or nullptr (and `b` unchanged) when `s` has
// nothing to aim at.
const char* mutate_type_byte(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, "+-:$*")) {
    static constexpr char types[] = "+-:$*_#,(!=;%~|>.x \0\r\n0";
    b[i->offset] = types[below(rng, sizeof types - 1)];
    return "type_byte";
  }
  return nullptr;
}

// A line break inside a simple string or error. Returns the mutation's name, or nullptr (and `b`
// unchanged) when `s` has nothing to aim at.
const char* mutate_line_break_in_text(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, "+-")) {
    static constexpr std::string_view breaks[] = {"\n", "\r", "\r\r", "\n\n", "\r\r\n", "\n\r"};
    const std::size_t at = i->offset + 1 + below(rng, i->line_end - i->offset);
    b.insert(at, breaks[below(rng, std::size(breaks))]);
    return "line_break_in_text";
  }
  return nullptr;
}

// A bulk string's payload or trailing \r\n damaged. Returns the mutation's name, or nullptr (and
// `b` unchanged) when `s` has nothing to aim at.
const char* mutate_bulk_trailer(std::mt19937& rng, const stream& s, std::string& b) {
  if (const item* i = pick_item(rng, s, "$", true)) {
    const std::size_t trailer = i->payload + i->payload_length;
    switch (below(rng, 5)) {
      case 0:
        b[trailer + below(rng, 2)] = interesting_byte(rng);
        break;
      case 1:
        b.erase(trailer + below(rng, 2), 1);
        break;
      case 2:
        b.insert(i->payload + below(rng, i->payload_length + 1), 1, interesting_byte(rng));
        break;
      case 3:
        if (i->payload_length > 0) b.erase(i->payload + below(rng, i->payload_length), 1);
        break;
      default:
        std::swap(b[trailer], b[trailer + 1]);
        break;
    }
    return "bulk_trailer";
  }
  return nullptr;
}

// A \r\n damaged. Returns the mutation's name, or nullptr when `b` has no \r\n.
const char* mutate_crlf(std::mt19937& rng, std::string& b) {
  const auto crlfs = crlf_offsets(b);
  if (crlfs.empty()) return nullptr;
  const std::size_t at = crlfs[below(rng, crlfs.size())];
  switch (below(rng, 4)) {
    case 0:
      b.erase(at, 1);  // a bare \n
      return "drop_cr";
    case 1:
      b.erase(at + 1, 1);  // a lone \r
      return "drop_lf";
    case 2:
      std::swap(b[at], b[at + 1]);
      return "swap_crlf";
    default:
      b.insert(at, "\r\n");
      return "duplicate_crlf";
  }
}

// Mutates a copy of `s`, aiming at one part of its framing; returns the mutant and the name of
// the mutation.
std::pair<std::string, const char*> mutate(std::mt19937& rng, const stream& s) {
  std::string b = s.bytes;
  const char* what = nullptr;
  switch (below(rng, 12)) {
    case 0:
      what = mutate_length_digit(rng, s, b);
      break;
    case 1:
      what = mutate_length_text(rng, s, b);
      break;
    case 2:
      what = mutate_integer_text(rng, s, b);
      break;
    case 3:
      what = mutate_type_byte(rng, s, b);
      break;
    case 4:
      what = mutate_line_break_in_text(rng, s, b);
      break;
    case 5:
      what = mutate_bulk_trailer(rng, s, b);
      break;
    case 6:
    case 7:
      what = mutate_crlf(rng, b);
      break;
    case 8:
      b.resize(below(rng, b.size() + 1));
      what = "truncate";
      break;
    case 9:
      mutate_blindly(rng, b);
      mutate_blindly(rng, b);
      what = "two_blind_mutations";
      break;
    default:
      break;
  }
  if (what == nullptr) what = mutate_blindly(rng, b);
  return {b, what};
}

// -------------------------------------------------------------------------------------------
// The tests.

constexpr unsigned valid_seeds = respool::test::stress_rounds(2500);
constexpr int mutants_per_stream = 8;

std::string seed_context(unsigned seed) { return "stream seed " + std::to_string(seed); }

TEST(hiredis_diff_test, generated_streams_read_alike) {
  mismatches found;
  std::size_t bytes = 0;
  for (unsigned seed = 1; seed <= valid_seeds; ++seed) {
    std::mt19937 rng(seed);
    const stream s = generator(rng).make();
    bytes += s.bytes.size();
    const classification cls = classify(s.bytes);
    ASSERT_EQ(cls.kind, difference::none) << seed_context(seed) << ": " << escape(s.bytes);
    ASSERT_EQ(cls.reply, s.replies.size()) << seed_context(seed) << ": " << escape(s.bytes);
    // Both whole and byte by byte, and respool also against what the generator wrote.
    if (const check c = check_stream(s.bytes, cls, rng, seed % 8 == 0 || s.bytes.size() < 512);
        c.problem) {
      found.add(*c.problem, s.bytes, seed_context(seed));
      continue;
    }
    // Agreeing is not enough: both must read what was written.
    const outcome r = respool_read(s.bytes, {});
    if (r.replies != s.replies || r.failed || r.ends.back() != s.bytes.size()) {
      std::string expected;
      for (const std::string& reply : s.replies) expected += "[" + reply + "] ";
      ADD_FAILURE() << "both misread a valid stream (" << seed_context(seed)
                    << ")\n  written: " << expected << "\n  read: " << describe(r, s.bytes.size())
                    << "\n  input: \"" << escape(s.bytes) << '"';
    }
  }
  found.summarize();
  std::cout << "[ info     ] " << valid_seeds << " valid streams, " << bytes << " bytes\n";
}

TEST(hiredis_diff_test, mutated_streams_read_alike_or_differ_as_listed) {
  mismatches found;
  std::map<std::string, std::size_t> classes;
  std::map<std::string, std::size_t> mutations;
  std::map<std::string, std::size_t> hiredis_at;  // what hiredis did at each listed difference
  std::size_t checked = 0;
  for (unsigned seed = 1; seed <= valid_seeds; ++seed) {
    std::mt19937 rng(seed);
    const stream s = generator(rng).make();
    std::mt19937 mutation_rng(seed * 7919u + 1u);
    for (int m = 0; m < mutants_per_stream; ++m) {
      const auto [mutant, what] = mutate(mutation_rng, s);
      const classification cls = classify(mutant);
      ++classes[name(cls.kind)];
      ++mutations[what];
      ++checked;
      const check c = check_stream(mutant, cls, mutation_rng, mutant.size() < 256);
      if (c.problem) {
        found.add(*c.problem, mutant,
                  seed_context(seed) + ", mutant " + std::to_string(m) + ", " + what);
      }
      if (c.hiredis_at_difference != nullptr) {
        ++hiredis_at[std::string(name(cls.kind)) + ":" + c.hiredis_at_difference];
      }
    }
  }
  found.summarize();
  std::cout << "[ info     ] " << checked << " mutated streams; by class:";
  for (const auto& [c, n] : classes) std::cout << ' ' << c << '=' << n;
  std::cout << "\n[ info     ] by mutation:";
  for (const auto& [c, n] : mutations) std::cout << ' ' << c << '=' << n;
  std::cout << "\n[ info     ] hiredis at the difference:";
  for (const auto& [c, n] : hiredis_at) std::cout << ' ' << c << '=' << n;
  std::cout << '\n';
}

// Hand-picked inputs on which the two must agree exactly.
TEST(hiredis_diff_test, edge_cases_read_alike) {
  std::string deepest;  // a number at depth 8, below 8 arrays: as deep as hiredis goes
  for (std::size_t i = 0; i <= hiredis_max_depth; ++i) deepest += "*1\r\n";
  deepest += ":1\r\n";
  const std::string inputs[] = {
      "+OK\r\n",
      "+\r\n",
      "-ERR unknown command\r\n",
      ":0\r\n:1\r\n:-1\r\n",
      ":9223372036854775807\r\n:-9223372036854775808\r\n",
      "$0\r\n\r\n",
      "$2\r\n\r\n\r\n",
      "$3\r\na\0b\r\n"s,
      "$-1\r\n*-1\r\n*0\r\n",
      "*3\r\n$-1\r\n*0\r\n*1\r\n+x\r\n",
      deepest,
      "",
      "*2\r\n:1\r\n",
      "$5\r\nab",
      "$5\r\nabcde\r",
      "+OK\r",
      ":12",
      "+OK\r\nx\r\n",
      "\r\n",
      "\0"s,
      ":-0\r\n",  // not canonical: a 64-bit integer prints as "0" (Redis rejects "-0" too)
      ":+1\r\n",
      ":01\r\n",
      ":\r\n",
      ": 1\r\n",
      ":9223372036854775808\r\n",
      ":-9223372036854775809\r\n",
      ":1\n2\r\n",
      "$01\r\nx\r\n",
      "$+1\r\nx\r\n",
      "$-2\r\n",
      "$-0\r\n",
      "$\r\n",
      "*-2\r\n",
      "*01\r\n:1\r\n",
      "*\r\n",
      "*1\r\n*-5\r\n",
      "$1\r\n\n\r\n",
  };
  std::mt19937 rng(1);
  for (const std::string& in : inputs) {
    const classification cls = classify(in);
    EXPECT_EQ(cls.kind, difference::none) << escape(in);
    if (const check c = check_stream(in, cls, rng, true); c.problem) {
      ADD_FAILURE() << c.problem->kind << " for \"" << escape(in) << "\"\n" << c.problem->detail;
    }
  }
}

// One example of each listed difference: what hiredis does, what respool does.
TEST(hiredis_diff_test, listed_differences_by_example) {
  struct example {
    std::string input;
    difference kind;
    std::vector<std::string> hiredis_replies;
    bool hiredis_fails;
    std::vector<std::string> respool_replies;
    error respool_error;  // {} when respool does not fail
  };
  std::string deep;  // an array at depth 8
  for (std::size_t i = 0; i <= hiredis_max_depth; ++i) deep += "*1\r\n";
  deep += "*0\r\n";
  const std::string deep_reply = "0/*1 1/*1 2/*1 3/*1 4/*1 5/*1 6/*1 7/*1 8/*0";
  const example examples[] = {
      {"+a\nb\r\n", difference::bare_newline, {"0/+\"a\\x0ab\""}, false, {}, error::bare_newline},
      {"-E\nR\r\n", difference::bare_newline, {"0/-\"E\\x0aR\""}, false, {}, error::bare_newline},
      {"+a\rb\r\n", difference::lone_cr, {"0/+\"a\\x0db\""}, false, {}, error::missing_crlf},
      {"+a\r\r\n", difference::lone_cr, {"0/+\"a\\x0d\""}, false, {}, error::missing_crlf},
      {":1\n2", difference::early_rejection, {}, false, {}, error::bare_newline},
      {"$1\rx", difference::early_rejection, {}, false, {}, error::missing_crlf},
      {"$3\r\nfooXY+OK\r\n",
       difference::bulk_without_crlf,
       {"0/$\"foo\"", "0/+\"OK\""},
       false,
       {},
       error::missing_crlf},
      {"$536870913\r\n", difference::bulk_too_long, {}, false, {}, error::bulk_too_long},
      {"#t\r\n", difference::resp3, {}, true, {"0/#\"t\""}, {}},
      {"*?\r\n:1\r\n.\r\n", difference::resp3, {}, true, {"0/*1 1/:\"1\""}, {}},
      {deep, difference::deep_nesting, {}, true, {deep_reply}, {}},
      {"*2147483648\r\n", difference::large_count, {}, true, {}, error::aggregate_cannot_fit},
  };
  for (const example& e : examples) {
    SCOPED_TRACE(escape(e.input));
    EXPECT_EQ(classify(e.input).kind, e.kind);
    const outcome h = hiredis_read(e.input, {});
    EXPECT_EQ(h.replies, e.hiredis_replies);
    EXPECT_EQ(h.failed, e.hiredis_fails);
    const outcome r = respool_read(e.input, {});
    EXPECT_EQ(r.replies, e.respool_replies);
    if (e.respool_error == error{}) {
      EXPECT_FALSE(r.ec) << r.ec.message();
    } else {
      EXPECT_EQ(r.ec, e.respool_error) << r.ec.message();
    }
  }
}

}  // namespace
