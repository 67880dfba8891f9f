#include "alloc_counter.hpp"
#include "reference_encoder.hpp"
#include <respool/request.hpp>

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
std::string_view respool_to_bulk(color c) { return c == color::red ? "red" : "green"; }

struct user_id {
  std::uint64_t value;
};
std::uint64_t respool_to_bulk(const user_id& id) { return id.value; }

struct point {
  double x, y;
};
// Returns a temporary owning string: the encoder must copy it.
std::string respool_to_bulk(const point& p) {
  return std::to_string(static_cast<int>(p.x)) + "," + std::to_string(static_cast<int>(p.y));
}

struct uuid {
  std::array<char, 36> text;
};
// Returns a byte array by value: copied, no allocation.
std::array<char, 36> respool_to_bulk(const uuid& u) { return u.text; }
}  // namespace app

namespace {

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

std::string wire(const request& req) {
  std::string out;
  for (const segment& s : req.segments()) out.append(s.data, s.size);
  return out;
}

// Checks the invariants every encoded request keeps, then returns its bytes.
std::string checked_wire(const request& req) {
  const std::string bytes = wire(req);
  EXPECT_EQ(bytes.size(), req.size_bytes());
  std::string flat;
  req.flatten_into(flat);
  EXPECT_EQ(flat, bytes);
  for (const segment& s : req.segments()) EXPECT_NE(s.size, 0u) << "empty segment";
  return bytes;
}

template <class... Args>
std::string encode(Args&&... args) {
  request req;
  req.push(std::forward<Args>(args)...);
  EXPECT_EQ(req.commands(), 1u);
  return checked_wire(req);
}

// ---------------------------------------------------------------------------------------------
// Golden bytes, written by hand.

TEST(request_test, golden_ping) { EXPECT_EQ(encode("PING"), "*1\r\n$4\r\nPING\r\n"); }

TEST(request_test, golden_quit_single_argument) {
  EXPECT_EQ(encode("QUIT"), "*1\r\n$4\r\nQUIT\r\n");
}

TEST(request_test, golden_get) {
  EXPECT_EQ(encode("GET", "key:000123"), "*2\r\n$3\r\nGET\r\n$10\r\nkey:000123\r\n");
}

TEST(request_test, golden_set) {
  EXPECT_EQ(encode("SET", "key", "value"), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
}

TEST(request_test, golden_empty_argument) {
  EXPECT_EQ(encode("SET", "k", ""), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  EXPECT_EQ(encode("SET", "k", std::string_view{}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(request_test, golden_binary_with_nul_cr_lf) {
  const std::string value("a\0b\r\nc\n\r"s);
  ASSERT_EQ(value.size(), 8u);
  EXPECT_EQ(encode("SET", "k", value), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$8\r\na\0b\r\nc\n\r\r\n"s);
}

TEST(request_test, golden_int64_extremes) {
  EXPECT_EQ(encode("INCRBY", "k", std::numeric_limits<std::int64_t>::min()),
            "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$20\r\n-9223372036854775808\r\n");
  EXPECT_EQ(encode("INCRBY", "k", std::numeric_limits<std::int64_t>::max()),
            "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$19\r\n9223372036854775807\r\n");
}

TEST(request_test, golden_unsigned_and_small_integers) {
  EXPECT_EQ(encode("X", std::numeric_limits<std::uint64_t>::max()),
            "*2\r\n$1\r\nX\r\n$20\r\n18446744073709551615\r\n");
  EXPECT_EQ(encode("X", 0), "*2\r\n$1\r\nX\r\n$1\r\n0\r\n");
  EXPECT_EQ(encode("X", -1), "*2\r\n$1\r\nX\r\n$2\r\n-1\r\n");
  EXPECT_EQ(encode("X", std::uint8_t{7}), "*2\r\n$1\r\nX\r\n$1\r\n7\r\n");
  EXPECT_EQ(encode("X", short{-300}), "*2\r\n$1\r\nX\r\n$4\r\n-300\r\n");
}

TEST(request_test, golden_doubles) {
  EXPECT_EQ(encode("ZADD", "z", 1.5, "m"),
            "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n");
  EXPECT_EQ(encode("X", 0.1), "*2\r\n$1\r\nX\r\n$3\r\n0.1\r\n");
  EXPECT_EQ(encode("X", 0.5f), "*2\r\n$1\r\nX\r\n$3\r\n0.5\r\n");
  EXPECT_EQ(encode("X", -2.0), "*2\r\n$1\r\nX\r\n$2\r\n-2\r\n");
  EXPECT_EQ(encode("X", 1e300), "*2\r\n$1\r\nX\r\n$6\r\n1e+300\r\n");
  EXPECT_EQ(encode("X", 5e-324), "*2\r\n$1\r\nX\r\n$6\r\n5e-324\r\n");
}

TEST(request_test, golden_infinities) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(encode("ZADD", "z", inf, "a"),
            "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\ninf\r\n$1\r\na\r\n");
  EXPECT_EQ(encode("ZADD", "z", -inf, "a"),
            "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$4\r\n-inf\r\n$1\r\na\r\n");
}

TEST(request_test, golden_unicode) {
  // "ключ" is 8 bytes of UTF-8; "值🙂" is 3 + 4.
  EXPECT_EQ(encode("SET", "ключ", "值🙂"),
            "*3\r\n$3\r\nSET\r\n$8\r\nключ\r\n$7\r\n值🙂\r\n");
  EXPECT_EQ(encode("SET", u8"ключ"sv, "v"), "*3\r\n$3\r\nSET\r\n$8\r\nключ\r\n$1\r\nv\r\n");
}

TEST(request_test, golden_char_array_without_terminator) {
  const char buf[4] = {'a', 'b', 'c', 'd'};
  EXPECT_EQ(encode("GET", buf), "*2\r\n$3\r\nGET\r\n$4\r\nabcd\r\n");
}

TEST(request_test, golden_null_c_string_is_empty) {
  const char* nothing = nullptr;
  EXPECT_EQ(encode("GET", nothing), "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
}

TEST(request_test, golden_byte_spans) {
  const std::byte raw[] = {std::byte{0}, std::byte{0xff}, std::byte{'\r'}};
  EXPECT_EQ(encode("SET", "k", std::span<const std::byte>{raw}),
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\xff\r\r\n"s);
  const std::vector<unsigned char> bytes = {1, 2};
  EXPECT_EQ(encode("SET", "k", bytes), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x01\x02\r\n"s);
  EXPECT_EQ(encode("SET", "k", std::vector<char>{'h', 'i'}),
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nhi\r\n");
}

TEST(request_test, golden_user_types_through_to_bulk) {
  EXPECT_EQ(encode("SET", "paint", app::color::red),
            "*3\r\n$3\r\nSET\r\n$5\r\npaint\r\n$3\r\nred\r\n");
  EXPECT_EQ(encode("GET", app::user_id{4242}), "*2\r\n$3\r\nGET\r\n$4\r\n4242\r\n");
  EXPECT_EQ(encode("SET", "p", app::point{3, -4}), "*3\r\n$3\r\nSET\r\n$1\r\np\r\n$4\r\n3,-4\r\n");
  app::uuid id;
  std::string_view text = "123e4567-e89b-12d3-a456-426614174000";
  std::copy(text.begin(), text.end(), id.text.begin());
  EXPECT_EQ(encode("GET", id), "*2\r\n$3\r\nGET\r\n$36\r\n" + std::string(text) + "\r\n");
  EXPECT_EQ(respool::to_bulk(app::color::green), "green");
}

TEST(request_test, golden_zero_and_one_mib_values) {
  EXPECT_EQ(encode("SET", "k", std::string{}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  const std::string mib(1 << 20, 'z');
  const std::string bytes = encode("SET", "k", mib);
  const std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n";
  ASSERT_EQ(bytes.size(), head.size() + mib.size() + 2);
  EXPECT_EQ(bytes.substr(0, head.size()), head);
  EXPECT_EQ(bytes.substr(head.size(), mib.size()), mib);
  EXPECT_EQ(bytes.substr(bytes.size() - 2), "\r\n");
}

TEST(request_test, golden_pipeline_of_one) {
  request req;
  req.push("SET", "a", "1");
  EXPECT_EQ(checked_wire(req), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(req.segments().size(), 1u);
}

TEST(request_test, golden_pipeline_of_three) {
  request req;
  req.push("MULTI").push("INCR", "n").push("EXEC");
  EXPECT_EQ(req.commands(), 3u);
  EXPECT_EQ(checked_wire(req),
            "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n");
}

TEST(request_test, golden_pipeline_of_ten_thousand) {
  request req;
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    req.push("SET", "key", i);
    const std::string v = std::to_string(i);
    expected +=
        "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  EXPECT_EQ(req.commands(), 10000u);
  EXPECT_EQ(checked_wire(req), expected);
  EXPECT_EQ(req.segments().size(), 1u);  // small commands coalesce into one segment
}

TEST(request_test, golden_one_hundred_thousand_arguments) {
  std::vector<std::string> items(99999, "x");
  request req;
  req.push_range("RPUSH", "list", items);
  std::string expected = "*100001\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n";
  for (int i = 0; i < 99999; ++i) expected += "$1\r\nx\r\n";
  EXPECT_EQ(checked_wire(req), expected);
}

TEST(request_test, golden_mset_from_map) {
  const std::map<std::string, std::string> m{{"a", "1"}, {"bb", "22"}};
  request req;
  req.push_range("MSET", m);
  EXPECT_EQ(checked_wire(req),
            "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nbb\r\n$2\r\n22\r\n");
}

TEST(request_test, golden_hset_pairs_with_numbers) {
  const std::vector<std::pair<std::string_view, int>> fields{{"f1", 10}, {"f2", -20}};
  request req;
  req.push_range("HSET", "h", fields);
  EXPECT_EQ(checked_wire(req),
            "*6\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nf1\r\n$2\r\n10\r\n$2\r\nf2\r\n$3\r\n-20\r\n");
}

TEST(request_test, golden_zadd_score_member_pairs) {
  const std::vector<std::pair<double, std::string>> members{{1.5, "one"}, {2, "two"}};
  request req;
  req.push_range("ZADD", "z", members);
  EXPECT_EQ(checked_wire(req),
            "*6\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$3\r\none\r\n$1\r\n2\r\n$3\r\ntwo\r\n");
}

TEST(request_test, golden_del_from_temporary_vector) {
  request req;
  req.push_range("DEL", std::vector<std::string>{"a", "b", "c"});
  EXPECT_EQ(checked_wire(req), "*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

TEST(request_test, golden_tuples_and_lists) {
  const std::list<std::tuple<std::string, int, double>> rows{{"a", 1, 0.25}};
  request req;
  req.push_range("X", rows);
  EXPECT_EQ(checked_wire(req), "*4\r\n$1\r\nX\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\n0.25\r\n");
}

TEST(request_test, golden_range_of_prvalues) {
  request req;
  req.push_range(
      "DEL", generated([] { return std::size_t{3}; },
                       [](std::size_t i) { return std::string("k").append(std::to_string(i)); }));
  EXPECT_EQ(checked_wire(req), "*4\r\n$3\r\nDEL\r\n$2\r\nk0\r\n$2\r\nk1\r\n$2\r\nk2\r\n");
}

TEST(request_test, golden_range_of_user_types) {
  const std::vector<app::color> colors{app::color::red, app::color::green};
  request req;
  req.push_range("SADD", "s", colors);
  EXPECT_EQ(checked_wire(req), "*4\r\n$4\r\nSADD\r\n$1\r\ns\r\n$3\r\nred\r\n$5\r\ngreen\r\n");
}

TEST(request_test, golden_empty_range) {
  request req;
  req.push_range("DEL", std::vector<std::string>{});
  EXPECT_EQ(checked_wire(req), "*1\r\n$3\r\nDEL\r\n");
}

TEST(request_test, golden_reuse_after_clear) {
  request req;
  req.push("SET", "a", std::string(20000, 'a'));
  req.push("GET", "a");
  req.clear();
  EXPECT_TRUE(req.empty());
  EXPECT_EQ(req.size_bytes(), 0u);
  EXPECT_TRUE(req.segments().empty());
  req.push("GET", "b");
  EXPECT_EQ(checked_wire(req), "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
  EXPECT_EQ(req.commands(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Segments and lifetimes.

TEST(request_test, large_lvalue_is_referenced_not_copied) {
  const std::string value(request::default_copy_threshold, 'v');
  request req;
  req.push("SET", "k", value);
  const auto segs = req.segments();
  ASSERT_EQ(segs.size(), 3u);  // header run, the value itself, the final CRLF
  EXPECT_EQ(segs[1].data, value.data());
  EXPECT_EQ(segs[1].size, value.size());
  EXPECT_EQ(std::string_view(segs[2].data, segs[2].size), "\r\n");
}

TEST(request_test, argument_just_below_threshold_is_copied) {
  const std::string value(request::default_copy_threshold - 1, 'v');
  request req;
  req.push("SET", "k", value);
  ASSERT_EQ(req.segments().size(), 1u);
}

TEST(request_test, referenced_arguments_bound_the_segment_count) {
  const std::string big(100, 'b');
  request req{request_config{.copy_threshold = 50}};
  req.push("MSET", "k1", big, "k2", big, "k3", "small");
  req.push("SET", "k4", big);
  // 3 large arguments: 2 * 3 + 1 segments, the scratch runs between them coalesced.
  EXPECT_EQ(req.segments().size(), 7u);
  std::string expected;
  respool::test::reference_encode(expected, {"MSET", "k1", big, "k2", big, "k3", "small"});
  respool::test::reference_encode(expected, {"SET", "k4", big});
  EXPECT_EQ(checked_wire(req), expected);
}

TEST(request_test, temporary_string_is_never_referenced) {
  request req;
  req.push("SET", "k", std::string(request::default_copy_threshold * 2, 't'));
  req.push("SET", "k", std::string(10, 's'));
  // Scribble over freed memory: the request must not depend on the temporaries.
  std::vector<std::string> noise(64, std::string(request::default_copy_threshold * 2, '#'));
  std::string expected;
  respool::test::reference_encode(
      expected, {"SET", "k", std::string(request::default_copy_threshold * 2, 't')});
  respool::test::reference_encode(expected, {"SET", "k", std::string(10, 's')});
  EXPECT_EQ(checked_wire(req), expected);
}

TEST(request_test, large_rvalue_string_is_moved_in) {
  std::string value(request::default_copy_threshold * 4, 'm');
  const char* bytes = value.data();
  request req;
  req.push("SET", "k", std::move(value));
  ASSERT_EQ(req.segments().size(), 3u);
  EXPECT_EQ(req.segments()[1].data, bytes);  // the buffer changed owner, not address
  EXPECT_TRUE(value.empty());                // NOLINT(bugprone-use-after-move): checks the move
}

TEST(request_test, many_moved_strings_survive_growth) {
  request req{request_config{.copy_threshold = 1}};
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    // Short strings live inside the std::string object; moving them moves their bytes.
    std::string v = std::to_string(i);
    respool::test::reference_encode(expected, {"SET", "k", v});
    req.push("SET", "k", std::move(v));
  }
  EXPECT_EQ(checked_wire(req), expected);
}

TEST(request_test, elements_of_temporary_container_are_copied) {
  request req{request_config{.copy_threshold = 4}};
  req.push_range("DEL", std::vector<std::string>{"long-key-1", "long-key-2"});
  std::vector<std::string> noise(16, std::string(64, '#'));
  EXPECT_EQ(req.segments().size(), 1u);
  EXPECT_EQ(checked_wire(req), "*3\r\n$3\r\nDEL\r\n$10\r\nlong-key-1\r\n$10\r\nlong-key-2\r\n");
}

TEST(request_test, elements_of_lvalue_container_are_referenced_when_large) {
  const std::vector<std::string> keys{std::string(32, 'a'), "b"};
  request req{request_config{.copy_threshold = 16}};
  req.push_range("DEL", keys);
  ASSERT_EQ(req.segments().size(), 3u);
  EXPECT_EQ(req.segments()[1].data, keys[0].data());
}

TEST(request_test, threshold_extremes) {
  const std::string v(40, 'v');
  request all_refs{request_config{.copy_threshold = 0}};
  all_refs.push("SET", "k", v, "");
  // SET, k and v referenced; the empty argument is copied.
  EXPECT_EQ(all_refs.segments().size(), 7u);
  request no_refs{request_config{.copy_threshold = SIZE_MAX}};
  no_refs.push("SET", "k", std::string(1 << 20, 'x'));
  EXPECT_EQ(no_refs.segments().size(), 1u);
  std::string expected;
  respool::test::reference_encode(expected, {"SET", "k", v, ""});
  EXPECT_EQ(checked_wire(all_refs), expected);
}

TEST(request_test, copy_and_move_keep_segments_valid) {
  const std::string big(request::default_copy_threshold, 'B');
  request a;
  a.push("SET", "k", big).push("SET", "m", std::string(request::default_copy_threshold, 'M'));
  a.push("INCR", "n");
  const std::string expected = checked_wire(a);

  request copy = a;
  EXPECT_EQ(checked_wire(copy), expected);
  EXPECT_EQ(copy.commands(), 3u);
  EXPECT_NE(copy.segments()[0].data, a.segments()[0].data);  // own scratch
  EXPECT_EQ(copy.segments()[1].data, big.data());            // same reference

  request moved = std::move(a);
  EXPECT_EQ(checked_wire(moved), expected);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from request is empty
  EXPECT_TRUE(a.segments().empty());
  a.push("PING");  // and usable
  EXPECT_EQ(checked_wire(a), "*1\r\n$4\r\nPING\r\n");

  copy = moved;
  EXPECT_EQ(checked_wire(copy), expected);
  moved.clear();
  EXPECT_EQ(checked_wire(copy), expected);
}

TEST(request_test, flatten_into_span_reports_short_buffer) {
  request req;
  req.push("SET", "k", "v");
  std::array<char, 8> small{};
  std::error_code ec;
  EXPECT_EQ(req.flatten_into(small, ec), 0u);
  EXPECT_EQ(ec, respool::error::not_enough_space);
  std::array<char, 64> room{};
  EXPECT_EQ(req.flatten_into(room, ec), req.size_bytes());
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string_view(room.data(), req.size_bytes()), wire(req));
}

TEST(request_test, flatten_appends_to_vector) {
  request req;
  req.push("PING");
  std::vector<char> out{'>'};
  req.flatten_into(out);
  EXPECT_EQ(std::string_view(out.data(), out.size()), ">*1\r\n$4\r\nPING\r\n");
}

TEST(request_test, to_string_quotes_and_escapes) {
  request req;
  req.push("SET", "k\"\\", "a\0\x01\r\n\t\xff"s);
  req.push("PING");
  EXPECT_EQ(respool::to_string(req),
            "\"SET\" \"k\\\"\\\\\" \"a\\x00\\x01\\r\\n\\t\\xff\"\n\"PING\"\n");
}

TEST(request_test, range_that_shrinks_between_traversals_is_rejected) {
  int traversals = 0;
  const generated shrinking([&] { return std::size_t{++traversals == 1 ? 10u : 5u}; },
                            [](std::size_t i) { return i; });
  request req;
  req.push("PING");
  const std::string before = wire(req);
  EXPECT_THROW(req.push_range("DEL", shrinking), std::invalid_argument);
  EXPECT_EQ(checked_wire(req), before);  // the failed command left nothing behind
  EXPECT_EQ(req.commands(), 1u);
}

TEST(request_test, hook_whose_result_grows_between_traversals_is_safe) {
  struct growing {
    int* calls;
  };
  request req{request_config{.copy_threshold = 1 << 20}};
  int calls = 0;
  std::vector<growing> items(50, growing{&calls});
  req.push_range("SADD", "s",
                 generated([&] { return items.size(); },
                           [&](std::size_t i) {
                             return std::string(static_cast<std::size_t>(++*items[i].calls), 'g');
                           }));
  // The second traversal produced longer strings than the first: the request holds them.
  std::vector<std::string> expected_args{"SADD", "s"};
  for (int i = 51; i <= 100; ++i) expected_args.emplace_back(static_cast<std::size_t>(i), 'g');
  std::string expected;
  respool::test::reference_encode(expected, expected_args);
  EXPECT_EQ(checked_wire(req), expected);
}

// ---------------------------------------------------------------------------------------------
// Property test: random commands against the reference encoder.

TEST(request_test, random_commands_match_reference_encoder) {
  std::mt19937_64 rng(20261121);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (char& ch : s) ch = static_cast<char>(rng());
    return s;
  };
  const std::size_t thresholds[] = {1, 16, 64, 512, request::default_copy_threshold, SIZE_MAX};
  std::size_t commands = 0;

  for (int round = 0; round < 100; ++round) {
    const std::size_t threshold = thresholds[pick(std::size(thresholds))];
    // Sizes cluster around the threshold, where copying turns into referencing.
    auto random_size = [&]() -> std::size_t {
      const std::size_t t = threshold == SIZE_MAX ? 4096 : threshold;
      switch (pick(4)) {
        case 0:
          return pick(8);
        case 1:
          return t + pick(5) - std::min<std::size_t>(t, 2);
        case 2:
          return pick(2 * t + 1);
        default:
          return pick(64);
      }
    };
    auto is_large = [&](const std::string& a) { return !a.empty() && a.size() >= threshold; };

    request req{request_config{.copy_threshold = threshold}};
    std::string expected;
    std::size_t large = 0;
    std::list<std::string> strings;  // lvalue arguments: stable addresses, alive until checked
    std::list<std::vector<std::string>> lists;
    auto stored = [&](std::size_t n) -> const std::string& {
      return strings.emplace_back(random_bytes(n));
    };

    for (int c = 0; c < 100; ++c, ++commands) {
      if (pick(20) == 0) {  // reuse: start over in the same request
        req.clear();
        expected.clear();
        large = 0;
      }
      const std::string& cmd = stored(1 + pick(12));
      std::vector<std::string> args{cmd};
      switch (pick(5)) {
        case 0: {  // lvalue, number, view
          const std::string& a = stored(random_size());
          const std::string& b = stored(random_size());
          const auto n = static_cast<std::int64_t>(rng());
          req.push(cmd, a, n, std::string_view{b});
          args.insert(args.end(), {a, std::to_string(n), b});
          large += is_large(a) + is_large(b);
          break;
        }
        case 1: {  // rvalue string (moved in when large) and a C string
          std::string a = random_bytes(random_size());
          const std::string& b = stored(1 + pick(40));
          const std::string c_string = std::string(b.c_str());  // up to its first NUL
          args.insert(args.end(), {a, c_string});
          large += is_large(a) + is_large(c_string);
          req.push(cmd, std::move(a), b.c_str());
          break;
        }
        case 2: {  // a range
          auto& items = lists.emplace_back();
          for (std::size_t i = pick(30); i != 0; --i) items.push_back(random_bytes(random_size()));
          req.push_range(cmd, items);
          for (const auto& it : items) {
            args.push_back(it);
            large += is_large(it);
          }
          break;
        }
        case 3: {  // key + range of pairs
          const std::string& key = stored(random_size());
          auto& items = lists.emplace_back();
          for (std::size_t i = 2 * pick(10); i != 0; --i)
            items.push_back(random_bytes(random_size()));
          std::vector<std::pair<std::string_view, std::string_view>> pairs;
          for (std::size_t i = 0; i < items.size(); i += 2)
            pairs.emplace_back(items[i], items[i + 1]);
          req.push_range(cmd, key, pairs);
          args.push_back(key);
          large += is_large(key);
          for (const auto& it : items) {
            args.push_back(it);
            large += is_large(it);
          }
          break;
        }
        default:  // command alone
          req.push(cmd);
      }
      large += is_large(cmd);
      respool::test::reference_encode(expected, args);
    }
    ASSERT_EQ(checked_wire(req), expected) << "round " << round << ", threshold " << threshold;
    EXPECT_LE(req.segments().size(), 2 * large + 1);
  }
  EXPECT_EQ(commands, 10000u);
}

// ---------------------------------------------------------------------------------------------
// Allocations: after the first use, clear() + re-encoding the same shape allocates nothing.

template <class Encode>
std::size_t steady_state_allocations(Encode&& encode_once) {
  request req;
  encode_once(req);  // warm-up: the buffers grow to their working size here
  req.clear();
  encode_once(req);
  respool::test::allocation_scope scope;
  for (int i = 0; i < 100; ++i) {
    req.clear();
    encode_once(req);
  }
  return scope.count();
}

TEST(request_test, reserve_makes_the_first_use_allocation_free) {
  const std::string value(100, 'r');
  request req;
  req.reserve(3 * 1000, 1000 * (3 + 3 + value.size()));
  const auto segs = req.segment_capacity();
  const auto scratch = req.scratch_capacity();
  respool::test::allocation_scope scope;
  for (int i = 0; i < 1000; ++i) req.push("SET", "k:1", value);
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(req.segment_capacity(), segs);
  EXPECT_EQ(req.scratch_capacity(), scratch);
  EXPECT_EQ(req.commands(), 1000u);
}

TEST(request_test, steady_state_encoding_allocates_nothing) {
  const std::string value16(16, 'v');
  const std::string value64k(64 * 1024, 'w');
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 1000; ++i) pairs.emplace_back("field:" + std::to_string(i), value16);
  const std::map<std::string, std::string> map(pairs.begin(), pairs.begin() + 100);

  EXPECT_EQ(steady_state_allocations([&](request& r) { r.push("SET", "key:000123", value16); }),
            0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) { r.push("SET", "key", value64k); }), 0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) { r.push("GET", "key:000123"); }), 0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) {
              r.push("ZADD", "z", 1.25, "m", -7, std::uint64_t{9}, app::color::red);
            }),
            0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) { r.push_range("MSET", map); }), 0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) { r.push_range("HSET", "h", pairs); }), 0u);
  EXPECT_EQ(steady_state_allocations([&](request& r) {
              for (int i = 0; i < 10000; ++i) r.push("SET", "key:000123", value16);
            }),
            0u);
}

}  // namespace

TEST(request_test, expected_replies_leave_out_push_answered_commands) {
  respool::request req;
  req.push("SET", "k", "v");
  req.push("subscribe", "a", "b");
  req.push("PSUBSCRIBE", "p*");
  req.push("SSubscribe", "s");
  req.push("UNSUBSCRIBE");
  req.push("punsubscribe", "p*");
  req.push("SUNSUBSCRIBE", "s");
  req.push_range("SUBSCRIBE", std::vector<std::string>{"x", "y"});
  req.push("GET", "k");
  // Near misses are ordinary commands.
  req.push("SUBSCRIBES");
  req.push("XSUBSCRIBE");
  req.push("UNSUBSCRIB");
  req.push("PUBSUB", "CHANNELS");
  req.push("SUNSUBSCRIBEX");
  EXPECT_EQ(req.commands(), 14u);
  EXPECT_EQ(req.expected_replies(), 7u);
  respool::request copy = req;
  EXPECT_EQ(copy.expected_replies(), 7u);
  respool::request moved = std::move(copy);
  EXPECT_EQ(moved.expected_replies(), 7u);
  req.clear();
  EXPECT_EQ(req.expected_replies(), 0u);
}
