// Helpers of the connection's failure tests (connection_failure_test, connection_loss_test,
// connection_setup_test): private servers, a connection run in slices on the test's thread,
// and a fake Redis before 6.
#pragma once

#include "connection_support.hpp"
#include "fake_server.hpp"
#include "server_process.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define EXPECT_EC(ec, expected) \
  EXPECT_EQ((ec), make_error_code(expected)) << "got: " << (ec).message()

namespace respool::test::failure {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// Small timeouts and delays everywhere, so that every failure shows within milliseconds. The
// request timeout is a safety net: a request that never completes fails its test quickly.
inline config make_config(std::uint16_t port, const std::shared_ptr<log_sink>& sink) {
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
inline bool run_until(asio::io_context& ioc, Pred&& done, ms timeout) {
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
inline void run_for(asio::io_context& ioc, ms duration) {
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
inline outcome_ptr exec(connection& conn, const request& req, Response& resp) {
  auto o = std::make_shared<outcome>();
  conn.async_exec(req, resp, [o](std::error_code ec, std::size_t) {
    ++o->calls;
    o->ec = ec;
    o->at = steady::now();
  });
  return o;
}

inline outcome_ptr exec(connection& conn, const request& req) {
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
inline std::string server_command(const server_process& server,
                                  const std::vector<std::string>& args) {
  std::string why;
  std::string reply = server.command(args, why);
  EXPECT_FALSE(reply.empty()) << why;
  return reply;
}

// A number from INFO's `section`, e.g. total_connections_received from "stats"; -1 if absent.
inline long long info_field(const server_process& server, const std::string& section,
                            const std::string& field) {
  const std::string info = server_command(server, {"INFO", section});
  const auto pos = info.find("\r\n" + field + ":");
  if (pos == std::string::npos) return -1;
  return std::stoll(info.substr(pos + field.size() + 3));
}

// The text of a push message's nodes after the first, e.g. {"message", "ch", "hello"}.
inline std::vector<std::string> push_strings(const generic_reply& push) {
  std::vector<std::string> out;
  const auto nodes = push.nodes();
  for (std::size_t i = 1; i < nodes.size(); ++i) out.emplace_back(nodes[i].value);
  return out;
}

// Whether CLIENT INFO's line has `field` ("name=value") as one of its space-separated fields.
inline bool has_field(std::string_view info, std::string_view field) {
  while (!info.empty() && (info.back() == '\n' || info.back() == '\r')) info.remove_suffix(1);
  for (std::size_t pos = 0; pos <= info.size();) {
    const auto end = std::min(info.find(' ', pos), info.size());
    if (info.substr(pos, end - pos) == field) return true;
    pos = end + 1;
  }
  return false;
}

inline std::string upper(std::string s) {
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
inline void legacy_redis_session(fake_server::peer& p, const std::string& password,
                                 command_log& log) {
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

}  // namespace respool::test::failure
