// Tests of the test harness itself: server_process against real redis-server processes, and
// fake_server against raw sockets.
#include "fake_server.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A raw blocking client socket, closed at the end of the scope.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd_ >= 0 &&
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~raw_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `n` bytes, EOF, an error or the timeout; returns what arrived.
  std::string read(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::string out;
    const auto deadline = steady::now() + timeout;
    while (out.size() < n) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char chunk[4096];
      const ssize_t got = ::recv(fd_, chunk, std::min(sizeof chunk, n - out.size()), 0);
      if (got <= 0) {
        eof_ = true;
        break;
      }
      out.append(chunk, static_cast<std::size_t>(got));
    }
    return out;
  }

  // True when the peer closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s) {
    read(SIZE_MAX, timeout);
    return eof_;
  }

 private:
  int fd_ = -1;
  bool eof_ = false;
};

// Runs a shell command, returns its output (stdout and stderr).
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::array<char, 4096> chunk{};
  while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe) != nullptr) {
    out += chunk.data();
  }
  ::pclose(pipe);
  return out;
}

std::string read_log(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char ch : text) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

TEST(ServerProcess, AnswersPingAndStoresValues) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  EXPECT_GT(server->pid(), 0);
  EXPECT_NE(server->port(), 0);
  EXPECT_TRUE(server->unix_path().empty());
  EXPECT_TRUE(std::filesystem::is_directory(server->dir()));
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
  EXPECT_EQ(server->command({"SET", "key", "a value\r\nwith CRLF"}, why), "+OK\r\n") << why;
  EXPECT_EQ(server->command({"GET", "key"}, why), "$18\r\na value\r\nwith CRLF\r\n") << why;
  EXPECT_EQ(server->command({"RPUSH", "list", "a", "b"}, why), ":2\r\n") << why;
  EXPECT_EQ(server->command({"LRANGE", "list", "0", "-1"}, why), "*2\r\n$1\r\na\r\n$1\r\nb\r\n")
      << why;
  EXPECT_EQ(server->command({"GET", "missing"}, why), "$-1\r\n") << why;
  EXPECT_EQ(server->command({"NOSUCHCOMMAND"}, why).substr(0, 4), "-ERR") << why;
}

TEST(ServerProcess, DestructorStopsTheServerAndRemovesItsDirectory) {
  int pid = -1;
  std::string dir;
  {
    RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
    pid = server->pid();
    dir = server->dir();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped, so the pid no longer exists
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(ServerProcess, KillHardThenRestartOnTheSamePort) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  std::string why;
  ASSERT_EQ(server->command({"SET", "key", "before"}, why), "+OK\r\n") << why;
  const int old_pid = server->pid();
  const std::uint16_t port = server->port();

  // A connection open at the kill leaves the server's side of it in TIME_WAIT on the port.
  raw_client client(port);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("*1\r\n$4\r\nPING\r\n"));
  ASSERT_EQ(client.read(7), "+PONG\r\n");

  server->kill_hard();
  EXPECT_EQ(server->pid(), -1);
  EXPECT_FALSE(server->running());
  EXPECT_TRUE(client.closed_by_peer());
  why.clear();
  EXPECT_EQ(server->command({"PING"}, why), "");
  EXPECT_NE(why.find("refused"), std::string::npos) << why;

  const auto started = steady::now();
  ASSERT_TRUE(server->restart(why)) << why;
  EXPECT_LT(steady::now() - started, 3s);
  EXPECT_TRUE(server->running());
  EXPECT_EQ(server->port(), port);
  EXPECT_GT(server->pid(), 0);
  EXPECT_NE(server->pid(), old_pid);
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
  EXPECT_EQ(server->command({"GET", "key"}, why), "$-1\r\n") << why;  // no persistence

  // stop() then restart() works the same way.
  server->stop();
  EXPECT_EQ(server->pid(), -1);
  ASSERT_TRUE(server->restart(why)) << why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
}

