// The encoder's bytes, written with gather writes, accepted by a real redis-server.
#include "test_server.hpp"
#include <respool/protocol/request.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;
using respool::request;
using respool::request_config;

std::string bulk(const std::string& s) { return fmt::format("${}\r\n{}\r\n", s.size(), s); }

TEST(encode_server_test, binary_value_round_trips) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  const std::string value = "a\0b\r\nc\n\r\xff"s;
  request req;
  req.push("SET", "respool:test:binary", value).push("GET", "respool:test:binary");
  EXPECT_EQ(conn->roundtrip(req), "+OK\r\n" + bulk(value));
}

TEST(encode_server_test, empty_and_unicode_arguments) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  request req;
  req.push("SET", "respool:test:ключ", "");
  req.push("GET", "respool:test:ключ");
  req.push("SET", "respool:test:ключ", "值🙂");
  req.push("STRLEN", "respool:test:ключ");
  EXPECT_EQ(conn->roundtrip(req), "+OK\r\n$0\r\n\r\n+OK\r\n:7\r\n");
}

TEST(encode_server_test, referenced_one_mib_value_round_trips) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  std::string value(1 << 20, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 131 % 251);
  request req;
  req.push("SET", "respool:test:mib", value);
  ASSERT_EQ(req.segments()[1].data, value.data());  // sent from the caller's memory
  req.push("GET", "respool:test:mib");
  EXPECT_EQ(conn->roundtrip(req), "+OK\r\n" + bulk(value));
}

TEST(encode_server_test, numbers_are_parsed_by_the_server) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  const double inf = std::numeric_limits<double>::infinity();
  request cleanup;
  cleanup.push("DEL", "respool:test:z", "respool:test:n");
  conn->roundtrip(cleanup);
  request req;
  req.push("ZADD", "respool:test:z", inf, "top", -inf, "bottom", 1.5, "mid", 0.125, "tiny");
  req.push("ZSCORE", "respool:test:z", "top");
  req.push("ZSCORE", "respool:test:z", "bottom");
  req.push("ZSCORE", "respool:test:z", "tiny");
  req.push("INCRBY", "respool:test:n", std::numeric_limits<std::int64_t>::max());
  req.push("DECRBY", "respool:test:n", std::numeric_limits<std::int64_t>::max());
  req.push("INCRBYFLOAT", "respool:test:n", 0.25);
  const std::string replies = conn->roundtrip(req);
  EXPECT_EQ(replies,
            ":4\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$5\r\n0.125\r\n:9223372036854775807\r\n"
            ":0\r\n$4\r\n0.25\r\n")
      << replies;
}

TEST(encode_server_test, one_hundred_thousand_arguments) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  std::vector<std::string> items;
  for (int i = 0; i < 99998; ++i) items.push_back(std::to_string(i));
  request cleanup;
  cleanup.push("DEL", "respool:test:list");
  conn->roundtrip(cleanup);
  request req;
  req.push_range("RPUSH", "respool:test:list", items);  // 1 + 1 + 99 998 arguments
  req.push("LINDEX", "respool:test:list", -1);
  EXPECT_EQ(conn->roundtrip(req), ":99998\r\n$5\r\n99997\r\n");
}

TEST(encode_server_test, pipeline_of_ten_thousand_commands) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  request req;
  req.push("SET", "respool:test:counter", 0);
  for (int i = 0; i < 10000; ++i) req.push("INCR", "respool:test:counter");
  std::string expected = "+OK\r\n";
  for (int i = 1; i <= 10000; ++i) expected += fmt::format(":{}\r\n", i);
  EXPECT_EQ(conn->roundtrip(req), expected);
}

TEST(encode_server_test, more_segments_than_iov_max_are_split) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  // Threshold 1: every argument is its own segment, so MSET of 1000 pairs needs ~4000.
  request req{request_config{.copy_threshold = 1}};
  std::map<std::string, std::string> pairs;
  for (int i = 0; i < 1000; ++i) {
    pairs.emplace("respool:test:seg:" + std::to_string(i), "value-" + std::to_string(i));
  }
  req.push_range("MSET", pairs);
  ASSERT_GT(req.segments().size(), 3 * respool::max_gather_segments);
  req.push("GET", "respool:test:seg:999");
  conn->send(req);
  EXPECT_GE(conn->writev_calls(), 4u);
  EXPECT_EQ(conn->read_reply(), "+OK\r\n");
  EXPECT_EQ(conn->read_reply(), bulk("value-999"));
}

TEST(encode_server_test, tiny_batches_and_partial_writes_still_deliver) {
  RESPOOL_CONNECT_OR_SKIP(conn);
  const std::string big(256 * 1024, 'q');
  request cleanup;
  for (int i = 0; i < 8; ++i) cleanup.push("DEL", "respool:test:big" + std::to_string(i));
  conn->roundtrip(cleanup);
  request req{request_config{.copy_threshold = 64}};
  for (int i = 0; i < 8; ++i) req.push("APPEND", "respool:test:big" + std::to_string(i), big);
  std::string expected;
  for (int i = 0; i < 8; ++i) req.push("DEL", "respool:test:big" + std::to_string(i));
  conn->send(req, 3);  // three segments per writev at most
  for (int i = 0; i < 8; ++i) expected += fmt::format(":{}\r\n", big.size());
  for (int i = 0; i < 8; ++i) expected += ":1\r\n";
  std::string replies;
  for (std::size_t i = 0; i < req.commands(); ++i) replies += conn->read_reply();
  EXPECT_EQ(replies, expected);
}

}  // namespace
