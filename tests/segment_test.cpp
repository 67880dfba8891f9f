#include <respool/protocol/segment.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {

using respool::segment;
using respool::segment_cursor;

std::string concat(std::span<const segment> segs) {
  std::string out;
  for (const segment& s : segs) out.append(s.data, s.size);
  return out;
}

TEST(segment_test, empty_cursor_is_done) {
  segment_cursor cur;
  EXPECT_TRUE(cur.done());
  std::vector<segment> out(4);
  EXPECT_EQ(cur.fill(out), 0u);
}

TEST(segment_test, fill_respects_the_batch_limit) {
  std::string text = "abcdefghij";
  std::vector<segment> segs;
  for (std::size_t i = 0; i < text.size(); ++i) segs.push_back({text.data() + i, 1});
  segment_cursor cur(segs);
  std::vector<segment> out(3);
  ASSERT_EQ(cur.fill(out), 3u);
  EXPECT_EQ(concat(out), "abc");
  cur.consume(3);
  ASSERT_EQ(cur.fill(out), 3u);
  EXPECT_EQ(concat(out), "def");
}

TEST(segment_test, partial_write_resumes_inside_a_segment) {
  const std::string a = "hello ", b = "gather ", c = "world";
  const segment segs[] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  segment_cursor cur(segs);
  cur.consume(8);  // "hello ga"
  std::vector<segment> out(8);
  const auto n = cur.fill(out);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(concat({out.data(), n}), "ther world");
  EXPECT_EQ(out[0].data, b.data() + 2);  // no copy: the same bytes, shifted
  cur.consume(10);
  EXPECT_TRUE(cur.done());
}

TEST(segment_test, empty_segments_are_skipped) {
  const std::string a = "x";
  const segment segs[] = {{nullptr, 0}, {a.data(), 1}, {nullptr, 0}, {a.data(), 1}, {nullptr, 0}};
  segment_cursor cur(segs);
  std::vector<segment> out(8);
  const auto n = cur.fill(out);
  EXPECT_EQ(n, 2u);
  cur.consume(2);
  EXPECT_TRUE(cur.done());
}

TEST(segment_test, random_partial_writes_deliver_every_byte_once) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    std::string data;
    std::vector<std::size_t> sizes;
    const int nseg = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < nseg; ++i) {
      const std::size_t sz = rng() % 4 == 0 ? 0 : rng() % 50;
      sizes.push_back(sz);
      for (std::size_t k = 0; k < sz; ++k) data.push_back(static_cast<char>('a' + rng() % 26));
    }
    std::vector<segment> segs;
    std::size_t off = 0;
    for (std::size_t sz : sizes) {
      segs.push_back({data.data() + off, sz});
      off += sz;
    }
    segment_cursor cur(segs);
    std::string written;
    std::vector<segment> batch(1 + rng() % 5);
    while (!cur.done()) {
      const auto n = cur.fill(batch);
      ASSERT_GT(n, 0u);
      const std::string offered = concat({batch.data(), n});
      // A writer that accepts a random prefix of what it was offered, possibly nothing.
      const std::size_t accepted = rng() % (offered.size() + 1);
      written += offered.substr(0, accepted);
      cur.consume(accepted);
    }
    ASSERT_EQ(written, data);
  }
}

#ifdef RESPOOL_HAS_IOVEC
TEST(segment_test, iovec_view_reads_the_same_memory) {
  const std::string a = "abc";
  const segment segs[] = {{a.data(), 3}};
  const ::iovec* iov = respool::as_iovec(segs);
  EXPECT_EQ(iov[0].iov_base, static_cast<const void*>(a.data()));
  EXPECT_EQ(iov[0].iov_len, 3u);
}
#endif

}  // namespace
