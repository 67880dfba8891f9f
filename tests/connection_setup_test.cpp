// respool::connection's setup when it goes wrong or takes another way: refused passwords,
// connect timeouts, a closed port, the fallback to RESP2 for a Redis before 6, the handshake's
// options, Unix sockets.
//
// Everything runs on the test's own thread (see connection_failure_support.hpp).
#include "connection_failure_support.hpp"

#include <optional>
#include <thread>

namespace respool::test {
namespace {

using namespace failure;
using failure::run_until;  // hides connection_support.hpp's, which takes other arguments
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// 6. A wrong password.

TEST(connection_failure_test, auth_failure_stops_run_after_one_attempt) {
  server_options options;
  options.password = "secret";
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  const long long before = info_field(*server, "stats", "total_connections_received");
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.password = "wrong";
  client c(ioc, cfg);
  // Issued before async_run: they wait for the connection, which never comes.
  const request ping = make_request("PING");
  const auto o1 = exec(c.conn, ping);
  const auto o2 = exec(c.conn, ping);
  c.run();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.run_done && o1->done() && o2->done(); }, 3000ms))
      << log->dump();
  EXPECT_EC(c.run_ec, error::setup_failed);
  EXPECT_EC(o1->ec, error::setup_failed);
  EXPECT_EC(o2->ec, error::setup_failed);
  EXPECT_TRUE(log->contains("WRONGPASS")) << log->dump();
  EXPECT_TRUE(c.conn.setup_error().starts_with("WRONGPASS")) << c.conn.setup_error();
  run_for(ioc, 150ms);  // no retry comes
  // Minus the connection of this INFO itself.
  const long long after = info_field(*server, "stats", "total_connections_received");
  EXPECT_EQ(after - before - 1, 1) << "connection attempts seen by the server";
  EXPECT_EQ(c.conn.stats().connects, 0U);
  EXPECT_FALSE(c.conn.is_connected());
}

TEST(connection_failure_test, auth_failure_retried_with_backoff_when_asked) {
  server_options options;
  options.password = "secret";
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  const long long before = info_field(*server, "stats", "total_connections_received");
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.password = "wrong";
  cfg.reconnect.retry_setup_errors = true;
  cfg.reconnect.initial_delay = 50ms;
  cfg.reconnect.max_delay = 100ms;
  client c(ioc, cfg);
  c.run();
  run_for(ioc, 300ms);
  const auto failures = c.conn.stats().connect_failures;
  EXPECT_FALSE(c.run_done) << c.run_ec.message();
  c.stop();
  const long long attempts =
      info_field(*server, "stats", "total_connections_received") - before - 1;
  std::printf("[          ] %llu refused setups in 300 ms, %lld connections seen by the server\n",
              static_cast<unsigned long long>(failures), attempts);
  EXPECT_GE(failures, 2U) << log->dump();
  EXPECT_LE(failures, 8U) << log->dump();
  // An attempt in progress when cancelled reached the server but did not fail.
  EXPECT_GE(attempts, static_cast<long long>(failures));
  EXPECT_LE(attempts, static_cast<long long>(failures) + 1);
  EXPECT_EQ(c.conn.stats().connects, 0U);
}

// 7. Connecting fails: a server that never answers, a closed port.

TEST(connection_failure_test, connect_timeout_when_hello_is_never_answered) {
  fake_server fake([](fake_server::peer& p) {
    if (p.read_command(5000ms)) p.wait_closed(5000ms);
  });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(fake.port(), log);
  cfg.connect_timeout = 100ms;
  cfg.fail_unwritten_when_down = true;
  client c(ioc, cfg);
  c.run();
  const request ping = make_request("PING");
  const auto o = exec(c.conn, ping);
  ASSERT_TRUE(c.wait(o, 1000ms));
  EXPECT_EC(o->ec, error::not_connected);
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().connect_failures >= 2; }, 3000ms))
      << log->dump();
  EXPECT_TRUE(
      log->contains("connecting failed: " + make_error_code(error::connect_timeout).message()))
      << log->dump();
  EXPECT_EQ(c.conn.stats().connects, 0U);
  EXPECT_GE(fake.connections(), 2U);
  const auto later = exec(c.conn, ping);
  ASSERT_TRUE(c.wait(later, 1000ms));
  EXPECT_EC(later->ec, error::not_connected);
  c.stop();
}

TEST(connection_failure_test, connect_timeout_ends_run_without_reconnect) {
  fake_server fake([](fake_server::peer& p) {
    if (p.read_command(5000ms)) p.wait_closed(5000ms);
  });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(fake.port(), log);
  cfg.connect_timeout = 100ms;
  cfg.reconnect.enabled = false;
  client c(ioc, cfg);
  const request ping = make_request("PING");
  const auto o = exec(c.conn, ping);
  const auto start = steady::now();
  c.run();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.run_done && o->done(); }, 2000ms))
      << log->dump();
  EXPECT_EC(c.run_ec, error::connect_timeout);
  EXPECT_GE(steady::now() - start, 90ms);
  EXPECT_TRUE(o->ec) << "a request that was never sent succeeded";
  std::printf("[          ] the waiting request completed with: %s\n", o->ec.message().c_str());
  EXPECT_EQ(fake.connections(), 1U);
}

TEST(connection_failure_test, closed_port_ends_run_with_connection_refused) {
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(closed_port(), log);
  cfg.reconnect.enabled = false;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.run_done; }, 2000ms))
      << log->dump();
  EXPECT_EC(c.run_ec, asio::error::connection_refused);
  EXPECT_EQ(c.conn.stats().connect_failures, 1U);
}

// 8. RESP2: a server without HELLO, and protocol = 2.

