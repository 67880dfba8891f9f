#include <respool/io/detail/batch_writer.hpp>

namespace respool::detail {

void batch_writer::start(std::span<const segment> segs) noexcept {
  busy_ = true;
  detached_ = false;
  cursor_ = segment_cursor(segs);
}

std::span<const segment> batch_writer::next_segments() noexcept {
  return {iov_.data(), cursor_.fill(iov_)};
}

std::span<const asio::const_buffer> batch_writer::next_buffers() noexcept {
  const std::size_t n = cursor_.fill(std::span<segment>(iov_.data(), asio_gather_limit));
  for (std::size_t i = 0; i < n; ++i) bufs_[i] = asio::const_buffer(iov_[i].data, iov_[i].size);
  return {bufs_.data(), n};
}

bool batch_writer::consume(std::size_t bytes) noexcept {
  cursor_.consume(bytes);
  return cursor_.done();
}

bool batch_writer::detach() {
  if (!busy_ || detached_) return false;
  detached_ = true;
  copy_.clear();
  std::size_t left = 0;
  for (segment_cursor probe = cursor_; !probe.done();) {
    const std::size_t n = probe.fill(iov_);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) bytes += iov_[i].size;
    probe.consume(bytes);
    left += bytes;
  }
  copy_.reserve(left);
  while (!cursor_.done()) {
    const std::size_t n = cursor_.fill(iov_);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
      copy_.append(iov_[i].data, iov_[i].size);
      bytes += iov_[i].size;
    }
    cursor_.consume(bytes);
  }
  copy_segment_ = {copy_.data(), copy_.size()};
  cursor_ = segment_cursor(std::span<const segment>(&copy_segment_, 1));
  return true;
}

}  // namespace respool::detail
