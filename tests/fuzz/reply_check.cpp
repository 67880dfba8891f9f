#include "reply_check.hpp"

#include <respool/protocol/error.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>

namespace respool::fuzz {

void check_failed(const char* condition, const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, condition);
  std::fflush(stderr);
  __builtin_trap();
}

resp3::parser_config limited_config() noexcept {
  resp3::parser_config cfg;
  cfg.max_bulk_length = 16;
  cfg.max_depth = 8;
  cfg.max_aggregate_size = 8;
  cfg.max_reply_bytes = 128;
  cfg.max_nodes = 24;
  cfg.max_line_length = 24;
  return cfg;
}

bool is_limit_error(std::error_code ec) noexcept {
  return ec == error::bulk_too_long || ec == error::nesting_too_deep ||
         ec == error::aggregate_too_large || ec == error::reply_too_large ||
         ec == error::too_many_nodes || ec == error::line_too_long ||
         ec == error::aggregate_cannot_fit;
}

namespace {

using resp3::node;
using resp3::type;

// The syntax of each value is checked here by code of its own, not by the parser's helpers, so
// that a mistake in one is not repeated in the other.

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// ':' promises a canonical decimal in the range of a 64-bit integer: an optional minus, then
// digits with no leading zero; zero is "0", never "-0".
bool is_canonical_integer(std::string_view s) noexcept {
  const bool negative = !s.empty() && s[0] == '-';
  const std::string_view digits = negative ? s.substr(1) : s;
  if (!all_digits(digits) || (digits[0] == '0' && (digits.size() > 1 || negative))) return false;
  // Equal lengths compare as numbers when compared as text.
  const std::string_view bound = negative ? "9223372036854775808" : "9223372036854775807";
  return digits.size() < bound.size() || (digits.size() == bound.size() && digits <= bound);
}

// ',' promises a decimal floating-point number (an optional minus, digits with an optional
// fraction or a fraction alone, an optional exponent), inf, -inf or nan.
bool is_documented_double(std::string_view s) noexcept {
  if (s == "inf" || s == "-inf" || s == "nan") return true;
  std::size_t i = 0;
  auto skip_digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t mantissa = skip_digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += skip_digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (skip_digits() == 0) return false;
  }
  return i == s.size();
}

// '(' promises an optionally negative sequence of digits.
bool is_big_number(std::string_view s) noexcept {
  return all_digits(!s.empty() && s[0] == '-' ? s.substr(1) : s);
}

// The type byte of a one-line value, or 0 for a bulk value (whose header ends with a CRLF).
char line_type_byte(type t) noexcept {
  switch (t) {
    case type::simple_string:
      return '+';
    case type::simple_error:
      return '-';
    case type::number:
      return ':';
    case type::boolean:
      return '#';
    case type::double_:
      return ',';
    case type::big_number:
      return '(';
    default:
      return 0;
  }
}

// The type and value of one node, and the limits that bound it.
void check_node(const node& n, const resp3::parser_config& cfg) {
  RESPOOL_FUZZ_CHECK(static_cast<unsigned>(n.data_type) <=
                     static_cast<unsigned>(type::streamed_string_part));
  RESPOOL_FUZZ_CHECK(resp3::to_string(n.data_type) != "unknown type");
  RESPOOL_FUZZ_CHECK(n.depth <= cfg.max_depth);
  if (resp3::is_aggregate(n.data_type)) {
    RESPOOL_FUZZ_CHECK(n.value.empty());
    RESPOOL_FUZZ_CHECK(n.aggregate_size <= cfg.max_aggregate_size);
    // An aggregate with elements opens a level below it; an empty one is a leaf.
    RESPOOL_FUZZ_CHECK(n.aggregate_size == 0 || n.depth < cfg.max_depth);
    return;
  }
  RESPOOL_FUZZ_CHECK(n.aggregate_size == 0);
  const std::string_view v = n.value;
  switch (n.data_type) {
    case type::simple_string:
    case type::simple_error:
      RESPOOL_FUZZ_CHECK(v.find_first_of("\r\n") == std::string_view::npos);
      break;
    case type::number:
      RESPOOL_FUZZ_CHECK(is_canonical_integer(v));
      break;
    case type::null:
      RESPOOL_FUZZ_CHECK(v.empty());
      break;
    case type::boolean:
      RESPOOL_FUZZ_CHECK(v == "t" || v == "f");
      break;
    case type::double_:
      RESPOOL_FUZZ_CHECK(is_documented_double(v));
      break;
    case type::big_number:
      RESPOOL_FUZZ_CHECK(is_big_number(v));
      break;
    case type::bulk_string:
    case type::bulk_error:
      RESPOOL_FUZZ_CHECK(v.size() <= cfg.max_bulk_length);
      break;
    case type::verbatim_string:
      RESPOOL_FUZZ_CHECK(v.size() <= cfg.max_bulk_length);
      RESPOOL_FUZZ_CHECK(v.size() >= 4 && v[3] == ':');
      RESPOOL_FUZZ_CHECK(resp3::verbatim_format(n).size() == 3);
      RESPOOL_FUZZ_CHECK(resp3::verbatim_text(n).size() == v.size() - 4);
      break;
    case type::streamed_string_part:
      // ";0" ends the string instead of being a part.
      RESPOOL_FUZZ_CHECK(!v.empty() && v.size() <= cfg.max_bulk_length);
      break;
    default:
      RESPOOL_FUZZ_CHECK(!"a type that is neither an aggregate nor a leaf");
  }
}

