#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/request.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace respool {

char* detail::put_header_slow(char* p, char type, std::size_t n) noexcept {
  p[0] = type;
  return put_crlf(std::to_chars(p + 1, p + 21, n).ptr);
}

char* detail::put_number(char* p, arg_kind kind, std::uint64_t bits) noexcept {
  char digits[40];
  char* end = nullptr;
  switch (kind) {
    case arg_kind::signed_:
      end = std::to_chars(digits, digits + sizeof digits, std::bit_cast<std::int64_t>(bits)).ptr;
      break;
    case arg_kind::unsigned_:
      end = std::to_chars(digits, digits + sizeof digits, bits).ptr;
      break;
    default:
      // Shortest form that reads back as the same double; "inf", "-inf" and "nan" as Redis
      // spells them.
      end = std::to_chars(digits, digits + sizeof digits, std::bit_cast<double>(bits)).ptr;
      break;
  }
  return put_bulk(p, digits, static_cast<std::size_t>(end - digits));
}

namespace {

using detail::command_header_max;
using detail::put_crlf;
using detail::put_header;

// True when `p` points into [base, base + size): a segment that lives in the scratch area.
inline bool points_into(const char* p, const char* base, std::size_t size) noexcept {
  return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base) < size;
}

}  // namespace

request::request(const request& other) : threshold_{other.threshold_} { *this = other; }

request::request(request&& other) noexcept { *this = std::move(other); }

request& request::operator=(const request& other) {
  if (this == &other) return *this;
  clear();
  threshold_ = other.threshold_;
  max_attempts_ = other.max_attempts_;
  idempotent_ = other.idempotent_;
  if (seg_cap_ < other.seg_count_) grow_segments(other.seg_count_);
  if (scratch_cap_ < other.pos_) grow_scratch(other.pos_);
  owned_.reserve(other.owned_.size());
  if (other.pos_ != 0) std::memcpy(scratch_.get(), other.scratch_.get(), other.pos_);
  for (std::size_t i = 0; i < other.seg_count_; ++i) {
    segment s = other.segs_[i];
    if (points_into(s.data, other.scratch_.get(), other.pos_)) {
      s.data = scratch_.get() + (s.data - other.scratch_.get());
    }
    segs_[i] = s;
  }
  for (const owned_string& o : other.owned_) {
    owned_.push_back(o);
    segs_[o.segment].data = owned_.back().bytes.data();
  }
  seg_count_ = other.seg_count_;
  pos_ = other.pos_;
  run_start_ = other.run_start_;
  last_is_scratch_ = other.last_is_scratch_;
  referenced_bytes_ = other.referenced_bytes_;
  commands_ = other.commands_;
  push_answered_ = other.push_answered_;
  return *this;
}

request& request::operator=(request&& other) noexcept {
  if (this == &other) return *this;
  // The buffers change owner, not address, so every segment stays valid.
  segs_ = std::move(other.segs_);
  scratch_ = std::move(other.scratch_);
  owned_ = std::move(other.owned_);
  seg_count_ = std::exchange(other.seg_count_, 0);
  seg_cap_ = std::exchange(other.seg_cap_, 0);
  pos_ = std::exchange(other.pos_, 0);
  scratch_cap_ = std::exchange(other.scratch_cap_, 0);
  run_start_ = std::exchange(other.run_start_, 0);
  last_is_scratch_ = std::exchange(other.last_is_scratch_, false);
  referenced_bytes_ = std::exchange(other.referenced_bytes_, 0);
  commands_ = std::exchange(other.commands_, 0);
  push_answered_ = std::exchange(other.push_answered_, 0);
  threshold_ = other.threshold_;
  max_attempts_ = other.max_attempts_;
  idempotent_ = other.idempotent_;
  other.owned_.clear();
  return *this;
}

void request::reserve(std::size_t nargs, std::size_t bytes) {
  const std::size_t segs = 2 * nargs + 1;
  if (seg_cap_ - seg_count_ < segs) grow_segments(seg_count_ + segs);
  const std::size_t scratch = command_header_max + nargs * (1 + 20 + 2 + 2) + bytes;
  if (scratch_cap_ - pos_ < scratch) grow_scratch(pos_ + scratch);
}

void request::grow_segments(std::size_t needed) {
  const std::size_t cap = std::max({needed, 2 * seg_cap_, std::size_t{16}});
  auto fresh = std::make_unique_for_overwrite<segment[]>(cap);
  std::copy_n(segs_.get(), seg_count_, fresh.get());
  segs_ = std::move(fresh);
  seg_cap_ = cap;
}

