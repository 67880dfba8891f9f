#include <respool/protocol/detail/inline.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

namespace respool::resp3 {

namespace {

// The bytes a reply element may start with.
constexpr auto type_bytes = [] {
  std::array<bool, 256> table{};
  for (const char c : std::string_view("+-:_#,($!=;*%~|>.")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What a length or count line says.
struct length_line {
  enum kind_t { value, null, streamed, bad } kind = bad;
  std::uint64_t n = 0;  // UINT64_MAX when the digits overflow it
  respool::error why = respool::error::invalid_length;
};

// The lengths read_length() leaves to this: "?", negative ones, and 20 digits or more.
length_line read_unusual_length(std::string_view s, bool allow_null, bool allow_streamed) noexcept {
  length_line r;
  if (s == "?" && allow_streamed) {
    r.kind = length_line::streamed;
    return r;
  }
  if (s[0] == '-') {
    const std::string_view digits = s.substr(1);
    if (digits == "1" && allow_null) {
      r.kind = length_line::null;
    } else if (!digits.empty() && all_digits(digits) && digits[0] != '0') {
      r.why = respool::error::negative_length;  // "-0" and "-07" are not canonical at all
    }
    return r;
  }
  if (s[0] == '?' || !all_digits(s)) return r;
  r.kind = length_line::value;
  if (std::from_chars(s.data(), s.data() + s.size(), r.n).ec != std::errc{}) {
    r.n = std::numeric_limits<std::uint64_t>::max();  // too long to be anything but over a limit
  }
  return r;
}

// Reads "<canonical decimal>", "-1" (when nulls are allowed), "?" (when streaming is allowed).
// The common case, a count of at most 19 digits, is read in one pass over the digits.
RESPOOL_ALWAYS_INLINE length_line read_length(std::string_view s, bool allow_null,
                                              bool allow_streamed) noexcept {
  length_line r;
  const std::size_t size = s.size();
  if (size == 0) return r;
  if (s[0] == '-' || s[0] == '?') return read_unusual_length(s, allow_null, allow_streamed);
  // Canonical: digits only, no sign, no leading zero (but "0" itself).
  if (s[0] == '0' && size > 1) return r;
  if (size > 19) return read_unusual_length(s, allow_null, allow_streamed);
  std::uint64_t n = 0;
  for (const char c : s) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
    if (d > 9) return r;
    n = n * 10 + d;  // 19 digits cannot overflow 64 bits
  }
  r.kind = length_line::value;
  r.n = n;
  return r;
}

bool valid_integer(std::string_view s) noexcept {
  const bool negative = !s.empty() && s[0] == '-';
  const std::string_view digits = negative ? s.substr(1) : s;
  // Canonical: no leading zero, and no "-0".
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || negative))) return false;
  if (!all_digits(digits)) return false;
  if (digits.size() < 19) return true;  // 18 digits always fit in 64 bits
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// A decimal floating-point number (an optional minus, digits with an optional fraction or a
// fraction alone, an optional exponent), or exactly inf, -inf or nan, the spellings Redis uses.
// Out-of-range values (1e400) are numbers too. from_chars would also take "INF", "infinity" or
// "nan(1)", which RESP3 does not define.
bool valid_double(std::string_view s) noexcept {
  if (s == "inf" || s == "-inf" || s == "nan") return true;
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool valid_big_number(std::string_view s) noexcept {
  const std::string_view digits = !s.empty() && s[0] == '-' ? s.substr(1) : s;
  return !digits.empty() && all_digits(digits);
}

}  // namespace

parser::parser(const parser_config& cfg)
    : cfg_{cfg}, stack_{std::make_unique<frame[]>(std::min<std::size_t>(cfg.max_depth, 65535))} {
  cfg_.max_depth = std::min<std::size_t>(cfg_.max_depth, 65535);
}

void parser::reset() noexcept {
  error_.clear();
  complete_ = false;
  start_reply();
}

void parser::start_reply() noexcept {
  depth_ = 0;
  attr_depth_ = 0;
  after_attribute_ = false;
  raw_.clear();
  attr_raw_.clear();
  pos_ = 0;
  line_scan_ = 0;
  pending_ = false;
  consumed_ = 0;
  needed_ = 1;
}

bool parser::fail(respool::error e, std::error_code& ec) noexcept {
  error_ = e;
  ec = e;
  return false;
}

bool parser::failed(std::error_code& ec) const noexcept {
  ec = error_;
  return false;
}

// Finds the CRLF that ends the line starting at pos_. Scanning resumes where the previous
// call stopped, so a line that arrives byte by byte is still read once.
parser::step parser::line_end(const char* base, std::size_t limit, std::size_t& cr) noexcept {
  std::size_t i = std::max(line_scan_, pos_ + 1);
  for (; i < limit; ++i) {
    const char c = base[i];
    if (c == '\r') {
      if (i + 1 == limit) break;  // the \n may be next
      if (base[i + 1] != '\n') {
        error_ = respool::error::missing_crlf;
        return step::failed;
      }
      cr = i;
      line_scan_ = 0;
      return step::done;
    }
    if (c == '\n') {
      error_ = respool::error::bare_newline;
      return step::failed;
    }
    // Content byte number i - pos_ (the type byte is pos_): one too many past the limit. The
    // verdict depends on this byte alone, so any split of the stream gives the same error.
    if (i - pos_ > cfg_.max_line_length) {
      error_ = respool::error::line_too_long;
      return step::failed;
    }
  }
  line_scan_ = i;
  return step::more;
}

bool parser::emit(type t, std::size_t offset, std::size_t length, std::uint32_t size) {
  if (raw_.size() + attr_raw_.size() >= cfg_.max_nodes) {
    error_ = respool::error::too_many_nodes;
    return false;
  }
  auto& into = attr_depth_ != 0 ? attr_raw_ : raw_;
  into.push_back({t, static_cast<std::uint16_t>(depth_), size, offset, length});
  return true;
}

bool parser::push_frame(type t, std::uint64_t count, bool streamed) {
  if (depth_ >= cfg_.max_depth) {
    error_ = respool::error::nesting_too_deep;
    return false;
  }
  const bool attribute = t == type::attribute;
  after_attribute_ = false;
  if (attribute) ++attr_depth_;  // the attribute's own node goes apart too
  if (!emit(t, 0, 0, streamed ? 0 : static_cast<std::uint32_t>(count))) return false;
  const auto& into = attr_depth_ != 0 ? attr_raw_ : raw_;
  // A map's pairs are two elements each.
  stack_[depth_++] = {is_map_like(t) && !streamed ? 2 * count : count, into.size() - 1, t,
                      streamed};
  return true;
}

// Whether an aggregate of `count` elements (pairs, for maps) whose header ends at `next` can
// complete within max_nodes and max_reply_bytes: each element takes a node and 3 bytes at the
// least ("_\r\n"). count <= max_aggregate_size < 2^32, so no product overflows.
bool parser::could_fit(type t, std::uint64_t count, std::size_t next) const noexcept {
  const std::uint64_t elements = is_map_like(t) ? 2 * count : count;
  const std::size_t nodes = raw_.size() + attr_raw_.size() + 1;  // with the aggregate's own
  if (nodes > cfg_.max_nodes || elements > cfg_.max_nodes - nodes) return false;
  // next <= max_reply_bytes: the header was read within it.
  return elements <= (cfg_.max_reply_bytes - next) / 3;
}

// An element at the current depth is complete: counts it in its parent, closing every
// aggregate it completes. Returns true when that completes the reply. An attribute fills no
// slot: the element it annotates follows it.
bool parser::element_done(bool was_attribute) noexcept {
  for (;;) {
    after_attribute_ = was_attribute;
    if (was_attribute || depth_ == 0) return !was_attribute && depth_ == 0;
    frame& f = stack_[depth_ - 1];
    if (f.streamed) {
      ++f.count;
      return false;
    }
    if (--f.count != 0) return false;
    --depth_;
    was_attribute = f.kind == type::attribute;
    if (was_attribute) --attr_depth_;
  }
}

void parser::finish(const char* base) {
  complete_ = true;
  consumed_ = pos_;
  auto convert = [base](const std::vector<raw_node>& from, std::vector<node>& to) {
    to.resize(from.size());
    for (std::size_t i = 0; i < from.size(); ++i) {
      const raw_node& r = from[i];
      to[i] = {r.data_type, r.depth, r.aggregate_size,
               r.length != 0 ? std::string_view(base + r.offset, r.length) : std::string_view{}};
    }
  };
  convert(raw_, nodes_);
  if (attr_raw_.empty()) {
    attr_nodes_.clear();
  } else {
    convert(attr_raw_, attr_nodes_);
  }
}

parser::flow parser::stop(respool::error e) noexcept {
  error_ = e;
  return flow::failed;
}

// A null element, from a "_" line or a "-1" length.
parser::flow parser::null_element() {
  if (!emit(type::null, 0, 0)) return flow::failed;
  return element_done(false) ? flow::complete : flow::next;
}

// A line that is the element itself: a simple string or a simple error.
parser::flow parser::simple_line(type t, line_item l) {
  if (!emit(t, l.content, l.text.size())) return flow::failed;
  pos_ = l.next;
  return element_done(false) ? flow::complete : flow::next;
}

// A line whose content must be checked first: a number, null, boolean, double or big number.
parser::flow parser::checked_line(line_item l) {
  switch (l.kind) {
    case ':':
      if (!valid_integer(l.text)) return stop(respool::error::invalid_integer);
      return simple_line(type::number, l);
    case '_':
      if (!l.text.empty()) return stop(respool::error::invalid_null);
      return simple_line(type::null, l);
    case '#':
      if (l.text != "t" && l.text != "f") return stop(respool::error::invalid_boolean);
      return simple_line(type::boolean, l);
    case ',':
      if (!valid_double(l.text)) return stop(respool::error::invalid_double);
      return simple_line(type::double_, l);
    default:  // '('
      if (!valid_big_number(l.text)) return stop(respool::error::invalid_big_number);
      return simple_line(type::big_number, l);
  }
}

// The payload of a bulk whose header has been read: it is all there, or not yet.
RESPOOL_ALWAYS_INLINE parser::flow parser::read_payload(const char* base, std::size_t limit) {
  const std::size_t end = pending_offset_ + pending_length_;
  if (end + 2 > limit) {
    needed_ = end + 2 - std::min(end + 2, limit);
    return flow::more;
  }
  if (base[end] != '\r' || base[end + 1] != '\n') return stop(respool::error::missing_crlf);
  pending_ = false;
  pos_ = end + 2;
  const type t = pending_type_;
  if (t == type::verbatim_string && (pending_length_ < 4 || base[pending_offset_ + 3] != ':')) {
    return stop(respool::error::invalid_verbatim);
  }
  if (!emit(t, pending_offset_, pending_length_)) return flow::failed;
  if (t == type::streamed_string_part) {
    ++stack_[depth_ - 1].count;
    return flow::next;
  }
  return element_done(false) ? flow::complete : flow::next;
}

// The header of a bulk string, bulk error, verbatim string or streamed string part: its
// payload is read next, by read_payload(). "$-1" is a null, "$?" starts a streamed string and
// ";0" ends one.
parser::flow parser::blob_header(line_item l) {
  const bool bulk = l.kind == '$';
  const length_line len = read_length(l.text, bulk, bulk);
  if (len.kind == length_line::bad) return stop(len.why);
  pos_ = l.next;
  if (len.kind == length_line::null) return null_element();
  if (len.kind == length_line::streamed) {
    return push_frame(type::streamed_string, 0, true) ? flow::next : flow::failed;
  }
  if (l.kind == ';' && len.n == 0) return stream_part_end();
  if (len.n > cfg_.max_bulk_length) return stop(respool::error::bulk_too_long);
  // next <= max_reply_bytes here; written so that no sum can overflow.
  if (len.n > cfg_.max_reply_bytes - l.next || cfg_.max_reply_bytes - l.next - len.n < 2) {
    return stop(respool::error::reply_too_large);
  }
  pending_ = true;
  pending_type_ = bulk            ? type::bulk_string
                  : l.kind == '!' ? type::bulk_error
                  : l.kind == '=' ? type::verbatim_string
                                  : type::streamed_string_part;
  pending_offset_ = l.next;
  pending_length_ = static_cast<std::size_t>(len.n);
  return flow::next;
}

// ";0": the streamed string in progress is complete.
parser::flow parser::stream_part_end() {
  const frame& f = stack_[--depth_];
  if (f.count > cfg_.max_aggregate_size) return stop(respool::error::aggregate_too_large);
  auto& into = attr_depth_ != 0 ? attr_raw_ : raw_;
  into[f.node].aggregate_size = static_cast<std::uint32_t>(f.count);
  return element_done(false) ? flow::complete : flow::next;
}

// The header of an array, map, set, attribute or push: its elements follow. "*-1" is a null.
parser::flow parser::aggregate_header(line_item l) {
  const length_line len = read_length(l.text, l.kind == '*', true);
  if (len.kind == length_line::bad) return stop(len.why);
  pos_ = l.next;
  if (len.kind == length_line::null) return null_element();
  const type t = l.kind == '*'   ? type::array
                 : l.kind == '%' ? type::map
                 : l.kind == '~' ? type::set
                 : l.kind == '|' ? type::attribute
                                 : type::push;
  const bool streamed = len.kind == length_line::streamed;
  if (!streamed) {
    if (len.n > cfg_.max_aggregate_size) return stop(respool::error::aggregate_too_large);
    if (!could_fit(t, len.n, l.next)) return stop(respool::error::aggregate_cannot_fit);
    if (len.n == 0) return empty_aggregate(t);
  }
  return push_frame(t, len.n, streamed) ? flow::next : flow::failed;
}

// An empty aggregate is complete at once (an empty attribute still fills no slot).
parser::flow parser::empty_aggregate(type t) {
  const bool attribute = t == type::attribute;
  if (attribute) ++attr_depth_;
  const bool ok = emit(t, 0, 0, 0);
  if (attribute) --attr_depth_;
  if (!ok) return flow::failed;
  return element_done(attribute) ? flow::complete : flow::next;
}

// ".": the streamed aggregate in progress is complete.
parser::flow parser::aggregate_end(line_item l) {
  if (depth_ == 0 || !stack_[depth_ - 1].streamed || !l.text.empty() || after_attribute_) {
    return stop(respool::error::unexpected_stream_end);
  }
  pos_ = l.next;
  const frame f = stack_[--depth_];
  const bool attribute = f.kind == type::attribute;
  std::uint64_t size = f.count;
  if (is_map_like(f.kind)) {
    if (size % 2 != 0) return stop(respool::error::odd_streamed_map);
    size /= 2;
  }
  if (size > cfg_.max_aggregate_size) return stop(respool::error::aggregate_too_large);
  (attr_depth_ != 0 ? attr_raw_ : raw_)[f.node].aggregate_size = static_cast<std::uint32_t>(size);
  if (attribute) --attr_depth_;
  return element_done(attribute) ? flow::complete : flow::next;
}

// The item at pos_, which starts with a line: reads the line and hands it to the reader of
// its shape.
RESPOOL_ALWAYS_INLINE parser::flow parser::read_item(const char* base, std::size_t limit) {
  if (pos_ >= limit) {
    needed_ = 1;
    return flow::more;
  }
  const char kind = base[pos_];
  if (!type_bytes[static_cast<unsigned char>(kind)]) {
    return stop(respool::error::invalid_type_byte);
  }
  std::size_t cr = 0;
  switch (line_end(base, limit, cr)) {
    case step::more:
      needed_ = 1;
      return flow::more;
    case step::failed:
      return flow::failed;
    case step::done:
      break;
  }
  const std::size_t content = pos_ + 1;
  const line_item l{kind, content, std::string_view(base + content, cr - content), cr + 2};
  // Inside a streamed string, only its parts may come.
  const bool in_stream = depth_ != 0 && stack_[depth_ - 1].kind == type::streamed_string;
  if (in_stream != (kind == ';')) return stop(respool::error::invalid_stream_part);
  switch (kind) {
    case '+':
      return simple_line(type::simple_string, l);
    case '-':
      return simple_line(type::simple_error, l);
    case '$':
    case '!':
    case '=':
    case ';':
      return blob_header(l);
    case '*':
    case '%':
    case '~':
    case '|':
    case '>':
      return aggregate_header(l);
    case '.':
      return aggregate_end(l);
    default:  // ':', '_', '#', ',', '('; type_bytes has no other
      return checked_line(l);
  }
}

bool parser::parse(std::string_view data, std::error_code& ec) {
  if (error_) return failed(ec);
  if (complete_) {
    complete_ = false;
    start_reply();
  }
  if (ec) ec.clear();  // clear() itself costs a call to system_category()
  const char* const base = data.data();
  // Bytes past max_reply_bytes are never looked at: a reply that needs them is too large.
  const std::size_t limit = std::min(data.size(), cfg_.max_reply_bytes);
  for (;;) {
    const flow f = pending_ ? read_payload(base, limit) : read_item(base, limit);
    if (f == flow::next) [[likely]] {
      continue;
    }
    if (f == flow::complete) {
      finish(base);
      return true;
    }
    if (f == flow::failed) return failed(ec);
    // More bytes are needed: bytes past max_reply_bytes mean that the reply is too large.
    if (data.size() > limit) return fail(respool::error::reply_too_large, ec);
    return false;
  }
}

}  // namespace respool::resp3
