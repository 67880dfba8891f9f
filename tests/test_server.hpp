// The redis-server the integration tests talk to, and a minimal blocking connection to it.
//
// The address comes from RESPOOL_TEST_SERVER ("host:port", default 127.0.0.1:6379). When no
// server answers, a test is skipped, unless RESPOOL_REQUIRE_SERVER=1 (set by tools/test.sh),
// which turns the skip into a failure.
#pragma once

#include <respool/protocol/request.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace respool::test {

class server_connection {
 public:
  /// Connects to the test server; on failure returns null and says why in `why`.
  static std::unique_ptr<server_connection> open(std::string& why);
  ~server_connection();
  server_connection(const server_connection&) = delete;
  server_connection& operator=(const server_connection&) = delete;

  /// Writes the whole request with writev, at most `max_segments` segments per call.
  void send(const request& req, std::size_t max_segments = respool::max_gather_segments);
  /// Reads one RESP2 reply and returns its bytes exactly as they arrived.
  std::string read_reply();
  /// send() then read_reply() once per command.
  std::string roundtrip(const request& req);

  /// Total writev calls made by send().
  std::size_t writev_calls() const noexcept { return writev_calls_; }

 private:
  explicit server_connection(int fd) noexcept : fd_{fd} {}
  char next_byte();
  std::string read_line();

  int fd_;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::size_t writev_calls_ = 0;
};

}  // namespace respool::test

/// Declares `conn` connected to the test server, or skips (fails when a server is required).
#define RESPOOL_CONNECT_OR_SKIP(conn)                                   \
  std::string conn##_why;                                               \
  auto conn = ::respool::test::server_connection::open(conn##_why);     \
  if (!conn) {                                                          \
    const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");       \
    if (required != nullptr && std::string(required) == "1") {          \
      FAIL() << "test server required but unreachable: " << conn##_why; \
    }                                                                   \
    GTEST_SKIP() << "no Redis server: " << conn##_why;                  \
  }
