// What the tests that run a cluster_connection against the harness's cluster share.
#pragma once

#include "cluster_harness.hpp"
#include <respool/cluster.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>

namespace respool::test {

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
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await body(conn);
        done = true;
        conn.cancel();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  ioc.run_for(limit);
  EXPECT_TRUE(done) << "the test's coroutine did not finish in time";
}

}  // namespace respool::test
