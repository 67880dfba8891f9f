/// @file
/// @brief A read buffer and a parser together: bytes in from any transport, replies out.
#pragma once

#include <respool/protocol/pool.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <cstddef>
#include <span>
#include <system_error>

namespace respool::resp3 {

struct reader_config {
  /// The parser's limits.
  parser_config parser;
  /// Capacity of the ordinary read buffer (a buffer_pool size class when a pool is given).
  std::size_t buffer_size = 16384;
  /// prepare() offers at least this much space.
  std::size_t min_read = 4096;
};

/// reader's counters, for tests and benchmarks.
struct reader_stats {
  std::size_t bytes_moved = 0;  ///< bytes copied by compaction, or to a larger buffer
  std::size_t remaps = 0;       ///< times mapped memory grew without copying
  std::size_t maps = 0;         ///< times a reply moved into mapped memory
};

/**
 * Owns the bytes a connection reads and parses replies out of them, in place.
 *
 * A transport reads into prepare() and reports what it read with commit(); next() then yields
 * each reply that has arrived whole. Replies live in the read buffer: their views stay valid
 * until the next call to next(), prepare() or consume().
 *
 * The buffer grows with what has arrived, never with what a reply announces. A reply that does
 * not fit the ordinary buffer moves, once, into memory mapped for it, which then grows by
 * remapping pages rather than copying bytes (on Linux; elsewhere it grows by copying). So a
 * bulk string larger than the buffer is copied at most once, and a server that announces a
 * 512 MiB bulk and sends nothing costs nothing. The mapping is released once the reply has
 * been consumed.
 *
 * Not thread-safe; one per connection.
 */
class reader {
 public:
  /// `pool`, when given, provides the ordinary buffer and must outlive the reader.
  explicit reader(const reader_config& cfg = {}, buffer_pool* pool = nullptr);
  ~reader();
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  /// Space for the next read: at least min_read bytes.
  [[nodiscard]] std::span<char> prepare();

  /// Records that `n` bytes were written at the start of the space prepare() returned.
  void commit(std::size_t n) noexcept;

  /// Parses the next reply out of the bytes committed. True when one has arrived whole:
  /// reply() and attributes() are it. False when more bytes are needed, or on an error (`ec`),
  /// which is sticky: the stream cannot be read further, reset() starts afresh.
  bool next(std::error_code& ec);

  /// The reply next() returned. @warning Valid until next(), prepare() or consume().
  [[nodiscard]] reply_view reply() const noexcept { return parser_.reply(); }
  [[nodiscard]] std::span<const node> attributes() const noexcept { return parser_.attributes(); }

  /// Releases the bytes of the reply next() returned (next() and prepare() do it too).
  void consume() noexcept;

  /// Bytes committed and not yet consumed.
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  /// Capacity of the buffer in use now.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// Drops every byte and the parser's state (after an error, or a new connection).
  void reset() noexcept;

  [[nodiscard]] const reader_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const parser& reply_parser() const noexcept { return parser_; }

 private:
  void use_ordinary() noexcept;
  void move_to_mapped(std::size_t capacity);
  void grow_mapped(std::size_t capacity);
  void release_mapped() noexcept;

  reader_config cfg_;
  parser parser_;
  buffer_pool::lease ordinary_;
  char* mapped_ = nullptr;  // the mapping, when the reply in progress outgrew the ordinary buffer
  char* data_ = nullptr;    // the buffer in use: ordinary or mapped
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;            // first byte not consumed
  std::size_t end_ = 0;              // one past the last byte committed
  std::size_t pending_consume_ = 0;  // bytes of the reply last returned
  reader_stats stats_;
};

}  // namespace respool::resp3
