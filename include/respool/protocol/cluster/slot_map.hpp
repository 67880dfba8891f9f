/// @file
/// @brief A Redis Cluster's topology (which shard serves which hash slot), read from the
/// reply of `CLUSTER SHARDS` or `CLUSTER SLOTS`, without any I/O.
#pragma once

#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace respool::cluster {

namespace detail {
class slot_map_builder;
}

/// A node's part in its shard.
enum class node_role : std::uint8_t { master, replica };

/// A node's health as its shard reports it (`CLUSTER SHARDS`); `unknown` when the reply does
/// not say (`CLUSTER SLOTS`, or a value this version does not know).
enum class node_health : std::uint8_t { online, failed, loading, unknown };

/// One node of the cluster.
struct node_info {
  /// The node's 40-character id; empty when the reply has none (`CLUSTER SLOTS` of servers
  /// before Redis 4).
  std::string id;
  /// Where to connect: the endpoint the server prefers clients to use (IP address or host
  /// name). An empty or null endpoint means the node that was queried: its address is given
  /// here in its place. Empty when the endpoint is "?" (unknown): see `reachable`.
  std::string host;
  /// The plain TCP port, 0 when the node has none (TLS only).
  std::uint16_t port = 0;
  /// The TLS port, 0 when the reply gives none.
  std::uint16_t tls_port = 0;
  node_role role = node_role::master;
  node_health health = node_health::unknown;
  /// False when the server does not know an endpoint for the node ("?", as when
  /// cluster-preferred-endpoint-type is hostname and the node has no host name): it cannot be
  /// connected to, and the slots of a master like this are left uncovered.
  bool reachable = true;

  friend bool operator==(const node_info&, const node_info&) = default;
};

/// A contiguous range of hash slots, both ends included.
struct slot_range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;

  friend bool operator==(const slot_range&, const slot_range&) = default;
};

/// A master and its replicas, and the slots they serve. Indices are into slot_map::nodes().
struct shard {
  /// The slot ranges, in the order of the reply. May be empty (a master without slots).
  std::vector<slot_range> ranges;
  std::size_t master = 0;
  std::vector<std::size_t> replicas;
};

/**
 * The cluster's topology: its nodes, its shards and, for every hash slot, the shard that
 * serves it. Filled by parse_cluster_shards() or parse_cluster_slots(); lookups are O(1) and
 * never allocate.
 *
 * A slot is covered when its shard's master is reachable. A slot no shard claims, or whose
 * master's endpoint is unknown ("?"), is uncovered: shard_of() and master_of() return null
 * for it.
 */
class slot_map {
 public:
  /// The shard index of an uncovered slot in shard_index().
  static constexpr std::uint16_t none = 0xffff;
  /// The most shards a map can hold: every index below `none`.
  static constexpr std::size_t max_shards = none;

  slot_map() noexcept { table_.fill(none); }

  [[nodiscard]] const std::vector<node_info>& nodes() const noexcept { return nodes_; }
  [[nodiscard]] const std::vector<shard>& shards() const noexcept { return shards_; }

  /// The index into shards() of the shard serving `slot`, or `none` (also for a slot out of
  /// range).
  [[nodiscard]] std::uint16_t shard_index(std::uint16_t slot) const noexcept {
    return slot < slot_count ? table_[slot] : none;
  }

  /// The shard serving `slot`, or null when it is uncovered.
  [[nodiscard]] const shard* shard_of(std::uint16_t slot) const noexcept {
    const std::uint16_t i = shard_index(slot);
    return i == none ? nullptr : &shards_[i];
  }

  /// The master serving `slot`, or null when it is uncovered.
  [[nodiscard]] const node_info* master_of(std::uint16_t slot) const noexcept {
    const shard* s = shard_of(slot);
    return s == nullptr ? nullptr : &nodes_[s->master];
  }

  /// How many of the 16384 slots are covered.
  [[nodiscard]] std::size_t covered_slots() const noexcept { return covered_; }

  /// True when every slot is covered: every key can be routed.
  [[nodiscard]] bool covers_all() const noexcept { return covered_ == slot_count; }

  /// Forgets everything: no nodes, no shards, no slot covered. Keeps the vectors' memory.
  void clear() noexcept;

 private:
  friend class detail::slot_map_builder;

  std::vector<node_info> nodes_;
  std::vector<shard> shards_;
  std::array<std::uint16_t, slot_count> table_{};
  std::size_t covered_ = 0;
};

/**
 * Reads the reply of `CLUSTER SHARDS` (Redis 7 and later) into `out`: an array of shards, each
 * a map (RESP3) or a flat array of alternating names and values (RESP2) with `slots` (a flat
 * array of range ends: start, end, start, end...) and `nodes` (an array of node maps: `id`,
 * `endpoint`, `ip`, `hostname`, `port`, `tls-port`, `role`, `health`, ...).
 *
 * A node's address is its `endpoint`, else its `ip`, else its `hostname`; "" (or null) stands
 * for `queried_host`, the address the reply came from, and "?" makes the node unreachable.
 * Fields this function does not know are skipped. Health "online", "failed" (or "fail", as
 * Redis 7.0 writes it) and "loading"; anything else is `unknown`.
 *
 * On success returns true. On a malformed reply (wrong types, a slot out of range, a shard
 * without a master or with two, a node without a port or an address, a node listed twice, a
 * slot claimed twice — overlapping ranges are an error, not resolved by order) or an error
 * reply, returns false, sets `why` to what was wrong and leaves `out` empty. Never reads
 * outside `reply`, even when its aggregates are cut short.
 */
bool parse_cluster_shards(resp3::reply_view reply, std::string_view queried_host, slot_map& out,
                          std::string& why);

/**
 * Reads the reply of `CLUSTER SLOTS` (every cluster-enabled Redis; deprecated in 7) into
 * `out`: an array of entries `[start, end, master, replica...]`, each node an array
 * `[endpoint, port, id, metadata]` where the id (Redis 4 and later) and metadata (Redis 7: a
 * map, or a flat array in RESP2, with `hostname` or `ip`) may be missing. Entries with the
 * same master (by id, else by endpoint and port) make one shard with several ranges.
 *
 * Endpoints follow the rules of parse_cluster_shards(); roles come from the position (the
 * first node of an entry is the master), health is `unknown`. Errors as for
 * parse_cluster_shards().
 */
bool parse_cluster_slots(resp3::reply_view reply, std::string_view queried_host, slot_map& out,
                         std::string& why);

}  // namespace respool::cluster
