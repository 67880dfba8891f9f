// A private redis-server per test: started from a generated config in its own temporary
// directory, so a test can SIGKILL it, restart it on the same port, or point TLS clients at
// certificates made for it. Plain POSIX (fork/execv, blocking sockets), no Asio, so any test
// can use it.
//
// The server binary is looked up as `redis-server` in PATH (Debian package redis-server), the
// certificates are made with `openssl` (Debian package openssl). When a server cannot be
// started, RESPOOL_START_SERVER_OR_SKIP skips the test, or fails it under
// RESPOOL_REQUIRE_SERVER=1.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace respool::test {

/// `args` as one RESP command (an array of bulk strings), as a client sends it.
std::string encode_command(const std::vector<std::string>& args);

struct server_options {
  /// Listen on a plain TCP port on 127.0.0.1 (ignored when `tls`: the TCP port is TLS then).
  bool tcp = true;
  /// Also listen on <dir>/redis.sock (plain, permissions 700).
  bool unix_socket = false;
  /// Listen with TLS only (`port 0`, `tls-port <free port>`), certificates generated per server.
  bool tls = false;
  /// Choose the TCP port in 20000..45000 so that port + 10000, a cluster node's bus port, is
  /// below 65536 and free too (the kernel's own choice may be too high for that).
  bool bus_port = false;
  /// `requirepass`; command() authenticates with it.
  std::string password;
  /// Extra "directive value" lines, written after the harness's own, so they can override them.
  std::vector<std::string> extra;
  /// Start a sentinel (`redis-server <config> --sentinel`); `extra` holds its `sentinel ...`
  /// lines.
  bool sentinel = false;
};

/// How server_process::command() connects.
struct command_options {
  /// Send AUTH <password> first when the server has a password.
  bool authenticate = true;
  /// Use the unix socket even when a plain TCP port exists.
  bool via_unix = false;
  /// Send and receive timeout of the connection (DEBUG SLEEP needs more than the sleep).
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

class server_process {
 public:
  /// Starts a server and waits (at most 10 s) until it answers; on failure returns null and
  /// says why in `why` (redis-server or openssl missing, the server's log, ...).
  ///
  /// On Linux the server gets SIGKILL when the thread that started it exits (so a crashed test
  /// leaves no server behind): start servers from the test's own thread, not a short-lived one.
  static std::unique_ptr<server_process> start(const server_options& options, std::string& why);

  /// Stops the server (stop()) and removes its directory.
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// The pid of the running server, -1 after kill_hard() or stop().
  int pid() const noexcept { return pid_; }
  /// The plain TCP port, or the TLS port when `tls`; 0 without either. Stays the same across
  /// restart().
  std::uint16_t port() const noexcept { return port_; }
  /// <dir>/redis.sock when `unix_socket`, else empty.
  const std::string& unix_path() const noexcept { return unix_path_; }
  /// The private temporary directory (config, log, certificates, socket).
  const std::string& dir() const noexcept { return dir_; }
  /// The server's log (redis' own log plus its stdout and stderr), appended to by each start.
  const std::string& log_file() const noexcept { return log_file_; }
  const server_options& options() const noexcept { return options_; }

  /// For TLS clients (empty unless `tls`): the CA that signed both certificates, and a client
  /// certificate and key (the server accepts clients with or without one).
  const std::string& ca_file() const noexcept { return ca_file_; }
  const std::string& client_cert_file() const noexcept { return client_cert_file_; }
  const std::string& client_key_file() const noexcept { return client_key_file_; }

  /// True while the server process exists (reaps it when it has exited on its own).
  bool running();

  /// SIGKILL, then waits for the process: no shutdown, connections reset at once.
  void kill_hard();
  /// SIGTERM, waits at most 5 s, then SIGKILL. Does nothing when not running.
  void stop();
  /// Starts the server again with the same config: same port, socket path and certificates
  /// (stops it first if still running). Retries for up to 5 s while the port cannot be bound.
  bool restart(std::string& why);

  /// Runs one command over a fresh blocking plain TCP (or unix) connection, AUTH first when
  /// the server has a password, and returns the raw RESP2 reply bytes, e.g. "+PONG\r\n" or
  /// "-NOAUTH ...\r\n". On a connection or protocol failure returns "" and says why. A
  /// TLS-only server without a unix socket cannot be reached this way. Safe to call from
  /// several threads at once, not while another thread restarts or stops the server.
  std::string command(const std::vector<std::string>& args, std::string& why) const;
  std::string command(const std::vector<std::string>& args, std::string& why,
                      const command_options& how) const;

 private:
  enum class launch_result { ready, bind_failed, failed };

  explicit server_process(server_options options) : options_{std::move(options)} {}
  bool make_certificates(std::string& why);
  bool write_config(std::string& why) const;
  launch_result launch(std::string& why);
  launch_result wait_ready(std::uintmax_t log_offset, std::string& why);
  std::string log_since(std::uintmax_t offset) const;

  server_options options_;
  std::string executable_;
  std::string dir_;
  std::string config_file_;
  std::string log_file_;
  std::string unix_path_;
  std::string ca_file_;
  std::string server_cert_file_;
  std::string server_key_file_;
  std::string client_cert_file_;
  std::string client_key_file_;
  std::uint16_t port_ = 0;
  int pid_ = -1;
};

}  // namespace respool::test

/// Skips the test when `var` is null, or fails it when RESPOOL_REQUIRE_SERVER=1; `what` names
/// what could not be started, `why` says why. For a test body, or any function returning void.
#define RESPOOL_SKIP_UNLESS_STARTED(var, what, why)                        \
  if (!var) {                                                              \
    const char* var##_required = std::getenv("RESPOOL_REQUIRE_SERVER");    \
    if (var##_required != nullptr && std::string(var##_required) == "1") { \
      FAIL() << what << " required but could not be started: " << why;     \
    }                                                                      \
    GTEST_SKIP() << "cannot start " << what << ": " << why;                \
  }

/// Declares `var` (a std::unique_ptr<server_process>) started with `options`, or skips the test
/// (fails it when RESPOOL_REQUIRE_SERVER=1). For a test body, or any function returning void.
#define RESPOOL_START_SERVER_OR_SKIP(var, options)                         \
  std::string var##_why;                                                   \
  auto var = ::respool::test::server_process::start((options), var##_why); \
  RESPOOL_SKIP_UNLESS_STARTED(var, "redis-server", var##_why)
