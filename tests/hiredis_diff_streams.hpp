// The differential test's comparison of the two parsers on one stream, and its generator of
// RESP2 streams.
#pragma once

#include "hiredis_diff_support.hpp"

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace hiredis_diff {

// -------------------------------------------------------------------------------------------
// Comparing.

inline bool same_prefix(const outcome& a, const outcome& b, std::size_t n, bool with_ends) {
  if (a.replies.size() < n || b.replies.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (a.replies[i] != b.replies[i] || (with_ends && a.ends[i] != b.ends[i])) return false;
  }
  return true;
}

inline bool same(const outcome& a, const outcome& b, bool with_ends) {
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
inline check check_stream(std::string_view s, const classification& cls, std::mt19937& rng,
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
inline std::string shrink(std::string input, const std::string& kind) {
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

inline std::size_t below(std::mt19937& rng, std::size_t n) { return n == 0 ? 0 : rng() % n; }

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

}  // namespace hiredis_diff
