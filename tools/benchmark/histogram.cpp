#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace respool::benchmark {

histogram::histogram(int significant_digits, std::uint64_t max_trackable)
    : digits_{std::clamp(significant_digits, 1, 4)} {
  // The smallest power of two of at least 2·10^digits sub-buckets: half of them cut each
  // power of two, so a bucket is at most 1/10^digits of its values wide.
  std::uint64_t want = 2;
  for (int i = 0; i < digits_; ++i) want *= 10;
  bits_ = 1;
  while ((std::uint64_t{1} << bits_) < want) ++bits_;
  sub_count_ = std::uint64_t{1} << bits_;
  half_ = sub_count_ / 2;

  int top = 1;
  while (top < 63 && (std::uint64_t{1} << top) < max_trackable) ++top;
  max_trackable_ = std::uint64_t{1} << top;
  // Values below 2^top: the linear part, then (top − bits_) halves of sub-buckets.
  const std::size_t n =
      top <= bits_ ? sub_count_ : static_cast<std::size_t>(top - bits_ + 2) * half_;
  counts_.assign(n, 0);
}

bool histogram::merge(const histogram& other) noexcept {
  if (other.counts_.size() != counts_.size() || other.bits_ != bits_) return false;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  return true;
}

void histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

double histogram::mean() const noexcept {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_);
}

std::uint64_t histogram::lowest(std::size_t i) const noexcept {
  if (i < sub_count_) return i;
  const std::size_t shift = i / half_ - 1;
  const std::uint64_t sub = i - shift * half_;
  return sub << shift;
}

std::uint64_t histogram::highest(std::size_t i) const noexcept {
  if (i < sub_count_) return i;
  const std::size_t shift = i / half_ - 1;
  return lowest(i) + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t histogram::value_at_percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank. The small allowance keeps p/100·n that is an integer in exact arithmetic
  // (50 % of 1000) from rounding up to the next rank.
  const double exact = p / 100.0 * static_cast<double>(total_);
  auto rank = static_cast<std::uint64_t>(std::ceil(exact - 1e-9 * std::max(1.0, exact)));
  rank = std::clamp<std::uint64_t>(rank, 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest(i), max_);
  }
  return max_;
}

}  // namespace respool::benchmark
