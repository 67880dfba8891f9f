// The retry policy (config::retry) and the observer (config::observer) against real servers.
// A request cut off by a lost connection is sent again only when it is safe to repeat
// (read-only, or marked idempotent), so an INCR is never applied twice; answers that prove a
// command did not run (READONLY from a replica) are retried for any command, and the write
// lands once the replica is promoted. The observer sees every request queued, written and
// completed, in order, with its size, duration and outcome, the connection going down and up,
// and the retries; observing allocates nothing per request.
#include "alloc_counter.hpp"
#include "connection_support.hpp"
#include "server_process.hpp"
#include <respool/io/connection.hpp>
#include <respool/io/observer.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/generic_reply.hpp>
#include <respool/protocol/request.hpp>

#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::test::server_options;
using respool::test::server_process;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

std::unique_ptr<server_process> start_server(server_options options = {}) {
  // A replica's first synchronisation starts at once, not after the default 5 s.
  options.extra.insert(options.extra.begin(), "repl-diskless-sync-delay 0");
  std::string why;
  auto server = server_process::start(options, why);
  if (!server) ADD_FAILURE() << "cannot start redis-server: " << why;
  return server;
}

respool::config config_for(const server_process& server, std::uint32_t attempts) {
  respool::config cfg;
  cfg.port = server.port();
  cfg.connect_timeout = 5s;
  cfg.request_timeout = 20s;
  cfg.reconnect.initial_delay = 20ms;
  cfg.retry.max_attempts = attempts;
  cfg.retry.initial_delay = 20ms;
  cfg.retry.max_delay = 200ms;
  return cfg;
}

