#include "server_process.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <thread>

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

namespace respool::test {

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto ready_timeout = 10s;
constexpr auto restart_bind_timeout = 5s;
constexpr auto stop_timeout = 5s;
constexpr int start_attempts = 5;

std::string errno_text(std::string_view what, int error = errno) {
  return std::string(what) + ": " + std::strerror(error);
}

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

std::string join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& arg : args) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

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
std::string tail(const std::string& text, std::size_t lines = 15) {
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
  why = "`" + join(args) + "` " +
        (status < 0 ? "could not be waited for" : describe_status(status)) + ":\n" +
        tail(read_file_from(log_path, offset));
  return false;
}

bool free_port(std::uint16_t& port, std::string& why) {
  const unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    why = errno_text("socket");
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    why = errno_text("finding a free loopback port");
    return false;
  }
  port = ntohs(address.sin_port);
  return true;
}

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

}  // namespace

std::string encode_command(const std::vector<std::string>& args) {
  std::string out = fmt::format("*{}\r\n", args.size());
  for (const auto& arg : args)
    fmt::format_to(std::back_inserter(out), "${}\r\n{}\r\n", arg.size(), arg);
  return out;
}

std::unique_ptr<server_process> server_process::start(const server_options& options,
                                                      std::string& why) {
  if (!options.tcp && !options.unix_socket && !options.tls) {
    why = "server_options: no listener (tcp, unix_socket and tls are all off)";
    return nullptr;
  }
  std::string executable = find_in_path("redis-server");
  if (executable.empty()) {
    why = "redis-server not found in PATH (Debian package redis-server)";
    return nullptr;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = (tmp != nullptr && *tmp != '\0' ? std::string(tmp) : "/tmp");
  pattern += "/respool-redis-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    why = errno_text("mkdtemp " + pattern);
    return nullptr;
  }
  // From here on the destructor removes the directory, on every failure path too.
  std::unique_ptr<server_process> server(new server_process(options));
  server->executable_ = std::move(executable);
  server->dir_ = pattern;
  server->config_file_ = server->dir_ + "/redis.conf";
  server->log_file_ = server->dir_ + "/redis.log";
  if (options.unix_socket) {
    server->unix_path_ = server->dir_ + "/redis.sock";
    if (server->unix_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      why = "unix socket path too long (set a shorter TMPDIR): " + server->unix_path_;
      return nullptr;
    }
  }
  if (options.tls && !server->make_certificates(why)) return nullptr;

  // Another process may take the free port before the server binds it: try another one.
  for (int attempt = 0; attempt < start_attempts; ++attempt) {
    if ((options.tcp || options.tls) && !free_port(server->port_, why)) return nullptr;
    if (!server->write_config(why)) return nullptr;
    switch (server->launch(why)) {
      case launch_result::ready:
        return server;
      case launch_result::failed:
        return nullptr;
      case launch_result::bind_failed:
        break;
    }
  }
  why = "no free port after " + std::to_string(start_attempts) + " attempts; last: " + why;
  return nullptr;
}

