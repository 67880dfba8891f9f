// A loopback TCP connection whose far end is drained by a thread: a socket to write benchmark
// traffic into, with the kernel's real per-call and per-segment costs.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace respool::bench {

class loopback_sink {
 public:
  /// Listens on 127.0.0.1 on a port the kernel picks.
  loopback_sink();
  ~loopback_sink();
  loopback_sink(const loopback_sink&) = delete;
  loopback_sink& operator=(const loopback_sink&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }

  /// Accepts the connection a client has made to port() and starts draining it.
  void accept_and_drain();
  /// Connects a plain blocking socket (TCP_NODELAY), accepts it, and returns the client end.
  int connect();

  /// Waits until the reader has received `total` bytes since accept_and_drain().
  void wait_for(std::uint64_t total) const;
  [[nodiscard]] std::uint64_t received() const noexcept {
    return received_.load(std::memory_order_acquire);
  }

 private:
  int listener_ = -1;
  int peer_ = -1;
  int client_ = -1;
  int port_ = 0;
  std::atomic<std::uint64_t> received_{0};
  std::thread reader_;
};

/// Writes all `size` bytes to a blocking socket.
void write_all(int fd, const char* data, std::size_t size);

}  // namespace respool::bench
