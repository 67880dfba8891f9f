#include <respool/protocol/cluster/detail/request_walker.hpp>

namespace respool::cluster::detail {

namespace {

// Arguments and commands longer than this are not something the encoder writes.
constexpr std::size_t max_count = std::size_t{1} << 40;

}  // namespace

void request_walker::skip_empty() noexcept {
  while (seg_ < segs_.size() && off_ == segs_[seg_].size) {
    ++seg_;
    off_ = 0;
  }
}

// Reads "<type><decimal>\r\n", which may be cut across segments.
bool request_walker::read_header(char type, std::size_t& value) {
  if (seg_ == segs_.size() || segs_[seg_].data[off_] != type) return ok_ = false;
  {
    // The common case: the whole line in this segment, read in one pass.
    const segment& s = segs_[seg_];
    const char* p = s.data + off_ + 1;
    const char* const end = s.data + s.size;
    std::size_t v = 0;
    const char* const first = p;
    while (p != end && *p >= '0' && *p <= '9' && p - first < 14)
      v = v * 10 + std::size_t(*p++ - '0');
    const auto digits = p - first;
    if (digits > 0 && digits <= 13 && v <= max_count && end - p >= 2 && p[0] == '\r' &&
        p[1] == '\n') {
      value = v;
      off_ = static_cast<std::size_t>(p + 2 - s.data);
      skip_empty();
      return true;
    }
  }
  ++off_;
  skip_empty();
  value = 0;
  std::size_t digits = 0;
  while (seg_ < segs_.size()) {
    const char c = segs_[seg_].data[off_];
    if (c < '0' || c > '9') break;
    value = value * 10 + static_cast<std::size_t>(c - '0');
    if (++digits > 13 || value > max_count) return ok_ = false;
    ++off_;
    skip_empty();
  }
  return digits != 0 ? skip_crlf() : (ok_ = false);
}

bool request_walker::skip_crlf() {
  if (seg_ < segs_.size() && segs_[seg_].size - off_ >= 2) {
    const char* p = segs_[seg_].data + off_;
    if (p[0] != '\r' || p[1] != '\n') return ok_ = false;
    off_ += 2;
    skip_empty();
    return true;
  }
  for (const char want : {'\r', '\n'}) {
    if (seg_ == segs_.size() || segs_[seg_].data[off_] != want) return ok_ = false;
    ++off_;
    skip_empty();
  }
  return true;
}

bool request_walker::read_payload(std::size_t size, std::string_view& out) {
  if (size == 0) {
    out = {};
    return true;
  }
  if (seg_ == segs_.size() || segs_[seg_].size - off_ < size) return ok_ = false;
  out = {segs_[seg_].data + off_, size};
  off_ += size;
  skip_empty();
  return true;
}

bool request_walker::next(std::vector<std::string_view>& argv, command_bytes& where) {
  argv.clear();
  if (!ok_ || seg_ == segs_.size()) return false;
  where.begin = here();
  std::size_t argc = 0;
  if (!read_header('*', argc) || argc == 0) return ok_ = false;
  for (std::size_t i = 0; i < argc; ++i) {
    std::size_t size = 0;
    std::string_view arg;
    if (!read_header('$', size) || !read_payload(size, arg) || !skip_crlf()) return false;
    argv.push_back(arg);
  }
  where.end = here();
  return true;
}

void slice_segments(std::span<const segment> segments, const command_bytes& range,
                    std::vector<segment>& out) {
  byte_position at = range.begin;
  while (at.segment < segments.size() && !(at == range.end)) {
    const segment& s = segments[at.segment];
    const std::size_t stop = at.segment == range.end.segment ? range.end.offset : s.size;
    if (stop > at.offset) {
      const char* data = s.data + at.offset;
      // Consecutive commands of one scratch run make one segment again.
      if (!out.empty() && out.back().data + out.back().size == data) {
        out.back().size += stop - at.offset;
      } else {
        out.push_back({data, stop - at.offset});
      }
    }
    ++at.segment;
    at.offset = 0;
    if (at.segment > range.end.segment) break;
  }
}

}  // namespace respool::cluster::detail