TEST(connection_failure_test, resp2_fallback_with_password) {
  command_log received;
  fake_server fake([&](fake_server::peer& p) { legacy_redis_session(p, "secret", received); });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(fake.port(), log);
  cfg.password = "secret";
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();
  EXPECT_EQ(c.conn.protocol(), 2);
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "k"));
  EXPECT_EQ(value, "legacy");
  c.stop();
  using command = std::vector<std::string>;
  const std::vector<command> expected = {{"HELLO", "3", "AUTH", "default", "secret"},
                                         {"PING"},
                                         {"AUTH", "secret"},
                                         {"PING"},
                                         {"GET", "k"}};
  EXPECT_EQ(received.get(), expected);
  EXPECT_EQ(fake.connections(), 1U);
}

TEST(connection_failure_test, resp2_fallback_with_database) {
  command_log received;
  fake_server fake([&](fake_server::peer& p) { legacy_redis_session(p, "", received); });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(fake.port(), log);
  cfg.database = 2;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();
  EXPECT_EQ(c.conn.protocol(), 2);
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "k"));
  EXPECT_EQ(value, "legacy");
  c.stop();
  const auto commands = received.get();
  ASSERT_GE(commands.size(), 2U);
  EXPECT_EQ(commands.front(), (std::vector<std::string>{"HELLO", "3"}));
  EXPECT_EQ(commands.back(), (std::vector<std::string>{"GET", "k"}));
  // The RESP2 setup selects the database (the first SELECT went with the refused HELLO), then
  // checks that the server is ready.
  ASSERT_GE(commands.size(), 4U);
  EXPECT_EQ(commands[commands.size() - 3], (std::vector<std::string>{"SELECT", "2"}));
  EXPECT_EQ(commands[commands.size() - 2], (std::vector<std::string>{"PING"}));
}

// What a Redis 5 with requirepass does with the setup: HELLO is unknown, and the SELECT sent
// with it, before any AUTH, is refused with NOAUTH. The RESP2 setup that follows authenticates
// and selects: the connection must come up; the first round's NOAUTH is not a refused setup.
TEST(connection_failure_test, resp2_fallback_with_password_and_database) {
  command_log received;
  fake_server fake([&](fake_server::peer& p) { legacy_redis_session(p, "secret", received); });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(fake.port(), log);
  cfg.password = "secret";
  cfg.database = 2;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.is_connected() || c.run_done; }, 3000ms))
      << log->dump();
  EXPECT_FALSE(c.run_done) << "async_run ended: " << c.run_ec.message() << "\n" << log->dump();
  ASSERT_TRUE(c.conn.is_connected());
  EXPECT_EQ(c.conn.protocol(), 2);
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "k"));
  EXPECT_EQ(value, "legacy");
  c.stop();
  using command = std::vector<std::string>;
  const std::vector<command> expected = {{"HELLO", "3", "AUTH", "default", "secret"},
                                         {"SELECT", "2"},
                                         {"PING"},
                                         {"AUTH", "secret"},
                                         {"SELECT", "2"},
                                         {"PING"},
                                         {"GET", "k"}};
  EXPECT_EQ(received.get(), expected);
}

TEST(connection_failure_test, resp2_configured_against_real_server) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  ASSERT_EQ(server_command(*server, {"SET", "k", "v2"}), "+OK\r\n");
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.protocol = 2;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();
  EXPECT_EQ(c.conn.protocol(), 2);
  std::string info;
  EXPECT_FALSE(c.call(info, "CLIENT", "INFO"));
  EXPECT_TRUE(has_field(info, "resp=2")) << info;
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "k"));
  EXPECT_EQ(value, "v2");
  c.stop();
}

// 9. The whole handshake against the real server.

TEST(connection_failure_test, handshake_with_user_password_name_and_database) {
  server_options options;
  options.password = "secret";
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.username = "default";
  cfg.password = "secret";
  cfg.client_name = "respool-test";
  cfg.database = 3;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();
  EXPECT_EQ(c.conn.protocol(), 3);
  std::string name;
  EXPECT_FALSE(c.call(name, "CLIENT", "GETNAME"));
  EXPECT_EQ(name, "respool-test");
  std::string info;
  EXPECT_FALSE(c.call(info, "CLIENT", "INFO"));
  for (const char* field : {"name=respool-test", "db=3", "resp=3", "user=default"}) {
    EXPECT_TRUE(has_field(info, field)) << field << " not in " << info;
  }
  std::string ok;
  EXPECT_FALSE(c.call(ok, "SET", "k", "in db 3"));
  c.stop();
  // A script's SELECT stays in the script: this reads database 3 without changing anything.
  EXPECT_EQ(server_command(*server,
                           {"EVAL", "redis.call('SELECT', 3) return redis.call('GET', 'k')", "0"}),
            "$7\r\nin db 3\r\n");
  EXPECT_EQ(server_command(*server, {"GET", "k"}), "$-1\r\n");
}

// 10. Unix-domain socket.

TEST(connection_failure_test, unix_socket) {
  server_options options;
  options.unix_socket = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(closed_port(), log);  // not used with a unix socket
  cfg.unix_socket = server->unix_path();
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();
  std::string reply;
  EXPECT_FALSE(c.call(reply, "SET", "k", "over unix"));
  EXPECT_FALSE(c.call(reply, "GET", "k"));
  EXPECT_EQ(reply, "over unix");
  std::string info;
  EXPECT_FALSE(c.call(info, "CLIENT", "INFO"));
  EXPECT_TRUE(has_field(info, "flags=U")) << info;  // U: a unix socket client
  EXPECT_TRUE(log->contains("connected to " + server->unix_path())) << log->dump();
  c.stop();
}

}  // namespace
}  // namespace respool::test
