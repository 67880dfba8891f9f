// The encoder: segments and lifetimes, random commands against the reference encoder, allocations.

#include "request_test_support.hpp"
#include "stress.hpp"

#include <gtest/gtest.h>

namespace {

using namespace request_test_support;

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

// One round of the property test: random commands pushed into one request with one copy
// threshold, and the bytes the reference encoder makes of the same arguments.
class random_round {
 public:
  random_round(std::mt19937_64& rng, std::size_t threshold)
      : rng_(rng), threshold_(threshold), req_{request_config{.copy_threshold = threshold}} {}

  void push_one() {
    if (pick(20) == 0) {  // reuse: start over in the same request
      req_.clear();
      expected_.clear();
      large_ = 0;
    }
    const std::string& cmd = stored(1 + pick(12));
    std::vector<std::string> args{cmd};
    switch (pick(5)) {
      case 0:
        push_lvalue_number_view(cmd, args);
        break;
      case 1:
        push_rvalue_and_c_string(cmd, args);
        break;
      case 2:
        push_a_range(cmd, args);
        break;
      case 3:
        push_key_and_pairs(cmd, args);
        break;
      default:  // command alone
        req_.push(cmd);
    }
    large_ += is_large(cmd);
    respool::test::reference_encode(expected_, args);
  }

  [[nodiscard]] const request& req() const { return req_; }
  [[nodiscard]] const std::string& expected() const { return expected_; }
  [[nodiscard]] std::size_t large() const { return large_; }

 private:
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

  std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    for (char& ch : s) ch = static_cast<char>(rng_());
    return s;
  }

  // Sizes cluster around the threshold, where copying turns into referencing.
  std::size_t random_size() {
    const std::size_t t = threshold_ == SIZE_MAX ? 4096 : threshold_;
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
  }

  [[nodiscard]] bool is_large(const std::string& a) const {
    return !a.empty() && a.size() >= threshold_;
  }

  // An lvalue argument: a stable address, alive until the round is checked.
  const std::string& stored(std::size_t n) { return strings_.emplace_back(random_bytes(n)); }

  void add_all(std::vector<std::string>& args, const std::vector<std::string>& items) {
    for (const auto& it : items) {
      args.push_back(it);
      large_ += is_large(it);
    }
  }

  void push_lvalue_number_view(const std::string& cmd, std::vector<std::string>& args) {
    const std::string& a = stored(random_size());
    const std::string& b = stored(random_size());
    const auto n = static_cast<std::int64_t>(rng_());
    req_.push(cmd, a, n, std::string_view{b});
    args.insert(args.end(), {a, std::to_string(n), b});
    large_ += is_large(a) + is_large(b);
  }

  // An rvalue string (moved in when large) and a C string.
  void push_rvalue_and_c_string(const std::string& cmd, std::vector<std::string>& args) {
    std::string a = random_bytes(random_size());
    const std::string& b = stored(1 + pick(40));
    const std::string c_string = std::string(b.c_str());  // up to its first NUL
    args.insert(args.end(), {a, c_string});
    large_ += is_large(a) + is_large(c_string);
    req_.push(cmd, std::move(a), b.c_str());
  }

  void push_a_range(const std::string& cmd, std::vector<std::string>& args) {
    auto& items = lists_.emplace_back();
    for (std::size_t i = pick(30); i != 0; --i) items.push_back(random_bytes(random_size()));
    req_.push_range(cmd, items);
    add_all(args, items);
  }

  void push_key_and_pairs(const std::string& cmd, std::vector<std::string>& args) {
    const std::string& key = stored(random_size());
    auto& items = lists_.emplace_back();
    for (std::size_t i = 2 * pick(10); i != 0; --i) items.push_back(random_bytes(random_size()));
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    for (std::size_t i = 0; i < items.size(); i += 2) pairs.emplace_back(items[i], items[i + 1]);
    req_.push_range(cmd, key, pairs);
    args.push_back(key);
    large_ += is_large(key);
    add_all(args, items);
  }

  std::mt19937_64& rng_;
  std::size_t threshold_;
  request req_;
  std::string expected_;
  std::size_t large_ = 0;
  std::list<std::string> strings_;
  std::list<std::vector<std::string>> lists_;
};

TEST(request_test, random_commands_match_reference_encoder) {
  std::mt19937_64 rng(20261121);
  const std::size_t thresholds[] = {1, 16, 64, 512, request::default_copy_threshold, SIZE_MAX};
  constexpr int rounds = respool::test::stress_rounds(100);
  std::size_t commands = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::size_t threshold = thresholds[rng() % std::size(thresholds)];
    random_round r(rng, threshold);
    for (int c = 0; c < 100; ++c, ++commands) r.push_one();
    ASSERT_EQ(checked_wire(r.req()), r.expected())
        << "round " << round << ", threshold " << threshold;
    EXPECT_LE(r.req().segments().size(), 2 * r.large() + 1);
  }
  EXPECT_EQ(commands, 100u * rounds);
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

}  // namespace
