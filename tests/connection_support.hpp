// Helpers shared by the tests of the connection and the clients against the test server.
#pragma once

#include <respool/protocol/config.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::test {

/// A config for the shared test server: RESPOOL_TEST_SERVER ("host:port"), by default
/// 127.0.0.1:6379, with a 2 s connect timeout.
inline config server_config() {
  config cfg;
  const char* env = std::getenv("RESPOOL_TEST_SERVER");
  const std::string addr = env != nullptr ? env : "127.0.0.1:6379";
  const auto colon = addr.rfind(':');
  cfg.host = addr.substr(0, colon);
  cfg.port = static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)));
  cfg.connect_timeout = std::chrono::seconds(2);
  return cfg;
}

/// Runs `ioc` until `done()` or the deadline; false when the deadline came first.
template <class Pred>
bool run_until(asio::io_context& ioc, Pred done,
               std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    ioc.run_for(std::chrono::milliseconds(10));
    if (ioc.stopped()) ioc.restart();
  }
  return true;
}

/// Runs `body` (a coroutine taking `conn`, a connection or cluster_connection already running
/// on `ioc`) until it returns, then cancels `conn`; runs `ioc` at most `limit`. True when the
/// body finished.
template <class Connection, class Body>
bool run_body(asio::io_context& ioc, Connection& conn, Body body, std::chrono::seconds limit) {
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
  return done;
}

/// A loopback port nothing listens on (the kernel just gave it out, then it was closed).
inline std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

/// What a connection logged, for assertions and failure messages. Written from the
/// connection's thread, read from the test's.
struct log_sink {
  std::mutex mutex;
  std::vector<std::string> lines;

  void add(std::string line) {
    const std::lock_guard lock(mutex);
    lines.push_back(std::move(line));
  }
  [[nodiscard]] bool contains(std::string_view text) {
    const std::lock_guard lock(mutex);
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  [[nodiscard]] std::string dump() {
    const std::lock_guard lock(mutex);
    std::string out = "connection log:\n";
    for (const auto& l : lines) out += "  " + l + "\n";
    return out;
  }
};

/// True when RESPOOL_REQUIRE_SERVER=1: an unreachable server fails instead of skipping.
inline bool server_required() {
  const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
  return required != nullptr && std::string(required) == "1";
}

}  // namespace respool::test
