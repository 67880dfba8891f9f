/// @file
/// @brief respool's error codes: one `std::error_category` for every failure the library reports.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>

namespace respool {

/// Every error respool reports, as a `std::error_code` in the "respool" category.
///
/// Enumerator names are API: they are never renamed, and new ones are added before `last_`.
enum class error : int {
  /// A caller-supplied output buffer is smaller than the bytes that had to be written into it.
  not_enough_space = 1,

  // Malformed replies (the reply parser). Each is a protocol error: the stream cannot be read
  // further, and the parser stays in the error until reset().

  /// A reply starts with a byte that is not a RESP2 or RESP3 type.
  invalid_type_byte,
  /// A length or count is not a canonical decimal (empty, a sign, leading zeros, other bytes).
  invalid_length,
  /// A length or count is negative and not the -1 that means null.
  negative_length,
  /// A line or a bulk payload is not followed by \r\n, or a \r is not followed by \n.
  missing_crlf,
  /// A \n that is not preceded by \r.
  bare_newline,
  /// A boolean (#) that is not t or f.
  invalid_boolean,
  /// An integer (:) that is not a canonical decimal in the range of a 64-bit integer.
  invalid_integer,
  /// A double (,) that is not a decimal floating-point number, inf, -inf or nan.
  invalid_double,
  /// A big number (() that is not an optionally signed sequence of digits.
  invalid_big_number,
  /// A null (_) with content.
  invalid_null,
  /// A verbatim string (=) shorter than its 3-byte format and ':', or without the ':'.
  invalid_verbatim,
  /// A streamed-string part (;) outside a streamed string, or other data inside one.
  invalid_stream_part,
  /// An end marker (.) outside a streamed aggregate, or with content.
  unexpected_stream_end,
  /// A streamed map or attribute that ended after an odd number of elements.
  odd_streamed_map,

  // Limits against hostile or broken servers (resp3::parser_config).

  /// A bulk string, bulk error or verbatim string longer than max_bulk_length.
  bulk_too_long,
  /// Aggregates nested deeper than max_depth.
  nesting_too_deep,
  /// An aggregate declaring, or streaming, more elements than max_aggregate_size.
  aggregate_too_large,
  /// A reply longer than max_reply_bytes.
  reply_too_large,
  /// A reply made of more than max_nodes nodes.
  too_many_nodes,

  // Adapting replies to C++ types.

  /// The server answered with an error; the message is the server's.
  server_error,
  /// The reply's type cannot be adapted to the type asked for.
  unexpected_type,
  /// A null reply, adapted to a type that cannot be empty (use std::optional).
  unexpected_null,
  /// A number that does not fit the integer type asked for.
  integer_out_of_range,
  /// A string reply adapted to a number, that is not one.
  not_a_number,
  /// An aggregate whose size differs from the fixed size of the type asked for.
  wrong_aggregate_size,
  /// A pipeline whose number of replies differs from the number of results asked for.
  wrong_reply_count,

  // Configuration and connections.

  /// A connection URI that is malformed or names an unsupported scheme or option.
  invalid_uri,
  /// The connection was lost after the request was written and before all its replies came;
  /// the request may or may not have run.
  connection_lost,
  /// The request was not written: no connection came up within config::wait_for_connection,
  /// or the connection was down and config::fail_unwritten_when_down, or it was stopped.
  not_connected,
  /// Connecting (resolving, connecting, TLS handshake) took longer than the connect timeout.
  connect_timeout,
  /// The request's replies did not all come within its timeout.
  request_timeout,
  /// The server sent nothing for the health-check interval and then did not answer a PING
  /// within the health-check timeout.
  health_check_failed,
  /// The server refused the connection's setup (HELLO, AUTH, SETNAME or SELECT).
  setup_failed,
  /// A push message came on a connection whose push queue is full and nothing receives them.
  push_queue_full,
  /// No connection of a connection_pool became free within the wait timeout.
  pool_timeout,
  /// An optimistic transaction was aborted by WATCH on every attempt allowed.
  too_many_conflicts,

