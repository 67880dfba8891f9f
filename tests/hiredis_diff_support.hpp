// What the differential test shares (hiredis_diff_test.cpp). The test: respool's reply parser
// against hiredis's reader, on generated RESP2.
//
// A seeded generator builds streams of random RESP2 replies. respool's parser and hiredis's
// reader each read every stream whole, in random pieces and one byte at a time (respool: the
// smaller streams only); the replies are compared as tests/reply_text renders them, hiredis's
// STATUS read as a simple string, ERROR a simple error, INTEGER a number (its decimal text), STRING
// a bulk string, NIL a null and ARRAY an array. Both must also agree on where each reply ends, on
// whether the stream fails, and, when it does not, on the bytes left waiting for more.
//
// Then the streams are mutated. classify() walks a mutated stream the way both parsers frame it
// and stops at the first construct on which they deliberately differ (the list below). A stream
// without one must give identical results in both. A stream with one must give identical
// replies before the reply that holds it, and then, where respool is the stricter, respool must
// fail with the error the list names; where respool accepts more (RESP3, depth, counts), nothing
// is compared past that point.
//
// Deliberate differences, as observed with hiredis 0.14.1. Input class: what hiredis does; what
// respool does, and why respool is right.
// - bare \n in a simple string or error ("+a\nb\r\n"): a reply whose text holds the \n; fails
//   with bare_newline: RESP ends every line with \r\n, so a lone \n is a broken stream.
// - \r not followed by \n in a simple string or error ("+a\rb\r\n"): a reply whose text holds the
//   \r; fails with missing_crlf, for the same reason.
// - bare \n or lone \r in a number or length line whose \r\n has not arrived (":1\n2"): waits for
//   a \r\n, then fails ("Bad integer value"); fails at once (bare_newline, missing_crlf): no later
//   byte can make the line valid.
// - a bulk payload not followed by \r\n ("$3\r\nfooXY+OK\r\n"): skips the two bytes unchecked and
//   reads "foo" then "OK"; fails with missing_crlf: the length is wrong, so whatever follows is
//   misframed.
// - a bulk length over parser_config::max_bulk_length, 512 MiB ("$536870913\r\n"): waits for the
//   payload; fails with bulk_too_long: the limit guards against hostile servers (it is Redis's own
//   proto-max-bulk-len).
// - RESP3 syntax: the type bytes _ # , ( ! = ; % ~ | > . and the streamed headers "$?" and "*?"
//   ("#t\r\n"): fails ("Protocol error"); parses RESP3, which respool speaks besides RESP2.
// - an array nested 8 deep: fails ("No support for nested multi bulk replies with depth > 7");
//   accepts, up to parser_config::max_depth (128): the nesting is valid RESP.
// - an array count from 2^31 ("*2147483648\r\n"): fails ("Multi-bulk length out of range");
//   fails too, at once, with aggregate_cannot_fit, as does any count over the nodes a reply
//   may hold (parser_config::max_nodes, 2^24); below that it waits for the elements, which it
//   counts without allocating ahead. Counts over 2^20, which only misframing produces, are not
//   fed to hiredis, which allocates the element pointers a count announces.

#pragma once

#include "reply_text.hpp"
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace hiredis_diff {

using namespace std::string_literals;
using respool::error;
using respool::test::escape;

// -------------------------------------------------------------------------------------------
// Reading a stream with each parser.

// What a stream reads as: its replies rendered, the stream offset just past each, and whether
// reading failed (respool's error too). Without a failure, the bytes past the last end are
// waiting for more.
struct outcome {
  std::vector<std::string> replies;
  std::vector<std::size_t> ends;
  bool failed = false;
  std::error_code ec;
};

inline std::string describe(const outcome& o, std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < o.replies.size(); ++i) {
    out += "[" + o.replies[i] + "] @" + std::to_string(o.ends[i]) + "; ";
  }
  if (o.failed) {
    out += "failed";
    if (o.ec) out += " (" + o.ec.message() + ")";
  } else {
    const std::size_t done = o.ends.empty() ? 0 : o.ends.back();
    out += done == size ? "end" : std::to_string(size - done) + " bytes waiting";
  }
  return out;
}