// Kills, from another client, every connection named `name`, once one of them is blocked
// (so the request before the blocking command has run): the connection is lost with the
// request written.
void kill_when_blocked(server_process& server, const std::string& name) {
  for (int i = 0; i < 500; ++i) {
    std::string why;
    const std::string list = server.command({"CLIENT", "LIST"}, why);
    const auto at = list.find("name=" + name + " ");
    if (at != std::string::npos && list.find("cmd=", at) != std::string::npos &&
        list.substr(at, list.find('\n', at) - at).find("flags=b") != std::string::npos) {
      server.command({"CLIENT", "KILL", "TYPE", "normal"}, why);
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "the request never blocked on the server";
}

// Records every event as a line, and the completions as they came.
class recorder : public respool::connection_observer {
 public:
  std::vector<std::string> lines;
  std::vector<respool::completion_event> completions;
  bool recording = true;

  void on_queued(const respool::request_event& e) noexcept override { add("queued", e); }
  void on_written(const respool::request_event& e) noexcept override { add("written", e); }
  void on_completed(const respool::completion_event& e) noexcept override {
    if (!recording) return;
    add("completed", e.request);
    completions.push_back(e);
  }
  void on_retry(const respool::request_event& e, std::error_code) noexcept override {
    add("retry", e);
  }
  void on_connected(const respool::endpoint_event& e) noexcept override {
    if (recording) lines.push_back("up " + std::to_string(e.port));
  }
  void on_disconnected(const respool::endpoint_event& e) noexcept override {
    if (!recording) return;
    lines.push_back(e.reason == asio::error::operation_aborted ? "down: closed" : "down: lost");
  }

 private:
  void add(const char* what, const respool::request_event& e) {
    if (!recording) return;
    lines.push_back(std::string(what) + " " + std::to_string(e.id) + " " +
                    std::string(respool::request_name(*e.req)) + " x" + std::to_string(e.commands) +
                    " try " + std::to_string(e.attempt));
  }
};

struct outcome {
  std::error_code ec;
  respool::connection_stats stats;
};

// Runs `req` once on a connection named `name` made from `cfg`, killing the connection while
// it is blocked on the server.
outcome run_killed_once(server_process& server, respool::config cfg, const respool::request& req,
                        const std::string& name) {
  cfg.client_name = name;
  asio::io_context ioc;
  respool::connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  std::thread killer([&] { kill_when_blocked(server, name); });
  outcome out;
  respool::generic_response resp;
  EXPECT_TRUE(respool::test::run_body(
      ioc, conn,
      [&](respool::connection& c) -> asio::awaitable<void> {
        auto [ec, n] = co_await c.async_exec(req, resp, as_tuple);
        out.ec = ec;
      },
      30s));
  killer.join();
  out.stats = conn.stats();
  return out;
}

// A replica of `master`, once its link to the master is up (until then it may answer
// LOADING rather than READONLY).
std::unique_ptr<server_process> start_replica(const server_process& master) {
  server_options as_replica;
  as_replica.extra = {"replicaof 127.0.0.1 " + std::to_string(master.port())};
  auto replica = start_server(as_replica);
  for (int i = 0; replica && i < 1000; ++i) {
    std::string why;
    if (replica->command({"INFO", "replication"}, why).find("master_link_status:up") !=
        std::string::npos) {
      return replica;
    }
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "the replica never synchronised";
  return nullptr;
}

// INCR counter on `conn`, its outcome in `ec`, its reply returned.
respool::result<long long> incr_counter(asio::io_context& ioc, respool::connection& conn,
                                        std::error_code& ec) {
  respool::result<long long> value;
  EXPECT_TRUE(respool::test::run_body(
      ioc, conn,
      [&](respool::connection& c) -> asio::awaitable<void> {
        respool::request req;
        req.push("INCR", "counter");
        std::tuple<respool::result<long long>> resp;
        std::tie(ec, std::ignore) = co_await c.async_exec(req, resp, as_tuple);
        value = std::get<0>(resp);
      },
      30s));
  return value;
}

std::string get(server_process& server, const std::string& key) {
  std::string why;
  return server.command({"GET", key}, why);
}

TEST(connection_retry, a_cut_off_incr_is_never_applied_twice) {
  auto server = start_server();
  ASSERT_TRUE(server);
  respool::request req;
  req.push("INCR", "counter");
  req.push("BLPOP", "nothing", "5");
  const outcome o = run_killed_once(*server, config_for(*server, 5), req, "incr");
  EXPECT_EQ(o.ec, respool::error::connection_lost) << o.ec.message();
  EXPECT_EQ(o.stats.retries, 0u);
  EXPECT_EQ(get(*server, "counter"), "$1\r\n1\r\n");
}

TEST(connection_retry, a_cut_off_read_only_request_is_sent_again) {
  auto server = start_server();
  ASSERT_TRUE(server);
  std::string why;
  server->command({"SET", "k", "v"}, why);
  respool::request req;
  req.push("GET", "k");
  req.push("XREAD", "BLOCK", "300", "STREAMS", "stream", "$");  // read-only, and blocks
  const outcome o = run_killed_once(*server, config_for(*server, 3), req, "reader");
  EXPECT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.stats.retries, 1u);
}

TEST(connection_retry, a_request_marked_idempotent_is_sent_again_and_one_never_retried_is_not) {
  auto server = start_server();
  ASSERT_TRUE(server);
  respool::request req;
  req.push("SET", "k", "v");
  req.push("BLPOP", "nothing", "0.3");
  req.set_idempotent();
  const outcome again = run_killed_once(*server, config_for(*server, 3), req, "setter");
  EXPECT_FALSE(again.ec) << again.ec.message();
  EXPECT_EQ(again.stats.retries, 1u);
  req.set_max_attempts(1);  // this request only: never
  const outcome once = run_killed_once(*server, config_for(*server, 3), req, "setter");
  EXPECT_EQ(once.ec, respool::error::connection_lost) << once.ec.message();
  EXPECT_EQ(once.stats.retries, 0u);
}

TEST(connection_retry, readonly_answers_are_retried_and_the_write_lands_once_promoted) {
  auto master = start_server();
  ASSERT_TRUE(master);
  auto replica = start_replica(*master);
  ASSERT_TRUE(replica);
  respool::config cfg = config_for(*replica, 40);
  cfg.retry.max_delay = 50ms;
  asio::io_context ioc;
  respool::connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  std::error_code ec;
  respool::result<long long> value;
  std::thread promote([&] {
    std::this_thread::sleep_for(300ms);
    std::string why;
    replica->command({"REPLICAOF", "NO", "ONE"}, why);
  });
  value = incr_counter(ioc, conn, ec);
  promote.join();
  EXPECT_FALSE(ec) << ec.message();
  ASSERT_TRUE(value.has_value()) << value.error().message << " after " << conn.stats().retries
                                 << " retries";
  EXPECT_EQ(value.value(), 1);  // refused until promoted, then run once
  EXPECT_GE(conn.stats().retries, 1u);
  EXPECT_EQ(get(*replica, "counter"), "$1\r\n1\r\n");
}

TEST(connection_retry, readonly_answers_end_in_the_last_answer_when_the_tries_run_out) {
  auto master = start_server();
  ASSERT_TRUE(master);
  auto replica = start_replica(*master);
  ASSERT_TRUE(replica);
  asio::io_context ioc;
  respool::connection conn(ioc, config_for(*replica, 3));
  conn.async_run(asio::detached);
  std::error_code ec;
  const respool::result<long long> value = incr_counter(ioc, conn, ec);
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().message.rfind("READONLY", 0), 0u) << value.error().message;
  EXPECT_EQ(conn.stats().retries, 2u);  // three tries in all
}

TEST(connection_observer, sees_each_request_queued_written_and_completed) {
  auto server = start_server();
  ASSERT_TRUE(server);
  auto rec = std::make_shared<recorder>();
  respool::config cfg;
  cfg.port = server->port();
  cfg.observer = rec;
  asio::io_context ioc;
  respool::connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  EXPECT_TRUE(respool::test::run_body(
      ioc, conn,
      [](respool::connection& c) -> asio::awaitable<void> {
        respool::request set;
        set.push("SET", "k", std::string(100, 'x'));
        set.push("GET", "k");
        co_await c.async_exec(set, as_tuple);
        respool::request wrong;
        wrong.push("INCR", "k");  // not a number
        co_await c.async_exec(wrong, as_tuple);
      },
      20s));
  const std::vector<std::string> expected = {
      "queued 1 SET x2 try 1",  // issued before the connection is up
      "up " + std::to_string(server->port()),
      "written 1 SET x2 try 1",
      "completed 1 SET x2 try 1",
      "queued 2 INCR x1 try 1",
      "written 2 INCR x1 try 1",
      "completed 2 INCR x1 try 1",
      "down: closed",  // cancelled
  };
  EXPECT_EQ(rec->lines, expected);
  ASSERT_EQ(rec->completions.size(), 2u);
  const auto& set = rec->completions[0];
  EXPECT_FALSE(set.ec);
  EXPECT_GT(set.duration.count(), 0);
  EXPECT_GT(set.request.bytes, 100u);
  EXPECT_EQ(set.bytes_read, std::string("+OK\r\n$100\r\n").size() + 100 + 2);
  EXPECT_EQ(rec->completions[1].ec, respool::error::server_error);
}

TEST(connection_observer, observing_allocates_nothing_per_request) {
  auto server = start_server();
  ASSERT_TRUE(server);
  auto rec = std::make_shared<recorder>();
  rec->recording = false;
  respool::config cfg;
  cfg.port = server->port();
  cfg.observer = rec;
  asio::io_context ioc;
  respool::connection conn(ioc, cfg);
  conn.async_run(asio::detached);
  std::size_t allocations = ~std::size_t{0};
  EXPECT_TRUE(respool::test::run_body(
      ioc, conn,
      [&](respool::connection& c) -> asio::awaitable<void> {
        respool::request req;
        req.push("GET", "k");
        std::optional<std::string> value;
        for (int i = 0; i < 100; ++i) co_await c.async_exec(req, value, as_tuple);  // warm up
        const respool::test::allocation_scope scope;
        for (int i = 0; i < 1000; ++i) co_await c.async_exec(req, value, as_tuple);
        allocations = scope.count();
      },
      20s));
  EXPECT_EQ(allocations, 0u);
}

TEST(connection_observer, sees_a_lost_connection_and_the_retry_that_follows) {
  auto server = start_server();
  ASSERT_TRUE(server);
  auto rec = std::make_shared<recorder>();
  respool::config cfg = config_for(*server, 2);
  cfg.observer = rec;
  respool::request req;
  req.push("GET", "k");
  req.push("XREAD", "BLOCK", "300", "STREAMS", "stream", "$");
  const outcome o = run_killed_once(*server, cfg, req, "observed");
  EXPECT_FALSE(o.ec) << o.ec.message();
  const std::string up = "up " + std::to_string(server->port());
  const std::vector<std::string> expected = {
      "queued 1 GET x2 try 1", up, "written 1 GET x2 try 1", "down: lost",
      "retry 1 GET x2 try 1",  up, "written 1 GET x2 try 2", "completed 1 GET x2 try 2",
      "down: closed"};
  EXPECT_EQ(rec->lines, expected);
}

}  // namespace
