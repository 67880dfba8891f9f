// slot_map, and the builder and readers parse_cluster_shards() and parse_cluster_slots() share.

#include "slot_map_builder.hpp"

#include <charconv>
#include <utility>

namespace respool::cluster {

void slot_map::clear() noexcept {
  nodes_.clear();
  shards_.clear();
  table_.fill(none);
  covered_ = 0;
}

namespace detail {

bool is_text(const resp3::node& n) noexcept { return resp3::is_string(n.data_type); }

bool read_integer(const resp3::node& n, std::int64_t& value) noexcept {
  if (n.data_type != resp3::type::number && !is_text(n)) return false;
  const std::string_view text =
      n.data_type == resp3::type::verbatim_string ? resp3::verbatim_text(n) : n.value;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && ptr == end && !text.empty();
}

bool read_port(resp3::reply_view r, std::size_t i, bool zero_ok, std::uint16_t& port,
               std::string& why) {
  const resp3::node* n = node_at(r, i);
  std::int64_t value = 0;
  if (n == nullptr || !read_integer(*n, value)) {
    why = "a port is not an integer";
    return false;
  }
  if (value < 0 || value > 65535 || (value == 0 && !zero_ok)) {
    why = "port " + std::to_string(value) + " out of range";
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

slot_map_builder::slot_map_builder(slot_map& out, std::string_view queried_host, std::string& why)
    : out_(out), queried_host_(queried_host), why_(why) {
  out_.clear();
  why_.clear();
}

bool slot_map_builder::fail(std::string message) {
  why_ = std::move(message);
  out_.clear();
  return false;
}

void slot_map_builder::set_endpoint(node_info& n, std::string_view endpoint) const {
  if (endpoint == "?") {
    n.host.clear();
    n.reachable = false;
    return;
  }
  n.host = endpoint.empty() ? queried_host_ : endpoint;
  n.reachable = !n.host.empty();
}

bool slot_map_builder::add_node(node_info n, bool reuse, std::size_t& index) {
  if (n.port == 0 && n.tls_port == 0) return fail("a node without a port");
  // Without an id, a node is known by where it listens.
  std::string key = n.id.empty() ? "at:" + n.host + ':' + std::to_string(n.port) : "id:" + n.id;
  const auto [it, added] = node_by_key_.try_emplace(std::move(key), out_.nodes_.size());
  if (!added) {
    if (!reuse) return fail("node " + it->first.substr(3) + " is listed twice");
    index = it->second;
    return true;
  }
  index = out_.nodes_.size();
  out_.nodes_.push_back(std::move(n));
  return true;
}

bool slot_map_builder::add_shard(std::size_t master, bool reuse, std::size_t& index) {
  if (reuse) {
    const auto it = shard_by_master_.find(master);
    if (it != shard_by_master_.end()) {
      index = it->second;
      return true;
    }
  }
  if (out_.shards_.size() >= slot_map::max_shards) return fail("too many shards");
  index = out_.shards_.size();
  shard_by_master_.emplace(master, index);
  out_.shards_.emplace_back();
  out_.shards_.back().master = master;
  return true;
}

bool slot_map_builder::add_replica(std::size_t shard, std::size_t node) {
  const auto [it, added] = shard_by_replica_.try_emplace(node, shard);
  if (added) {
    out_.shards_[shard].replicas.push_back(node);
  } else if (it->second != shard) {
    return fail("node " + out_.nodes_[node].id + " is the replica of two masters");
  }
  return true;
}

bool slot_map_builder::add_range(std::size_t shard, std::int64_t first, std::int64_t last) {
  for (const std::int64_t s : {first, last}) {
    if (s < 0 || s >= slot_count) return fail("slot " + std::to_string(s) + " out of range");
  }
  if (first > last) {
    return fail("slot range " + std::to_string(first) + "-" + std::to_string(last) +
                " ends before it starts");
  }
  // Each slot is written once at most: a second claim fails here, so the work stays bounded
  // by the 16384 slots however many ranges a reply holds.
  auto& table = out_.table_;
  for (auto s = static_cast<std::size_t>(first); s <= static_cast<std::size_t>(last); ++s) {
    if (table[s] != slot_map::none) {
      return fail("slot " + std::to_string(s) + " is claimed twice");
    }
    table[s] = static_cast<std::uint16_t>(shard);
  }
  out_.shards_[shard].ranges.push_back(
      {static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
  return true;
}

bool slot_map_builder::finish() {
  std::size_t covered = 0;
  for (auto& entry : out_.table_) {
    if (entry == slot_map::none) continue;
    if (!out_.nodes_[out_.shards_[entry].master].reachable) {
      entry = slot_map::none;  // its master cannot be connected to: no route
    } else {
      ++covered;
    }
  }
  out_.covered_ = covered;
  return true;
}

}  // namespace detail
}  // namespace respool::cluster