// Feeds `input` to respool's parser in pieces ending at `cuts` (ascending), as a reader does:
// bytes accumulate in a buffer, each completed reply leaves its front, and after every piece the
// buffer moves to a new allocation.
inline outcome respool_read(std::string_view input, const std::vector<std::size_t>& cuts) {
  respool::resp3::parser p;
  outcome out;
  std::string buf;
  std::size_t from = 0;
  std::size_t done = 0;
  auto piece = [&](std::size_t to) {
    buf.append(input.substr(from, to - from));
    from = to;
    for (;;) {
      std::error_code ec;
      if (p.parse(buf, ec)) {
        out.replies.push_back(respool::test::render(p.reply()));
        done += p.consumed();
        out.ends.push_back(done);
        buf.erase(0, p.consumed());
        continue;
      }
      if (ec) {
        out.failed = true;
        out.ec = ec;
        return false;
      }
      break;
    }
    std::string moved;
    moved.reserve(buf.size() + 16);
    moved.append(buf);
    buf.swap(moved);
    return true;
  };
  for (const std::size_t cut : cuts) {
    if (cut > from && cut < input.size() && !piece(cut)) return out;
  }
  piece(input.size());
  return out;
}

struct reader_free {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
struct reply_free {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// Renders a hiredis reply the way respool::test::render renders respool's nodes.
inline void render_hiredis(const redisReply& r, int depth, std::string& out) {
  if (!out.empty()) out += ' ';
  out += std::to_string(depth) + '/';
  auto text = [&](char code) {
    out += code;
    out += '"';
    out += escape(std::string_view(r.str, r.len));
    out += '"';
  };
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      text('+');
      break;
    case REDIS_REPLY_ERROR:
      text('-');
      break;
    case REDIS_REPLY_INTEGER:
      out += ":\"" + std::to_string(r.integer) + '"';
      break;
    case REDIS_REPLY_STRING:
      text('$');
      break;
    case REDIS_REPLY_NIL:
      out += '_';
      break;
    case REDIS_REPLY_ARRAY:
      out += '*' + std::to_string(r.elements);
      for (std::size_t i = 0; r.element != nullptr && i < r.elements; ++i) {
        render_hiredis(*r.element[i], depth + 1, out);
      }
      break;
    default:
      out += "?type" + std::to_string(r.type);
      break;
  }
}

// Feeds `input` to hiredis's reader in pieces ending at `cuts` (ascending), taking every reply
// after each piece. A reply's end is the end of the piece that completed it: exact when the
// pieces are single bytes.
inline outcome hiredis_read(std::string_view input, const std::vector<std::size_t>& cuts) {
  const std::unique_ptr<redisReader, reader_free> reader(redisReaderCreate());
  outcome out;
  std::size_t from = 0;
  auto piece = [&](std::size_t to) {
    if (to > from && redisReaderFeed(reader.get(), input.data() + from, to - from) != REDIS_OK) {
      out.failed = true;
      return false;
    }
    from = to;
    for (;;) {
      void* reply = nullptr;
      if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK) {
        out.failed = true;
        return false;
      }
      if (reply == nullptr) return true;
      const std::unique_ptr<redisReply, reply_free> owned(static_cast<redisReply*>(reply));
      std::string text;
      render_hiredis(*owned, 0, text);
      out.replies.push_back(std::move(text));
      out.ends.push_back(to);
    }
  };
  for (const std::size_t cut : cuts) {
    if (cut > from && cut < input.size() && !piece(cut)) return out;
  }
  piece(input.size());
  return out;
}

inline std::vector<std::size_t> every_byte(std::size_t size) {
  std::vector<std::size_t> cuts(size);
  for (std::size_t i = 0; i < size; ++i) cuts[i] = i + 1;
  return cuts;
}

inline std::vector<std::size_t> random_cuts(std::mt19937& rng, std::size_t size) {
  std::vector<std::size_t> cuts;
  if (size < 2) return cuts;
  cuts.resize(1 + rng() % std::min<std::size_t>(size - 1, 12));
  for (auto& c : cuts) c = 1 + rng() % (size - 1);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// -------------------------------------------------------------------------------------------
// Where the two parsers deliberately differ (see the list at the top).

enum class difference {
  none,               // they must agree
  bare_newline,       // in a simple string or error
  lone_cr,            // in a simple string or error
  early_rejection,    // bare \n or lone \r in a number or length line that has no \r\n yet
  bulk_without_crlf,  // a bulk payload not followed by \r\n
  bulk_too_long,      // a bulk length over respool's max_bulk_length
  resp3,              // RESP3 syntax
  deep_nesting,       // an array nested deeper than hiredis's stack
  large_count,        // an array count over 2^20
};

inline const char* name(difference d) {
  switch (d) {
    case difference::none:
      return "none";
    case difference::bare_newline:
      return "bare_newline";
    case difference::lone_cr:
      return "lone_cr";
    case difference::early_rejection:
      return "early_rejection";
    case difference::bulk_without_crlf:
      return "bulk_without_crlf";
    case difference::bulk_too_long:
      return "bulk_too_long";
    case difference::resp3:
      return "resp3";
    case difference::deep_nesting:
      return "deep_nesting";
    case difference::large_count:
      return "large_count";
  }
  return "?";
}

// True where respool, the stricter, must fail; false where it accepts more than hiredis.
inline bool respool_rejects(difference d) {
  return d != difference::none && d != difference::resp3 && d != difference::deep_nesting &&
         d != difference::large_count;
}

constexpr std::size_t hiredis_max_depth = 7;  // the deepest an array may be
constexpr std::uint64_t large_count = std::uint64_t{1} << 20;
constexpr std::uint64_t max_bulk_length = respool::resp3::parser_config::default_max_bulk_length;

struct classification {
  difference kind = difference::none;
  std::size_t reply = 0;        // replies completed before the one that holds the construct
  std::size_t reply_start = 0;  // where that reply starts
  error expected{};             // respool's error, where respool must fail
};

inline bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A length or count: digits, no leading zero; saturates at UINT64_MAX.
inline std::optional<std::uint64_t> canonical_length(std::string_view s) {
  if (!all_digits(s) || (s[0] == '0' && s.size() > 1)) return std::nullopt;
  std::uint64_t n = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), n).ec != std::errc{}) {
    n = std::numeric_limits<std::uint64_t>::max();
  }
  return n;
}

