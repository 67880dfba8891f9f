#include "alloc_counter.hpp"
#include "reply_text.hpp"
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace app {
struct point {
  int x = 0, y = 0;
};
// "x,y"
void respool_from_bulk(point& p, std::string_view text, std::error_code& ec) {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return;
  }
  p.x = std::stoi(std::string(text.substr(0, comma)));
  p.y = std::stoi(std::string(text.substr(comma + 1)));
}
}  // namespace app

namespace {

using respool::adapt;
using respool::adapt_error;
using respool::error;

// Parses `wire` (one reply) and keeps it alive for the test.
class reply {
 public:
  explicit reply(std::string wire) : wire_(std::move(wire)) {
    std::error_code ec;
    if (!parser_.parse(wire_, ec)) ADD_FAILURE() << "bad test reply: " << ec.message();
  }
  respool::resp3::reply_view view() const { return parser_.reply(); }
  const std::string& wire() const { return wire_; }

 private:
  std::string wire_;
  respool::resp3::parser parser_;
};

template <class T>
T adapt_ok(const std::string& wire) {
  reply r(wire);
  T out{};
  adapt_error err;
  EXPECT_TRUE(adapt(r.view(), out, err)) << err.message;
  return out;
}

template <class T>
adapt_error adapt_fails(const std::string& wire) {
  reply r(wire);
  T out{};
  adapt_error err;
  EXPECT_FALSE(adapt(r.view(), out, err)) << respool::test::escape(wire);
  return err;
}

TEST(adapt_test, strings_from_every_string_like_reply) {
  EXPECT_EQ(adapt_ok<std::string>("+OK\r\n"), "OK");
  EXPECT_EQ(adapt_ok<std::string>(std::string("$5\r\nhel\0o\r\n", 12)), std::string("hel\0o", 5));
  EXPECT_EQ(adapt_ok<std::string>("=15\r\ntxt:Some string\r\n"), "Some string");
  EXPECT_EQ(adapt_ok<std::string>(":42\r\n"), "42");
  EXPECT_EQ(adapt_ok<std::string>(",3.5\r\n"), "3.5");
  EXPECT_EQ(adapt_ok<std::string>("(123456789012345678901234567890\r\n"),
            "123456789012345678901234567890");
  EXPECT_EQ(adapt_ok<std::string>("$?\r\n;4\r\nHell\r\n;2\r\no!\r\n;0\r\n"), "Hello!");
}

TEST(adapt_test, string_view_points_into_the_reply) {
  reply r("$3\r\nfoo\r\n");
  std::string_view v;
  adapt_error err;
  ASSERT_TRUE(adapt(r.view(), v, err));
  EXPECT_EQ(v, "foo");
  EXPECT_EQ(v.data(), r.wire().data() + 4);
}

TEST(adapt_test, errors_name_the_expected_and_received_types) {
  auto err = adapt_fails<std::string>("*1\r\n:1\r\n");
  EXPECT_EQ(err.code, error::unexpected_type);
  EXPECT_EQ(err.message, "expected a string, got an array");
  err = adapt_fails<std::int64_t>(",1.5\r\n");
  EXPECT_EQ(err.code, error::unexpected_type);
  EXPECT_EQ(err.message, "expected an integer, got a double");
  err = adapt_fails<std::vector<int>>(":3\r\n");
  EXPECT_EQ(err.message, "expected an aggregate, got a number");
  err = adapt_fails<bool>("+OK\r\n");
  EXPECT_EQ(err.message, "expected a boolean, got a simple string");
}

TEST(adapt_test, server_errors_carry_the_servers_message) {
  auto err = adapt_fails<std::string>("-WRONGTYPE Operation against a key\r\n");
  EXPECT_EQ(err.code, error::server_error);
  EXPECT_EQ(err.message, "WRONGTYPE Operation against a key");
  err = adapt_fails<std::int64_t>("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_EQ(err.code, error::server_error);
  EXPECT_EQ(err.message, "SYNTAX invalid syntax");
  // Inside an aggregate too (the replies of EXEC).
  err = adapt_fails<std::vector<std::string>>("*2\r\n+OK\r\n-ERR bad\r\n");
  EXPECT_EQ(err.code, error::server_error);
  EXPECT_EQ(err.message, "ERR bad");
  // Ignoring a reply does not hide its error.
  err = adapt_fails<respool::ignore_t>("-ERR nope\r\n");
  EXPECT_EQ(err.code, error::server_error);
}

// LOADING means "not run", not "failed": its own code, so that a caller can send it again.
TEST(adapt_test, loading_is_not_a_server_error) {
  auto err = adapt_fails<std::string>("-LOADING Redis is loading the dataset in memory\r\n");
  EXPECT_EQ(err.code, error::server_loading);
  EXPECT_EQ(err.message, "LOADING Redis is loading the dataset in memory");
  err = adapt_fails<respool::ignore_t>("-LOADING Redis is loading the dataset in memory\r\n");
  EXPECT_EQ(err.code, error::server_loading);
  // Only the error code LOADING, not any message that starts with those letters.
  err = adapt_fails<std::string>("-LOADINGX not the same code\r\n");
  EXPECT_EQ(err.code, error::server_error);

  reply r("-LOADING Redis is loading the dataset in memory\r\n");
  const respool::resp3::reply_view replies[] = {r.view()};
  std::tuple<respool::result<std::string>> out;
  ASSERT_TRUE(respool::adapt_replies(replies, out, err));
  EXPECT_EQ(std::get<0>(out).error().code, error::server_loading);
}

TEST(adapt_test, the_throwing_form_carries_code_and_message) {
  reply r("-ERR unknown command 'FOO'\r\n");
  std::string out;
  try {
    adapt(r.view(), out);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::server_error);
    EXPECT_NE(std::string(e.what()).find("ERR unknown command 'FOO'"), std::string::npos);
  }
}

TEST(adapt_test, integers_are_range_checked) {
  EXPECT_EQ(adapt_ok<std::int64_t>(":-9223372036854775808\r\n"),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(adapt_ok<int>("$2\r\n42\r\n"), 42);  // RESP2 numbers in bulk strings (GET)
  EXPECT_EQ(adapt_ok<std::uint64_t>("(18446744073709551615\r\n"),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(adapt_ok<std::uint8_t>(":255\r\n"), 255);
  EXPECT_EQ(adapt_fails<std::int8_t>(":300\r\n").code, error::integer_out_of_range);
  EXPECT_EQ(adapt_fails<unsigned>(":-1\r\n").code, error::integer_out_of_range);
  EXPECT_EQ(adapt_fails<std::int64_t>("(99999999999999999999\r\n").code,
            error::integer_out_of_range);
  EXPECT_EQ(adapt_fails<int>("$3\r\nabc\r\n").code, error::not_a_number);
  EXPECT_EQ(adapt_fails<int>("$0\r\n\r\n").code, error::not_a_number);
}

TEST(adapt_test, doubles_from_doubles_numbers_and_text) {
  EXPECT_EQ(adapt_ok<double>(",3.25\r\n"), 3.25);
  EXPECT_EQ(adapt_ok<double>(",-inf\r\n"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(adapt_ok<double>(",nan\r\n")));
  EXPECT_EQ(adapt_ok<double>(":7\r\n"), 7.0);
  EXPECT_EQ(adapt_ok<double>("$4\r\n1.25\r\n"), 1.25);
  EXPECT_EQ(adapt_ok<double>("$4\r\n+inf\r\n"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(adapt_ok<float>(",0.5\r\n"), 0.5f);
  EXPECT_EQ(adapt_fails<double>("$2\r\nxy\r\n").code, error::not_a_number);
  EXPECT_EQ(adapt_fails<double>("#t\r\n").code, error::unexpected_type);
}

TEST(adapt_test, booleans_from_resp3_and_resp2) {
  EXPECT_TRUE(adapt_ok<bool>("#t\r\n"));
  EXPECT_FALSE(adapt_ok<bool>("#f\r\n"));
  EXPECT_TRUE(adapt_ok<bool>(":1\r\n"));
  EXPECT_FALSE(adapt_ok<bool>(":0\r\n"));
  EXPECT_TRUE(adapt_ok<bool>(":3\r\n"));  // EXISTS k1 k2 k3
}

TEST(adapt_test, optional_takes_nulls) {
  EXPECT_EQ(adapt_ok<std::optional<std::string>>("$-1\r\n"), std::nullopt);
  EXPECT_EQ(adapt_ok<std::optional<std::string>>("_\r\n"), std::nullopt);
  EXPECT_EQ(adapt_ok<std::optional<std::string>>("$3\r\nfoo\r\n"), "foo");
  EXPECT_EQ(adapt_ok<std::optional<std::vector<int>>>("*-1\r\n"), std::nullopt);
  const auto err = adapt_fails<std::string>("$-1\r\n");
  EXPECT_EQ(err.code, error::unexpected_null);
  EXPECT_EQ(err.message, "expected a string, got a null (adapt to std::optional)");
  EXPECT_EQ(adapt_fails<std::vector<int>>("*-1\r\n").code, error::unexpected_null);
  // Nulls inside aggregates (MGET of missing keys).
  const auto values =
      adapt_ok<std::vector<std::optional<std::string>>>("*3\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n");
  EXPECT_EQ(values, (std::vector<std::optional<std::string>>{"a", std::nullopt, "c"}));
}

TEST(adapt_test, sequences_from_arrays_sets_and_pushes) {
  EXPECT_EQ(adapt_ok<std::vector<std::string>>("*3\r\n+a\r\n$1\r\nb\r\n:3\r\n"),
            (std::vector<std::string>{"a", "b", "3"}));
  EXPECT_EQ(adapt_ok<std::vector<int>>("~2\r\n:1\r\n:2\r\n"), (std::vector<int>{1, 2}));
  EXPECT_EQ(adapt_ok<std::vector<std::string>>(">2\r\n+message\r\n+hi\r\n"),
            (std::vector<std::string>{"message", "hi"}));
  EXPECT_TRUE(adapt_ok<std::vector<int>>("*0\r\n").empty());
  // A map read as a sequence: keys and values in turn.
  EXPECT_EQ(adapt_ok<std::vector<std::string>>("%1\r\n+k\r\n+v\r\n"),
            (std::vector<std::string>{"k", "v"}));
  EXPECT_EQ(adapt_ok<std::vector<std::vector<int>>>("*2\r\n*1\r\n:1\r\n*2\r\n:2\r\n:3\r\n"),
            (std::vector<std::vector<int>>{{1}, {2, 3}}));
}

TEST(adapt_test, pairs_from_maps_and_flat_arrays) {
  using scores = std::vector<std::pair<std::string, double>>;
  const scores expected{{"a", 1}, {"b", 2.5}};
  EXPECT_EQ(adapt_ok<scores>("%2\r\n$1\r\na\r\n,1\r\n$1\r\nb\r\n,2.5\r\n"), expected);
  EXPECT_EQ(adapt_ok<scores>("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2.5\r\n"), expected);
  // RESP3's ZRANGE WITHSCORES: an array of [member, score] arrays.
  EXPECT_EQ(adapt_ok<scores>("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"), expected);
  EXPECT_EQ(adapt_ok<scores>("*0\r\n"), scores{});
  EXPECT_EQ(adapt_fails<scores>("*1\r\n*3\r\n$1\r\na\r\n,1\r\n,2\r\n").code,
            error::wrong_aggregate_size);
  const auto err = adapt_fails<scores>("*3\r\n+a\r\n+1\r\n+b\r\n");
  EXPECT_EQ(err.code, error::wrong_aggregate_size);

  using hash = std::map<std::string, std::string>;
  const hash fields{{"f1", "v1"}, {"f2", "v2"}};
  EXPECT_EQ(adapt_ok<hash>("%2\r\n+f1\r\n+v1\r\n+f2\r\n+v2\r\n"), fields);
  EXPECT_EQ(adapt_ok<hash>("*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"), fields);
  const auto unordered = adapt_ok<std::unordered_map<std::string, int>>("%1\r\n+n\r\n:5\r\n");
  EXPECT_EQ(unordered.at("n"), 5);
  const auto nested =
      adapt_ok<std::map<std::string, std::vector<int>>>("%1\r\n+k\r\n*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(nested.at("k"), (std::vector<int>{1, 2}));
}

TEST(adapt_test, sets) {
  EXPECT_EQ(adapt_ok<std::set<std::string>>("~3\r\n+b\r\n+a\r\n+b\r\n"),
            (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(adapt_ok<std::unordered_set<int>>("*2\r\n:1\r\n:2\r\n").size(), 2u);
}

TEST(adapt_test, fixed_size_aggregates) {
  using popped = std::pair<std::string, std::string>;  // BLPOP
  EXPECT_EQ(adapt_ok<popped>("*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"), popped("list", "x"));
  EXPECT_EQ(adapt_ok<std::optional<popped>>("*-1\r\n"), std::nullopt);  // the timeout
  const auto t = adapt_ok<std::tuple<std::string, int, double>>("*3\r\n+a\r\n:2\r\n,3.5\r\n");
  EXPECT_EQ(t, std::make_tuple(std::string("a"), 2, 3.5));
  EXPECT_EQ((adapt_ok<std::array<int, 3>>("*3\r\n:1\r\n:2\r\n:3\r\n")),
            (std::array<int, 3>{1, 2, 3}));
  const auto err = adapt_fails<std::array<int, 3>>("*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(err.code, error::wrong_aggregate_size);
  EXPECT_EQ(err.message, "expected an aggregate of 3 elements, got 2");
}

TEST(adapt_test, user_types_through_from_bulk) {
  const auto p = adapt_ok<app::point>("$4\r\n3,-4\r\n");
  EXPECT_EQ(p.x, 3);
  EXPECT_EQ(p.y, -4);
  const auto err = adapt_fails<app::point>("$3\r\nabc\r\n");
  EXPECT_EQ(err.code, std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(adapt_ok<std::vector<app::point>>("*1\r\n+1,2\r\n")[0].y, 2);
}

TEST(adapt_test, ignore_accepts_anything_that_is_not_an_error) {
  EXPECT_NO_FATAL_FAILURE(adapt_ok<respool::ignore_t>("*2\r\n%1\r\n+a\r\n+b\r\n_\r\n"));
  EXPECT_NO_FATAL_FAILURE(adapt_ok<respool::ignore_t>("_\r\n"));
}

TEST(adapt_test, generic_reply_views_or_owns) {
  respool::generic_reply viewing;
  respool::generic_reply owning(respool::generic_reply::owning);
  {
    reply r("*2\r\n$3\r\nfoo\r\n:12\r\n");
    adapt_error err;
    ASSERT_TRUE(adapt(r.view(), viewing, err));
    ASSERT_TRUE(adapt(r.view(), owning, err));
    EXPECT_EQ(viewing.nodes()[1].value.data(), r.wire().data() + 8);
    EXPECT_NE(owning.nodes()[1].value.data(), r.wire().data() + 8);
  }
  // The parse buffer is gone; the owning copy is intact, through copies and moves too.
  EXPECT_EQ(respool::test::render(owning.nodes()), "0/*2 1/$\"foo\" 1/:\"12\"");
  respool::generic_reply copy = owning;
  respool::generic_reply moved = std::move(owning);
  respool::generic_reply assigned;
  assigned = std::move(copy);
  EXPECT_EQ(respool::test::render(moved.nodes()), "0/*2 1/$\"foo\" 1/:\"12\"");
  EXPECT_EQ(respool::test::render(assigned.nodes()), "0/*2 1/$\"foo\" 1/:\"12\"");
  EXPECT_TRUE(assigned.owns_bytes());
}

TEST(adapt_test, pipeline_replies_into_a_tuple) {
  reply a("+OK\r\n"), b(":7\r\n"), c("$-1\r\n");
  const respool::resp3::reply_view replies[] = {a.view(), b.view(), c.view()};
  std::tuple<std::string, int, std::optional<std::string>> out;
  adapt_error err;
  ASSERT_TRUE(respool::adapt_replies(replies, out, err)) << err.message;
  EXPECT_EQ(out, std::make_tuple(std::string("OK"), 7, std::optional<std::string>{}));

  std::tuple<std::string, int> too_few;
  EXPECT_FALSE(respool::adapt_replies(replies, too_few, err));
  EXPECT_EQ(err.code, error::wrong_reply_count);
  EXPECT_EQ(err.message, "expected 2 replies, got 3");
  std::tuple<std::string, int, std::optional<std::string>, int> too_many;
  EXPECT_FALSE(respool::adapt_replies(replies, too_many, err));
  EXPECT_EQ(err.code, error::wrong_reply_count);
}

TEST(adapt_test, results_keep_each_commands_error_to_itself) {
  reply a("+OK\r\n"), b("-WRONGTYPE bad\r\n"), c(":3\r\n");
  const respool::resp3::reply_view replies[] = {a.view(), b.view(), c.view()};
  std::tuple<respool::result<std::string>, respool::result<int>, respool::result<int>> out;
  adapt_error err;
  ASSERT_TRUE(respool::adapt_replies(replies, out, err));
  EXPECT_EQ(std::get<0>(out).value(), "OK");
  EXPECT_FALSE(std::get<1>(out).has_value());
  EXPECT_EQ(std::get<1>(out).error().message, "WRONGTYPE bad");
  EXPECT_THROW((void)std::get<1>(out).value(), std::system_error);
  EXPECT_EQ(std::get<2>(out).value(), 3);

  // Without result<>, the first error fails the whole pipeline.
  std::tuple<std::string, int, int> plain;
  EXPECT_FALSE(respool::adapt_replies(replies, plain, err));
  EXPECT_EQ(err.code, error::server_error);
}

TEST(adapt_test, a_result_read_again_forgets_its_old_error) {
  reply refused("-READONLY not now\r\n"), value(":1\r\n");
  respool::result<long long> out;
  adapt_error err;
  const respool::resp3::reply_view first[] = {refused.view()};
  ASSERT_TRUE(respool::adapt_replies(first, out, err));
  EXPECT_FALSE(out.has_value());
  const respool::resp3::reply_view second[] = {value.view()};
  ASSERT_TRUE(respool::adapt_replies(second, out, err));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(out.value(), 1);
}

TEST(adapt_test, generic_response_keeps_every_reply) {
  respool::generic_response all;
  {
    reply a("+OK\r\n"), b("*1\r\n$2\r\nhi\r\n");
    const respool::resp3::reply_view replies[] = {a.view(), b.view()};
    adapt_error err;
    ASSERT_TRUE(respool::adapt_replies(replies, all, err));
  }
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(respool::test::render(all[1].nodes()), "0/*1 1/$\"hi\"");  // owned: buffers gone
}

TEST(adapt_test, reused_containers_adapt_without_allocating) {
  reply r("*3\r\n:1\r\n:2\r\n:3\r\n"), s("$16\r\n0123456789abcdef\r\n");
  std::vector<int> numbers;
  std::string text;
  adapt_error err;
  ASSERT_TRUE(adapt(r.view(), numbers, err));
  ASSERT_TRUE(adapt(s.view(), text, err));
  respool::test::allocation_scope scope;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(adapt(r.view(), numbers, err));
    ASSERT_TRUE(adapt(s.view(), text, err));
  }
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(numbers, (std::vector<int>{1, 2, 3}));
}

}  // namespace
