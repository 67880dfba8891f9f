// What the tests of the clients share: a check that the test server answers, through the
// blocking client, before each test.
#pragma once

#include "connection_support.hpp"
#include <respool/client/sync_client.hpp>

#include <chrono>
#include <string>
#include <system_error>

namespace respool::test {

/// Whether the test server answers a PING within a second; why not, in `why`.
inline bool server_reachable(std::string& why) {
  config cfg = server_config();
  cfg.reconnect.enabled = false;
  cfg.fail_unwritten_when_down = false;
  cfg.request_timeout = std::chrono::seconds(1);
  sync_client probe(cfg);
  std::error_code ec;
  probe.exec<std::string>(ec, "PING");
  why = ec.message();
  return !ec;
}

}  // namespace respool::test

/// Skips the test (or fails it, when a server is required) if the test server does not answer.
#define RESPOOL_SERVER_OR_SKIP()                                   \
  do {                                                             \
    std::string why;                                               \
    if (!respool::test::server_reachable(why)) {                   \
      if (respool::test::server_required()) {                      \
        FAIL() << "test server required but unreachable: " << why; \
      }                                                            \
      GTEST_SKIP() << "no Redis server: " << why;                  \
    }                                                              \
  } while (false)
