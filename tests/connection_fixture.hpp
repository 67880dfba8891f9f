// The fixture of the connection's tests against the shared test server: a connection running
// on its own io_context, or the test skipped (failed, when a server is required) without one.
#pragma once

#include "connection_support.hpp"
#include <respool/io/connection.hpp>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <system_error>

namespace respool::test {

// The shared server's address: RESPOOL_TEST_SERVER ("host:port"), default 127.0.0.1:6379.
inline config test_config() {
  config cfg = server_config();
  cfg.reconnect.enabled = false;
  return cfg;
}

// A connection running on `ioc`; skips the test (or fails, when a server is required) if
// the server cannot be reached.
class connection_test : public ::testing::Test {
 protected:
  void SetUp() override {
    using namespace std::chrono_literals;
    conn_ = std::make_unique<connection>(ioc_, test_config());
    conn_->async_run([this](std::error_code ec) {
      run_ended_ = true;
      run_ec_ = ec;
    });
    if (!run_until(
            ioc_, [&] { return conn_->is_connected() || run_ended_; }, 5s) ||
        !conn_->is_connected()) {
      if (server_required()) {
        FAIL() << "test server required but unreachable: " << run_ec_.message();
      }
      GTEST_SKIP() << "no Redis server: " << run_ec_.message();
    }
  }

  void TearDown() override {
    using namespace std::chrono_literals;
    if (!conn_) return;
    conn_->cancel();
    EXPECT_TRUE(run_until(
        ioc_, [&] { return run_ended_; }, 5s));
  }

  asio::io_context ioc_;
  std::unique_ptr<connection> conn_;
  bool run_ended_ = false;
  std::error_code run_ec_;
};

}  // namespace respool::test
