// What the fuzz targets check about the reply parser: every promise parser.hpp, node.hpp and
// error.hpp make about a completed reply, a protocol error and a reply still in progress. A
// broken promise stops the process with a trap, after a line on stderr saying which, so that
// libFuzzer keeps the input that broke it.
#pragma once

#include <respool/protocol/resp3/node.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#define RESPOOL_FUZZ_CHECK(condition) \
  ((condition) ? void() : ::respool::fuzz::check_failed(#condition, __FILE__, __LINE__))

namespace respool::fuzz {

[[noreturn]] void check_failed(const char* condition, const char* file, int line) noexcept;

/// Small limits, so that short inputs reach each of them, and reach them exactly.
[[nodiscard]] resp3::parser_config limited_config() noexcept;

/// True for the errors a parser_config limit causes, as opposed to malformed input.
[[nodiscard]] bool is_limit_error(std::error_code ec) noexcept;

/// After parse(data) returned true: the reply and its attributes are well-formed trees whose
/// values have their type's syntax, lie inside the reply's bytes and respect the limits.
void check_reply(const resp3::parser& p, std::string_view data);

/// After parse(data) returned true: the same bytes, alone in an allocation of their own, parse
/// into the same reply, and every shorter prefix of them is a reply in progress, not an error.
void check_reply_alone(const resp3::parser& p, std::string_view data);

/// After parse(data) failed with `ec`: a protocol error of the parser's own, which stays until
/// reset(), whatever is parsed next. Resets `p` and checks that it parses again.
void check_error(resp3::parser& p, std::string_view data, std::error_code ec);

/// After parse(data) returned false with no error: the parser waits for more bytes.
void check_needs_more(const resp3::parser& p, std::string_view data);

/// A node with a copy of its value, to compare replies parsed from different buffers.
struct owned_node {
  resp3::type data_type;
  std::uint16_t depth;
  std::uint32_t aggregate_size;
  std::string value;

  friend bool operator==(const owned_node&, const owned_node&) = default;
};

/// A completed reply, copied out of the parser.
struct owned_reply {
  std::vector<owned_node> nodes;
  std::vector<owned_node> attributes;
  std::size_t consumed = 0;

  friend bool operator==(const owned_reply&, const owned_reply&) = default;
};

[[nodiscard]] owned_reply copy_reply(const resp3::parser& p);

/// What a stream of bytes parses into: its replies, then the error that stopped it, or else
/// what the parser says about the bytes left over.
struct stream_outcome {
  std::vector<owned_reply> replies;
  std::error_code ec;
  std::size_t left_over = 0;  // bytes of a reply still in progress (none after an error)
  std::size_t bytes_needed = 0;
  bool in_progress = false;

  friend bool operator==(const stream_outcome&, const stream_outcome&) = default;
};

}  // namespace respool::fuzz
