// parse_cluster_shards(): the reply of CLUSTER SHARDS into a slot_map.

#include "slot_map_builder.hpp"
#include <respool/protocol/resp3/type.hpp>

#include <optional>
#include <vector>

namespace respool::cluster {
namespace {

using detail::node_at;
using detail::slot_map_builder;

// The address fields of a node, as they came: absent (nullopt), null or empty (""), or text.
struct addresses {
  std::optional<std::string_view> endpoint, ip, hostname;
};

// A string field, or a null one (read as ""); false for any other type.
bool read_text(resp3::reply_view r, std::size_t i, std::optional<std::string_view>& out) {
  const resp3::node* n = node_at(r, i);
  if (n == nullptr) return false;
  if (n->data_type == resp3::type::null) {
    out = std::string_view{};
    return true;
  }
  if (!detail::is_text(*n)) return false;
  out = n->value;
  return true;
}

node_health health_of(std::string_view s) noexcept {
  if (s == "online") return node_health::online;
  if (s == "failed" || s == "fail") return node_health::failed;
  if (s == "loading") return node_health::loading;
  return node_health::unknown;
}

// One field of a node map into `n` (or `a`, for the address fields). Unknown names are skipped.
bool read_node_field(resp3::reply_view r, std::string_view name, std::size_t i, node_info& n,
                     addresses& a, bool& has_role, std::string& why) {
  std::optional<std::string_view> text;
  if (name == "port") return detail::read_port(r, i, true, n.port, why);
  if (name == "tls-port") return detail::read_port(r, i, true, n.tls_port, why);
  auto* address = name == "endpoint"   ? &a.endpoint
                  : name == "ip"       ? &a.ip
                  : name == "hostname" ? &a.hostname
                                       : nullptr;
  const bool wanted = address != nullptr || name == "id" || name == "role" || name == "health";
  if (!wanted) return true;
  if (!read_text(r, i, text)) {
    why = "the " + std::string(name) + " of a node is not a string";
    return false;
  }
  if (address != nullptr) {
    *address = text;
  } else if (name == "id") {
    n.id = *text;
  } else if (name == "health") {
    n.health = health_of(*text);
  } else if (*text == "master" || *text == "replica" || *text == "slave") {
    n.role = *text == "master" ? node_role::master : node_role::replica;
    has_role = true;
  } else {
    why = "unknown role \"" + std::string(*text) + "\"";
    return false;
  }
  return true;
}

// The first address given, in order of preference: endpoint, ip, hostname.
bool pick_address(slot_map_builder& b, const addresses& a, node_info& n) {
  for (const auto* field : {&a.endpoint, &a.ip, &a.hostname}) {
    if (field->has_value()) {
      b.set_endpoint(n, **field);
      return true;
    }
  }
  return b.fail("a node without an address");
}

bool read_node(slot_map_builder& b, resp3::reply_view r, std::size_t i, std::size_t& index) {
  node_info n;
  addresses a;
  bool has_role = false;
  std::string& why = b.why();
  const bool ok =
      detail::for_each_field(r, i, why, "a node", [&](std::string_view name, std::size_t j) {
        return read_node_field(r, name, j, n, a, has_role, why);
      });
  if (!ok) return b.fail(why);
  if (!has_role) return b.fail("a node without a role");
  if (!pick_address(b, a, n)) return false;
  return b.add_node(std::move(n), false, index);
}

// The nodes of a shard: adds them, then the shard, led by its one master.
bool read_nodes(slot_map_builder& b, resp3::reply_view r, std::size_t i, std::size_t& shard) {
  const resp3::node* n = node_at(r, i);
  if (n == nullptr || n->data_type != resp3::type::array) return b.fail("nodes is not an array");
  std::vector<std::size_t> members;
  bool ok = true;
  resp3::for_each_child(r, i, [&](std::size_t j) {
    std::size_t index = 0;
    if (ok && (ok = read_node(b, r, j, index))) members.push_back(index);
  });
  if (!ok) return false;
  if (members.size() != n->aggregate_size) return b.fail("nodes is cut short");
  std::optional<std::size_t> master;
  for (const std::size_t m : members) {
    if (b.map().nodes()[m].role != node_role::master) continue;
    if (master) return b.fail("a shard with two masters");
    master = m;
  }
  if (!master) return b.fail("a shard without a master");
  if (!b.add_shard(*master, false, shard)) return false;
  for (const std::size_t m : members) {
    if (m != *master && !b.add_replica(shard, m)) return false;
  }
  return true;
}

// The flat list of range ends: start, end, start, end...
bool read_slots(slot_map_builder& b, resp3::reply_view r, std::size_t i, std::size_t shard) {
  const resp3::node* n = node_at(r, i);
  if (n == nullptr || n->data_type != resp3::type::array || n->aggregate_size % 2 != 0) {
    return b.fail("slots is not an array of start and end pairs");
  }
  std::int64_t first = 0;
  std::size_t seen = 0;
  bool ok = true;
  resp3::for_each_child(r, i, [&](std::size_t j) {
    std::int64_t value = 0;
    if (!ok) return;
    if (!detail::read_integer(r[j], value)) {
      ok = b.fail("a slot is not an integer");
    } else if (seen++ % 2 == 0) {
      first = value;
    } else {
      ok = b.add_range(shard, first, value);
    }
  });
  if (ok && seen != n->aggregate_size) return b.fail("slots is cut short");
  return ok;
}

bool read_shard(slot_map_builder& b, resp3::reply_view r, std::size_t i) {
  std::optional<std::size_t> slots, nodes;
  const bool ok =
      detail::for_each_field(r, i, b.why(), "a shard", [&](std::string_view name, std::size_t j) {
        if (name == "slots") slots = j;
        if (name == "nodes") nodes = j;
        return true;
      });
  if (!ok) return b.fail(b.why());
  if (!nodes) return b.fail("a shard without nodes");
  if (!slots) return b.fail("a shard without slots");
  std::size_t shard = 0;
  if (!read_nodes(b, r, *nodes, shard)) return false;
  return read_slots(b, r, *slots, shard);
}

}  // namespace

bool parse_cluster_shards(resp3::reply_view reply, std::string_view queried_host, slot_map& out,
                          std::string& why) {
  slot_map_builder b(out, queried_host, why);
  return detail::read_entries(b, reply, true, &read_shard);
}

}  // namespace respool::cluster