server_process::~server_process() {
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

bool server_process::make_certificates(std::string& why) {
  const std::string openssl = find_in_path("openssl");
  if (openssl.empty()) {
    why = "openssl not found in PATH (Debian package openssl), needed for TLS certificates";
    return false;
  }
  const std::string config = dir_ + "/openssl.cnf";
  const std::string log = dir_ + "/openssl.log";
  {
    // Our own config, so the system's openssl.cnf adds nothing unexpected. The server
    // certificate names both ways a test reaches the server.
    std::ofstream out(config);
    out << "[req]\n"
           "distinguished_name = req_dn\n"
           "[req_dn]\n"
           "[ca_ext]\n"
           "basicConstraints = critical,CA:TRUE\n"
           "keyUsage = critical,keyCertSign,cRLSign\n"
           "subjectKeyIdentifier = hash\n"
           "[server_ext]\n"
           "basicConstraints = critical,CA:FALSE\n"
           "keyUsage = critical,digitalSignature\n"
           "extendedKeyUsage = serverAuth\n"
           "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
           "authorityKeyIdentifier = keyid\n"
           "[client_ext]\n"
           "basicConstraints = critical,CA:FALSE\n"
           "keyUsage = critical,digitalSignature\n"
           "extendedKeyUsage = clientAuth\n"
           "authorityKeyIdentifier = keyid\n";
    if (!out.flush()) {
      why = "cannot write " + config;
      return false;
    }
  }
  ca_file_ = dir_ + "/ca.crt";
  const std::string ca_key = dir_ + "/ca.key";
  server_cert_file_ = dir_ + "/server.crt";
  server_key_file_ = dir_ + "/server.key";
  client_cert_file_ = dir_ + "/client.crt";
  client_key_file_ = dir_ + "/client.key";
  // EC P-256 keys: generating them takes milliseconds, RSA 2048 takes far longer.
  const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt",
                                            "ec_paramgen_curve:prime256v1", "-nodes"};
  auto request = [&](std::vector<std::string> args, const std::string& key, const std::string& out,
                     const std::string& subject) {
    args.insert(args.end(), new_key.begin(), new_key.end());
    args.insert(args.end(), {"-keyout", key, "-out", out, "-subj", subject});
    return run_tool(openssl, args, log, why);
  };
  auto sign = [&](const std::string& csr, const std::string& out, const std::string& serial,
                  const std::string& extensions) {
    return run_tool(
        openssl,
        {"openssl", "x509", "-req", "-in", csr, "-CA", ca_file_, "-CAkey", ca_key, "-set_serial",
         serial, "-days", "30", "-extfile", config, "-extensions", extensions, "-out", out},
        log, why);
  };
  const std::string server_csr = dir_ + "/server.csr", client_csr = dir_ + "/client.csr";
  return request(
             {"openssl", "req", "-x509", "-config", config, "-extensions", "ca_ext", "-days", "30"},
             ca_key, ca_file_, "/CN=respool test CA") &&
         request({"openssl", "req", "-new", "-config", config}, server_key_file_, server_csr,
                 "/CN=localhost") &&
         sign(server_csr, server_cert_file_, "2", "server_ext") &&
         request({"openssl", "req", "-new", "-config", config}, client_key_file_, client_csr,
                 "/CN=respool test client") &&
         sign(client_csr, client_cert_file_, "3", "client_ext");
}

bool server_process::write_config(std::string& why) const {
  const bool plain_tcp = options_.tcp && !options_.tls;
  std::ostringstream c;
  c << "# Written by respool's test harness (tests/server_process.cpp) for one test.\n"
    << "daemonize no\n"
    << "bind 127.0.0.1\n"
    // A fixed port (not 0), so restart() comes back where clients expect it.
    << "port " << (plain_tcp ? port_ : 0)
    << "\n"
    // No persistence: nothing to load on restart, and no fork()ed child that would inherit
    // the listening socket and keep the port bound after kill_hard().
    << "save \"\"\n"
    << "appendonly no\n"
    << "dir " << quote(dir_) << "\n"
    << "logfile " << quote(log_file_)
    << "\n"
    // DEBUG SLEEP and friends, for clients on loopback or the unix socket.
    << "enable-debug-command local\n";
  if (!unix_path_.empty()) {
    c << "unixsocket " << quote(unix_path_) << "\n"
      << "unixsocketperm 700\n";
  }
  if (!options_.password.empty()) c << "requirepass " << quote(options_.password) << "\n";
  if (options_.tls) {
    c << "tls-port " << port_ << "\n"
      << "tls-cert-file " << quote(server_cert_file_) << "\n"
      << "tls-key-file " << quote(server_key_file_) << "\n"
      << "tls-ca-cert-file " << quote(ca_file_) << "\n"
      << "tls-auth-clients optional\n";
  }
  for (const auto& line : options_.extra) c << line << "\n";
  std::ofstream out(config_file_, std::ios::trunc);
  out << c.str();
  if (!out.flush()) {
    why = "cannot write " + config_file_;
    return false;
  }
  return true;
}

std::string server_process::log_since(std::uintmax_t offset) const {
  return read_file_from(log_file_, offset);
}

