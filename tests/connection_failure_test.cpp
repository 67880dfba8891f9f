// respool::connection when things go wrong: private redis-server processes that are killed,
// paused, put to sleep, restarted, protected by passwords or TLS, and a scripted fake server
// for what a real server never does (malformed replies, refused HELLO, silence). Each test
// asserts that every request completes exactly once, with the error the contract names, and
// that the connection recovers by itself.
//
// Everything runs on the test's own thread: the io_context is run in slices (run_until) with a
// deadline, so that the test can kill and restart its servers between two slices (a server
// started from another thread would die with that thread) and nothing can hang.
#include "connection_support.hpp"
#include "fake_server.hpp"
#include "server_process.hpp"
#include <respool/connection.hpp>
#include <respool/error.hpp>

#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

#define EXPECT_EC(ec, expected) \
  EXPECT_EQ((ec), make_error_code(expected)) << "got: " << (ec).message()

// Small timeouts and delays everywhere, so that every failure shows within milliseconds. The
// request timeout is a safety net: a request that never completes fails its test quickly.
config make_config(std::uint16_t port, const std::shared_ptr<log_sink>& sink) {
  config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.connect_timeout = 1000ms;
  cfg.request_timeout = 3000ms;
  cfg.health_check_interval = 0ms;
  cfg.reconnect.initial_delay = 20ms;
  cfg.reconnect.max_delay = 50ms;
  cfg.logger = [sink](log_level level, std::string_view message) {
    static constexpr const char* names[] = {"debug", "info", "warning", "error"};
    sink->add(std::string(names[static_cast<int>(level)]) + ": " + std::string(message));
  };
  return cfg;
}

