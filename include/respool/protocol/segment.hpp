/// @file
/// @brief Gather segments and a cursor that hands them to a writer in bounded batches.
#pragma once

#include <cstddef>
#include <span>

#if __has_include(<sys/uio.h>)
#  include <sys/uio.h>
#  define RESPOOL_HAS_IOVEC 1
#endif

namespace respool {

/// One contiguous run of bytes of an encoded request.
///
/// It has the layout of POSIX `iovec` (pointer, then length), so an array of segments can be
/// given to `writev`/`sendmsg` without being converted; see as_iovec().
struct segment {
  const char* data = nullptr;
  std::size_t size = 0;

  friend bool operator==(const segment&, const segment&) = default;
};

/// The most segments one `writev` accepts on Linux (`IOV_MAX`). Asio's own gather writes take
/// at most 64 buffers per system call; a writer that calls `writev` itself can take this many.
inline constexpr std::size_t max_gather_segments = 1024;

#ifdef RESPOOL_HAS_IOVEC
static_assert(sizeof(segment) == sizeof(::iovec));
static_assert(offsetof(segment, data) == offsetof(::iovec, iov_base));
static_assert(offsetof(segment, size) == offsetof(::iovec, iov_len));

/// Views segments as the `iovec` array `writev` takes. The kernel only reads through it.
[[nodiscard]] inline const ::iovec* as_iovec(const segment* segments) noexcept {
  return reinterpret_cast<const ::iovec*>(segments);
}
#endif

/**
 * Walks a segment sequence for a writer that may write fewer bytes than it was offered.
 *
 * A gather write takes at most `max_gather_segments` segments and may be partial. The writer
 * copies the next batch into an array of its own with fill() (the first segment shortened by
 * what was already written), writes it, and reports the bytes written with consume(). The
 * source segments are never modified.
 *
 * **Example**:
 *
 * @code
 *     respool::segment_cursor cur(req.segments());
 *     std::array<respool::segment, respool::max_gather_segments> iov;
 *     while (!cur.done()) {
 *       auto n = cur.fill(iov);
 *       auto written = ::writev(fd, respool::as_iovec(iov.data()), int(n));
 *       if (written < 0) return false;  // EINTR, EAGAIN: retry later; other errors: give up
 *       cur.consume(std::size_t(written));
 *     }
 * @endcode
 */
class segment_cursor {
 public:
  segment_cursor() = default;
  explicit segment_cursor(std::span<const segment> segments) noexcept
      : it_{segments.data()}, end_{segments.data() + segments.size()} {
    skip_empty();
  }

  /// True when every byte has been consumed.
  [[nodiscard]] bool done() const noexcept { return it_ == end_; }

  /// Copies the next `out.size()` segments at most (the first one starting at the first
  /// unwritten byte) into `out`. Returns how many were copied: 0 only when done() or when
  /// `out` is empty.
  std::size_t fill(std::span<segment> out) const noexcept {
    std::size_t n = 0;
    const segment* src = it_;
    if (src != end_ && !out.empty()) {
      out[0] = {src->data + offset_, src->size - offset_};
      n = 1;
      ++src;
    }
    for (; src != end_ && n < out.size(); ++src) {
      if (src->size != 0) out[n++] = *src;
    }
    return n;
  }

  /// Marks `bytes` more bytes as written; they must not exceed the bytes not yet consumed.
  void consume(std::size_t bytes) noexcept {
    while (bytes != 0 && it_ != end_) {
      const std::size_t left = it_->size - offset_;
      if (bytes < left) {
        offset_ += bytes;
        return;
      }
      bytes -= left;
      ++it_;
      offset_ = 0;
      skip_empty();
    }
  }

 private:
  void skip_empty() noexcept {
    while (it_ != end_ && it_->size == 0) ++it_;
  }

  const segment* it_ = nullptr;
  const segment* end_ = nullptr;
  std::size_t offset_ = 0;  // bytes of *it_ already consumed
};

}  // namespace respool