// A level whose children are still being walked.
struct open_aggregate {
  type kind;
  std::uint16_t depth;
  std::uint64_t children_left;  // attributes among the children fill no slot
};

enum class tree_kind { reply, attributes };

// Walks nodes in pre-order: each aggregate is followed by exactly as many children as its size
// says (twice as many for maps and attributes), each exactly one level deeper, with attributes
// among them in addition, each followed by the element it annotates. A reply is one tree at
// depth 0 with no attribute in it; the attribute list is a sequence of trees, each an
// attribute, at the depth where it came.
void check_tree(std::span<const node> nodes, tree_kind kind, const resp3::parser_config& cfg) {
  std::vector<open_aggregate> open;
  std::size_t roots = 0;
  for (const node& n : nodes) {
    check_node(n, cfg);
    const bool attribute = n.data_type == type::attribute;
    if (kind == tree_kind::reply) RESPOOL_FUZZ_CHECK(!attribute);
    if (open.empty()) {
      ++roots;
      if (kind == tree_kind::reply) RESPOOL_FUZZ_CHECK(roots == 1 && n.depth == 0);
      if (kind == tree_kind::attributes) RESPOOL_FUZZ_CHECK(attribute);
      RESPOOL_FUZZ_CHECK(n.data_type != type::streamed_string_part);
    } else {
      open_aggregate& parent = open.back();
      RESPOOL_FUZZ_CHECK(n.depth == parent.depth + 1);
      // A streamed string holds its parts, and parts are found nowhere else.
      RESPOOL_FUZZ_CHECK((parent.kind == type::streamed_string) ==
                         (n.data_type == type::streamed_string_part));
      if (!attribute) --parent.children_left;  // never 0 here: a complete level is closed
    }
    if (resp3::is_aggregate(n.data_type)) {
      const std::uint64_t factor = resp3::is_map_like(n.data_type) ? 2 : 1;
      open.push_back({n.data_type, n.depth, factor * n.aggregate_size});
    }
    while (!open.empty() && open.back().children_left == 0) {
      const bool closed_attribute = open.back().kind == type::attribute;
      open.pop_back();
      // The element an attribute annotates is still to come in the enclosing level (a
      // top-level attribute's is in the reply).
      if (closed_attribute && !open.empty()) RESPOOL_FUZZ_CHECK(open.back().children_left > 0);
    }
  }
  RESPOOL_FUZZ_CHECK(open.empty());
  if (kind == tree_kind::reply) RESPOOL_FUZZ_CHECK(roots == 1);
}

// Values point into the reply's own bytes, in order, each where its syntax puts it: a line's
// value after its type byte, a bulk's after the CRLF of its header, and either before a CRLF.
void check_values(std::span<const node> nodes, std::string_view reply) {
  const auto first = reinterpret_cast<std::uintptr_t>(reply.data());
  std::size_t previous_end = 0;
  for (const node& n : nodes) {
    // Empty values may point anywhere, even nowhere: only their length means something.
    if (n.value.empty()) continue;
    // Wraps around, to far past the end, for a value before the reply.
    const std::size_t at = reinterpret_cast<std::uintptr_t>(n.value.data()) - first;
    RESPOOL_FUZZ_CHECK(at > previous_end && at <= reply.size());
    RESPOOL_FUZZ_CHECK(reply.size() - at >= n.value.size() + 2);
    RESPOOL_FUZZ_CHECK(reply.substr(at + n.value.size(), 2) == "\r\n");
    if (const char type_byte = line_type_byte(n.data_type); type_byte != 0) {
      RESPOOL_FUZZ_CHECK(reply[at - 1] == type_byte);
    } else {
      RESPOOL_FUZZ_CHECK(at >= 2 && reply.substr(at - 2, 2) == "\r\n");
    }
    previous_end = at + n.value.size();
  }
}

}  // namespace

