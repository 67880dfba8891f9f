// The POSIX pieces of server_process (server_process.cpp): descriptors, files, child
// processes, and blocking sockets with a reader of whole RESP replies.
#pragma once

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace respool::test::posix {

/// "what: strerror(error)".
std::string errno_text(std::string_view what, int error = errno);

// Closes the descriptor when it goes out of scope.
class unique_fd {
 public:
  explicit unique_fd(int fd = -1) noexcept : fd_{fd} {}
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

/// The path of `name` in PATH, or "" when it is not there.
std::string find_in_path(const std::string& name);

/// A value for redis.conf: the config parser splits lines like a shell, so quote everything.
std::string quote(std::string_view value);

std::uintmax_t file_size_or_zero(const std::string& path);

/// The file's bytes from `offset` on ("" when it cannot be read).
std::string read_file_from(const std::string& path, std::uintmax_t offset);

/// The last lines of a log, for failure messages (the directory is gone once start() fails).
std::string tail(const std::string& text, std::size_t lines = 15);

/// "exited with status N", "killed by signal N" or "stopped (status N)".
std::string describe_status(int status);

/// Starts `executable` with `args` (args[0] is the name), stdin from /dev/null, stdout and
/// stderr appended to `log_path`, no other descriptor inherited. Returns the pid, or -1.
int spawn(const std::string& executable, const std::vector<std::string>& args,
          const std::string& log_path, std::string& why);

/// Waits for `pid`, retrying on EINTR; returns the status, or -1 when there is no such child.
int wait_for(int pid);

/// Runs a tool to completion with its output appended to `log_path`.
bool run_tool(const std::string& executable, const std::vector<std::string>& args,
              const std::string& log_path, std::string& why);

/// A TCP port of 127.0.0.1 that was free when asked (the kernel picks it).
bool free_port(std::uint16_t& port, std::string& why);

/// A TCP port of 127.0.0.1 in 20000..45000 such that it and port + 10000 were both free when
/// asked: a cluster node listens on both.
bool free_port_with_bus(std::uint16_t& port, std::string& why);

/// Blocking connections with send and receive timeouts; -1 (and why) on failure.
int connect_tcp(std::uint16_t port, std::chrono::milliseconds timeout, std::string& why);
int connect_unix(const std::string& path, std::chrono::milliseconds timeout, std::string& why);

bool send_all(int fd, std::string_view bytes, std::string& why);

// Reads whole replies from a blocking socket and keeps their bytes as they arrived. Knows the
// RESP3 types too, in case a test switches the connection with HELLO 3.
class reply_reader {
 public:
  explicit reply_reader(int fd) noexcept : fd_{fd} {}

  bool read_reply(std::string& out, std::string& why) {
    std::string line;
    if (!read_line(line, why)) return false;
    out += line;
    long long n = 0;
    const char* first = line.data() + 1;
    const char* last = line.data() + line.size() - 2;
    const bool has_number = std::from_chars(first, last, n).ec == std::errc{};
    switch (line[0]) {
      case '+':
      case '-':
      case ':':
      case '_':
      case ',':
      case '#':
      case '(':
        return true;
      case '$':
      case '=':
      case '!':
        if (!has_number) break;
        return n < 0 || read_bytes(static_cast<std::size_t>(n) + 2, out, why);
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        if (!has_number) break;
        const bool pairs = line[0] == '%' || line[0] == '|';
        for (long long i = 0; i < (pairs ? 2 * n : n); ++i) {
          if (!read_reply(out, why)) return false;
        }
        // An attribute precedes the reply it describes.
        return line[0] != '|' || read_reply(out, why);
      }
      default:
        break;
    }
    why = "malformed reply: " + out;
    return false;
  }

 private:
  bool fill(std::string& why) {
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) {
        why = "server closed the connection";
        return false;
      }
      if (errno == EINTR) continue;
      why = errno == EAGAIN || errno == EWOULDBLOCK ? "no reply before the timeout"
                                                    : errno_text("recv");
      return false;
    }
  }

  bool read_line(std::string& out, std::string& why) {
    for (;;) {
      const auto end = buffer_.find("\r\n", pos_);
      if (end != std::string::npos) {
        out.assign(buffer_, pos_, end + 2 - pos_);
        pos_ = end + 2;
        return true;
      }
      if (!fill(why)) return false;
    }
  }

  bool read_bytes(std::size_t n, std::string& out, std::string& why) {
    while (buffer_.size() - pos_ < n) {
      if (!fill(why)) return false;
    }
    out.append(buffer_, pos_, n);
    pos_ += n;
    return true;
  }

  int fd_;
  std::string buffer_;
  std::size_t pos_ = 0;
};

}  // namespace respool::test::posix
