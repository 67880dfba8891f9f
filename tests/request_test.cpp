// The encoder: golden bytes, written by hand.

#include "request_test_support.hpp"
#include <respool/io/observer.hpp>

#include <gtest/gtest.h>

namespace {

using namespace request_test_support;

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

TEST(request_test, request_name_is_the_first_commands_name_however_it_was_encoded) {
  respool::request req;
  EXPECT_EQ(respool::request_name(req), "");
  req.push("hgetall", "h");
  req.push("GET", "k");
  EXPECT_EQ(respool::request_name(req), "hgetall");
  // Every argument referenced: the name is a segment of its own.
  const std::string name = "CLIENT";
  respool::request referenced(respool::request_config{0});
  referenced.push(std::string_view(name), "LIST");
  EXPECT_EQ(respool::request_name(referenced), "CLIENT");
}

}  // namespace
