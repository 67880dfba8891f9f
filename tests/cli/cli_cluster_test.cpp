// respool-cli against redis-cli on what needs servers of their own: a two-node cluster for -c
// (MOVED and ASK redirections, the REPL's "-> Redirected" lines), and a TLS-only server.
#include "cli_runner.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using respool::test::server_options;
using respool::test::server_process;
namespace cli = respool::test::cli;

cli::run_result run_tool(const std::string& program, std::vector<std::string> args,
                         std::string stdin_data = {}) {
  cli::run_options o;
  o.program = program;
  o.args = std::move(args);
  o.stdin_data = std::move(stdin_data);
  o.timeout = std::chrono::seconds(20);
  return cli::run(o);
}

// Runs the same command line through both tools; stdout, stderr and status must be the same.
void expect_same(const std::vector<std::string>& args, const std::string& stdin_data = {}) {
  const cli::run_result theirs = run_tool("redis-cli", args, stdin_data);
  const cli::run_result ours = run_tool(RESPOOL_CLI_PATH, args, stdin_data);
  ASSERT_TRUE(theirs.started) << theirs.error;
  ASSERT_TRUE(ours.started) << ours.error;
  std::string line;
  for (const auto& a : args) line += a + ' ';
  EXPECT_EQ(ours.out, theirs.out) << line;
  EXPECT_EQ(ours.err, theirs.err) << line;
  EXPECT_EQ(ours.status(), theirs.status()) << line;
}

std::string reply_of(const server_process& s, const std::vector<std::string>& args) {
  std::string why;
  std::string r = s.command(args, why);
  EXPECT_FALSE(r.empty()) << why;
  return r;
}

// The node's id: the first word of CLUSTER MYID's bulk reply ("$40\r\n<id>\r\n").
std::string node_id(const server_process& s) {
  const std::string r = reply_of(s, {"CLUSTER", "MYID"});
  const auto start = r.find("\r\n") + 2;
  return r.substr(start, r.find("\r\n", start) - start);
}

// A loopback port nothing listens on now (for the cluster bus, which otherwise is the
// client port + 10000 and may fall beyond 65535).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class cli_cluster : public ::testing::Test {
 protected:
  static server_options node_options(int bus_port) {
    server_options o;
    o.extra = {"cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000",
               "cluster-port " + std::to_string(bus_port)};
    return o;
  }

  void SetUp() override {
    std::string why;
    a_ = server_process::start(node_options(free_port()), why);
    const int bus_b = free_port();
    if (a_) b_ = server_process::start(node_options(bus_b), why);
    if (!a_ || !b_) {
      const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
      if (required != nullptr && std::string(required) == "1") FAIL() << why;
      GTEST_SKIP() << "cannot start redis-server: " << why;
    }
    // Slots 0-8191 on a, 8192-16383 on b; "foo" (12182) and "a" (15495) live on b, "bar"
    // (5061) on a.
    reply_of(*a_, {"CLUSTER", "ADDSLOTSRANGE", "0", "8191"});
    reply_of(*b_, {"CLUSTER", "ADDSLOTSRANGE", "8192", "16383"});
    reply_of(*a_,
             {"CLUSTER", "MEET", "127.0.0.1", std::to_string(b_->port()), std::to_string(bus_b)});
    bool ok = false;
    for (int i = 0; i < 200 && !ok; ++i) {
      ok = reply_of(*a_, {"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos &&
           reply_of(*b_, {"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos;
      if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(ok) << "the two nodes did not form a cluster";
    reply_of(*b_, {"SET", "foo", "from-b"});
  }

  std::string port_a() const { return std::to_string(a_->port()); }
  std::string port_b() const { return std::to_string(b_->port()); }

  std::unique_ptr<server_process> a_;
  std::unique_ptr<server_process> b_;
};

TEST_F(cli_cluster, without_c_the_moved_error_is_the_reply) {
  expect_same({"-p", port_a(), "get", "foo"});
  expect_same({"-p", port_a(), "--no-raw", "get", "foo"});
}

TEST_F(cli_cluster, c_follows_moved) {
  expect_same({"-c", "-p", port_a(), "get", "foo"});
  expect_same({"-c", "-p", port_a(), "--no-raw", "set", "foo", "again"});
  expect_same({"-c", "-p", port_b(), "--csv", "get", "bar"});
  expect_same({"-c", "-p", port_a(), "-r", "3", "set", "counter:{a}", "x"});
}

TEST_F(cli_cluster, the_repl_says_where_it_was_redirected) {
  expect_same({"-c", "-p", port_a()}, "get foo\nset bar 1\nget foo\nget bar\n");
}

TEST_F(cli_cluster, c_follows_ask_with_asking) {
  // Slot 15495 ("a") migrates from b to a: b answers ASK for keys it no longer has, and a
  // serves them only after ASKING.
  const std::string ida = node_id(*a_);
  const std::string idb = node_id(*b_);
  reply_of(*a_, {"CLUSTER", "SETSLOT", "15495", "IMPORTING", idb});
  reply_of(*b_, {"CLUSTER", "SETSLOT", "15495", "MIGRATING", ida});
  expect_same({"-p", port_b(), "get", "a"});  // the ASK error itself
  expect_same({"-c", "-p", port_b(), "--no-raw", "get", "a"});
  expect_same({"-c", "-p", port_b()}, "get a\nget a\n");
}

TEST(cli_tls, same_replies_and_refusals_as_redis_cli) {
  server_options o;
  o.tls = true;
  RESPOOL_START_SERVER_OR_SKIP(server, o);
  const std::string port = std::to_string(server->port());
  expect_same({"-p", port, "--tls", "--cacert", server->ca_file(), "ping"});
  expect_same(
      {"-p", port, "--tls", "--cacert", server->ca_file(), "--no-raw", "lrange", "l", "0", "-1"});
  expect_same({"-p", port, "--tls", "--insecure", "ping"});
  expect_same({"-p", port, "--tls", "--cacert", server->ca_file(), "--cert",
               server->client_cert_file(), "--key", server->client_key_file(), "ping"});
  expect_same({"-u", "rediss://127.0.0.1:" + port, "--cacert", server->ca_file(), "ping"});
  // Not trusted: the CA is not given, and the system's roots do not know it.
  expect_same({"-p", port, "--tls", "ping"});
}

}  // namespace