// Runs the io_context until `done()` or the timeout; false on timeout.
template <class Pred>
bool run_until(asio::io_context& ioc, Pred&& done, ms timeout) {
  const auto deadline = steady::now() + timeout;
  while (!done()) {
    const auto now = steady::now();
    if (now >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    ioc.run_one_for(std::min<steady::duration>(deadline - now, 10ms));
  }
  return true;
}

// Runs the io_context for `duration`, whatever happens.
void run_for(asio::io_context& ioc, ms duration) {
  (void)run_until(
      ioc, [] { return false; }, duration);
}

// A request's outcome. Shared with the handler, so that a test that gives up on a request
// leaves nothing dangling.
struct outcome {
  int calls = 0;
  std::error_code ec;
  steady::time_point at;
  [[nodiscard]] bool done() const noexcept { return calls > 0; }
};
using outcome_ptr = std::shared_ptr<outcome>;

template <class Response>
outcome_ptr exec(connection& conn, const request& req, Response& resp) {
  auto o = std::make_shared<outcome>();
  conn.async_exec(req, resp, [o](std::error_code ec, std::size_t) {
    ++o->calls;
    o->ec = ec;
    o->at = steady::now();
  });
  return o;
}

outcome_ptr exec(connection& conn, const request& req) {
  auto o = std::make_shared<outcome>();
  conn.async_exec(req, [o](std::error_code ec, std::size_t) {
    ++o->calls;
    o->ec = ec;
    o->at = steady::now();
  });
  return o;
}

template <class... Args>
request make_request(std::string_view command, Args&&... args) {
  request req;
  req.push(command, std::forward<Args>(args)...);
  return req;
}

// A connection, its io_context and what it logs; async_run's outcome.
struct client {
  client(asio::io_context& io, const config& cfg) : ioc{io}, conn{io, cfg} {}

  void run() {
    conn.async_run([this](std::error_code ec) {
      run_done = true;
      run_ec = ec;
    });
  }

  // Until connected with at least `connects` connections made.
  bool wait_connected(std::uint64_t connects = 1, ms timeout = 3000ms) {
    return run_until(
        ioc, [&] { return conn.is_connected() && conn.stats().connects >= connects; }, timeout);
  }

  // Waits for one request.
  bool wait(const outcome_ptr& o, ms timeout = 3000ms) {
    return run_until(
        ioc, [&] { return o->done(); }, timeout);
  }

  // Sends one command and waits for its reply.
  template <class Response, class... Args>
  std::error_code call(Response& resp, std::string_view command, Args&&... args) {
    const request req = make_request(command, std::forward<Args>(args)...);
    const outcome_ptr o = exec(conn, req, resp);
    if (!wait(o)) {
      ADD_FAILURE() << command << " did not complete";
      conn.cancel();  // the request and the response are about to go
      run_for(ioc, 10ms);
      return make_error_code(std::errc::timed_out);
    }
    return o->ec;
  }

  // Waits for the next push message.
  std::error_code receive(generic_reply& out, ms timeout = 3000ms) {
    auto o = std::make_shared<outcome>();
    conn.async_receive(out, [o](std::error_code ec) {
      ++o->calls;
      o->ec = ec;
    });
    if (!run_until(
            ioc, [&] { return o->done(); }, timeout)) {
      ADD_FAILURE() << "no push message";
      conn.cancel();  // `out` must not be written to later
      run_for(ioc, 10ms);
      return make_error_code(std::errc::timed_out);
    }
    return o->ec;
  }

  // Cancels and waits for async_run to complete.
  void stop() {
    conn.cancel();
    EXPECT_TRUE(run_until(
        ioc, [&] { return run_done; }, 2000ms))
        << "async_run did not complete";
    EXPECT_EC(run_ec, asio::error::operation_aborted);
  }

  asio::io_context& ioc;
  connection conn;
  bool run_done = false;
  std::error_code run_ec;
};

// One command through the harness's own blocking connection.
std::string server_command(const server_process& server, const std::vector<std::string>& args) {
  std::string why;
  std::string reply = server.command(args, why);
  EXPECT_FALSE(reply.empty()) << why;
  return reply;
}

// A number from INFO's `section`, e.g. total_connections_received from "stats"; -1 if absent.
long long info_field(const server_process& server, const std::string& section,
                     const std::string& field) {
  const std::string info = server_command(server, {"INFO", section});
  const auto pos = info.find("\r\n" + field + ":");
  if (pos == std::string::npos) return -1;
  return std::stoll(info.substr(pos + field.size() + 3));
}

// The text of a push message's nodes after the first, e.g. {"message", "ch", "hello"}.
std::vector<std::string> push_strings(const generic_reply& push) {
  std::vector<std::string> out;
  const auto nodes = push.nodes();
  for (std::size_t i = 1; i < nodes.size(); ++i) out.emplace_back(nodes[i].value);
  return out;
}

// Whether CLIENT INFO's line has `field` ("name=value") as one of its space-separated fields.
bool has_field(std::string_view info, std::string_view field) {
  while (!info.empty() && (info.back() == '\n' || info.back() == '\r')) info.remove_suffix(1);
  for (std::size_t pos = 0; pos <= info.size();) {
    const auto end = std::min(info.find(' ', pos), info.size());
    if (info.substr(pos, end - pos) == field) return true;
    pos = end + 1;
  }
  return false;
}

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// Commands a fake server received, from its own thread.
struct command_log {
  std::mutex mutex;
  std::vector<std::vector<std::string>> commands;

  void add(const std::vector<std::string>& command) {
    const std::lock_guard lock(mutex);
    commands.push_back(command);
  }
  std::vector<std::vector<std::string>> get() {
    const std::lock_guard lock(mutex);
    return commands;
  }
};

// A Redis before 6 (no HELLO, RESP2 only), with `password` as requirepass: until AUTH, every
// other command is refused with NOAUTH, as such a server does.
void legacy_redis_session(fake_server::peer& p, const std::string& password, command_log& log) {
  bool authenticated = password.empty();
  while (auto command = p.read_command(5000ms)) {
    log.add(*command);
    const std::string name = command->empty() ? "" : upper((*command)[0]);
    if (name == "HELLO") {
      p.write("-ERR unknown command `HELLO`, with args beginning with: `3`, \r\n");
    } else if (name == "AUTH") {
      if (command->size() != 2) {
        p.write("-ERR wrong number of arguments for 'auth' command\r\n");
      } else if ((*command)[1] == password) {
        authenticated = true;
        p.write("+OK\r\n");
      } else {
        p.write("-ERR invalid password\r\n");
      }
    } else if (!authenticated) {
      p.write("-NOAUTH Authentication required.\r\n");
    } else if (name == "GET") {
      p.write("$6\r\nlegacy\r\n");
    } else if (name == "PING") {
      p.write("+PONG\r\n");
    } else {
      p.write("+OK\r\n");
    }
  }
}

// ------------------------------------------------------------------------------------------
// 1. The server dies in the middle of a pipeline.

TEST(connection_failure_test, server_killed_during_pipeline_every_request_completes_once) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 5000ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  // 10 000 requests of one command each, queued at once: one batch, written in a few writev
  // calls. Number 5000 is DEBUG SLEEP 2: the server is killed while it sleeps, so whatever
  // follows it is written (or being written) and unanswered, whatever the timing.
  constexpr std::size_t total = 10000;
  constexpr std::size_t sleeper = 5000;
  std::vector<request> reqs(total);
  for (std::size_t i = 0; i < total; ++i) {
    if (i == sleeper) {
      reqs[i].push("DEBUG", "SLEEP", 2);
    } else {
      reqs[i].push("SET", "k" + std::to_string(i), i);
    }
  }
  std::vector<int> calls(total, 0);
  std::vector<std::error_code> ecs(total);
  std::size_t completed = 0;
  std::size_t succeeded = 0;
  for (std::size_t i = 0; i < total; ++i) {
    c.conn.async_exec(reqs[i], [&, i](std::error_code ec, std::size_t) {
      ++calls[i];
      ecs[i] = ec;
      ++completed;
      if (!ec) ++succeeded;
    });
  }

  // SIGKILL once a good part of the replies has come (or after 300 ms at the latest).
  const auto start = steady::now();
  bool killed = false;
  std::size_t succeeded_at_kill = 0;
  ASSERT_TRUE(run_until(
      ioc,
      [&] {
        if (!killed && (succeeded >= 1000 || steady::now() - start > 300ms)) {
          succeeded_at_kill = succeeded;
          server->kill_hard();
          killed = true;
        }
        return killed;
      },
      3000ms));
  ASSERT_TRUE(run_until(
      ioc, [&] { return completed >= total; }, 4000ms))
      << completed << " of " << total << " requests completed\n"
      << log->dump();

  std::size_t ok = 0, lost = 0, not_connected = 0, timed_out = 0, other = 0, twice = 0;
  std::size_t first_failure = total, last_success = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (calls[i] != 1) {
      ++twice;
      ADD_FAILURE() << "request " << i << " completed " << calls[i] << " times";
    }
    if (!ecs[i]) {
      ++ok;
      last_success = i;
    } else {
      first_failure = std::min(first_failure, i);
      if (ecs[i] == error::connection_lost) {
        ++lost;
      } else if (ecs[i] == error::not_connected) {
        ++not_connected;
      } else if (ecs[i] == error::request_timeout) {
        ++timed_out;
      } else {
        ++other;
        if (other <= 5) ADD_FAILURE() << "request " << i << ": " << ecs[i].message();
      }
    }
  }
  std::printf(
      "[          ] killed after %zu replies; outcomes: %zu ok, %zu connection_lost, %zu "
      "not_connected, %zu request_timeout, %zu other\n",
      succeeded_at_kill, ok, lost, not_connected, timed_out, other);
  EXPECT_EQ(twice, 0U);
  EXPECT_EQ(other, 0U);
  EXPECT_EQ(ok + lost + not_connected + timed_out, total);
  EXPECT_GE(ok, 1U);
  EXPECT_GE(lost, total - sleeper);  // DEBUG SLEEP and everything after it
  EXPECT_EC(ecs[sleeper], error::connection_lost);
  // Replies come in order: the successes are the first requests.
  EXPECT_LT(last_success, first_failure);
  EXPECT_EQ(c.conn.stats().disconnects, 1U);

  // Back on the same port: the connection finds it by itself.
  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::string set_reply;
  EXPECT_FALSE(c.call(set_reply, "SET", "after", "restart"));
  EXPECT_EQ(set_reply, "OK");
  std::string value;
  EXPECT_FALSE(c.call(value, "GET", "after"));
  EXPECT_EQ(value, "restart");
  EXPECT_EQ(c.conn.stats().connects, 2U);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), static_cast<std::ptrdiff_t>(total))
      << "a request completed again after the reconnection";
  c.stop();
}

