#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <asio/error.hpp>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using respool::error;

TEST(error_test, every_enumerator_has_category_and_message) {
  int checked = 0;
  for (int v = 1; v < static_cast<int>(error::last_); ++v) {
    const std::error_code ec = static_cast<error>(v);
    EXPECT_EQ(&ec.category(), &respool::error_category());
    EXPECT_STREQ(ec.category().name(), "respool");
    EXPECT_EQ(ec.value(), v);
    const std::string msg = ec.message();
    EXPECT_FALSE(msg.empty()) << "enumerator " << v;
    // The category's fallback for values it does not know.
    EXPECT_NE(msg.rfind("unknown respool error", 0), 0u) << "enumerator " << v << ": " << msg;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(error::last_) - 1);
}

TEST(error_test, converts_implicitly_and_compares) {
  static_assert(std::is_error_code_enum_v<error>);
  std::error_code ec = error::not_enough_space;
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec, error::not_enough_space);
  EXPECT_NE(ec, std::make_error_code(std::errc::no_buffer_space));
}

TEST(error_test, out_of_range_value_says_so) {
  const std::error_code ec{static_cast<int>(error::last_), respool::error_category()};
  EXPECT_EQ(ec.message().rfind("unknown respool error", 0), 0u);
}

TEST(error_test, throws_as_system_error) {
  try {
    throw std::system_error{error::not_enough_space};
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::not_enough_space);
    EXPECT_NE(std::string{e.what()}.find("too small"), std::string::npos);
  }
}

// is_protocol_error holds for exactly the errors the parser reports: each of those has an
// input here that makes a parser report it, and no other enumerator is a protocol error.
TEST(error_test, protocol_errors_are_exactly_the_parsers) {
  using respool::resp3::parser_config;
  parser_config tight;
  tight.max_bulk_length = 4;
  tight.max_depth = 2;
  tight.max_aggregate_size = 3;
  tight.max_reply_bytes = 64;
  tight.max_nodes = 6;
  tight.max_line_length = 16;
  const std::map<error, std::string_view> makes = {
      {error::invalid_type_byte, "x\r\n"},
      {error::invalid_length, "$01\r\n"},
      {error::negative_length, "$-2\r\n"},
      {error::missing_crlf, "+a\rb"},
      {error::bare_newline, "+a\n"},
      {error::invalid_boolean, "#x\r\n"},
      {error::invalid_integer, ":1.5\r\n"},
      {error::invalid_double, ",x\r\n"},
      {error::invalid_big_number, "(1x\r\n"},
      {error::invalid_null, "_x\r\n"},
      {error::invalid_verbatim, "=3\r\nabc\r\n"},
      {error::invalid_stream_part, ";3\r\nabc\r\n"},
      {error::unexpected_stream_end, ".\r\n"},
      {error::odd_streamed_map, "%?\r\n:1\r\n.\r\n"},
      {error::bulk_too_long, "$5\r\n"},
      {error::nesting_too_deep, "*1\r\n*1\r\n*1\r\n"},
      {error::aggregate_too_large, "*4\r\n"},
      {error::reply_too_large,
       "*2\r\n*3\r\n+0123456789abcdef\r\n+0123456789abcdef\r\n+0123456789abcdef\r\n+x\r\n"},
      {error::too_many_nodes, "*3\r\n*2\r\n:1\r\n:2\r\n*1\r\n:3\r\n:4\r\n"},
      {error::line_too_long, "+0123456789abcdefg\r\n"},
      {error::aggregate_cannot_fit, "*3\r\n*3\r\n:1\r\n*3\r\n"},
  };
  int protocol = 0;
  for (int v = 1; v < static_cast<int>(error::last_); ++v) {
    const auto e = static_cast<error>(v);
    const auto input = makes.find(e);
    EXPECT_EQ(respool::is_protocol_error(e), input != makes.end())
        << respool::make_error_code(e).message();
    EXPECT_EQ(respool::is_protocol_error(respool::make_error_code(e)),
              respool::is_protocol_error(e));
    if (input == makes.end()) continue;
    ++protocol;
    respool::resp3::parser p(tight);
    std::error_code ec;
    EXPECT_FALSE(p.parse(input->second, ec));
    EXPECT_EQ(ec, e) << "input for " << make_error_code(e).message() << " gave " << ec.message();
  }
  EXPECT_EQ(protocol, static_cast<int>(makes.size()));
  // Other categories and values outside the enumeration are not.
  EXPECT_FALSE(respool::is_protocol_error(std::error_code{}));
  EXPECT_FALSE(respool::is_protocol_error(std::make_error_code(std::errc::invalid_argument)));
  EXPECT_FALSE(respool::is_protocol_error(make_error_code(asio::error::eof)));
  EXPECT_FALSE(respool::is_protocol_error(
      std::error_code{static_cast<int>(error::last_), respool::error_category()}));
  static_assert(respool::is_protocol_error(error::missing_crlf));
  static_assert(!respool::is_protocol_error(error::connection_lost));
}

}  // namespace
