#include "test_server.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace respool::test {

std::unique_ptr<server_connection> server_connection::open(std::string& why) {
  const char* env = std::getenv("RESPOOL_TEST_SERVER");
  const std::string address = env != nullptr ? env : "127.0.0.1:6379";
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    why = "RESPOOL_TEST_SERVER is not host:port: " + address;
    return nullptr;
  }
  const std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = address + ": " + ::gai_strerror(rc);
    return nullptr;
  }
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      why = address + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return nullptr;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};  // a server that stops answering fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return std::unique_ptr<server_connection>(new server_connection(fd));
}

server_connection::~server_connection() { ::close(fd_); }

void server_connection::send(const request& req, std::size_t max_segments) {
  segment_cursor cursor(req.segments());
  std::vector<segment> batch(max_segments);
  while (!cursor.done()) {
    const std::size_t n = cursor.fill(batch);
    const ssize_t written = ::writev(fd_, as_iovec(batch.data()), static_cast<int>(n));
    ++writev_calls_;
    if (written < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("writev: ") + std::strerror(errno));
    }
    cursor.consume(static_cast<std::size_t>(written));
  }
}

char server_connection::next_byte() {
  if (pos_ == buffer_.size()) {
    buffer_.resize(65536);
    ssize_t n = 0;
    do {
      n = ::read(fd_, buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      throw std::runtime_error(n == 0 ? "server closed the connection"
                                      : std::string("read: ") + std::strerror(errno));
    }
    buffer_.resize(static_cast<std::size_t>(n));
    pos_ = 0;
  }
  return buffer_[pos_++];
}

std::string server_connection::read_line() {
  std::string line;
  while (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) {
    line.push_back(next_byte());
  }
  return line;
}

std::string server_connection::read_reply() {
  std::string reply = read_line();
  const long long n = std::atoll(reply.c_str() + 1);
  switch (reply[0]) {
    case '$':
      for (long long i = 0; n >= 0 && i < n + 2; ++i) reply.push_back(next_byte());
      break;
    case '*':
      for (long long i = 0; i < n; ++i) reply += read_reply();
      break;
    case '+':
    case '-':
    case ':':
      break;
    default:
      throw std::runtime_error("unexpected reply: " + reply);
  }
  return reply;
}

std::string server_connection::roundtrip(const request& req) {
  send(req);
  std::string replies;
  for (std::size_t i = 0; i < req.commands(); ++i) replies += read_reply();
  return replies;
}

}  // namespace respool::test
