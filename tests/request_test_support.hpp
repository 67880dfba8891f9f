// What the encoder's tests share: user types with respool_to_bulk hooks, a generated range, and the
// checked encoding of a request.
#pragma once

#include "alloc_counter.hpp"
#include "reference_encoder.hpp"
#include <respool/protocol/request.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <list>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace app {
enum class color { red, green };
inline std::string_view respool_to_bulk(color c) { return c == color::red ? "red" : "green"; }

struct user_id {
  std::uint64_t value;
};
inline std::uint64_t respool_to_bulk(const user_id& id) { return id.value; }

struct point {
  double x, y;
};
// Returns a temporary owning string: the encoder must copy it.
inline std::string respool_to_bulk(const point& p) {
  return std::to_string(static_cast<int>(p.x)) + "," + std::to_string(static_cast<int>(p.y));
}

struct uuid {
  std::array<char, 36> text;
};
// Returns a byte array by value: copied, no allocation.
inline std::array<char, 36> respool_to_bulk(const uuid& u) { return u.text; }
}  // namespace app

namespace request_test_support {

using namespace std::string_literals;
using namespace std::string_view_literals;
using respool::request;
using respool::request_config;
using respool::segment;

// A forward range yielding gen(i) by value for i in [0, count()), where count() is asked
// anew at each traversal: elements that are temporaries, and ranges that change.
template <class Count, class Gen>
class generated {
 public:
  generated(Count count, Gen gen) : count_{std::move(count)}, gen_{std::move(gen)} {}

  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = std::invoke_result_t<const Gen&, std::size_t>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const generated* g, std::size_t i) : g_{g}, i_{i} {}
    value_type operator*() const { return g_->gen_(i_); }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const iterator& other) const { return i_ == other.i_; }

   private:
    const generated* g_ = nullptr;
    std::size_t i_ = 0;
  };

  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, count_()}; }

 private:
  Count count_;
  Gen gen_;
};

inline std::string wire(const request& req) {
  std::string out;
  for (const segment& s : req.segments()) out.append(s.data, s.size);
  return out;
}

// Checks the invariants every encoded request keeps, then returns its bytes.
inline std::string checked_wire(const request& req) {
  const std::string bytes = wire(req);
  EXPECT_EQ(bytes.size(), req.size_bytes());
  std::string flat;
  req.flatten_into(flat);
  EXPECT_EQ(flat, bytes);
  for (const segment& s : req.segments()) EXPECT_NE(s.size, 0u) << "empty segment";
  return bytes;
}

template <class... Args>
inline std::string encode(Args&&... args) {
  request req;
  req.push(std::forward<Args>(args)...);
  EXPECT_EQ(req.commands(), 1u);
  return checked_wire(req);
}

}  // namespace request_test_support
