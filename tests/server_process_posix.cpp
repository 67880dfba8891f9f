#include "server_process_posix.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#  include <sys/prctl.h>
#endif

namespace respool::test::posix {

std::string errno_text(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// A value for redis.conf: the config parser splits lines like a shell, so quote everything.
std::string quote(std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

namespace {

std::string join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& arg : args) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

}  // namespace

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::string read_file_from(const std::string& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The last lines of a log, for failure messages (the directory is gone once start() fails).
std::string tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++n == lines) break;
  }
  const std::string out = text.substr(pos);
  return out.empty() ? "(empty log)" : out;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped (status " + std::to_string(status) + ")";
}

namespace {

// Between fork and exec only async-signal-safe calls are allowed (other threads may hold locks).
void child_fd(int from, int to) {
  if (from == to) {
    ::fcntl(to, F_SETFD, 0);  // dup2 onto itself would leave FD_CLOEXEC set
  } else {
    ::dup2(from, to);
  }
}

void close_from(int first, long max_fd) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  if (::close_range(static_cast<unsigned>(first), ~0U, 0) == 0) return;
#endif
  for (long fd = first; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
}

}  // namespace

// Starts `executable` with `args` (args[0] is the name), stdin from /dev/null, stdout and
// stderr appended to `log_path`, no other descriptor inherited. Returns the pid, or -1.
int spawn(const std::string& executable, const std::vector<std::string>& args,
          const std::string& log_path, std::string& why) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const unique_fd log_fd(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log_fd.get() < 0) {
    why = errno_text("open " + log_path);
    return -1;
  }
  const unique_fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) {
    why = errno_text("open /dev/null");
    return -1;
  }
  long max_fd = ::sysconf(_SC_OPEN_MAX);
  if (max_fd < 0) max_fd = 1024;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = errno_text("fork");
    return -1;
  }
  if (pid == 0) {
    child_fd(null_fd.get(), STDIN_FILENO);
    child_fd(log_fd.get(), STDOUT_FILENO);
    child_fd(log_fd.get(), STDERR_FILENO);
    close_from(STDERR_FILENO + 1, max_fd);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
#ifdef __linux__
    // A test that crashes must not leave servers behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
#endif
    ::execv(executable.c_str(), argv.data());
    static constexpr char message[] = "server_process: execv failed\n";
    [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid`, retrying on EINTR; returns the status, or -1 when there is no such child.
int wait_for(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

// Runs a tool to completion with its output appended to `log_path`.
bool run_tool(const std::string& executable, const std::vector<std::string>& args,
              const std::string& log_path, std::string& why) {
  const auto offset = file_size_or_zero(log_path);
  const int pid = spawn(executable, args, log_path, why);
  if (pid < 0) return false;
  const int status = wait_for(pid);
  if (status == 0) return true;
  // Appends only: GCC 12 at -O2 warns (-Wrestrict) on "literal" + std::string, wrongly.
  std::string message(1, '`');
  message += join(args);
  message += "` ";
  message += status < 0 ? "could not be waited for" : describe_status(status);
  message += ":\n";
  message += tail(read_file_from(log_path, offset));
  why = std::move(message);
  return false;
}

namespace {

// A socket bound to 127.0.0.1:port (0: the kernel picks), or -1 and why.
int bind_loopback(std::uint16_t port, std::string& why) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = errno_text("socket");
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    why = errno_text("binding 127.0.0.1:" + std::to_string(port));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool free_port(std::uint16_t& port, std::string& why) {
  const unique_fd fd(bind_loopback(0, why));
  if (fd.get() < 0) return false;
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    why = errno_text("finding a free loopback port");
    return false;
  }
  port = ntohs(address.sin_port);
  return true;
}

bool free_port_with_bus(std::uint16_t& port, std::string& why) {
  constexpr int first = 20000, last = 45000, bus_offset = 10000, attempts = 200;
  // Seeded per process, so that test processes started together try different ports.
  thread_local std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pick(first, last);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const auto candidate = static_cast<std::uint16_t>(pick(random));
    const unique_fd client(bind_loopback(candidate, why));
    if (client.get() < 0) continue;
    const unique_fd bus(bind_loopback(static_cast<std::uint16_t>(candidate + bus_offset), why));
    if (bus.get() < 0) continue;
    port = candidate;
    return true;
  }
  std::string message = "no port in 20000..45000 with a free port + 10000 after 200 tries; last: ";
  message += why;
  why = std::move(message);
  return false;
}

namespace {

// Connects without blocking longer than `timeout` (a full accept backlog would otherwise stall
// the connect), then leaves the socket blocking with send and receive timeouts.
int connect_to(const sockaddr* address, socklen_t length, const std::string& name,
               std::chrono::milliseconds timeout, std::string& why) {
  const int fd = ::socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    why = errno_text("socket");
    return -1;
  }
  if (::connect(fd, address, length) != 0) {
    if (errno != EINPROGRESS) {
      why = errno_text("connect " + name);
      ::close(fd);
      return -1;
    }
    pollfd waiting{fd, POLLOUT, 0};
    int error = 0;
    socklen_t error_length = sizeof error;
    const int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) {
      why = "connect " + name + ": timed out";
      ::close(fd);
      return -1;
    }
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length);
    if (error != 0) {
      why = errno_text("connect " + name, error);
      ::close(fd);
      return -1;
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (address->sa_family == AF_INET) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

}  // namespace

int connect_tcp(std::uint16_t port, std::chrono::milliseconds timeout, std::string& why) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return connect_to(reinterpret_cast<const sockaddr*>(&address), sizeof address,
                    "127.0.0.1:" + std::to_string(port), timeout, why);
}

int connect_unix(const std::string& path, std::chrono::milliseconds timeout, std::string& why) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    why = "unix socket path too long: " + path;
    return -1;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return connect_to(reinterpret_cast<const sockaddr*>(&address), sizeof address, path, timeout,
                    why);
}

bool send_all(int fd, std::string_view bytes, std::string& why) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = errno == EAGAIN || errno == EWOULDBLOCK ? "send: timed out" : errno_text("send");
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace respool::test::posix
