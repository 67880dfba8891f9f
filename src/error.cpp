#include <respool/error.hpp>

namespace respool {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "respool"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::not_enough_space:
        return "the output buffer is too small for the data to be written";
      case error::invalid_type_byte:
        return "protocol error: unknown RESP type byte";
      case error::invalid_length:
        return "protocol error: a length or count is not a canonical decimal";
      case error::negative_length:
        return "protocol error: a negative length other than -1";
      case error::missing_crlf:
        return "protocol error: missing \\r\\n";
      case error::bare_newline:
        return "protocol error: \\n without \\r";
      case error::invalid_boolean:
        return "protocol error: a boolean other than t or f";
      case error::invalid_integer:
        return "protocol error: an integer that is not a canonical 64-bit decimal";
      case error::invalid_double:
        return "protocol error: an invalid double";
      case error::invalid_big_number:
        return "protocol error: an invalid big number";
      case error::invalid_null:
        return "protocol error: a null with content";
      case error::invalid_verbatim:
        return "protocol error: a verbatim string without its format";
      case error::invalid_stream_part:
        return "protocol error: a streamed-string part out of place";
      case error::unexpected_stream_end:
        return "protocol error: an end marker outside a streamed aggregate";
      case error::odd_streamed_map:
        return "protocol error: a streamed map with an odd number of elements";
      case error::bulk_too_long:
        return "a bulk string is longer than the configured maximum";
      case error::nesting_too_deep:
        return "a reply is nested deeper than the configured maximum";
      case error::aggregate_too_large:
        return "an aggregate has more elements than the configured maximum";
      case error::reply_too_large:
        return "a reply is longer than the configured maximum";
      case error::too_many_nodes:
        return "a reply has more nodes than the configured maximum";
      case error::server_error:
        return "the server replied with an error";
      case error::unexpected_type:
        return "the reply's type does not match the type it is adapted to";
      case error::unexpected_null:
        return "a null reply adapted to a type that cannot be empty";
      case error::integer_out_of_range:
        return "a number out of the range of the integer type it is adapted to";
      case error::not_a_number:
        return "a string reply adapted to a number is not a number";
      case error::wrong_aggregate_size:
        return "an aggregate's size differs from the size of the type it is adapted to";
      case error::wrong_reply_count:
        return "the number of replies differs from the number of results expected";
      case error::invalid_uri:
        return "a malformed or unsupported connection URI";
      case error::connection_lost:
        return "the connection was lost before the request's replies came";
      case error::not_connected:
        return "the request was not sent: not connected";
      case error::connect_timeout:
        return "connecting took longer than the connect timeout";
      case error::request_timeout:
        return "the request's replies did not come within its timeout";
      case error::health_check_failed:
        return "the server did not answer the health check in time";
      case error::setup_failed:
        return "the server refused the connection setup";
      case error::pool_timeout:
        return "no pooled connection became free in time";
      case error::too_many_conflicts:
        return "the transaction was aborted by WATCH on every attempt";
      case error::push_queue_full:
        return "a push message was dropped: the push queue is full and nothing receives it";
      case error::line_too_long:
        return "a line of a reply is longer than the configured maximum";
      case error::aggregate_cannot_fit:
        return "an aggregate announces more elements than a reply may hold";
      case error::server_loading:
        return "the server is loading its dataset";
      case error::resp3_required:
        return "this needs RESP3 push messages, and the connection speaks RESP2";
      case error::last_:
        break;
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
