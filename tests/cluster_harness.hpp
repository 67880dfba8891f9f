// A private Redis Cluster per test: masters and replicas as server_process instances in cluster
// mode on 127.0.0.1, joined with `redis-cli --cluster create`, plus the operations cluster
// tests need to provoke topology changes: a coordinated failover, a slot migration with its
// keys, and a master's sudden death.
//
// Every query of the topology asks the nodes themselves (CLUSTER NODES, CLUSTER INFO): nothing
// is remembered but the node ids, which do not change for the life of a node. redis-cli comes
// from the Debian package redis-tools.
#pragma once

#include "server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace respool::test {

struct cluster_options {
  /// Nodes that get slots when the cluster is created (redis-cli needs at least 3).
  int masters = 3;
  /// Replicas given to each master when the cluster is created.
  int replicas_per_master = 1;
  /// `cluster-node-timeout`: how long until a silent node counts as failing. Small, so that
  /// failovers in tests take a few seconds.
  int node_timeout_ms = 1000;
  /// Extra "directive value" lines for every node, after the harness's own.
  std::vector<std::string> extra;
  /// Join the nodes into a cluster with redis-cli. When false, start() leaves them as fresh,
  /// empty cluster-mode nodes that know only themselves (for a test that creates the cluster
  /// itself, then may call wait_ok()).
  bool create = true;
};

class cluster_harness {
 public:
  /// Starts masters * (1 + replicas_per_master) cluster-mode servers (no persistence, each with
  /// its own nodes.conf in its directory), creates the cluster with redis-cli, and waits (at
  /// most 30 s) until wait_ok() holds (without `create`: only starts them). On failure returns null
  /// and says why, with the tail of the logs. Start it from the test's own thread (see
  /// server_process::start).
  static std::unique_ptr<cluster_harness> start(const cluster_options& options, std::string& why);

  /// Stops every node and removes their directories.
  ~cluster_harness();
  cluster_harness(const cluster_harness&) = delete;
  cluster_harness& operator=(const cluster_harness&) = delete;

  /// Number of nodes, live or killed; node indexes are 0..size()-1 and never change.
  std::size_t size() const noexcept { return nodes_.size(); }
  server_process& node(std::size_t i) { return *nodes_.at(i); }
  /// True unless the node was killed.
  bool alive(std::size_t i) { return nodes_.at(i)->running(); }

  /// "127.0.0.1:p1,127.0.0.1:p2,..." with every node, live or not.
  std::string seeds() const;
  /// "127.0.0.1:p" of the first live node.
  std::string seed();

  /// One command on node i; the raw RESP2 reply bytes, or "" and why (see
  /// server_process::command).
  std::string command(std::size_t i, const std::vector<std::string>& args, std::string& why);
  /// One command on node i whose reply is a simple string, bulk string or integer: its text.
  /// An error reply, a nil, an aggregate or a failure give "" and say why.
  std::string text(std::size_t i, const std::vector<std::string>& args, std::string& why);

  /// The node id (CLUSTER MYID, asked once at start()).
  const std::string& node_id(std::size_t i) const { return ids_.at(i); }

  /// The node that owns `slot` in the view of the first live node, or -1 when none does (or
  /// no live node answers).
  int master_of_slot(std::uint16_t slot);
  /// The same for all 16384 slots at once (empty when no live node answers).
  std::vector<int> slot_owners();
  /// Live nodes that say they are masters, in index order.
  std::vector<std::size_t> masters();
  /// Live nodes that say they replicate `master`, in index order.
  std::vector<std::size_t> replicas_of(std::size_t master);

  /// True once every live node says cluster_state:ok, all of them see the same owner, a live
  /// node, for each of the 16384 slots, and every live replica has a live link to its master
  /// (so that it could take over). Waits at most `limit`; on timeout says why (the last
  /// problem seen).
  bool wait_ok(std::chrono::milliseconds limit, std::string& why);

  /// Waits (at most `limit`) until every live replica of `master` has processed the master's
  /// replication stream up to its current offset, so that the writes made so far survive the
  /// master's death. False (and why) on timeout or when the master has no live replica.
  ///
  /// WAIT is not enough for that: right after a replica's full sync, Redis 7.0 has answered
  /// WAIT 1 with 1 for a write its only replica never received.
  bool wait_replicated(std::size_t master, std::chrono::milliseconds limit, std::string& why);

  /// Writes a key on each master and waits (at most `limit`) until no node's CLUSTER SHARDS
  /// calls a replica "loading": a replica whose offset its peers have not heard of yet is, and
  /// a client that reads the topology from that node sends it no reads.
  bool wait_replicas_online(std::chrono::milliseconds limit, std::string& why);

  /// CLUSTER FAILOVER (coordinated with its master) on `replica`, then waits (at most
  /// node timeout + 10 s) until it says it is a master and wait_ok() holds.
  bool failover(std::size_t replica, std::string& why);

  /// Moves the slots first..last, with their keys, to master `to`, one slot at a time:
  /// SETSLOT IMPORTING on `to`, SETSLOT MIGRATING on the owner, MIGRATE of the keys in batches
  /// of 100 until the owner has none left, then SETSLOT NODE on `to`, on the old owner and on
  /// the other masters. Clients may keep writing meanwhile: the owner sends writes of new keys
  /// to `to` with -ASK. Waits for wait_ok() (at most 10 s) at the end.
  bool move_slots(std::uint16_t first, std::uint16_t last, std::size_t to, std::string& why);
  bool move_slot(std::uint16_t slot, std::size_t to, std::string& why) {
    return move_slots(slot, slot, to, why);
  }

  /// SIGKILL of node i, then waits (at most node timeout + 5 s) until wait_ok() holds, which
  /// for a master means one of its replicas took over its slots.
  bool kill(std::size_t i, std::string& why);

 private:
  explicit cluster_harness(cluster_options options) : options_{std::move(options)} {}
  bool create(std::string& why);
  bool agree(std::string& why);
  std::vector<int> owners_seen_by(std::size_t i, std::string& why);
  bool says_master(std::size_t i, std::string* master_id);
  bool move_one(std::uint16_t slot, std::size_t to, std::string& why);
  bool migrate_keys(std::uint16_t slot, std::size_t from, std::size_t to, std::string& why);
  int index_of_port(std::uint16_t port) const;
  std::string logs_tail() const;

  cluster_options options_;
  std::vector<std::unique_ptr<server_process>> nodes_;
  std::vector<std::string> ids_;
};

}  // namespace respool::test

/// Declares `var` (a std::unique_ptr<cluster_harness>) started with `options`, or skips the
/// test (fails it when RESPOOL_REQUIRE_SERVER=1). For a test body, or any function returning
/// void.
#define RESPOOL_START_CLUSTER_OR_SKIP(var, options)                         \
  std::string var##_why;                                                    \
  auto var = ::respool::test::cluster_harness::start((options), var##_why); \
  RESPOOL_SKIP_UNLESS_STARTED(var, "a redis cluster", var##_why)
