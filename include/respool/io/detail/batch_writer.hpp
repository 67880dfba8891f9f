/// @file batch_writer.hpp
/// @brief The write side of a connection, without I/O: the batch being written, as gather
/// lists for writev() or Asio, and how much of it is left.
#pragma once

#include <respool/protocol/segment.hpp>

#include <asio/buffer.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>

namespace respool::detail {

/**
 * One batch of requests on its way out. The caller writes what next_segments() or
 * next_buffers() lists, then reports the bytes written to consume().
 *
 * A batch whose write stalls (the server stopped reading) can be detached: what is left of it
 * is copied, so the requests' own bytes are no longer needed and they may complete early.
 */
class batch_writer {
 public:
  /// Asio gathers at most this many buffers per call (buffer_sequence_adapter).
  static constexpr std::size_t asio_gather_limit = 64;

  /// Starts writing `segs`, which must stay valid until done() or detach().
  void start(std::span<const segment> segs) noexcept;
  /// A batch is being written.
  [[nodiscard]] bool busy() const noexcept { return busy_; }
  /// Every byte of the batch is written; the writer is idle again.
  [[nodiscard]] bool done() const noexcept { return cursor_.done(); }
  /// Ends the batch (written, or abandoned with the connection).
  void finish() noexcept { busy_ = false; }

  /// The next gather list for writev(): up to max_gather_segments segments.
  [[nodiscard]] std::span<const segment> next_segments() noexcept;
  /// The next gather list for Asio: up to asio_gather_limit buffers.
  [[nodiscard]] std::span<const asio::const_buffer> next_buffers() noexcept;
  /// `bytes` more were written. True when the batch is done.
  bool consume(std::size_t bytes) noexcept;

  /// Copies what is left of the batch, once; false when already detached or idle.
  bool detach();

 private:
  segment_cursor cursor_;
  std::string copy_;  // what was left of a detached batch
  segment copy_segment_;
  bool busy_ = false;
  bool detached_ = false;
  std::array<segment, max_gather_segments> iov_{};
  std::array<asio::const_buffer, asio_gather_limit> bufs_{};
};

}  // namespace respool::detail