// ------------------------------------------------------------------------------------------
// 2. The server closes the connection (CLIENT KILL).

TEST(connection_failure_test, client_kill_fails_written_requests_then_reconnects) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  client c(ioc, make_config(server->port(), log));
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  std::int64_t id = 0;
  ASSERT_FALSE(c.call(id, "CLIENT", "ID"));

  // BLPOP blocks on the server; the GET waits behind it. Both are written, neither answered.
  const request blpop = make_request("BLPOP", "respool:empty", 5);
  const request get = make_request("GET", "k");
  std::optional<std::vector<std::string>> popped;
  std::optional<std::string> got;
  const auto o1 = exec(c.conn, blpop, popped);
  const auto o2 = exec(c.conn, get, got);
  const auto deadline = steady::now() + 2s;
  bool blocked = false;
  while (!blocked && steady::now() < deadline) {
    run_for(ioc, 10ms);
    blocked = info_field(*server, "clients", "blocked_clients") == 1;
  }
  ASSERT_TRUE(blocked) << "BLPOP never blocked on the server";
  EXPECT_FALSE(o1->done());

  EXPECT_EQ(server_command(*server, {"CLIENT", "KILL", "ID", std::to_string(id)}), ":1\r\n");
  ASSERT_TRUE(run_until(
      ioc, [&] { return o1->done() && o2->done(); }, 2000ms))
      << log->dump();
  EXPECT_EC(o1->ec, error::connection_lost);
  EXPECT_EC(o2->ec, error::connection_lost);
  EXPECT_EQ(o1->calls, 1);
  EXPECT_EQ(o2->calls, 1);

  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::int64_t new_id = 0;
  EXPECT_FALSE(c.call(new_id, "CLIENT", "ID"));
  EXPECT_NE(new_id, id);
  std::string reply;
  EXPECT_FALSE(c.call(reply, "SET", "k", "v"));
  EXPECT_FALSE(c.call(reply, "GET", "k"));
  EXPECT_EQ(reply, "v");
  EXPECT_EQ(c.conn.stats().connects, 2U);
  EXPECT_EQ(c.conn.stats().disconnects, 1U);
  c.stop();
}