void request::grow_scratch(std::size_t needed) {
  const std::size_t cap = std::max({needed, 2 * scratch_cap_, std::size_t{256}});
  auto fresh = std::make_unique_for_overwrite<char[]>(cap);
  char* old = scratch_.get();
  if (pos_ != 0) std::memcpy(fresh.get(), old, pos_);
  // Re-point the segments that live in the scratch area. The old area is still allocated
  // here, so no argument the caller keeps alive can lie inside it.
  for (std::size_t i = 0; i < seg_count_; ++i) {
    if (points_into(segs_[i].data, old, pos_)) {
      segs_[i].data = fresh.get() + (segs_[i].data - old);
    }
  }
  scratch_ = std::move(fresh);
  scratch_cap_ = cap;
}

}  // namespace respool

namespace respool::detail {

// The encoder's inner loop. Its functions are defined in the class, hence inline, so the
// compiler can fold them into their callers; the friendship keeps them out of the header.
struct request_access {
  // Room for a command of `nargs` arguments needing `scratch_bytes` of scratch, made once,
  // before anything is written (the _gen_req rule). A command needs at most one scratch
  // segment, plus two (the argument and the scratch run after it) per referenced argument.
  RESPOOL_ALWAYS_INLINE static void make_room(request& r, std::size_t nargs,
                                              std::size_t scratch_bytes) {
    const std::size_t segs = 2 * nargs + 1;
    if (r.seg_cap_ - r.seg_count_ < segs) r.grow_segments(r.seg_count_ + segs);
    const std::size_t bytes = command_header_max + scratch_bytes;
    if (r.scratch_cap_ - r.pos_ < bytes) r.grow_scratch(r.pos_ + bytes);
  }

  // Writes the arguments at the end of the scratch area, filling it by a pointer advanced by
  // hand. The pointer lives in a local: stores through a char pointer could alias the
  // members, and would force pos_ to be reloaded and stored for every byte written.
  RESPOOL_ALWAYS_INLINE static void write_args(request& r, const arg* args, std::size_t n) {
    char* const base = r.scratch_.get();
    char* p = base + r.pos_;
    for (const arg* a = args; a != args + n; ++a) {
      if (r.is_copied(*a)) {
        p = put_copied(p, *a);
      } else {
        r.pos_ = static_cast<std::size_t>(p - base);
        if (a->kind == arg_kind::owned) {
          r.append_owned(*a->str);
        } else {
          r.append_referenced(a->data, a->size);
        }
        p = base + r.pos_;
      }
      assert(static_cast<std::size_t>(p - base) <= r.scratch_cap_);
    }
    r.pos_ = static_cast<std::size_t>(p - base);
  }

  RESPOOL_ALWAYS_INLINE static void write_command_header(request& r, std::size_t nargs) noexcept {
    char* const base = r.scratch_.get();
    r.pos_ = static_cast<std::size_t>(put_header(base + r.pos_, '*', nargs) - base);
  }
};

bool is_push_answered(std::string_view cmd) noexcept {
  char buf[12];
  if (cmd.size() > sizeof buf) return false;
  for (std::size_t i = 0; i < cmd.size(); ++i) buf[i] = detail::ascii::to_lower(cmd[i]);
  std::string_view c(buf, cmd.size());
  if (c.starts_with("un")) {
    c.remove_prefix(2);
  } else if (c.size() > 2 && (c[0] == 'p' || c[0] == 's') && c.substr(1, 2) == "un") {
    // punsubscribe, sunsubscribe
    return c.substr(3) == "subscribe";
  }
  if (c.size() == 10 && (c[0] == 'p' || c[0] == 's')) c.remove_prefix(1);
  return c == "subscribe";
}

}  // namespace respool::detail

