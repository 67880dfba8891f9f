/// @file
/// @brief Reads an encoded request back, command by command: where each command's bytes lie
/// in the request's segments, and views of its arguments. What a cluster needs to route a
/// pipeline command by command and to forward each command's bytes, uncopied, to its node.
#pragma once

#include <respool/protocol/segment.hpp>

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace respool::cluster::detail {

/// A position in a segment sequence: the segment, and the offset in it.
struct byte_position {
  std::size_t segment = 0;
  std::size_t offset = 0;
  friend bool operator==(const byte_position&, const byte_position&) = default;
};

/// Where one command's bytes are: from `begin` up to, not including, `end`.
struct command_bytes {
  byte_position begin;
  byte_position end;
};

/**
 * Walks the commands of a request's segments (as request::segments() gives them). Each
 * argument's payload must be contiguous in one segment, as the encoder writes it (a header
 * may be split anywhere). Not meant for untrusted bytes, but never reads past the segments:
 * bytes that are not a well-formed command make next() return false with ok() false.
 */
class request_walker {
 public:
  explicit request_walker(std::span<const segment> segments) noexcept : segs_{segments} {
    skip_empty();
  }

  /// Reads the next command into `argv` (cleared first; argv[0] is the command name) and
  /// `where`. Returns false at the end of the segments, or when the bytes are malformed.
  bool next(std::vector<std::string_view>& argv, command_bytes& where);

  /// False once malformed bytes were found.
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  void skip_empty() noexcept;
  bool read_header(char type, std::size_t& value);
  bool read_payload(std::size_t size, std::string_view& out);
  bool skip_crlf();
  [[nodiscard]] byte_position here() const noexcept { return {seg_, off_}; }

  std::span<const segment> segs_;
  std::size_t seg_ = 0;
  std::size_t off_ = 0;
  bool ok_ = true;
};

/// Appends to `out` the segments holding the bytes from `range.begin` to `range.end` of
/// `segments`, cut to size (no bytes are copied); a slice that continues the last segment of
/// `out` in memory extends it.
void slice_segments(std::span<const segment> segments, const command_bytes& range,
                    std::vector<segment>& out);

}  // namespace respool::cluster::detail
