// respool::connection when things go wrong, continued: TLS (verified, refused, with a client
// certificate), subscriptions restored after a reconnection, requests that wait for a server
// that is down, and a request whose write is stalled. connection_loss_test and
// connection_setup_test hold the others.
//
// Everything runs on the test's own thread: the io_context is run in slices (run_until) with a
// deadline, so that the test can kill and restart its servers between two slices (a server
// started from another thread would die with that thread) and nothing can hang.
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

// 11. TLS.

// Connects with `cfg`, then SET and GET.
void expect_tls_works(const config& cfg, const std::shared_ptr<log_sink>& log) {
  asio::io_context ioc;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << cfg.host << "\n" << log->dump();
  std::string reply;
  EXPECT_FALSE(c.call(reply, "SET", "k", "over tls"));
  EXPECT_FALSE(c.call(reply, "GET", "k"));
  EXPECT_EQ(reply, "over tls");
  c.stop();
}

// Connects with `cfg`: attempts fail, a request times out, the log says why.
void expect_tls_fails(const config& cfg, const std::shared_ptr<log_sink>& log,
                      std::string_view logged) {
  asio::io_context ioc;
  client c(ioc, cfg);
  c.run();
  const request ping = make_request("PING");
  const auto o = exec(c.conn, ping);
  ASSERT_TRUE(c.wait(o, 2000ms)) << log->dump();
  EXPECT_EC(o->ec, error::request_timeout);
  EXPECT_GE(c.conn.stats().connect_failures, 1U);
  EXPECT_EQ(c.conn.stats().connects, 0U);
  EXPECT_TRUE(log->contains(logged)) << log->dump();
  c.stop();
}

config tls_config_for(const server_process& server, const std::shared_ptr<log_sink>& log) {
  config cfg = make_config(server.port(), log);
  cfg.tls.enabled = true;
  cfg.tls.ca_file = server.ca_file();
  cfg.connect_timeout = 500ms;
  cfg.request_timeout = 300ms;
  return cfg;
}

TEST(connection_failure_test, tls_verified_by_host_name_and_ip_address) {
  server_options options;
  options.tls = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto log = std::make_shared<log_sink>();
    config cfg = tls_config_for(*server, log);
    cfg.host = host;
    cfg.request_timeout = 3000ms;
    expect_tls_works(cfg, log);
  }
}

TEST(connection_failure_test, tls_wrong_server_name_fails_verification) {
  server_options options;
  options.tls = true;
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  auto log = std::make_shared<log_sink>();
  config cfg = tls_config_for(*server, log);
  cfg.host = "localhost";
  cfg.tls.server_name = "wrong.example";
  expect_tls_fails(cfg, log, "certificate verify failed");

  // The same, without verification: accepted.
  auto insecure_log = std::make_shared<log_sink>();
  config insecure = tls_config_for(*server, insecure_log);
  insecure.tls.server_name = "wrong.example";
  insecure.tls.verify_peer = false;
  insecure.request_timeout = 3000ms;
  expect_tls_works(insecure, insecure_log);
}

TEST(connection_failure_test, tls_client_certificate_required) {
  server_options options;
  options.tls = true;
  options.extra = {"tls-auth-clients yes"};
  RESPOOL_START_SERVER_OR_SKIP(server, options);
  auto log = std::make_shared<log_sink>();
  config cfg = tls_config_for(*server, log);
  cfg.tls.cert_file = server->client_cert_file();
  cfg.tls.key_file = server->client_key_file();
  cfg.request_timeout = 3000ms;
  expect_tls_works(cfg, log);

  auto no_cert_log = std::make_shared<log_sink>();
  const config no_cert = tls_config_for(*server, no_cert_log);
  expect_tls_fails(no_cert, no_cert_log, "certificate required");
}

// 12. Subscriptions come back after a reconnection.

