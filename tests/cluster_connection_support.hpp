// What the tests that run a cluster_connection against the harness's cluster share.
#pragma once

#include "cluster_harness.hpp"
#include "connection_support.hpp"
#include <respool/cluster.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>
#include <utility>

namespace respool::test {

// The text of a reply kept in a generic_response: a string, a number or an error's message.
inline std::string text_of(const respool::generic_reply& r) {
  return r.empty() ? std::string("<none>") : std::string(r.nodes().front().value);
}

inline bool is_error(const respool::generic_reply& r) {
  return !r.empty() && respool::resp3::is_error(r.nodes().front().data_type);
}

// The number in "cmdstat_get:calls=<n>,..." of INFO commandstats on node i.
inline long long get_calls(cluster_harness& cluster, std::size_t i) {
  std::string why;
  const std::string info = cluster.command(i, {"INFO", "commandstats"}, why);
  const std::size_t at = info.find("cmdstat_get:calls=");
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + 18));
}

/// Runs `body` (a coroutine taking a cluster_connection&) on a fresh io_context with a running
/// cluster connection to `cluster`, until it returns (at most `limit`).
template <class Body>
void with_cluster(cluster_harness& cluster, Body body,
                  std::chrono::seconds limit = std::chrono::seconds(60),
                  read_policy reads = read_policy::master) {
  asio::io_context ioc;
  cluster_config cfg = cluster_config_from_uri(cluster.seed());
  cfg.reads = reads;
  cluster_connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  EXPECT_TRUE(run_body(ioc, conn, std::move(body), limit))
      << "the test's coroutine did not finish in time";
}

}  // namespace respool::test
