// The latency histogram against exact answers: sorted samples give the true percentile, and the
// histogram must report it to within its stated relative error, never below it.
#include "histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace rb = respool::benchmark;

namespace {

// The nearest-rank percentile of sorted samples: the value at rank max(1, ⌈p/100 · n⌉).
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n - 1e-9 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// Latencies spread evenly on a log scale from 1 µs to 10 s, in nanoseconds.
std::vector<std::uint64_t> log_uniform_samples(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> exponent(3.0, 10.0);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = static_cast<std::uint64_t>(std::pow(10.0, exponent(gen)));
  return v;
}

const double percentiles[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};

}  // namespace

TEST(benchmark_histogram_test, stated_error_follows_the_significant_digits) {
  EXPECT_DOUBLE_EQ(rb::histogram(1).relative_error(), 1.0 / 16);    // 32 sub-buckets
  EXPECT_DOUBLE_EQ(rb::histogram(2).relative_error(), 1.0 / 128);   // 256
  EXPECT_DOUBLE_EQ(rb::histogram(3).relative_error(), 1.0 / 1024);  // 2048
  EXPECT_DOUBLE_EQ(rb::histogram(4).relative_error(), 1.0 / 16384);
  for (int d = 1; d <= 4; ++d) {
    EXPECT_LE(rb::histogram(d).relative_error(), std::pow(10.0, -d)) << d;
  }
}

TEST(benchmark_histogram_test, percentiles_within_the_stated_error_of_sorted_samples) {
  for (int digits = 1; digits <= 4; ++digits) {
    rb::histogram h(digits);
    std::vector<std::uint64_t> samples = log_uniform_samples(200000, 42 + digits);
    for (std::uint64_t v : samples) h.record(v);
    std::sort(samples.begin(), samples.end());
    const double err = h.relative_error();
    for (double p : percentiles) {
      const std::uint64_t want = exact_percentile(samples, p);
      const std::uint64_t got = h.value_at_percentile(p);
      EXPECT_GE(got, want) << "digits " << digits << ", p" << p;
      EXPECT_LE(static_cast<double>(got - want), err * static_cast<double>(want))
          << "digits " << digits << ", p" << p << ": " << got << " for " << want;
    }
    EXPECT_EQ(h.count(), samples.size());
    EXPECT_EQ(h.min(), samples.front());
    EXPECT_EQ(h.max(), samples.back());
    long double sum = 0;
    for (std::uint64_t v : samples) sum += static_cast<long double>(v);
    EXPECT_NEAR(h.mean(), static_cast<double>(sum / samples.size()), 1e-6 * h.mean());
  }
}

TEST(benchmark_histogram_test, small_values_are_exact) {
  // Below 2048 (3 digits) every value has a bucket of its own.
  rb::histogram h(3);
  std::vector<std::uint64_t> samples;
  std::mt19937_64 gen(7);
  std::uniform_int_distribution<std::uint64_t> value(0, 2047);
  for (int i = 0; i < 10000; ++i) samples.push_back(value(gen));
  for (std::uint64_t v : samples) h.record(v);
  std::sort(samples.begin(), samples.end());
  for (double p : percentiles) EXPECT_EQ(h.value_at_percentile(p), exact_percentile(samples, p));
}

TEST(benchmark_histogram_test, counted_records_weigh_as_repeated_ones) {
  rb::histogram once(3), repeated(3);
  once.record(1000, 16);
  once.record(250'000, 3);
  for (int i = 0; i < 16; ++i) repeated.record(1000);
  for (int i = 0; i < 3; ++i) repeated.record(250'000);
  EXPECT_EQ(once.count(), 19u);
  EXPECT_EQ(once.sum(), repeated.sum());
  for (double p : percentiles)
    EXPECT_EQ(once.value_at_percentile(p), repeated.value_at_percentile(p));
  EXPECT_EQ(once.value_at_percentile(84), 1000u);  // rank 16 of 19 (15.96 rounds up)
  EXPECT_EQ(once.value_at_percentile(85), repeated.value_at_percentile(100));
}

TEST(benchmark_histogram_test, buckets_tile_the_range) {
  const rb::histogram h(2, std::uint64_t{1} << 30);
  for (std::size_t i = 0; i < h.bucket_count(); ++i) {
    ASSERT_EQ(h.index_of(h.lowest(i)), i);
    ASSERT_EQ(h.index_of(h.highest(i)), i);
    if (i + 1 < h.bucket_count()) {
      ASSERT_EQ(h.highest(i) + 1, h.lowest(i + 1)) << i;
    }
    const double width = static_cast<double>(h.highest(i) - h.lowest(i) + 1);
    if (h.lowest(i) > 0) {
      ASSERT_LE(width - 1, h.relative_error() * static_cast<double>(h.lowest(i))) << i;
    }
  }
  EXPECT_GE(h.highest(h.bucket_count() - 1) + 1, std::uint64_t{1} << 30);
}

TEST(benchmark_histogram_test, merge_equals_recording_everything_in_one) {
  std::vector<std::uint64_t> samples = log_uniform_samples(50000, 3);
  rb::histogram all(3), a(3), b(3);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    all.record(samples[i]);
    (i % 3 == 0 ? a : b).record(samples[i]);
  }
  ASSERT_TRUE(a.merge(b));
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (std::size_t i = 0; i < all.bucket_count(); ++i) ASSERT_EQ(a.bucket(i), all.bucket(i));
  for (double p : percentiles) EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p));

  rb::histogram other_precision(2);
  other_precision.record(5);
  EXPECT_FALSE(a.merge(other_precision));
  EXPECT_EQ(a.count(), all.count());
}

TEST(benchmark_histogram_test, reset_and_empty) {
  rb::histogram h(3);
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  h.record(123456);
  h.record(7);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_EQ(h.max(), 123456u);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_percentile(100), 0u);
  h.record(42);
  EXPECT_EQ(h.min(), 42u);
  EXPECT_EQ(h.value_at_percentile(0), 42u);
}

TEST(benchmark_histogram_test, values_beyond_the_range_keep_exact_extremes) {
  rb::histogram h(3, std::uint64_t{1} << 20);
  h.record(10);
  h.record(std::uint64_t{1} << 40);
  EXPECT_EQ(h.max(), std::uint64_t{1} << 40);
  EXPECT_EQ(h.index_of(std::uint64_t{1} << 40), h.bucket_count() - 1);
  EXPECT_EQ(h.value_at_percentile(50), 10u);
  EXPECT_EQ(h.count(), 2u);
}