TEST(connection_failure_test, subscriptions_restored_after_reconnect) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  client c(ioc, make_config(server->port(), log));
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  using strings = std::vector<std::string>;
  generic_reply push(generic_reply::owning);
  // The next push message, as strings after its type node.
  auto next_push = [&]() -> strings {
    if (c.receive(push) || push.empty()) return {"(no push message)"};
    EXPECT_EQ(push.nodes()[0].data_type, resp3::type::push);
    return push_strings(push);
  };

  // Subscribed to ch and p:*; "gone" subscribed, then unsubscribed: not to be restored.
  request subscribe;
  subscribe.push("SUBSCRIBE", "ch", "gone");
  subscribe.push("PSUBSCRIBE", "p:*");
  subscribe.push("UNSUBSCRIBE", "gone");
  const auto o = exec(c.conn, subscribe);
  ASSERT_TRUE(c.wait(o));
  EXPECT_FALSE(o->ec) << o->ec.message();
  EXPECT_EQ(next_push(), (strings{"subscribe", "ch", "1"}));
  EXPECT_EQ(next_push(), (strings{"subscribe", "gone", "2"}));
  EXPECT_EQ(next_push(), (strings{"psubscribe", "p:*", "3"}));
  EXPECT_EQ(next_push(), (strings{"unsubscribe", "gone", "2"}));

  server->kill_hard();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().disconnects >= 1; }, 2000ms));
  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  EXPECT_EQ(c.conn.stats().connects, 2U);

  // The confirmations of the subscriptions the setup restored, then the messages.
  EXPECT_EQ(next_push(), (strings{"subscribe", "ch", "1"}));
  EXPECT_EQ(next_push(), (strings{"psubscribe", "p:*", "2"}));
  EXPECT_EQ(server_command(*server, {"PUBLISH", "ch", "hello"}), ":1\r\n")
      << "the new connection is not subscribed to ch";
  EXPECT_EQ(server_command(*server, {"PUBLISH", "gone", "x"}), ":0\r\n")
      << "an unsubscribed channel came back";
  EXPECT_EQ(server_command(*server, {"PUBLISH", "p:1", "hi"}), ":1\r\n")
      << "the new connection is not subscribed to p:*";
  EXPECT_EQ(next_push(), (strings{"message", "ch", "hello"}));
  EXPECT_EQ(next_push(), (strings{"pmessage", "p:*", "p:1", "hi"}));
  EXPECT_EQ(c.conn.queued_pushes(), 0U);
  c.stop();
}

// 13. Requests issued while the server is down (fail_unwritten_when_down = false).

TEST(connection_failure_test, request_waits_while_server_down_and_succeeds_after_restart) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.wait_for_connection = 10s;  // longer than the restart takes, even on a busy machine
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  server->kill_hard();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().disconnects >= 1; }, 2000ms));
  EXPECT_FALSE(c.conn.is_connected());
  request req;
  req.push("SET", "k", "waited");
  req.push("GET", "k");
  std::tuple<std::string, std::string> resp;
  const auto o = exec(c.conn, req, resp);
  run_for(ioc, 100ms);
  EXPECT_FALSE(o->done()) << "completed while the server was down: " << o->ec.message();
  EXPECT_GE(c.conn.stats().connect_failures, 1U);

  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  ASSERT_TRUE(c.wait(o)) << log->dump();
  EXPECT_FALSE(o->ec) << o->ec.message();
  EXPECT_EQ(std::get<0>(resp), "OK");
  EXPECT_EQ(std::get<1>(resp), "waited");
  EXPECT_EQ(c.conn.stats().connects, 2U);
  c.stop();
}

// The server stops reading (DEBUG SLEEP) in the middle of a request too large for the socket
// buffers: the write stalls, and the request must still time out on time, not when the server
// wakes up (the connection copies what is left of the write, so the request can let go).
TEST(connection_failure_test, request_times_out_while_its_write_is_stalled) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 100ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  std::string sleep_reply;
  std::string sleep_why;
  std::thread sleeper([&] {
    sleep_reply = server->command({"DEBUG", "SLEEP", "2"}, sleep_why, {.timeout = 5s});
  });
  struct joiner {
    std::thread& t;
    ~joiner() {
      if (t.joinable()) t.join();
    }
  } join_sleeper{sleeper};
  std::this_thread::sleep_for(100ms);  // the server is asleep

  const std::string big(std::size_t{64} << 20, 'x');  // far more than the socket buffers hold
  const request set = make_request("SET", "big", big);
  const auto issued = steady::now();
  const auto o = exec(c.conn, set);
  ASSERT_TRUE(c.wait(o, 3000ms)) << log->dump();
  EXPECT_EC(o->ec, error::request_timeout);
  // The stall lasts about 1.9 s from here; a timeout that waited for the write would see it.
  EXPECT_LT(o->at - issued, 1500ms) << "the timeout waited for the stalled write";
  sleeper.join();
  EXPECT_EQ(sleep_reply, "+OK\r\n") << sleep_why;
  // The connection is still usable. A PING sent while the server still reads the 64 MB may hit
  // its own 100 ms timeout first: retry until the server has caught up.
  std::string pong;
  std::error_code ping_ec = error::request_timeout;
  for (int i = 0; i < 50 && ping_ec == error::request_timeout; ++i) ping_ec = c.call(pong, "PING");
  EXPECT_FALSE(ping_ec) << ping_ec.message();
  EXPECT_EQ(pong, "PONG");
  c.stop();
}

TEST(connection_failure_test, request_times_out_while_server_down) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 100ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  server->kill_hard();
  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().disconnects >= 1; }, 2000ms));
  const request ping = make_request("PING");
  const auto issued = steady::now();
  const auto o = exec(c.conn, ping);
  ASSERT_TRUE(c.wait(o, 2000ms)) << "a request hung while the server was down";
  EXPECT_EC(o->ec, error::request_timeout);
  EXPECT_GE(o->at - issued, 90ms);
  EXPECT_LT(o->at - issued, 600ms);
  EXPECT_EQ(o->calls, 1);
  run_for(ioc, 50ms);
  EXPECT_EQ(o->calls, 1);
  EXPECT_GE(c.conn.stats().connect_failures, 1U);
  c.stop();
}

}  // namespace
}  // namespace respool::test
