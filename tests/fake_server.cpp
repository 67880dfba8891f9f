#include "fake_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <exception>
#include <system_error>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::test {

namespace {

using steady = std::chrono::steady_clock;

enum class parse_result { complete, incomplete, malformed };

// Parses a non-negative decimal that must fill `text` entirely.
bool parse_size(std::string_view text, std::size_t& out) {
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, out);
  return ec == std::errc{} && end == last && !text.empty();
}

// One command as a client sends it: "*<n>\r\n" then n times "$<len>\r\n<bytes>\r\n", or an
// inline command line (what telnet or `redis-cli` piping sends). `used` is set on success.
parse_result parse_command(std::string_view in, std::size_t& used, std::vector<std::string>& args) {
  // Far beyond any test, but keeps a garbage length from allocating gigabytes.
  constexpr std::size_t max_size = std::size_t{64} << 20;
  if (in.empty()) return parse_result::incomplete;
  if (in[0] != '*') {
    const auto end = in.find('\n');
    if (end == std::string_view::npos) return parse_result::incomplete;
    std::string_view line = in.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    for (std::size_t pos = 0; pos < line.size();) {
      if (line[pos] == ' ' || line[pos] == '\t') {
        ++pos;
        continue;
      }
      const auto stop = std::min(line.find_first_of(" \t", pos), line.size());
      args.emplace_back(line.substr(pos, stop - pos));
      pos = stop;
    }
    used = end + 1;
    return parse_result::complete;
  }
  std::size_t pos = 0;
  auto next_line = [&](std::string_view& line) {
    const auto end = in.find("\r\n", pos);
    if (end == std::string_view::npos) return false;
    line = in.substr(pos, end - pos);
    pos = end + 2;
    return true;
  };
  std::string_view line;
  std::size_t count = 0;
  if (!next_line(line)) return parse_result::incomplete;
  if (!parse_size(line.substr(1), count) || count > max_size) return parse_result::malformed;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t length = 0;
    if (!next_line(line)) return parse_result::incomplete;
    if (line.empty() || line[0] != '$' || !parse_size(line.substr(1), length) ||
        length > max_size) {
      return parse_result::malformed;
    }
    if (in.size() - pos < length + 2) return parse_result::incomplete;
    if (in.substr(pos + length, 2) != "\r\n") return parse_result::malformed;
    args.emplace_back(in.substr(pos, length));
    pos += length + 2;
  }
  used = pos;
  return parse_result::complete;
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("fake_server: ") + what);
}

}  // namespace

fake_server::peer::~peer() { close(); }

fake_server::peer::io fake_server::peer::wait(short events, steady::time_point deadline) const {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != steady::time_point::max()) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
    }
    pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    const int n = ::poll(fds, 2, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io::error;
    }
    if (fds[1].revents != 0) return io::stopped;
    if (fds[0].revents != 0) return io::ready;  // POLLHUP and POLLERR too: the call says which
    if (n == 0) return io::timeout;
  }
}

fake_server::peer::io fake_server::peer::read_more(steady::time_point deadline) {
  if (fd_ < 0) return io::error;
  if (const io r = wait(POLLIN, deadline); r != io::ready) return r;
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      input_.append(chunk, static_cast<std::size_t>(n));
      return io::ready;
    }
    if (n == 0) return io::eof;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? io::ready : io::error;
  }
}

std::optional<std::vector<std::string>> fake_server::peer::read_command(
    std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    std::vector<std::string> args;
    std::size_t used = 0;
    switch (parse_command(input_, used, args)) {
      case parse_result::complete:
        input_.erase(0, used);
        if (args.empty()) continue;  // an empty inline line, which redis ignores too
        return args;
      case parse_result::malformed:
        return std::nullopt;
      case parse_result::incomplete:
        break;
    }
    if (read_more(deadline) != io::ready) return std::nullopt;
  }
}

bool fake_server::peer::write(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    // A client that does not read: wait for room, or for the server to stop.
    if (wait(POLLOUT, steady::time_point::max()) != io::ready) return false;
  }
  return true;
}

void fake_server::peer::close() {
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_WR);
  // Closing a socket with unread input sends a reset instead of a FIN (and may make the client
  // lose the replies it has not read yet): discard what has arrived.
  char chunk[16384];
  while (::recv(fd_, chunk, sizeof chunk, 0) > 0) {
  }
  ::close(fd_);
  fd_ = -1;
}

void fake_server::peer::reset() {
  if (fd_ < 0) return;
  const linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd_);
  fd_ = -1;
}

bool fake_server::peer::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    switch (read_more(deadline)) {
      case io::ready:
        continue;
      case io::eof:
        return true;
      case io::error:
        return fd_ >= 0;  // a reset from the client closes too; our own close() does not
      case io::timeout:
      case io::stopped:
        return false;
    }
  }
}

bool fake_server::peer::delay(std::chrono::milliseconds duration) {
  pollfd stop{stop_fd_, POLLIN, 0};
  const auto deadline = steady::now() + duration;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now()).count();
    if (left <= 0) return true;
    const int n = ::poll(&stop, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (n > 0) return false;
    if (n < 0 && errno != EINTR) return false;
  }
}

fake_server::fake_server(session s) : session_{std::move(s)} {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  stop_read_fd_ = pipe_fds[0];
  stop_write_fd_ = pipe_fds[1];
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(stop_read_fd_);
    ::close(stop_write_fd_);
    errno = error;
    throw_errno("listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

fake_server::~fake_server() {
  // Never read: the pipe stays readable, so every wait of the accept loop and of the current
  // session's peer returns.
  const char byte = 's';
  while (::write(stop_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_read_fd_);
  ::close(stop_write_fd_);
}

void fake_server::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "fake_server: poll: " << std::generic_category().message(errno);
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // the client gave up in the meantime, or EINTR
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    peer p(fd, stop_read_fd_, connections_.fetch_add(1));
    try {
      session_(p);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "fake_server session threw: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "fake_server session threw";
    }
  }
}

std::optional<std::vector<std::string>> answer_hello(fake_server::peer& p,
                                                     std::chrono::milliseconds timeout) {
  auto command = p.read_command(timeout);
  if (command && !command->empty()) {
    std::string name = command->front();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (name == "HELLO") p.write(hello3_reply);
  }
  return command;
}

std::optional<std::vector<std::string>> answer_setup(fake_server::peer& p,
                                                     std::chrono::milliseconds timeout) {
  auto command = answer_hello(p, timeout);
  if (!command || command->empty()) return command;
  std::string name = command->front();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (name != "HELLO") return command;
  if (!p.read_command(timeout)) return std::nullopt;
  p.write("+PONG\r\n");
  return command;
}

}  // namespace respool::test
