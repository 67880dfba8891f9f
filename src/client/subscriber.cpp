#include <respool/client/subscriber.hpp>
#include <respool/protocol/error.hpp>

namespace respool {

std::error_code subscriber::refuse(std::string_view cmd, std::size_t names) const noexcept {
  // RESP2 answers (un)subscriptions with ordinary arrays that would be taken for PING's reply,
  // and refuses PING and every other command while subscribed.
  if (conn_->get_config().protocol == 2 || conn_->protocol() == 2) return error::resp3_required;
  // SUBSCRIBE with no name is an error reply; UNSUBSCRIBE with none means all.
  const bool subscribing = cmd.find("UN") == std::string_view::npos;
  if (subscribing && names == 0) return std::make_error_code(std::errc::invalid_argument);
  return {};
}

bool subscriber::read_message(const generic_reply& push, message& out) {
  const auto nodes = push.nodes();
  if (nodes.size() < 4 || !resp3::is_aggregate(nodes[0].data_type)) return false;
  const std::string_view kind = nodes[1].value;
  // [message, channel, payload], [smessage, channel, payload], [pmessage, pattern, channel,
  // payload]: flat, every element a bulk string.
  if ((kind == "message" || kind == "smessage") && nodes[0].aggregate_size == 3) {
    out.kind = kind == "message" ? message::channel : message::shard;
    out.pattern_text.clear();
    out.channel_name.assign(nodes[2].value);
    out.payload.assign(nodes[3].value);
    return true;
  }
  if (kind == "pmessage" && nodes[0].aggregate_size == 4 && nodes.size() >= 5) {
    out.kind = message::pattern;
    out.pattern_text.assign(nodes[2].value);
    out.channel_name.assign(nodes[3].value);
    out.payload.assign(nodes[4].value);
    return true;
  }
  return false;
}

}  // namespace respool