void check_reply(const resp3::parser& p, std::string_view data) {
  const resp3::parser_config& cfg = p.config();
  const std::size_t consumed = p.consumed();
  RESPOOL_FUZZ_CHECK(!p.error());
  RESPOOL_FUZZ_CHECK(!p.in_progress());
  // The smallest reply is three bytes ("_\r\n"), and every reply ends with a CRLF.
  RESPOOL_FUZZ_CHECK(consumed >= 3 && consumed <= data.size());
  RESPOOL_FUZZ_CHECK(consumed <= cfg.max_reply_bytes);
  RESPOOL_FUZZ_CHECK(data.substr(consumed - 2, 2) == "\r\n");

  const resp3::reply_view reply = p.reply();
  const std::span<const node> attributes = p.attributes();
  RESPOOL_FUZZ_CHECK(!reply.empty());
  RESPOOL_FUZZ_CHECK(reply.size() + attributes.size() <= cfg.max_nodes);
  // Every node took at least three bytes on the wire.
  RESPOOL_FUZZ_CHECK(3 * (reply.size() + attributes.size()) <= consumed);
  for (const std::span<const node> nodes : {reply, attributes}) {
    for (const node& n : nodes) {
      if (line_type_byte(n.data_type) != 0)
        RESPOOL_FUZZ_CHECK(n.value.size() <= cfg.max_line_length);
    }
  }

  check_tree(reply, tree_kind::reply, cfg);
  check_tree(attributes, tree_kind::attributes, cfg);
  const std::string_view bytes = data.substr(0, consumed);
  check_values(reply, bytes);
  check_values(attributes, bytes);
}

void check_reply_alone(const resp3::parser& p, std::string_view data) {
  const std::size_t n = p.consumed();
  const owned_reply expected = copy_reply(p);
  // Exactly n bytes: a read past them is an overflow the address sanitizer reports.
  const std::unique_ptr<char[]> alone(new char[n]);
  std::memcpy(alone.get(), data.data(), n);

  resp3::parser whole(p.config());
  std::error_code ec;
  RESPOOL_FUZZ_CHECK(whole.parse({alone.get(), n}, ec));
  check_reply(whole, {alone.get(), n});
  RESPOOL_FUZZ_CHECK(copy_reply(whole) == expected);

  // One byte at a time: a prefix is never complete, never wrong, and never needs more bytes
  // than the reply has left.
  resp3::parser bytewise(p.config());
  for (std::size_t k = 0; k < n; ++k) {
    RESPOOL_FUZZ_CHECK(!bytewise.parse({alone.get(), k}, ec));
    RESPOOL_FUZZ_CHECK(!ec);
    RESPOOL_FUZZ_CHECK(bytewise.bytes_needed() <= n - k);
  }
  RESPOOL_FUZZ_CHECK(bytewise.parse({alone.get(), n}, ec));
  RESPOOL_FUZZ_CHECK(copy_reply(bytewise) == expected);
}

void check_error(resp3::parser& p, std::string_view data, std::error_code ec) {
  RESPOOL_FUZZ_CHECK(is_protocol_error(ec));
  RESPOOL_FUZZ_CHECK(p.error() == ec);

  // Sticky: the same bytes, good bytes and no bytes all give the same error.
  for (const std::string_view next : {data, std::string_view("+OK\r\n"), std::string_view()}) {
    std::error_code again;
    RESPOOL_FUZZ_CHECK(!p.parse(next, again));
    RESPOOL_FUZZ_CHECK(again == ec);
  }

  p.reset();
  RESPOOL_FUZZ_CHECK(!p.error());
  std::error_code after;
  RESPOOL_FUZZ_CHECK(p.parse("+OK\r\n", after));
  RESPOOL_FUZZ_CHECK(p.consumed() == 5 && p.reply().size() == 1 && p.attributes().empty());
  RESPOOL_FUZZ_CHECK(p.reply()[0].data_type == type::simple_string && p.reply()[0].depth == 0 &&
                     p.reply()[0].value == "OK");
}

void check_needs_more(const resp3::parser& p, std::string_view data) {
  const resp3::parser_config& cfg = p.config();
  RESPOOL_FUZZ_CHECK(!p.error());
  RESPOOL_FUZZ_CHECK(p.bytes_needed() >= 1);
  // More bytes than max_reply_bytes without a whole reply are an error, not a wait.
  RESPOOL_FUZZ_CHECK(data.size() <= cfg.max_reply_bytes);
  RESPOOL_FUZZ_CHECK(p.bytes_needed() <= cfg.max_reply_bytes - data.size() + 1);
  if (data.empty()) RESPOOL_FUZZ_CHECK(!p.in_progress() && p.bytes_needed() == 1);
}

owned_reply copy_reply(const resp3::parser& p) {
  auto copy = [](std::span<const node> from) {
    std::vector<owned_node> to;
    to.reserve(from.size());
    for (const node& n : from) {
      to.push_back({n.data_type, n.depth, n.aggregate_size, std::string(n.value)});
    }
    return to;
  };
  return {copy(p.reply()), copy(p.attributes()), p.consumed()};
}

}  // namespace respool::fuzz