// ------------------------------------------------------------------------------------------
// 3. A request times out while the server is paused; its late reply goes nowhere.

TEST(connection_failure_test, client_pause_times_out_request_and_late_reply_is_dropped) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  ASSERT_EQ(server_command(*server, {"SET", "a", "value of a"}), "+OK\r\n");
  ASSERT_EQ(server_command(*server, {"SET", "b", "value of b"}), "+OK\r\n");
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.request_timeout = 100ms;
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  ASSERT_EQ(server_command(*server, {"CLIENT", "PAUSE", "500", "ALL"}), "+OK\r\n");
  const auto paused_at = steady::now();
  const request get_a = make_request("GET", "a");
  std::string a;
  const auto oa = exec(c.conn, get_a, a);
  ASSERT_TRUE(c.wait(oa, 1000ms));
  EXPECT_EC(oa->ec, error::request_timeout);
  EXPECT_LT(oa->at - paused_at, 450ms) << "the timeout came after the pause";
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(c.conn.is_connected());

  // Blocks this thread until the pause is over, without running the io_context: the late
  // reply to GET a is still unread when GET b is written behind it.
  std::string why;
  EXPECT_EQ(server->command({"PING"}, why, {.timeout = 5s}), "+PONG\r\n") << why;
  std::string b;
  EXPECT_FALSE(c.call(b, "GET", "b"));
  EXPECT_EQ(b, "value of b");
  EXPECT_TRUE(a.empty()) << "the timed-out request's response was written to";
  std::string a_again;
  EXPECT_FALSE(c.call(a_again, "GET", "a"));
  EXPECT_EQ(a_again, "value of a");
  EXPECT_EQ(oa->calls, 1);
  EXPECT_EQ(c.conn.stats().disconnects, 0U);
  EXPECT_EQ(c.conn.stats().connects, 1U);
  c.stop();
}