server_process::launch_result server_process::launch(std::string& why) {
  // Each start appends to the log: only what this start wrote says whether it is ready.
  const auto offset = file_size_or_zero(log_file_);
  pid_ = spawn(executable_, {"redis-server", config_file_}, log_file_, why);
  if (pid_ < 0) return launch_result::failed;
  return wait_ready(offset, why);
}

server_process::launch_result server_process::wait_ready(std::uintmax_t log_offset,
                                                         std::string& why) {
  // Without a plain listener there is nothing to PING: the log says when it listens.
  const bool ping = (options_.tcp && !options_.tls) || !unix_path_.empty();
  const auto deadline = steady::now() + ready_timeout;
  std::string last;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const std::string log = log_since(log_offset);
      why = "redis-server " + describe_status(status) + " before it was ready; its log:\n" +
            tail(log);
      return log.find("Address already in use") != std::string::npos ? launch_result::bind_failed
                                                                     : launch_result::failed;
    }
    if (ping) {
      const std::string reply = command({"PING"}, last, {.timeout = 1s});
      if (reply == "+PONG\r\n") return launch_result::ready;
      if (!reply.empty()) last = "PING answered " + reply;
    } else {
      if (log_since(log_offset).find("Ready to accept connections") != std::string::npos) {
        return launch_result::ready;
      }
      last = "no \"Ready to accept connections\" in the log";
    }
    if (steady::now() >= deadline) {
      kill_hard();
      why = "redis-server not ready after 10 s (" + last + "); its log:\n" +
            tail(log_since(log_offset));
      return launch_result::failed;
    }
    std::this_thread::sleep_for(20ms);
  }
}

bool server_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const int r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return false;
  }
  return true;
}

void server_process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_for(pid_);
  pid_ = -1;
}

void server_process::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = steady::now() + stop_timeout;
  while (steady::now() < deadline) {
    int status = 0;
    const int r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(5ms);
  }
  kill_hard();
}

bool server_process::restart(std::string& why) {
  stop();
  // The config is unchanged: same port, socket and certificates. Connections the killed
  // server had leave the port in TIME_WAIT, which redis' SO_REUSEADDR binds through; another
  // socket holding the port is the retry's business.
  const auto deadline = steady::now() + restart_bind_timeout;
  for (;;) {
    switch (launch(why)) {
      case launch_result::ready:
        return true;
      case launch_result::failed:
        return false;
      case launch_result::bind_failed:
        break;
    }
    if (steady::now() >= deadline) {
      why = "port " + std::to_string(port_) + " still in use after 5 s; last: " + why;
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
}

std::string server_process::command(const std::vector<std::string>& args, std::string& why) const {
  return command(args, why, command_options{});
}

std::string server_process::command(const std::vector<std::string>& args, std::string& why,
                                    const command_options& how) const {
  if (args.empty()) {
    why = "command(): no arguments";
    return {};
  }
  const bool plain_tcp = options_.tcp && !options_.tls && port_ != 0;
  const bool use_unix = !unix_path_.empty() && (how.via_unix || !plain_tcp);
  if (how.via_unix && unix_path_.empty()) {
    why = "command(): the server has no unix socket (server_options::unix_socket)";
    return {};
  }
  if (!use_unix && !plain_tcp) {
    why = "command() speaks plain RESP: a TLS-only server needs server_options::unix_socket";
    return {};
  }
  const unique_fd fd(use_unix ? connect_unix(unix_path_, how.timeout, why)
                              : connect_tcp(port_, how.timeout, why));
  if (fd.get() < 0) return {};
  reply_reader reader(fd.get());
  if (how.authenticate && !options_.password.empty()) {
    std::string reply;
    if (!send_all(fd.get(), encode_command({"AUTH", options_.password}), why) ||
        !reader.read_reply(reply, why)) {
      return {};
    }
    if (reply != "+OK\r\n") {
      why = "AUTH failed: " + reply;
      return {};
    }
  }
  std::string reply;
  if (!send_all(fd.get(), encode_command(args), why) || !reader.read_reply(reply, why)) return {};
  return reply;
}

}  // namespace respool::test