// An integer reply: the decimal a 64-bit integer prints as ("0", never "-0" or "+1" or "01").
inline bool canonical_integer(std::string_view s) {
  const std::string_view digits = !s.empty() && s[0] == '-' ? s.substr(1) : s;
  if (!all_digits(digits) || (digits[0] == '0' && (digits.size() > 1 || s.size() > 1))) {
    return false;
  }
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Walks `s` as both parsers frame RESP2 and finds the first construct of the list, if any. It
// stops with `none` where the stream ends mid-reply (both wait) or where both must fail (a
// type byte neither knows, a malformed number or length).
classification classify(std::string_view s) {
  classification c;
  auto found = [&c](difference d, error e = {}) {
    c.kind = d;
    c.expected = e;
    return c;
  };
  std::vector<std::uint64_t> open;  // elements each open array still expects
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (open.empty()) c.reply_start = pos;
    const char kind = s[pos];
    if (kind != '\0' && std::string_view("_#,(!=;%~|>.").find(kind) != std::string_view::npos) {
      return found(difference::resp3);
    }
    if (kind == '\0' || std::string_view("+-:$*").find(kind) == std::string_view::npos) return c;
    // hiredis refuses the array before reading its line.
    if (kind == '*' && open.size() > hiredis_max_depth) return found(difference::deep_nesting);

    // The line ends at the first \r\n, unless a bare \n or a lone \r comes first.
    std::size_t cr = pos + 1;
    std::optional<error> broken;
    for (; cr < s.size(); ++cr) {
      if (s[cr] == '\n') {
        broken = error::bare_newline;
        break;
      }
      if (s[cr] == '\r') {
        if (cr + 1 == s.size()) return c;  // the \n may be next: both wait
        if (s[cr + 1] != '\n') broken = error::missing_crlf;
        break;
      }
    }
    if (cr == s.size()) return c;  // both wait for the line's end
    if (broken) {
      if (kind == '+' || kind == '-') {
        return found(
            *broken == error::bare_newline ? difference::bare_newline : difference::lone_cr,
            *broken);
      }
      // hiredis reads such a line up to the next \r\n and rejects it; without one, it waits.
      if (s.find("\r\n", cr) != std::string_view::npos) return c;
      return found(difference::early_rejection, *broken);
    }

    const std::string_view line = s.substr(pos + 1, cr - pos - 1);
    std::size_t next = cr + 2;
    if (kind == ':' && !canonical_integer(line)) return c;
    if (kind == '$' || kind == '*') {
      if (line == "?") return found(difference::resp3);
      if (line != "-1") {
        const auto n = canonical_length(line);
        if (!n) return c;
        if (kind == '$') {
          if (*n > max_bulk_length) return found(difference::bulk_too_long, error::bulk_too_long);
          if (s.size() - next < *n + 2) return c;  // both wait for the payload
          if (s[next + *n] != '\r' || s[next + *n + 1] != '\n') {
            return found(difference::bulk_without_crlf, error::missing_crlf);
          }
          next += *n + 2;
        } else if (*n > large_count) {
          return found(difference::large_count);
        } else if (*n > 0) {
          open.push_back(*n);
          pos = next;
          continue;
        }
      }
    }
    pos = next;
    // The element is complete, and so is every array it completes.
    while (!open.empty() && --open.back() == 0) open.pop_back();
    if (open.empty()) ++c.reply;
  }
  return c;
}

}  // namespace hiredis_diff
