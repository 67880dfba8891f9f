#include <respool/subscriber.hpp>

namespace respool {

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