namespace respool {

using detail::request_access;

void request::push_args(const detail::arg* args, std::size_t n, std::size_t scratch_bytes) {
  request_access::make_room(*this, n, scratch_bytes);
  request_access::write_command_header(*this, n);
  request_access::write_args(*this, args, n);
  close_run();
  ++commands_;
}

void request::begin_command(std::size_t nargs, std::size_t scratch_bytes) {
  request_access::make_room(*this, nargs, scratch_bytes);
  request_access::write_command_header(*this, nargs);
}

void request::append_args(const detail::arg* args, std::size_t n) {
  request_access::write_args(*this, args, n);
}

void request::append_arg_checked(const detail::arg& a) {
  const std::size_t need = scratch_need(a);
  if (scratch_cap_ - pos_ < need) grow_scratch(pos_ + need);
  if (seg_cap_ - seg_count_ < 2) grow_segments(seg_count_ + 2);
  request_access::write_args(*this, &a, 1);
}

void request::end_command() noexcept {
  close_run();
  ++commands_;
}

void request::append_encoded(std::span<const segment> bytes, std::size_t commands,
                             std::size_t push_answered) {
  close_run();
  if (seg_cap_ - seg_count_ < bytes.size()) grow_segments(seg_count_ + bytes.size());
  for (const segment& s : bytes) {
    if (s.size == 0) continue;
    segs_[seg_count_++] = s;
    referenced_bytes_ += s.size;
  }
  last_is_scratch_ = false;
  commands_ += commands;
  push_answered_ += push_answered;
}

void request::append_referenced(const char* data, std::size_t size) noexcept {
  assert(seg_count_ + 2 <= seg_cap_);
  pos_ = static_cast<std::size_t>(put_header(scratch_.get() + pos_, '$', size) - scratch_.get());
  close_run();
  segs_[seg_count_++] = {data, size};
  last_is_scratch_ = false;
  referenced_bytes_ += size;
  // The argument's CRLF opens the next scratch run, which the next header joins.
  put_crlf(scratch_.get() + pos_);
  pos_ += 2;
}

void request::append_owned(std::string& s) {
  if (owned_.size() == owned_.capacity()) {
    owned_.reserve(std::max<std::size_t>(8, 2 * owned_.capacity()));
    // Moving a string may move its bytes (small-string storage): re-point every segment.
    for (const owned_string& o : owned_) segs_[o.segment].data = o.bytes.data();
  }
  const std::size_t size = s.size();
  pos_ = static_cast<std::size_t>(put_header(scratch_.get() + pos_, '$', size) - scratch_.get());
  close_run();
  owned_.push_back({std::move(s), seg_count_});
  segs_[seg_count_++] = {owned_.back().bytes.data(), size};
  last_is_scratch_ = false;
  referenced_bytes_ += size;
  put_crlf(scratch_.get() + pos_);
  pos_ += 2;
}

void request::range_changed(const state& before) {
  seg_count_ = before.seg_count;
  pos_ = before.pos;
  run_start_ = before.run_start;
  last_is_scratch_ = before.last_is_scratch;
  referenced_bytes_ = before.referenced_bytes;
  owned_.resize(before.owned);
  throw std::invalid_argument(
      "respool::request::push_range: the range yielded fewer elements on its second traversal "
      "than on its first");
}

void request::copy_to(char* out) const noexcept {
  for (std::size_t i = 0; i < seg_count_; ++i) {
    std::memcpy(out, segs_[i].data, segs_[i].size);
    out += segs_[i].size;
  }
}

std::size_t request::flatten_into(std::span<char> out, std::error_code& ec) const noexcept {
  const std::size_t n = size_bytes();
  if (out.size() < n) {
    ec = error::not_enough_space;
    return 0;
  }
  ec.clear();
  copy_to(out.data());
  return n;
}

namespace {

// Reads the unsigned decimal that ends at the next CRLF, advancing `p` past the CRLF.
std::size_t read_length(const char*& p) {
  std::size_t n = 0;
  const auto result = std::from_chars(p, p + 21, n);
  p = result.ptr + 2;
  return n;
}

void append_quoted(fmt::memory_buffer& out, std::string_view arg) {
  static constexpr std::string_view controls = "\n\r\t\a\b", letters = "nrtab";
  out.push_back('"');
  for (const char c : arg) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (const auto i = controls.find(c); i != std::string_view::npos) {
      out.push_back('\\');
      out.push_back(letters[i]);
    } else if (std::isprint(static_cast<unsigned char>(c)) != 0) {
      out.push_back(c);
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  out.push_back('"');
}

}  // namespace

std::string to_string(const request& req) {
  std::string wire;
  req.flatten_into(wire);
  fmt::memory_buffer out;
  // The bytes are the encoder's own, so their shape is known: *N CRLF, then N times
  // $len CRLF bytes CRLF.
  const char* p = wire.data();
  const char* const end = p + wire.size();
  while (p < end) {
    ++p;  // '*'
    const std::size_t nargs = read_length(p);
    for (std::size_t i = 0; i < nargs; ++i) {
      ++p;  // '$'
      const std::size_t len = read_length(p);
      if (i != 0) out.push_back(' ');
      append_quoted(out, {p, len});
      p += len + 2;
    }
    out.push_back('\n');
  }
  return fmt::to_string(out);
}

}  // namespace respool
