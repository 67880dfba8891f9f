#include "alloc_counter.hpp"
#include <respool/protocol/pool.hpp>
#include <respool/protocol/request.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using respool::buffer_pool;
using respool::buffer_pool_config;
using respool::pool;

// Counts live instances, to see what the pool keeps and what it destroys.
struct tracked {
  static inline int live = 0;
  std::vector<int> items;
  explicit tracked(int reserve = 0) {
    ++live;
    items.reserve(static_cast<std::size_t>(reserve));
  }
  ~tracked() { --live; }
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;
  void clear() noexcept { items.clear(); }
};

TEST(pool_test, reuse_returns_same_object_cleared_with_capacity_kept) {
  pool<tracked> p(4);
  auto first = p.get();
  tracked* const address = first.get();
  first->items.assign(1000, 7);
  const auto capacity = first->items.capacity();
  p.put(std::move(first));
  auto again = p.get();
  EXPECT_EQ(again.get(), address);
  EXPECT_TRUE(again->items.empty());
  EXPECT_EQ(again->items.capacity(), capacity);
}

TEST(pool_test, reused_request_is_empty_with_capacity_kept) {
  pool<respool::request> requests(4);
  auto first = requests.get();
  respool::request* const address = first.get();
  std::string big(100000, 'v');
  for (int i = 0; i < 100; ++i) first->push("SET", "key", i, big);
  const auto segs = first->segment_capacity();
  const auto scratch = first->scratch_capacity();
  requests.put(std::move(first));
  EXPECT_EQ(requests.cached(), 1u);

  auto again = requests.get();
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->commands(), 0u);
  EXPECT_EQ(again->size_bytes(), 0u);
  EXPECT_TRUE(again->segments().empty());
  EXPECT_EQ(again->segment_capacity(), segs);
  EXPECT_EQ(again->scratch_capacity(), scratch);
  EXPECT_EQ(requests.stats().created, 1u);
  EXPECT_EQ(requests.stats().reused, 1u);
}

TEST(pool_test, reused_object_encodes_without_allocating) {
  pool<respool::request> requests(1);
  std::string value(32, 'x');
  {
    auto req = requests.acquire();
    req->push("SET", "k", value);
  }
  respool::test::allocation_scope scope;
  {
    auto req = requests.acquire();
    req->push("SET", "k", value);
  }
  EXPECT_EQ(scope.count(), 0u);
}

TEST(pool_test, cap_bounds_what_is_kept) {
  tracked::live = 0;
  {
    pool<tracked> p(2);
    std::vector<std::unique_ptr<tracked>> out;
    for (int i = 0; i < 5; ++i) out.push_back(p.get(16));
    EXPECT_EQ(tracked::live, 5);
    for (auto& o : out) p.put(std::move(o));
    EXPECT_EQ(p.cached(), 2u);
    EXPECT_EQ(p.stats().dropped, 3u);
    EXPECT_EQ(tracked::live, 2);
  }
  EXPECT_EQ(tracked::live, 0);
}

TEST(pool_test, constructor_arguments_are_used_only_for_new_objects) {
  pool<tracked> p(1);
  auto a = p.get(64);
  EXPECT_GE(a->items.capacity(), 64u);
  a->items.push_back(1);
  p.put(std::move(a));
  auto b = p.get(1);  // cached: the argument is ignored, the old capacity is kept
  EXPECT_TRUE(b->items.empty());
  EXPECT_GE(b->items.capacity(), 64u);
}

TEST(pool_test, lease_returns_on_exception) {
  pool<tracked> p(4);
  tracked* seen = nullptr;
  try {
    auto l = p.acquire();
    seen = l.get();
    l->items.push_back(7);
    throw std::runtime_error("handler failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(p.cached(), 1u);
  auto again = p.acquire();
  EXPECT_EQ(again.get(), seen);
  EXPECT_TRUE(again->items.empty());
}

TEST(pool_test, lease_move_and_release) {
  pool<tracked> p(4);
  {
    auto a = p.acquire();
    auto b = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_TRUE(b);
    pool<tracked>::lease c;
    c = std::move(b);
    EXPECT_EQ(p.cached(), 0u);
  }
  EXPECT_EQ(p.cached(), 1u);
  {
    auto d = p.acquire();
    std::unique_ptr<tracked> mine = d.release();
    EXPECT_NE(mine, nullptr);
  }
  EXPECT_EQ(p.cached(), 0u);  // released objects do not come back
}

struct refuse_big {
  static bool recycle(tracked& t) noexcept {
    const bool keep = t.items.capacity() <= 100;
    t.clear();
    return keep;
  }
};

TEST(pool_test, traits_can_refuse_an_object) {
  pool<tracked, refuse_big> p(4);
  auto small = p.get(10);
  auto big = p.get(1000);
  p.put(std::move(small));
  p.put(std::move(big));
  EXPECT_EQ(p.cached(), 1u);
  EXPECT_EQ(p.stats().dropped, 1u);
}

TEST(buffer_pool_test, picks_the_smallest_class_that_fits) {
  buffer_pool buffers;
  EXPECT_EQ(buffers.acquire(1)->capacity(), 4096u);
  EXPECT_EQ(buffers.acquire(4096)->capacity(), 4096u);
  EXPECT_EQ(buffers.acquire(4097)->capacity(), 16384u);
  EXPECT_EQ(buffers.acquire(262144)->capacity(), 262144u);
}

TEST(buffer_pool_test, reuse_returns_same_buffer_emptied) {
  buffer_pool buffers;
  char* address = nullptr;
  {
    auto b = buffers.acquire(1000);
    address = b->data();
    b->commit(500);
    EXPECT_EQ(b->size(), 500u);
    EXPECT_EQ(b->free_space().size(), 4096u - 500u);
  }
  auto b = buffers.acquire(10);
  EXPECT_EQ(b->data(), address);
  EXPECT_TRUE(b->empty());
}

TEST(buffer_pool_test, oversized_buffers_are_released_not_kept) {
  buffer_pool buffers;
  {
    auto huge = buffers.acquire(10 * 1024 * 1024);
    EXPECT_EQ(huge->capacity(), 10u * 1024 * 1024);
  }
  EXPECT_EQ(buffers.cached(), 0u);
  EXPECT_EQ(buffers.cached_bytes(), 0u);
}

TEST(buffer_pool_test, cap_bounds_cached_bytes) {
  buffer_pool_config cfg;
  cfg.max_cached_per_class = 2;
  buffer_pool buffers(cfg);
  {
    std::vector<buffer_pool::lease> held;
    for (int i = 0; i < 10; ++i) held.push_back(buffers.acquire(60000));
  }
  EXPECT_EQ(buffers.cached(), 2u);
  EXPECT_EQ(buffers.cached_bytes(), 2u * 65536u);
}

}  // namespace
