// What parse_cluster_shards() and parse_cluster_slots() share: reading fields and numbers out
// of reply nodes safely, and filling a slot_map while checking it.
#pragma once

#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace respool::cluster::detail {

// The node at `i`, or null past the end of a reply cut short.
inline const resp3::node* node_at(resp3::reply_view r, std::size_t i) noexcept {
  return i < r.size() ? &r[i] : nullptr;
}

// True for the string types a name or an address can come as.
bool is_text(const resp3::node& n) noexcept;

// A number sent as an integer or as decimal digits in a string; false for anything else.
bool read_integer(const resp3::node& n, std::int64_t& value) noexcept;

// Calls f(name, value_index) for each pair of the map at `i`: a RESP3 map, or a RESP2 array of
// alternating names and values. f returns false to stop. Returns false, with `why` set, when
// `i` is neither, a name is not a string, or the aggregate is cut short; or when f fails.
template <class F>
bool for_each_field(resp3::reply_view r, std::size_t i, std::string& why, const char* what, F&& f) {
  const resp3::node* n = node_at(r, i);
  const bool flat = n != nullptr && n->data_type == resp3::type::array;
  if (n == nullptr || !(n->data_type == resp3::type::map || (flat && n->aggregate_size % 2 == 0))) {
    why = std::string(what) + " is not a map";
    return false;
  }
  const std::size_t expected = resp3::child_count(*n);
  std::size_t seen = 0;
  std::size_t name = 0;
  bool ok = true;
  resp3::for_each_child(r, i, [&](std::size_t j) {
    if (ok && seen++ % 2 == 0) {
      name = j;
    } else if (ok) {
      if (!is_text(r[name])) {
        why = std::string("a field name of ") + what + " is not a string";
        ok = false;
      } else {
        ok = f(r[name].value, j);
      }
    }
  });
  if (ok && seen != expected) {
    why = std::string(what) + " is cut short";
    ok = false;
  }
  return ok;
}

// Fills a slot_map: nodes (each id at most once), shards, and the slot table; clears it again
// when parsing fails.
class slot_map_builder {
 public:
  slot_map_builder(slot_map& out, std::string_view queried_host, std::string& why);

  // Records why parsing failed, empties the map, and returns false.
  bool fail(std::string message);

  // Sets `n.host` and `n.reachable` from an endpoint: "" (a null one is passed as "") means
  // the queried node, "?" an unknown one. A node left without an address is unreachable.
  void set_endpoint(node_info& n, std::string_view endpoint) const;

  // Adds a node and sets `index` to it. With `reuse`, a node already added with the same key
  // (its id, or its address and port without an id) is found instead of added twice;
  // otherwise a second node with the same key is an error.
  bool add_node(node_info n, bool reuse, std::size_t& index);

  // Adds a shard led by the master `master`, or, with `reuse`, finds the one it already
  // leads; sets `index` to it.
  bool add_shard(std::size_t master, bool reuse, std::size_t& index);

  // Lists a node among a shard's replicas, once however often it is named; a node named as
  // the replica of two shards is an error.
  bool add_replica(std::size_t shard, std::size_t node);

  // Gives the slots first..last to a shard: both in range, first <= last, none claimed yet.
  bool add_range(std::size_t shard, std::int64_t first, std::int64_t last);

  // Checks each shard's master and leaves uncovered the slots of unreachable masters.
  bool finish();

  [[nodiscard]] slot_map& map() noexcept { return out_; }
  [[nodiscard]] std::string& why() noexcept { return why_; }

 private:
  slot_map& out_;
  std::string_view queried_host_;
  std::string& why_;
  std::unordered_map<std::string, std::size_t> node_by_key_;
  std::unordered_map<std::size_t, std::size_t> shard_by_master_;
  std::unordered_map<std::size_t, std::size_t> shard_by_replica_;
};

// Reads a port: 1 to 65535, or 0 for "none" when `zero_ok`.
bool read_port(resp3::reply_view r, std::size_t i, bool zero_ok, std::uint16_t& port,
               std::string& why);

// Reads a whole reply that is a list of entries (an array; a set too when `set_allowed`) into
// `b`, each entry with read_entry(b, reply, index), then checks the map: the top level that
// both CLUSTER SHARDS and CLUSTER SLOTS have.
template <class ReadEntry>
bool read_entries(slot_map_builder& b, resp3::reply_view reply, bool set_allowed,
                  ReadEntry&& read_entry) {
  const resp3::node* root = node_at(reply, 0);
  if (root == nullptr) return b.fail("an empty reply");
  // Messages built by appends: GCC 12 warns falsely (-Wrestrict) on literal + string here.
  std::string message;
  if (resp3::is_error(root->data_type)) {
    message.append("the server replied with an error: ").append(root->value);
    return b.fail(std::move(message));
  }
  if (root->data_type != resp3::type::array &&
      !(set_allowed && root->data_type == resp3::type::set)) {
    message.append("the reply is a ").append(resp3::to_string(root->data_type));
    return b.fail(std::move(message.append(", not an array")));
  }
  std::size_t seen = 0;
  bool ok = true;
  resp3::for_each_child(reply, 0, [&](std::size_t j) {
    if (ok) ok = read_entry(b, reply, j);
    ++seen;
  });
  if (!ok) return false;
  if (seen != root->aggregate_size) return b.fail("the reply is cut short");
  return b.finish();
}

}  // namespace respool::cluster::detail
