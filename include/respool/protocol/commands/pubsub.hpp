/// @file commands/pubsub.hpp
/// @brief Typed commands of publish/subscribe that any connection may send. Subscribing
/// changes what a connection receives: that is respool::subscriber's (subscriber.hpp).
#pragma once

#include <respool/protocol/commands/command.hpp>

namespace respool::cmd {

/// PUBLISH: how many clients received the message (on a cluster, those of this node only).
/// @see https://redis.io/commands/publish/
[[nodiscard]] inline auto publish(borrowed_string channel, borrowed_string message) {
  return make_command<long long>(
      [channel, message](request& r) { r.push("PUBLISH", channel, message); });
}

}  // namespace respool::cmd
