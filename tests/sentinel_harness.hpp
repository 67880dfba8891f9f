// A private Sentinel deployment for tests: a master, its replicas and sentinels watching them,
// each a redis-server process of its own on a free loopback port (server_process).
#pragma once

#include "server_process.hpp"
#include <respool/protocol/config.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace respool::test {

struct sentinel_options {
  std::string master_name = "mymaster";
  std::size_t replicas = 1;
  std::size_t sentinels = 3;
  /// `sentinel down-after-milliseconds`: how long a silent master takes to count as down.
  std::chrono::milliseconds down_after{1000};
};

class sentinel_harness {
 public:
  /// Starts the master, its replicas (replicaof the master) and the sentinels (quorum: a
  /// majority of them), then waits (at most 30 s) until every sentinel knows every replica
  /// and every other sentinel, and every replica is in sync: a failover can then happen. On
  /// failure returns null and says why. Start it from the test's own thread.
  static std::unique_ptr<sentinel_harness> start(const sentinel_options& options, std::string& why);

  /// The data servers: 0 is the first master, then the replicas; indexes never change.
  std::size_t servers() const noexcept { return servers_.size(); }
  server_process& server(std::size_t i) { return *servers_.at(i); }
  server_process& sentinel(std::size_t i) { return *sentinels_.at(i); }
  std::size_t sentinels() const noexcept { return sentinels_.size(); }

  /// config::sentinel naming every sentinel, live or not.
  sentinel_config sentinel_settings() const;
  /// "redis+sentinel://127.0.0.1:p1,127.0.0.1:p2,.../<name>".
  std::string uri() const;

  /// The server that the first live sentinel names as the master, or -1 (and why).
  int master_index(std::string& why);
  /// Waits (at most `limit`) until every live sentinel names server `i` as the master and
  /// server `i` says it is one.
  bool wait_master(std::size_t i, std::chrono::milliseconds limit, std::string& why);
  /// SENTINEL FAILOVER on the first live sentinel, then waits (at most 30 s) until the
  /// sentinels agree on a new master; its index in `to`.
  bool failover(std::size_t& to, std::string& why);

 private:
  explicit sentinel_harness(sentinel_options options) : options_{std::move(options)} {}
  bool start_servers(std::string& why);
  bool start_sentinels(std::string& why);
  bool wait_ready(std::chrono::milliseconds limit, std::string& why);
  // A command on the first live sentinel (its raw RESP2 reply), or "" and why.
  std::string ask_sentinel(const std::vector<std::string>& args, std::string& why);
  int index_of_port(int port) const;

  sentinel_options options_;
  std::vector<std::unique_ptr<server_process>> servers_;
  std::vector<std::unique_ptr<server_process>> sentinels_;
};

}  // namespace respool::test

/// Declares `var` (a std::unique_ptr<sentinel_harness>) started with `options`, or skips the
/// test (fails it when RESPOOL_REQUIRE_SERVER=1).
#define RESPOOL_START_SENTINELS_OR_SKIP(var, options)                        \
  std::string var##_why;                                                     \
  auto var = ::respool::test::sentinel_harness::start((options), var##_why); \
  RESPOOL_SKIP_UNLESS_STARTED(var, "Sentinel deployment", var##_why)
