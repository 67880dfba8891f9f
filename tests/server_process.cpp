#include "server_process.hpp"

#include "server_process_posix.hpp"

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

using posix::connect_tcp;
using posix::connect_unix;
using posix::describe_status;
using posix::errno_text;
using posix::file_size_or_zero;
using posix::find_in_path;
using posix::free_port;
using posix::free_port_with_bus;
using posix::quote;
using posix::read_file_from;
using posix::reply_reader;
using posix::run_tool;
using posix::send_all;
using posix::spawn;
using posix::tail;
using posix::unique_fd;
using posix::wait_for;

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
    if (options.tcp || options.tls) {
      const bool found =
          options.bus_port ? free_port_with_bus(server->port_, why) : free_port(server->port_, why);
      if (!found) return nullptr;
    }
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
  std::vector<std::string> args{"redis-server", config_file_};
  if (options_.sentinel) args.emplace_back("--sentinel");
  pid_ = spawn(executable_, args, log_file_, why);
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
