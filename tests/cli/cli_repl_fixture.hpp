// What the REPL tests share: the two programs they run, the fixture that starts one on a
// pseudo-terminal with a private HOME and history file, and small helpers.
#pragma once

#include "cli_runner.hpp"
#include "server_process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace respool::test::cli {

struct binary {
  const char* name;  // test name suffix
  const char* path;  // a path, or a name looked up in PATH
};

inline void PrintTo(const binary& b, std::ostream* os) { *os << b.name; }

inline std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(text.substr(pos));
      break;
    }
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

class cli_repl : public ::testing::TestWithParam<binary> {
 protected:
  void SetUp() override {
    program_ = find_program(GetParam().path);
    if (program_.empty()) {
      const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
      if (std::string(GetParam().name) != "redis_cli" ||
          (required != nullptr && std::string(required) == "1")) {
        FAIL() << GetParam().path << " not found";
      }
      GTEST_SKIP() << "redis-cli not found in PATH";
    }
    home_ = std::make_unique<temp_dir>("respool-cli-repl");
    history_ = home_->path() + "/history";
  }

  // Starts the CLI on a terminal with `args`, HOME and REDISCLI_HISTFILE in a private
  // directory, no rc file and no REDISCLI_AUTH (unless `extra_env` sets it).
  std::unique_ptr<pty_process> start(
      std::vector<std::string> args, const std::string& term = "dumb",
      const std::vector<std::pair<std::string, std::string>>& extra_env = {}) {
    pty_options o;
    o.program = program_;
    o.argv0 = "redis-cli";
    o.args = std::move(args);
    o.term = term;
    o.env.unset = {"REDISCLI_AUTH", "FAKETTY", "REDISCLI_CLUSTER_YES"};
    o.env.set = {{"HOME", home_->path()},
                 {"REDISCLI_HISTFILE", history_},
                 {"REDISCLI_RCFILE", home_->path() + "/no-rc-file"}};
    o.env.set.insert(o.env.set.end(), extra_env.begin(), extra_env.end());
    o.cwd = home_->path();
    std::string why;
    auto p = pty_process::start(o, why);
    EXPECT_NE(p, nullptr) << why;
    return p;
  }

  static std::string prompt(std::uint16_t port, const std::string& suffix = "") {
    return "127.0.0.1:" + std::to_string(port) + suffix + "> ";
  }

  // For line editors (TERM=xterm): waits until the editor has the terminal, then types.
  static bool type(pty_process& p, std::string_view keys) {
    if (!p.wait_for_raw_mode()) {
      ADD_FAILURE() << "the terminal never left canonical mode (no line editor?)\n" << p.dump();
      return false;
    }
    return p.send(keys);
  }

  // Types `quit` and expects the program to end with status 0.
  static void quit(pty_process& p, bool editor = false) {
    if (editor) {
      ASSERT_TRUE(type(p, "quit\r"));
    } else {
      ASSERT_TRUE(p.send_line("quit"));
    }
    const run_result r = p.wait_exit(std::chrono::seconds(10));
    EXPECT_FALSE(r.timed_out) << p.dump();
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << p.dump();
  }

  std::string program_;
  std::unique_ptr<temp_dir> home_;
  std::string history_;
};

inline server_options with_unix_socket() {
  server_options o;
  o.unix_socket = true;
  return o;
}

inline server_options with_password(std::string password) {
  server_options o;
  o.password = std::move(password);
  return o;
}

}  // namespace respool::test::cli
