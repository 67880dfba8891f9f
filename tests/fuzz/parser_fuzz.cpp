// libFuzzer target: the input is a stream of replies. It is parsed reply by reply, once with
// the default limits and once with small ones, and every completed reply, error and wait is
// checked against what the parser promises (reply_check.hpp). The two parses must also agree:
// limits may stop a stream early, with a limit error, but never change a reply.

#include "reply_check.hpp"
#include <respool/protocol/resp3/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using respool::fuzz::stream_outcome;

stream_outcome parse_stream(std::string_view input, const respool::resp3::parser_config& cfg) {
  respool::resp3::parser p(cfg);
  stream_outcome out;
  std::size_t offset = 0;
  for (;;) {
    const std::string_view rest = input.substr(offset);
    std::error_code ec;
    if (p.parse(rest, ec)) {
      RESPOOL_FUZZ_CHECK(!ec);
      respool::fuzz::check_reply(p, rest);
      respool::fuzz::check_reply_alone(p, rest);
      out.replies.push_back(respool::fuzz::copy_reply(p));
      offset += p.consumed();
      continue;
    }
    if (ec) {
      out.ec = ec;
      respool::fuzz::check_error(p, rest, ec);
    } else {
      respool::fuzz::check_needs_more(p, rest);
      out.left_over = rest.size();
      out.bytes_needed = p.bytes_needed();
      out.in_progress = p.in_progress();
    }
    return out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const stream_outcome full = parse_stream(input, {});
  const stream_outcome limited = parse_stream(input, respool::fuzz::limited_config());

  // Up to where the small limits stopped it, the stream parsed the same.
  RESPOOL_FUZZ_CHECK(limited.replies.size() <= full.replies.size());
  for (std::size_t i = 0; i < limited.replies.size(); ++i) {
    RESPOOL_FUZZ_CHECK(limited.replies[i] == full.replies[i]);
  }
  // Not stopped by a limit: the same outcome, malformed input found at the same place.
  if (!respool::fuzz::is_limit_error(limited.ec)) RESPOOL_FUZZ_CHECK(limited == full);
  return 0;
}
