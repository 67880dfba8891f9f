#include "loopback.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::bench {
namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "loopback: %s: %s\n", what, std::strerror(errno));
  std::abort();
}
}  // namespace

loopback_sink::loopback_sink() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
  if (::listen(listener_, 4) != 0) fail("listen");
  socklen_t len = sizeof addr;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

loopback_sink::~loopback_sink() {
  if (client_ >= 0) ::shutdown(client_, SHUT_WR);
  if (peer_ >= 0) ::shutdown(peer_, SHUT_RD);
  if (reader_.joinable()) reader_.join();
  if (client_ >= 0) ::close(client_);
  if (peer_ >= 0) ::close(peer_);
  ::close(listener_);
}

void loopback_sink::accept_and_drain() {
  peer_ = ::accept(listener_, nullptr, nullptr);
  if (peer_ < 0) fail("accept");
  reader_ = std::thread([this] {
    auto buf = std::make_unique<char[]>(1 << 20);
    for (;;) {
      // Polls rather than blocks: a reader that never sleeps is never woken up, so a write
      // costs the writer the same whatever it did just before (waking a sleeping thread on
      // another vCPU costs tens of microseconds on a VM, and would be charged to the write).
      const ssize_t n = ::recv(peer_, buf.get(), 1 << 20, MSG_DONTWAIT);
      if (n > 0) {
        received_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_release);
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        return;
      }
    }
  });
}

int loopback_sink::connect() {
  client_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (client_ < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
  const int one = 1;
  ::setsockopt(client_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  accept_and_drain();
  return client_;
}

void loopback_sink::wait_for(std::uint64_t total) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received() < total) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "loopback: only %llu of %llu bytes arrived\n",
                   static_cast<unsigned long long>(received()),
                   static_cast<unsigned long long>(total));
      std::abort();
    }
    std::this_thread::yield();
  }
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size != 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace respool::bench
