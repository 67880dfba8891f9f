// libFuzzer target: any split of a stream parses into what the whole stream does.
//
// The first byte of the input says how to feed the rest: bits 0-4 the number of cuts, bit 6
// whether every wait is asked twice, bit 7 whether the parser has the small limits. Then come
// two bytes (little-endian) per cut: its offset in the rest, modulo one more than the rest's
// length. The rest is the stream. It is fed in pieces the way a reader does: bytes accumulate in a
// buffer, completed replies are erased from its front, and after each piece the buffer is copied to
// a new allocation of exactly its size, so that a reply in progress moves between calls and a read
// past its bytes is an overflow. Then the stream is parsed again in one piece, and the replies,
// attributes and how the stream ended must be the same.

#include "reply_check.hpp"
#include <respool/protocol/resp3/parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using respool::fuzz::stream_outcome;

struct feeding {
  std::vector<std::size_t> cuts;  // ascending, the last one the stream's end
  bool ask_twice = false;
  respool::resp3::parser_config cfg;
};

stream_outcome feed(std::string_view stream, const feeding& how) {
  respool::resp3::parser p(how.cfg);
  stream_outcome out;
  std::string buffer;
  std::size_t from = 0;
  std::size_t needed = 0;  // what the last wait asked for
  for (const std::size_t cut : how.cuts) {
    const std::size_t added = cut - from;
    buffer.append(stream.substr(from, added));
    from = cut;
    const std::unique_ptr<char[]> moved(new char[buffer.size()]);
    std::memcpy(moved.get(), buffer.data(), buffer.size());
    const std::string_view view(moved.get(), buffer.size());

    std::size_t offset = 0;
    for (;;) {
      const std::string_view rest = view.substr(offset);
      std::error_code ec;
      const bool complete = p.parse(rest, ec);
      // bytes_needed() is a lower bound: fewer bytes cannot complete the reply.
      if (added < needed) RESPOOL_FUZZ_CHECK(!complete);
      needed = 0;
      if (complete) {
        respool::fuzz::check_reply(p, rest);
        out.replies.push_back(respool::fuzz::copy_reply(p));
        offset += p.consumed();
        continue;
      }
      if (ec) {
        out.ec = ec;
        respool::fuzz::check_error(p, rest, ec);
        return out;
      }
      respool::fuzz::check_needs_more(p, rest);
      needed = p.bytes_needed();
      if (how.ask_twice) {
        // Asking again, from yet another place, changes nothing.
        const std::string again_buffer(rest);
        const bool in_progress = p.in_progress();
        RESPOOL_FUZZ_CHECK(!p.parse(again_buffer, ec) && !ec);
        RESPOOL_FUZZ_CHECK(p.bytes_needed() == needed && p.in_progress() == in_progress);
      }
      break;
    }
    buffer.erase(0, offset);
  }
  out.left_over = buffer.size();
  out.bytes_needed = p.bytes_needed();
  out.in_progress = p.in_progress();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::size_t cuts = std::min<std::size_t>(control & 0x1f, (size - 1) / 2);
  const std::size_t header = 1 + 2 * cuts;
  const std::string_view stream(reinterpret_cast<const char*>(data) + header, size - header);

  feeding split;
  split.ask_twice = (control & 0x40) != 0;
  if ((control & 0x80) != 0) split.cfg = respool::fuzz::limited_config();
  for (std::size_t i = 0; i < cuts; ++i) {
    const std::size_t raw = data[1 + 2 * i] | (std::size_t{data[2 + 2 * i]} << 8);
    split.cuts.push_back(raw % (stream.size() + 1));
  }
  std::sort(split.cuts.begin(), split.cuts.end());
  split.cuts.push_back(stream.size());

  feeding whole;
  whole.cuts = {stream.size()};
  whole.cfg = split.cfg;

  const stream_outcome pieces = feed(stream, split);
  const stream_outcome one = feed(stream, whole);
  // Reply by reply first, so that the check that fails says where.
  for (std::size_t i = 0; i < std::min(pieces.replies.size(), one.replies.size()); ++i) {
    RESPOOL_FUZZ_CHECK(pieces.replies[i].nodes == one.replies[i].nodes);
    RESPOOL_FUZZ_CHECK(pieces.replies[i].attributes == one.replies[i].attributes);
    RESPOOL_FUZZ_CHECK(pieces.replies[i].consumed == one.replies[i].consumed);
  }
  RESPOOL_FUZZ_CHECK(pieces.replies.size() == one.replies.size());
  RESPOOL_FUZZ_CHECK(pieces.ec == one.ec);
  RESPOOL_FUZZ_CHECK(pieces == one);
  return 0;
}