  /// A simple string, simple error, number or header line longer than max_line_length.
  line_too_long,
  /// An aggregate announcing more elements than a reply may hold (max_nodes nodes, a map's
  /// pairs counting twice, or max_reply_bytes at 3 bytes per element): it could never
  /// complete, so it is refused on its header rather than waited for.
  aggregate_cannot_fit,

  /// The server answered `LOADING`: it is loading its dataset and did not run the command.
  /// Unlike server_error, the command is known not to have run, so it may be sent again.
  server_loading,

  /// The operation needs RESP3 push messages, and the connection speaks RESP2.
  resp3_required,

  /// A request whose bytes are not complete RESP commands: a cluster connection reads a
  /// request to route it, and could not.
  malformed_request,

  /// No sentinel of config::sentinel could be reached, or none knew the master's address (or
  /// a replica's, when a replica was asked for).
  no_sentinel_answer,
  /// The server the sentinels named is not what was asked for: ROLE says replica where a
  /// master was wanted (a failover in progress, or a sentinel that lags), or the reverse.
  wrong_role,
  /// The connection was closed because its master is no longer one: the sentinels announced
  /// a new master, or the server answered READONLY. Requests written on it complete with
  /// error::connection_lost; the others wait for the new master.
  master_changed,

  /// One past the last enumerator; not an error.
  last_
};

/// True for the errors of the reply parser: a malformed reply, or a limit of
/// resp3::parser_config crossed. After one, the byte stream cannot be read further: a
/// connection closes, and the requests it had written complete with this error rather than
/// with error::connection_lost.
///
/// Every enumerator is listed, with no default, so that a new one does not compile warning-free
/// until it is classified here.
[[nodiscard]] constexpr bool is_protocol_error(error e) noexcept {
  switch (e) {
    case error::invalid_type_byte:
    case error::invalid_length:
    case error::negative_length:
    case error::missing_crlf:
    case error::bare_newline:
    case error::invalid_boolean:
    case error::invalid_integer:
    case error::invalid_double:
    case error::invalid_big_number:
    case error::invalid_null:
    case error::invalid_verbatim:
    case error::invalid_stream_part:
    case error::unexpected_stream_end:
    case error::odd_streamed_map:
    case error::bulk_too_long:
    case error::nesting_too_deep:
    case error::aggregate_too_large:
    case error::reply_too_large:
    case error::too_many_nodes:
    case error::line_too_long:
    case error::aggregate_cannot_fit:
      return true;
    case error::not_enough_space:
    case error::server_error:
    case error::unexpected_type:
    case error::unexpected_null:
    case error::integer_out_of_range:
    case error::not_a_number:
    case error::wrong_aggregate_size:
    case error::wrong_reply_count:
    case error::invalid_uri:
    case error::connection_lost:
    case error::not_connected:
    case error::connect_timeout:
    case error::request_timeout:
    case error::health_check_failed:
    case error::setup_failed:
    case error::push_queue_full:
    case error::pool_timeout:
    case error::too_many_conflicts:
    case error::server_loading:
    case error::resp3_required:
    case error::malformed_request:
    case error::no_sentinel_answer:
    case error::wrong_role:
    case error::master_changed:
    case error::last_:
      return false;
  }
  return false;
}

/// The category of every `respool::error`; its name is "respool".
[[nodiscard]] const std::error_category& error_category() noexcept;

/// Makes `e` an error code of respool's category (found by ADL by `std::error_code`'s constructor).
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace respool

template <>
struct std::is_error_code_enum<respool::error> : std::true_type {};

namespace respool {

/// is_protocol_error for an error code of any category (false outside respool's).
[[nodiscard]] inline bool is_protocol_error(const std::error_code& ec) noexcept {
  return ec.category() == error_category() && ec.value() > 0 &&
         ec.value() < static_cast<int>(error::last_) &&
         is_protocol_error(static_cast<error>(ec.value()));
}

}  // namespace respool
