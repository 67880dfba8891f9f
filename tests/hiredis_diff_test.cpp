// Differential test: respool's reply parser against hiredis's reader, on generated RESP2.
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

#include "reply_text.hpp"
#include <respool/error.hpp>
#include <respool/resp3/parser.hpp>

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

namespace {

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

std::string describe(const outcome& o, std::size_t size) {
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
outcome respool_read(std::string_view input, const std::vector<std::size_t>& cuts) {
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
void render_hiredis(const redisReply& r, int depth, std::string& out) {
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
outcome hiredis_read(std::string_view input, const std::vector<std::size_t>& cuts) {
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

std::vector<std::size_t> every_byte(std::size_t size) {
  std::vector<std::size_t> cuts(size);
  for (std::size_t i = 0; i < size; ++i) cuts[i] = i + 1;
  return cuts;
}

std::vector<std::size_t> random_cuts(std::mt19937& rng, std::size_t size) {
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

const char* name(difference d) {
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
bool respool_rejects(difference d) {
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

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A length or count: digits, no leading zero; saturates at UINT64_MAX.
std::optional<std::uint64_t> canonical_length(std::string_view s) {
  if (!all_digits(s) || (s[0] == '0' && s.size() > 1)) return std::nullopt;
  std::uint64_t n = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), n).ec != std::errc{}) {
    n = std::numeric_limits<std::uint64_t>::max();
  }
  return n;
}

// An integer reply: the decimal a 64-bit integer prints as ("0", never "-0" or "+1" or "01").
bool canonical_integer(std::string_view s) {
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

// -------------------------------------------------------------------------------------------
// Comparing.

bool same_prefix(const outcome& a, const outcome& b, std::size_t n, bool with_ends) {
  if (a.replies.size() < n || b.replies.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (a.replies[i] != b.replies[i] || (with_ends && a.ends[i] != b.ends[i])) return false;
  }
  return true;
}

bool same(const outcome& a, const outcome& b, bool with_ends) {
  return a.replies.size() == b.replies.size() && a.failed == b.failed &&
         same_prefix(a, b, a.replies.size(), with_ends);
}

// A disagreement: `kind` groups it with others of its kind, `detail` shows what each read.
struct mismatch {
  std::string kind;
  std::string detail;
};

// The result of check_stream(): the disagreement, if any, and, for a stream with a listed
// difference, what hiredis did with the reply that holds it ("read", "failed", "waited").
struct check {
  std::optional<mismatch> problem;
  const char* hiredis_at_difference = nullptr;
};

// Reads `s` with both parsers, whole, in random pieces and byte by byte (respool too, when
// `thorough`), and checks what they read against each other and against `cls`.
check check_stream(std::string_view s, const classification& cls, std::mt19937& rng,
                   bool thorough) {
  check result;
  auto report = [&](const std::string& kind, const std::string& detail) {
    result.problem = mismatch{kind + " [" + name(cls.kind) + "]", detail};
    return result;
  };

  // Each parser must read the stream alike however it is cut.
  const outcome respool_whole = respool_read(s, {});
  const int splits = thorough ? 4 : 1;  // the last of four is byte by byte
  for (int i = 0; i < splits; ++i) {
    const auto cuts = i == 3 ? every_byte(s.size()) : random_cuts(rng, s.size());
    const outcome split = respool_read(s, cuts);
    if (!same(split, respool_whole, true) || split.ec != respool_whole.ec) {
      return report("respool reads differently in pieces",
                    "  respool in pieces: " + describe(split, s.size()) +
                        "\n  respool whole: " + describe(respool_whole, s.size()));
    }
  }

  // hiredis is not fed the reply of a large count.
  const std::string_view to_hiredis =
      cls.kind == difference::large_count ? s.substr(0, cls.reply_start) : s;
  const outcome hiredis = hiredis_read(to_hiredis, every_byte(to_hiredis.size()));
  const std::size_t compared = cls.kind == difference::none ? hiredis.replies.size() : cls.reply;
  for (int i = 0; i < (thorough ? 2 : 1); ++i) {
    const outcome other = hiredis_read(
        to_hiredis, i == 0 ? std::vector<std::size_t>{} : random_cuts(rng, to_hiredis.size()));
    const bool alike = cls.kind == difference::none ? same(other, hiredis, false)
                                                    : same_prefix(other, hiredis, compared, false);
    if (!alike) {
      return report("hiredis reads differently in pieces",
                    "  hiredis in pieces: " + describe(other, to_hiredis.size()) +
                        "\n  hiredis byte by byte: " + describe(hiredis, to_hiredis.size()));
    }
  }
  if (cls.kind != difference::none) {
    result.hiredis_at_difference = hiredis.replies.size() > cls.reply ? "read"
                                   : hiredis.failed                   ? "failed"
                                                                      : "waited";
  }

  const std::string both = "  respool: " + describe(respool_whole, s.size()) +
                           "\n  hiredis: " + describe(hiredis, to_hiredis.size());
  if (cls.kind == difference::none) {
    if (!same(respool_whole, hiredis, true)) {
      std::string kind = "disagreement: respool ";
      kind += respool_whole.failed ? "fails (" + respool_whole.ec.message() + ")" : "accepts";
      kind += hiredis.failed ? ", hiredis fails" : ", hiredis accepts";
      return report(kind, both);
    }
    return result;
  }
  if (!same_prefix(respool_whole, hiredis, cls.reply, true)) {
    return report("disagreement before the difference",
                  "  the replies before reply " + std::to_string(cls.reply) + " differ\n" + both);
  }
  if (respool_rejects(cls.kind) && (!respool_whole.failed || respool_whole.ec != cls.expected ||
                                    respool_whole.replies.size() != cls.reply)) {
    return report("respool does not reject",
                  "  respool must fail in reply " + std::to_string(cls.reply) + " with \"" +
                      std::error_code(cls.expected).message() + "\"\n" + both);
  }
  return result;
}

// Shrinks an input that shows a mismatch while the same kind of mismatch remains: drops whole
// replies, then ever smaller pieces, at every offset once the input is small.
std::string shrink(std::string input, const std::string& kind) {
  std::mt19937 rng(1);
  auto still = [&](const std::string& candidate) {
    const check c = check_stream(candidate, classify(candidate), rng, false);
    return c.problem && c.problem->kind == kind;
  };
  auto drop = [&](std::size_t at, std::size_t length) {
    std::string candidate = input;
    candidate.erase(at, length);
    if (!still(candidate)) return false;
    input = std::move(candidate);
    return true;
  };
  for (bool shrunk = true; shrunk;) {
    shrunk = false;
    const std::vector<std::size_t> ends = respool_read(input, {}).ends;
    for (std::size_t i = ends.size(); i-- > 0;) {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      shrunk = drop(begin, ends[i] - begin) || shrunk;
    }
    for (std::size_t chunk = std::max<std::size_t>(input.size() / 2, 1); chunk > 0;
         chunk = chunk > 8 ? chunk / 2 : chunk - 1) {
      const std::size_t step = input.size() <= 512 ? 1 : chunk;
      for (std::size_t at = 0; at + chunk <= input.size();) {
        if (drop(at, chunk)) {
          shrunk = true;
        } else {
          at += step;
        }
      }
    }
  }
  return input;
}

// Collects mismatches and reports the first of each kind, shrunk, with the input it came from.
class mismatches {
 public:
  void add(const mismatch& m, std::string_view input, const std::string& context) {
    ++total_;
    if (++kinds_[m.kind] != 1 || kinds_.size() > 8) return;
    const std::string small = shrink(std::string(input), m.kind);
    std::mt19937 rng(1);
    const check again = check_stream(small, classify(small), rng, false);
    ADD_FAILURE() << m.kind << " (" << context << ")\n  shrunk input: \"" << escape(small) << "\"\n"
                  << (again.problem ? again.problem->detail : m.detail) << "\n  whole input ("
                  << input.size() << " bytes): \"" << escape(input) << '"';
  }
  void summarize() const {
    if (total_ == 0) return;
    std::string counts;
    for (const auto& [kind, n] : kinds_) counts += "\n  " + std::to_string(n) + "x " + kind;
    ADD_FAILURE() << total_ << " mismatching streams:" << counts;
  }

 private:
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> kinds_;
};

// -------------------------------------------------------------------------------------------
// Generating RESP2.

std::size_t below(std::mt19937& rng, std::size_t n) { return n == 0 ? 0 : rng() % n; }

// One element of a generated stream: where its type byte and line are, and its payload.
struct item {
  char kind;
  std::size_t offset;    // of the type byte
  std::size_t line_end;  // offset of the line's \r
  std::size_t payload;   // a bulk's payload
  std::size_t payload_length;
  bool null;
};

// A stream and what it must read as.
struct stream {
  std::string bytes;
  std::vector<std::string> replies;
  std::vector<item> items;
};

class generator {
 public:
  static constexpr int max_depth = 5;  // of the deepest element

  explicit generator(std::mt19937& rng) : rng_(rng) {}

  stream make() {
    stream s;
    budget_ = 1 + below(rng_, 120);
    const std::size_t count = 1 + below(rng_, 6);
    for (std::size_t i = 0; i < count; ++i) {
      std::string text;
      value(s, 0, text);
      s.replies.push_back(std::move(text));
    }
    return s;
  }

 private:
  void line(stream& s, char kind, std::string_view content, bool null = false) {
    s.items.push_back({kind, s.bytes.size(), s.bytes.size() + 1 + content.size(), 0, 0, null});
    s.bytes += kind;
    s.bytes += content;
    s.bytes += "\r\n";
  }

  std::string printable(std::size_t max) {
    std::string out(below(rng_, max + 1), ' ');
    for (char& c : out) c = static_cast<char>(0x20 + below(rng_, 0x7f - 0x20));
    return out;
  }

  std::int64_t integer() {
    switch (below(rng_, 10)) {
      case 0:
        return std::numeric_limits<std::int64_t>::min();
      case 1:
        return std::numeric_limits<std::int64_t>::max();
      case 2:
      case 3:
      case 4:
        return static_cast<std::int64_t>((std::uint64_t{rng_()} << 32) | rng_());
      case 5: {
        const auto v = static_cast<std::int64_t>(below(rng_, 1000000000));
        return below(rng_, 2) == 0 ? v : -v;
      }
      default:
        return static_cast<std::int64_t>(below(rng_, 201)) - 100;
    }
  }

  std::string binary() {
    std::size_t size = 0;
    switch (below(rng_, 20)) {
      case 0:
      case 1:
      case 2:
        size = 0;
        break;
      case 3:
      case 4:
      case 5:
        size = 33 + below(rng_, 480);
        break;
      case 6:
        size = 513 + below(rng_, 3584);
        break;
      default:
        size = 1 + below(rng_, 32);
        break;
    }
    std::string out(size, '\0');
    for (char& c : out) {
      c = below(rng_, 8) == 0 ? "\r\n\0$*:+-"[below(rng_, 8)] : static_cast<char>(below(rng_, 256));
    }
    return out;
  }

  // Appends one value to the stream and its rendering to `text`.
  void value(stream& s, int depth, std::string& text) {
    if (!text.empty()) text += ' ';
    text += std::to_string(depth) + '/';
    if (budget_ > 0) --budget_;
    const std::size_t pick = below(rng_, depth < max_depth && budget_ > 0 ? 100 : 80);
    if (pick < 14) {
      const std::string t = printable(below(rng_, 4) == 0 ? 200 : 24);
      line(s, '+', t);
      text += "+\"" + escape(t) + '"';
    } else if (pick < 24) {
      const std::string t = std::string(below(rng_, 2) == 0   ? "ERR "
                                        : below(rng_, 2) == 0 ? "WRONGTYPE "
                                                              : "") +
                            printable(40);
      line(s, '-', t);
      text += "-\"" + escape(t) + '"';
    } else if (pick < 44) {
      const std::string v = std::to_string(integer());
      line(s, ':', v);
      text += ":\"" + v + '"';
    } else if (pick < 70) {
      const std::string b = binary();
      line(s, '$', std::to_string(b.size()));
      s.items.back().payload = s.bytes.size();
      s.items.back().payload_length = b.size();
      s.bytes += b;
      s.bytes += "\r\n";
      text += "$\"" + escape(b) + '"';
    } else if (pick < 76) {
      line(s, '$', "-1", true);
      text += '_';
    } else if (pick < 80) {
      const bool null = below(rng_, 2) == 0;
      line(s, '*', null ? "-1" : "0", null);
      text += null ? "_" : "*0";
    } else {
      std::size_t n = below(rng_, 4) == 0 ? below(rng_, 21) : 1 + below(rng_, 5);
      n = std::min(n, budget_ + 1);
      line(s, '*', std::to_string(n));
      text += '*' + std::to_string(n);
      for (std::size_t i = 0; i < n; ++i) value(s, depth + 1, text);
    }
  }

  std::mt19937& rng_;
  std::size_t budget_ = 0;  // elements left before only leaves are generated
};

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

// Mutates a copy of `s`, aiming at one part of its framing; returns the mutant and the name of
// the mutation.
std::pair<std::string, const char*> mutate(std::mt19937& rng, const stream& s) {
  std::string b = s.bytes;
  switch (below(rng, 12)) {
    case 0:
      if (const item* i = pick_item(rng, s, "$*"); i != nullptr && !i->null) {
        const std::size_t at = i->offset + 1 + below(rng, i->line_end - i->offset - 1);
        b[at] = static_cast<char>('0' + below(rng, 10));
        return {b, "length_digit"};
      }
      break;
    case 1:
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
        return {b, "length_text"};
      }
      break;
    case 2:
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
        return {b, "integer_text"};
      }
      break;
    case 3:
      if (const item* i = pick_item(rng, s, "+-:$*")) {
        static constexpr char types[] = "+-:$*_#,(!=;%~|>.x \0\r\n0";
        b[i->offset] = types[below(rng, sizeof types - 1)];
        return {b, "type_byte"};
      }
      break;
    case 4:
      if (const item* i = pick_item(rng, s, "+-")) {
        static constexpr std::string_view breaks[] = {"\n", "\r", "\r\r", "\n\n", "\r\r\n", "\n\r"};
        const std::size_t at = i->offset + 1 + below(rng, i->line_end - i->offset);
        b.insert(at, breaks[below(rng, std::size(breaks))]);
        return {b, "line_break_in_text"};
      }
      break;
    case 5:
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
        return {b, "bulk_trailer"};
      }
      break;
    case 6:
    case 7: {
      const auto crlfs = crlf_offsets(b);
      if (crlfs.empty()) break;
      const std::size_t at = crlfs[below(rng, crlfs.size())];
      switch (below(rng, 4)) {
        case 0:
          b.erase(at, 1);  // a bare \n
          return {b, "drop_cr"};
        case 1:
          b.erase(at + 1, 1);  // a lone \r
          return {b, "drop_lf"};
        case 2:
          std::swap(b[at], b[at + 1]);
          return {b, "swap_crlf"};
        default:
          b.insert(at, "\r\n");
          return {b, "duplicate_crlf"};
      }
    }
    case 8:
      b.resize(below(rng, b.size() + 1));
      return {b, "truncate"};
    case 9:
      mutate_blindly(rng, b);
      mutate_blindly(rng, b);
      return {b, "two_blind_mutations"};
    default:
      break;
  }
  const char* what = mutate_blindly(rng, b);
  return {b, what};
}

// -------------------------------------------------------------------------------------------
// The tests.

constexpr unsigned valid_seeds = 2500;
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
