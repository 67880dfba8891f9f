// The fixture of the typed-command tests (commands_*test.cpp): a blocking client on the test
// server, the keys cm:* cleared before each case.
#pragma once

#include "connection_support.hpp"
#include <respool/client/sync_client.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <system_error>

namespace respool::test {

inline config commands_config() {
  using namespace std::chrono_literals;
  config cfg = server_config();
  cfg.request_timeout = 5s;
  cfg.reconnect.enabled = false;
  return cfg;
}

// One fixture type for every file, so that the cases form one suite.
class commands_test : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = std::make_unique<sync_client>(commands_config());
    std::error_code ec;
    redis_->exec(ec, cmd::ping());
    if (ec) {
      if (server_required()) {
        FAIL() << "test server required but unreachable: " << ec.message();
      }
      GTEST_SKIP() << "no Redis server: " << ec.message();
    }
    redis_->exec<long long>("DEL", "cm:s", "cm:n", "cm:f", "cm:a", "cm:b", "cm:h", "cm:l",
                            "cm:gone");
  }
  sync_client& redis() { return *redis_; }
  std::unique_ptr<sync_client> redis_;
};

}  // namespace respool::test
