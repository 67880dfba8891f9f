#include "alloc_counter.hpp"
#include "reply_text.hpp"
#include <respool/protocol/resp3/reader.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using respool::resp3::reader;
using respool::resp3::reader_config;

// Plays a socket: copies `stream` into the reader in reads of the given sizes, and returns the
// replies as text.
std::vector<std::string> read_all(reader& r, std::string_view stream,
                                  const std::function<std::size_t()>& read_size,
                                  std::error_code& ec) {
  std::vector<std::string> replies;
  while (!stream.empty()) {
    const auto space = r.prepare();
    const std::size_t n = std::min({space.size(), read_size(), stream.size()});
    std::memcpy(space.data(), stream.data(), n);
    r.commit(n);
    stream.remove_prefix(n);
    while (r.next(ec)) replies.push_back(respool::test::render(r.reply()));
    if (ec) break;
  }
  return replies;
}

std::string mixed_stream() {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    s += "+OK\r\n:" + std::to_string(i) + "\r\n$" + std::to_string(i * 37 % 5000) + "\r\n" +
         std::string(static_cast<std::size_t>(i * 37 % 5000), 'b') + "\r\n";
    s += "*3\r\n$1\r\na\r\n%1\r\n+k\r\n,1.5\r\n|1\r\n+x\r\n+y\r\n_\r\n";
  }
  return s;
}

TEST(reader_test, any_read_sizes_give_the_same_replies) {
  const std::string stream = mixed_stream();
  std::error_code ec;
  reader whole_reader;
  const auto expected = read_all(
      whole_reader, stream, [] { return SIZE_MAX; }, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(expected.size(), 800u);

  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    reader r;
    const std::size_t cap = 1 + rng() % 9000;
    const auto got = read_all(
        r, stream, [&] { return 1 + rng() % cap; }, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(got, expected) << "round " << round;
  }
  reader bytewise;
  EXPECT_EQ(read_all(
                bytewise, stream, [] { return std::size_t{1}; }, ec),
            expected);
}

TEST(reader_test, a_large_bulk_is_copied_at_most_once) {
  const std::size_t size = std::size_t{64} << 20;
  // Not `"$" + std::to_string(size)`: GCC 12 at -O2 warns (-Wrestrict) on that operator+.
  std::string stream = std::string("$").append(std::to_string(size)).append("\r\n");
  stream.append(size, 'L');
  stream += "\r\n+after\r\n";
  reader_config cfg;
  reader r(cfg);
  std::error_code ec;
  std::vector<std::string> kinds;
  std::size_t bulk_size = 0;
  std::string_view rest = stream;
  while (!rest.empty()) {
    const auto space = r.prepare();
    const std::size_t n = std::min<std::size_t>({space.size(), 65536, rest.size()});
    std::memcpy(space.data(), rest.data(), n);
    r.commit(n);
    rest.remove_prefix(n);
    while (r.next(ec)) {
      if (r.reply()[0].data_type == respool::resp3::type::bulk_string) {
        bulk_size = r.reply()[0].value.size();
        EXPECT_EQ(r.reply()[0].value.find_first_not_of('L'), std::string_view::npos);
      } else {
        kinds.push_back(respool::test::render(r.reply()));
      }
    }
    ASSERT_FALSE(ec) << ec.message();
  }
  EXPECT_EQ(bulk_size, size);
  EXPECT_EQ(kinds, std::vector<std::string>{"0/+\"after\""});
  // Only what was in the ordinary buffer when the bulk outgrew it was copied, once.
  EXPECT_LE(r.stats().bytes_moved, cfg.buffer_size);
  EXPECT_EQ(r.stats().maps, 1u);
  // The mapping is released once the large reply is gone.
  (void)r.prepare();
  EXPECT_EQ(r.capacity(), cfg.buffer_size);
}

TEST(reader_test, an_announced_size_is_not_allocated) {
  reader_config cfg;
  cfg.parser.max_bulk_length = std::size_t{16} << 30;
  cfg.parser.max_reply_bytes = std::size_t{32} << 30;
  reader r(cfg);
  std::error_code ec;
  respool::test::allocation_scope scope;
  const std::string header = "$9999999999\r\n" + std::string(100, 'x');
  auto space = r.prepare();
  std::memcpy(space.data(), header.data(), header.size());
  r.commit(header.size());
  EXPECT_FALSE(r.next(ec));
  EXPECT_FALSE(ec);
  // Asking for more space, repeatedly, with nothing arriving: the buffer does not grow.
  for (int i = 0; i < 10; ++i) space = r.prepare();
  EXPECT_EQ(r.capacity(), cfg.buffer_size);
  EXPECT_LT(scope.bytes(), 4096u);
}

TEST(reader_test, replies_point_into_the_buffer_until_consumed) {
  reader r;
  std::error_code ec;
  const std::string stream = "$3\r\nfoo\r\n$3\r\nbar\r\n";
  auto space = r.prepare();
  std::memcpy(space.data(), stream.data(), stream.size());
  r.commit(stream.size());
  ASSERT_TRUE(r.next(ec));
  EXPECT_EQ(r.reply()[0].value, "foo");
  EXPECT_EQ(r.reply()[0].value.data(), space.data() + 4);
  EXPECT_EQ(r.buffered(), stream.size());
  ASSERT_TRUE(r.next(ec));  // consumes "foo"
  EXPECT_EQ(r.reply()[0].value, "bar");
  EXPECT_EQ(r.buffered(), stream.size() - 9);
  r.consume();
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_FALSE(r.next(ec));
  EXPECT_FALSE(ec);
}

TEST(reader_test, errors_are_sticky_and_reset_starts_afresh) {
  reader r;
  std::error_code ec;
  const std::string bad = "+OK\r\n#x\r\n+OK\r\n";
  auto space = r.prepare();
  std::memcpy(space.data(), bad.data(), bad.size());
  r.commit(bad.size());
  EXPECT_TRUE(r.next(ec));
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, respool::error::invalid_boolean);
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, respool::error::invalid_boolean);
  r.reset();
  EXPECT_EQ(r.buffered(), 0u);
  space = r.prepare();
  std::memcpy(space.data(), "+OK\r\n", 5);
  r.commit(5);
  EXPECT_TRUE(r.next(ec));
}

TEST(reader_test, ordinary_buffer_comes_from_the_pool) {
  respool::buffer_pool pool;
  {
    reader r(reader_config{}, &pool);
    EXPECT_EQ(pool.cached(), 0u);
    EXPECT_EQ(r.capacity(), 16384u);
  }
  EXPECT_EQ(pool.cached(), 1u);
  reader again(reader_config{}, &pool);
  EXPECT_EQ(pool.cached(), 0u);  // reused
}

TEST(reader_test, steady_state_reading_allocates_nothing) {
  std::string chunk;
  for (int i = 0; i < 50; ++i) chunk += "+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n:2\r\n";
  reader r;
  std::error_code ec;
  auto round = [&] {
    std::size_t replies = 0;
    std::string_view rest = chunk;
    while (!rest.empty()) {
      const auto space = r.prepare();
      const std::size_t n = std::min<std::size_t>({space.size(), 1000, rest.size()});
      std::memcpy(space.data(), rest.data(), n);
      r.commit(n);
      rest.remove_prefix(n);
      while (r.next(ec)) ++replies;
    }
    return replies;
  };
  EXPECT_EQ(round(), 150u);
  respool::test::allocation_scope scope;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(round(), 150u);
  EXPECT_EQ(scope.count(), 0u);
}

}  // namespace