TEST(ServerProcess, RestartWaitsWhileThePortIsTaken) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  server->kill_hard();
  // Someone else listens on the port for a while: restart() retries instead of failing.
  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(server->port());
  ASSERT_EQ(::bind(squatter, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  ASSERT_EQ(::listen(squatter, 1), 0);
  auto release = std::async(std::launch::async, [squatter] {
    std::this_thread::sleep_for(300ms);
    ::close(squatter);
  });
  std::string why;
  const auto started = steady::now();
  ASSERT_TRUE(server->restart(why)) << why;
  EXPECT_GE(steady::now() - started, 250ms);
  release.get();
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
  EXPECT_NE(read_log(server->log_file()).find("Address already in use"), std::string::npos);
}

TEST(ServerProcess, UnixSocketOnly) {
  server_options options;
  options.tcp = false;
  options.unix_socket = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  EXPECT_EQ(server->port(), 0);
  ASSERT_FALSE(server->unix_path().empty());
  EXPECT_TRUE(std::filesystem::is_socket(server->unix_path()));
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
  // The server sees the connection as a unix socket one.
  const std::string info = server->command({"CLIENT", "INFO"}, why);
  EXPECT_NE(info.find("addr=/"), std::string::npos) << info << why;

  server->kill_hard();
  ASSERT_TRUE(server->restart(why)) << why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
}

TEST(ServerProcess, TcpAndUnixSocket) {
  server_options options;
  options.unix_socket = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  std::string why;
  EXPECT_NE(server->command({"CLIENT", "INFO"}, why).find("addr=127.0.0.1:"), std::string::npos)
      << why;
  EXPECT_NE(server->command({"CLIENT", "INFO"}, why, {.via_unix = true}).find("addr=/"),
            std::string::npos)
      << why;
}

TEST(ServerProcess, Password) {
  server_options options;
  options.password = "s3cret \"quoted\"";
  options.unix_socket = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  std::string why;
  const std::string refused = server->command({"PING"}, why, {.authenticate = false});
  EXPECT_EQ(refused.rfind("-NOAUTH", 0), 0U) << refused << why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
  EXPECT_EQ(server->command({"PING"}, why, {.via_unix = true}), "+PONG\r\n") << why;
}

TEST(ServerProcess, ExtraConfigAndDebugCommands) {
  server_options options;
  options.extra = {"maxmemory 10mb", "hz 20"};
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  std::string why;
  EXPECT_EQ(server->command({"CONFIG", "GET", "maxmemory"}, why),
            "*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n")
      << why;
  EXPECT_EQ(server->command({"DEBUG", "SLEEP", "0"}, why), "+OK\r\n") << why;
  // A reply that does not come in time is a failure with a reason, not a hang.
  EXPECT_EQ(server->command({"DEBUG", "SLEEP", "0.5"}, why, {.timeout = 100ms}), "");
  EXPECT_NE(why.find("timeout"), std::string::npos) << why;
}

TEST(ServerProcess, MissingListenerIsAReasonNotACrash) {
  server_options options;
  options.tcp = false;
  std::string why;
  EXPECT_EQ(server_process::start(options, why), nullptr);
  EXPECT_NE(why.find("no listener"), std::string::npos) << why;
}

TEST(ServerProcess, BadConfigReportsTheLog) {
  server_options options;
  options.extra = {"no-such-directive yes"};
  std::string why;
  EXPECT_EQ(server_process::start(options, why), nullptr);
  // Without redis-server installed the reason is that instead.
  EXPECT_TRUE(why.find("no-such-directive") != std::string::npos ||
              why.find("not found") != std::string::npos)
      << why;
}

TEST(ServerProcess, Tls) {
  server_options options;
  options.tls = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  ASSERT_NE(server->port(), 0);
  for (const auto* file :
       {&server->ca_file(), &server->client_cert_file(), &server->client_key_file()}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(*file)) << *file;
  }
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why), "");
  EXPECT_NE(why.find("TLS"), std::string::npos) << why;

  if (std::system("command -v redis-cli >/dev/null 2>&1") != 0) {
    const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
    if (required != nullptr && std::string(required) == "1") FAIL() << "redis-cli not installed";
    GTEST_SKIP() << "redis-cli not installed (Debian package redis-tools)";
  }
  const std::string cli = "redis-cli --tls --cacert " + shell_quote(server->ca_file()) +
                          " -h 127.0.0.1 -p " + std::to_string(server->port());
  EXPECT_EQ(run(cli + " PING"), "PONG\n");
  EXPECT_EQ(run(cli + " --cert " + shell_quote(server->client_cert_file()) + " --key " +
                shell_quote(server->client_key_file()) + " PING"),
            "PONG\n");
  // redis-cli checks the chain only; clients that check the name too accept both names.
  const std::string s_client =
      "openssl s_client -connect 127.0.0.1:" + std::to_string(server->port()) + " -CAfile " +
      shell_quote(server->ca_file()) + " -verify_return_error";
  EXPECT_NE(run(s_client + " -verify_ip 127.0.0.1 </dev/null").find("Verify return code: 0 (ok)"),
            std::string::npos);
  EXPECT_NE(
      run(s_client + " -verify_hostname localhost </dev/null").find("Verify return code: 0 (ok)"),
      std::string::npos);
  EXPECT_EQ(
      run(s_client + " -verify_hostname example.com </dev/null").find("Verify return code: 0 (ok)"),
      std::string::npos);

  // Restarting keeps the port and the certificates.
  server->kill_hard();
  ASSERT_TRUE(server->restart(why)) << why;
  EXPECT_EQ(run(cli + " PING"), "PONG\n");
}

