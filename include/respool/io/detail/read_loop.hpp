/// @file read_loop.hpp
/// @brief The step of a read loop that follows a read: the replies now whole in a reader, one
/// after the other. Shared by respool::connection and respool-cli.
#pragma once

#include <respool/protocol/resp3/reader.hpp>

#include <system_error>

namespace respool::detail {

/// Hands each reply that has arrived whole in `r` (after r.commit()) to `on_reply(reply_view)`,
/// until it returns false or more bytes are needed. Returns the protocol error that stopped
/// the parsing, if any (sticky: the stream cannot be read further).
template <class OnReply>
std::error_code for_each_reply(resp3::reader& r, OnReply&& on_reply) {
  std::error_code ec;
  while (r.next(ec)) {
    if (!on_reply(r.reply())) break;
  }
  return ec;
}

}  // namespace respool::detail
