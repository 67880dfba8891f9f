// parse_cluster_slots(): the reply of CLUSTER SLOTS into a slot_map.

#include "slot_map_builder.hpp"
#include <respool/protocol/resp3/type.hpp>

#include <vector>

namespace respool::cluster {
namespace {

using detail::node_at;
using detail::slot_map_builder;

bool is_array(const resp3::node* n) noexcept {
  return n != nullptr && n->data_type == resp3::type::array;
}

// The children of the array at `i`, or false when it is cut short.
bool children_of(resp3::reply_view r, std::size_t i, std::vector<std::size_t>& out) {
  out.clear();
  resp3::for_each_child(r, i, [&](std::size_t j) { out.push_back(j); });
  return out.size() == r[i].aggregate_size;
}

// One node, [endpoint, port, id, metadata], the last two optional. The metadata (host name,
// IP address) must be well formed but is not used: the endpoint is what clients connect to.
bool read_slot_node(slot_map_builder& b, resp3::reply_view r, std::size_t i, node_role role,
                    std::size_t& index) {
  std::vector<std::size_t> parts;
  if (!is_array(node_at(r, i))) return b.fail("a node is not an array");
  if (!children_of(r, i, parts)) return b.fail("a node is cut short");
  if (parts.size() < 2) return b.fail("a node without a port");
  node_info n;
  n.role = role;
  const resp3::node& endpoint = r[parts[0]];
  if (endpoint.data_type != resp3::type::null && !detail::is_text(endpoint)) {
    return b.fail("the endpoint of a node is not a string");
  }
  b.set_endpoint(n, endpoint.value);
  if (!detail::read_port(r, parts[1], false, n.port, b.why())) return b.fail(b.why());
  if (parts.size() > 2) {
    const resp3::node& id = r[parts[2]];
    if (!detail::is_text(id)) return b.fail("the id of a node is not a string");
    n.id = id.value;
  }
  if (parts.size() > 3) {
    const bool ok = detail::for_each_field(r, parts[3], b.why(), "the metadata of a node",
                                           [](std::string_view, std::size_t) { return true; });
    if (!ok) return b.fail(b.why());
  }
  if (!b.add_node(std::move(n), true, index)) return false;
  if (b.map().nodes()[index].role != role) {
    return b.fail("node " + b.map().nodes()[index].id + " is both a master and a replica");
  }
  return true;
}

// One entry: [start, end, master, replica...]. Entries with the same master share a shard.
bool read_entry(slot_map_builder& b, resp3::reply_view r, std::size_t i) {
  std::vector<std::size_t> parts;
  if (!is_array(node_at(r, i))) return b.fail("a slot entry is not an array");
  if (!children_of(r, i, parts)) return b.fail("a slot entry is cut short");
  if (parts.size() < 3) return b.fail("a slot entry without a master");
  std::int64_t first = 0;
  std::int64_t last = 0;
  if (!detail::read_integer(r[parts[0]], first) || !detail::read_integer(r[parts[1]], last)) {
    return b.fail("a slot is not an integer");
  }
  std::size_t master = 0;
  std::size_t shard = 0;
  if (!read_slot_node(b, r, parts[2], node_role::master, master)) return false;
  if (!b.add_shard(master, true, shard)) return false;
  // The range is claimed before the replicas are read: a reply can then hold at most 16384
  // entries that get this far, which bounds the work on replicas too.
  if (!b.add_range(shard, first, last)) return false;
  for (std::size_t k = 3; k < parts.size(); ++k) {
    std::size_t replica = 0;
    if (!read_slot_node(b, r, parts[k], node_role::replica, replica)) return false;
    if (!b.add_replica(shard, replica)) return false;
  }
  return true;
}

}  // namespace

bool parse_cluster_slots(resp3::reply_view reply, std::string_view queried_host, slot_map& out,
                         std::string& why) {
  slot_map_builder b(out, queried_host, why);
  return detail::read_entries(b, reply, false, &read_entry);
}

}  // namespace respool::cluster