TEST(ServerProcess, TlsWithUnixSocketKeepsCommand) {
  server_options options;
  options.tls = true;
  options.unix_socket = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why), "+PONG\r\n") << why;
}

TEST(FakeServer, SessionSeesTheCommandAndTheClientReadsTheScript) {
  std::promise<std::vector<std::string>> seen;
  fake_server server([&](fake_server::peer& p) {
    const auto command = p.read_command(5s);
    seen.set_value(command.value_or(std::vector<std::string>{"<nothing>"}));
    p.write("+scripted\r\n$3\r\nab");  // a reply, then a truncated one
    p.close();
  });
  ASSERT_NE(server.port(), 0);
  raw_client client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nx\r\n"));
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(), (std::vector<std::string>{"SET", "k", "v\r\nx"}));
  EXPECT_EQ(client.read(100), "+scripted\r\n$3\r\nab");
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(server.connections(), 1U);
}

TEST(FakeServer, CommandsInPiecesPipelinedAndInline) {
  std::promise<std::vector<std::vector<std::string>>> seen;
  fake_server server([&](fake_server::peer& p) {
    std::vector<std::vector<std::string>> commands;
    while (auto command = p.read_command(2s)) {
      commands.push_back(*command);
      if (commands.size() == 3) break;
    }
    seen.set_value(commands);
  });
  raw_client client(server.port());
  ASSERT_TRUE(client.send("*2\r\n$4\r\nEC"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(client.send("HO\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\nGET  key\r\n"));
  auto future = seen.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(future.get(),
            (std::vector<std::vector<std::string>>{{"ECHO", ""}, {"PING"}, {"GET", "key"}}));
}

TEST(FakeServer, ReadCommandTimesOutAndSeesTheClientClose) {
  std::promise<bool> timed_out, closed;
  std::promise<void> checked;
  fake_server server([&](fake_server::peer& p) {
    const auto start = steady::now();
    timed_out.set_value(!p.read_command(50ms) && steady::now() - start < 2s);
    checked.set_value();
    closed.set_value(p.wait_closed(5s));
  });
  {
    raw_client client(server.port());
    ASSERT_EQ(checked.get_future().wait_for(5s), std::future_status::ready);
  }
  EXPECT_TRUE(timed_out.get_future().get());
  EXPECT_TRUE(closed.get_future().get());
}

TEST(FakeServer, AnswerHello) {
  std::promise<std::vector<std::string>> seen;
  fake_server server([&](fake_server::peer& p) {
    seen.set_value(answer_hello(p).value_or(std::vector<std::string>{}));
    p.wait_closed(5s);
  });
  raw_client client(server.port());
  ASSERT_TRUE(client.send("*2\r\n$5\r\nhello\r\n$1\r\n3\r\n"));
  EXPECT_EQ(client.read(hello3_reply.size()), hello3_reply);
  EXPECT_EQ(seen.get_future().get(), (std::vector<std::string>{"hello", "3"}));
}

TEST(FakeServer, ConnectionsOneAfterAnother) {
  fake_server server([](fake_server::peer& p) {
    if (p.read_command(5s)) p.write(":" + std::to_string(p.index()) + "\r\n");
    if (p.index() == 1) {
      p.reset();
    } else {
      p.close();
    }
  });
  for (int i = 0; i < 3; ++i) {
    raw_client client(server.port());
    ASSERT_TRUE(client.send("*1\r\n$4\r\nPING\r\n"));
    EXPECT_EQ(client.read(4), ":" + std::to_string(i) + "\r\n");
    EXPECT_TRUE(client.closed_by_peer());
  }
  EXPECT_EQ(server.connections(), 3U);
}

TEST(FakeServer, DestructorReturnsPromptlyWhileAClientIsConnected) {
  std::promise<void> in_session;
  auto server = std::make_unique<fake_server>([&](fake_server::peer& p) {
    in_session.set_value();
    p.wait_closed(60s);  // the client never closes: only the destructor ends this
    p.write("never blocks");
    p.delay(60s);
  });
  raw_client client(server->port());
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(in_session.get_future().wait_for(5s), std::future_status::ready);
  const auto started = steady::now();
  server.reset();
  EXPECT_LT(steady::now() - started, 1s);
  EXPECT_TRUE(client.closed_by_peer(1s));
}

TEST(FakeServer, DestructorReturnsPromptlyWithoutConnections) {
  const auto started = steady::now();
  {
    fake_server server([](fake_server::peer&) {});
  }
  EXPECT_LT(steady::now() - started, 1s);
}

}  // namespace
}  // namespace respool::test