// ------------------------------------------------------------------------------------------
// 4. The server stops answering (DEBUG SLEEP): the health check notices.

TEST(connection_failure_test, debug_sleep_fails_health_check_then_reconnects) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  config cfg = make_config(server->port(), log);
  cfg.health_check_interval = 100ms;
  cfg.health_check_timeout = 200ms;
  cfg.connect_timeout = 3000ms;  // the reconnection waits for the end of the sleep
  client c(ioc, cfg);
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  std::string sleep_reply;
  std::string sleep_why;
  const auto start = steady::now();
  std::thread sleeper([&] {
    sleep_reply = server->command({"DEBUG", "SLEEP", "2"}, sleep_why, {.timeout = 5s});
  });
  struct joiner {
    std::thread& t;
    ~joiner() {
      if (t.joinable()) t.join();
    }
  } join_sleeper{sleeper};

  ASSERT_TRUE(run_until(
      ioc, [&] { return c.conn.stats().disconnects >= 1; }, 3000ms))
      << log->dump();
  EXPECT_LT(steady::now() - start, 900ms) << "noticed only after the server woke up";
  EXPECT_TRUE(log->contains("health check failed")) << log->dump();
  EXPECT_TRUE(log->contains(make_error_code(error::health_check_failed).message())) << log->dump();
  EXPECT_GE(c.conn.stats().health_checks, 1U);

  ASSERT_TRUE(c.wait_connected(2, 4000ms)) << log->dump();
  std::string pong;
  EXPECT_FALSE(c.call(pong, "PING"));
  EXPECT_EQ(pong, "PONG");
  sleeper.join();
  EXPECT_EQ(sleep_reply, "+OK\r\n") << sleep_why;
  c.stop();
}

// ------------------------------------------------------------------------------------------
// 5. A malformed reply: a protocol error for everything pending, then a new connection.

TEST(connection_failure_test, malformed_reply_fails_pending_requests_then_reconnects) {
  fake_server fake([](fake_server::peer& p) {
    if (!answer_setup(p)) return;
    if (p.index() == 0) {
      for (int i = 0; i < 3; ++i) {
        if (!p.read_command(5000ms)) return;
      }
      p.write("+OK\r\n?bad\r\n");
      p.wait_closed(5000ms);
      return;
    }
    while (auto command = p.read_command(5000ms)) {
      p.write(upper((*command)[0]) == "GET" ? "$5\r\nfresh\r\n" : "+OK\r\n");
    }
  });
  asio::io_context ioc;
  auto log = std::make_shared<log_sink>();
  client c(ioc, make_config(fake.port(), log));
  c.run();
  ASSERT_TRUE(c.wait_connected()) << log->dump();

  const request set = make_request("SET", "x", "1");
  const request get_y = make_request("GET", "y");
  const request get_z = make_request("GET", "z");
  std::string set_reply;
  std::optional<std::string> y, z;
  const auto o1 = exec(c.conn, set, set_reply);
  const auto o2 = exec(c.conn, get_y, y);
  const auto o3 = exec(c.conn, get_z, z);
  ASSERT_TRUE(run_until(
      ioc, [&] { return o1->done() && o2->done() && o3->done(); }, 3000ms))
      << log->dump();
  EXPECT_FALSE(o1->ec) << o1->ec.message();
  EXPECT_EQ(set_reply, "OK");
  EXPECT_EC(o2->ec, error::invalid_type_byte);
  EXPECT_EC(o3->ec, error::invalid_type_byte);
  EXPECT_TRUE(log->contains(make_error_code(error::invalid_type_byte).message())) << log->dump();

  ASSERT_TRUE(c.wait_connected(2)) << log->dump();
  std::string fresh;
  EXPECT_FALSE(c.call(fresh, "GET", "y"));
  EXPECT_EQ(fresh, "fresh");
  EXPECT_EQ(fake.connections(), 2U);
  EXPECT_EQ(o1->calls + o2->calls + o3->calls, 3);
  c.stop();
}

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------
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
