// A latency histogram with fixed buckets: recording is an index computation and an increment,
// never an allocation, so it can sit on the hot path of every request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace respool::benchmark {

/**
 * Log-linear buckets in the manner of HdrHistogram. Values below `2 * half` (half a power of
 * two chosen from the significant digits) each have their own bucket; above, every power of
 * two is cut into `half` equal buckets. A bucket's width is therefore at most 1/half of the
 * smallest value it holds: relative_error() bounds how far a reported value lies above the
 * recorded one.
 *
 * Values are unsigned integers in whatever unit the caller picks (the benchmark records
 * nanoseconds). Values above max_trackable() land in the last bucket; min(), max(), mean()
 * and count() are exact whatever the value.
 *
 * All memory is allocated by the constructor. Two histograms with the same parameters merge.
 */
class histogram {
 public:
  /// `significant_digits` in [1, 4] (clamped): 3 keeps every value within 0.1 %.
  /// `max_trackable` is rounded up to a power of two.
  explicit histogram(int significant_digits = 3,
                     std::uint64_t max_trackable = std::uint64_t{1} << 36);

  void record(std::uint64_t value, std::uint64_t count = 1) noexcept {
    counts_[index_of(value)] += count;
    total_ += count;
    sum_ += value * count;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  /// Adds the counts of `other`, which must have been built with the same parameters (returns
  /// false and changes nothing otherwise).
  bool merge(const histogram& other) noexcept;
  /// Forgets every value, keeping the buckets.
  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] double mean() const noexcept;
  /// Sum of every recorded value (times its count).
  [[nodiscard]] std::uint64_t sum() const noexcept { return sum_; }

  /// The value at percentile `p` (0–100) by nearest rank: with the values sorted, the one at
  /// rank max(1, ⌈p/100 · count⌉), reported as the highest value of its bucket (so at least
  /// that value, and at most relative_error() above it). 0 when empty.
  [[nodiscard]] std::uint64_t value_at_percentile(double p) const noexcept;

  /// Upper bound of (reported − recorded) / recorded for every value.
  [[nodiscard]] double relative_error() const noexcept { return 1.0 / static_cast<double>(half_); }
  [[nodiscard]] int significant_digits() const noexcept { return digits_; }
  [[nodiscard]] std::uint64_t max_trackable() const noexcept { return max_trackable_; }

  // The buckets, for reports: bucket i holds the values lowest(i)..highest(i).
  [[nodiscard]] std::size_t bucket_count() const noexcept { return counts_.size(); }
  [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept { return counts_[i]; }
  [[nodiscard]] std::uint64_t lowest(std::size_t i) const noexcept;
  [[nodiscard]] std::uint64_t highest(std::size_t i) const noexcept;
  /// Index of the bucket that holds `value` (the last one for values above max_trackable()).
  [[nodiscard]] std::size_t index_of(std::uint64_t value) const noexcept {
    if (value < sub_count_) return static_cast<std::size_t>(value);
    // The position of the highest set bit tells the power of two; the bits below it, shifted
    // down to `bits_` of them, the linear step inside it.
    const int top = 63 - __builtin_clzll(value);
    const int shift = top - (bits_ - 1);
    std::size_t i =
        static_cast<std::size_t>(shift) * half_ + static_cast<std::size_t>(value >> shift);
    return i < counts_.size() ? i : counts_.size() - 1;
  }

 private:
  int digits_;
  int bits_;                 // log2 of the sub-bucket count
  std::uint64_t sub_count_;  // 2^bits_: values below it are exact
  std::uint64_t half_;       // buckets per power of two above sub_count_
  std::uint64_t max_trackable_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace respool::benchmark
