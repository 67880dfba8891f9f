#include <respool/protocol/error.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace respool {
namespace {

struct message_entry {
  error code;
  const char* text;
};

// The message of each error, in the order of the enumeration (checked below).
constexpr auto messages = std::to_array<message_entry>({
    {error::not_enough_space, "the output buffer is too small for the data to be written"},
    {error::invalid_type_byte, "protocol error: unknown RESP type byte"},
    {error::invalid_length, "protocol error: a length or count is not a canonical decimal"},
    {error::negative_length, "protocol error: a negative length other than -1"},
    {error::missing_crlf, "protocol error: missing \\r\\n"},
    {error::bare_newline, "protocol error: \\n without \\r"},
    {error::invalid_boolean, "protocol error: a boolean other than t or f"},
    {error::invalid_integer, "protocol error: an integer that is not a canonical 64-bit decimal"},
    {error::invalid_double, "protocol error: an invalid double"},
    {error::invalid_big_number, "protocol error: an invalid big number"},
    {error::invalid_null, "protocol error: a null with content"},
    {error::invalid_verbatim, "protocol error: a verbatim string without its format"},
    {error::invalid_stream_part, "protocol error: a streamed-string part out of place"},
    {error::unexpected_stream_end, "protocol error: an end marker outside a streamed aggregate"},
    {error::odd_streamed_map, "protocol error: a streamed map with an odd number of elements"},
    {error::bulk_too_long, "a bulk string is longer than the configured maximum"},
    {error::nesting_too_deep, "a reply is nested deeper than the configured maximum"},
    {error::aggregate_too_large, "an aggregate has more elements than the configured maximum"},
    {error::reply_too_large, "a reply is longer than the configured maximum"},
    {error::too_many_nodes, "a reply has more nodes than the configured maximum"},
    {error::server_error, "the server replied with an error"},
    {error::unexpected_type, "the reply's type does not match the type it is adapted to"},
    {error::unexpected_null, "a null reply adapted to a type that cannot be empty"},
    {error::integer_out_of_range, "a number out of the range of the integer type it is adapted to"},
    {error::not_a_number, "a string reply adapted to a number is not a number"},
    {error::wrong_aggregate_size,
     "an aggregate's size differs from the size of the type it is adapted to"},
    {error::wrong_reply_count, "the number of replies differs from the number of results expected"},
    {error::invalid_uri, "a malformed or unsupported connection URI"},
    {error::connection_lost, "the connection was lost before the request's replies came"},
    {error::not_connected, "the request was not sent: not connected"},
    {error::connect_timeout, "connecting took longer than the connect timeout"},
    {error::request_timeout, "the request's replies did not come within its timeout"},
    {error::health_check_failed, "the server did not answer the health check in time"},
    {error::setup_failed, "the server refused the connection setup"},
    {error::push_queue_full,
     "a push message was dropped: the push queue is full and nothing receives it"},
    {error::pool_timeout, "no pooled connection became free in time"},
    {error::too_many_conflicts, "the transaction was aborted by WATCH on every attempt"},
    {error::line_too_long, "a line of a reply is longer than the configured maximum"},
    {error::aggregate_cannot_fit, "an aggregate announces more elements than a reply may hold"},
    {error::server_loading, "the server is loading its dataset"},
    {error::resp3_required, "this needs RESP3 push messages, and the connection speaks RESP2"},
    {error::malformed_request, "the request's bytes are not complete RESP commands"},
    {error::no_sentinel_answer, "no sentinel could say where the server is"},
    {error::wrong_role, "the server's role is not the one asked for"},
    {error::master_changed, "the master changed"},
});

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (static_cast<std::size_t>(messages[i].code) != i + 1) return false;
  }
  return messages.size() + 1 == static_cast<std::size_t>(error::last_);
}
static_assert(in_enum_order(), "one message per error, in the order of enum class error");

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "respool"; }

  [[nodiscard]] std::string message(int value) const override {
    if (value >= 1 && static_cast<std::size_t>(value) <= messages.size()) {
      return messages[static_cast<std::size_t>(value) - 1].text;
    }
    return "unknown respool error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace respool
