// The interactive REPL on a pseudo-terminal: prompt, replies, history file, quoting errors,
// the repeat prefix, `connect`, a server that dies and comes back, line editing, quit/EOF.
//
// Every test runs twice: against the installed redis-cli and against respool-cli. The
// expectations are the same for both, so redis-cli passing them shows they are right.
//
// Most tests use TERM=dumb: both programs then print the prompt and read plain lines (the
// terminal driver echoes what is typed), which is easy to match. The TERM=xterm tests use line
// editing (redis-cli: linenoise; respool-cli: libedit); their escape sequences differ, so the
// tests match only the text (pty_process::expect ignores control sequences, \r, \b and \a).
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

#ifndef RESPOOL_CLI_PATH
#  error "RESPOOL_CLI_PATH (the respool-cli binary) must be defined"
#endif

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;

struct binary {
  const char* name;  // test name suffix
  const char* path;  // a path, or a name looked up in PATH
};

void PrintTo(const binary& b, std::ostream* os) { *os << b.name; }

std::uint16_t closed_port() {
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

std::vector<std::string> lines_of(const std::string& text) {
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
    const run_result r = p.wait_exit(10s);
    EXPECT_FALSE(r.timed_out) << p.dump();
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << p.dump();
  }

  std::string program_;
  std::unique_ptr<temp_dir> home_;
  std::string history_;
};

server_options with_unix_socket() {
  server_options o;
  o.unix_socket = true;
  return o;
}

server_options with_password(std::string password) {
  server_options o;
  o.password = std::move(password);
  return o;
}

TEST_P(cli_repl, prompt_command_and_reply_formats) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("set k v");
  ASSERT_TRUE(cli->expect("set k v\nOK\n" + p));
  // stdout is a terminal: the TTY format.
  cli->send_line("get k");
  ASSERT_TRUE(cli->expect("\"v\"\n" + p));
  cli->send_line("rpush l a b");
  ASSERT_TRUE(cli->expect("(integer) 2\n" + p));
  cli->send_line("lrange l 0 -1");
  ASSERT_TRUE(cli->expect("1) \"a\"\n2) \"b\"\n" + p));
  cli->send_line("get nosuchkey");
  ASSERT_TRUE(cli->expect("(nil)\n" + p));
  cli->send_line("nosuchcommand x");
  ASSERT_TRUE(cli->expect(
      "(error) ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n" + p));
  cli->send_line("   ");  // blank lines are ignored
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, prompt_shows_db_and_transaction) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const auto port = server->port();
  ASSERT_TRUE(cli->expect(prompt(port)));
  cli->send_line("select 2");
  ASSERT_TRUE(cli->expect("OK\n" + prompt(port, "[2]")));
  cli->send_line("multi");
  ASSERT_TRUE(cli->expect("OK\n" + prompt(port, "[2](TX)")));
  cli->send_line("incr x");
  ASSERT_TRUE(cli->expect("QUEUED\n" + prompt(port, "[2](TX)")));
  cli->send_line("exec");
  ASSERT_TRUE(cli->expect("1) (integer) 1\n" + prompt(port, "[2]")));
  cli->send_line("multi");
  ASSERT_TRUE(cli->expect(prompt(port, "[2](TX)")));
  cli->send_line("discard");
  ASSERT_TRUE(cli->expect("OK\n" + prompt(port, "[2]")));
  cli->send_line("select 0");
  ASSERT_TRUE(cli->expect("OK\n" + prompt(port)));
  quit(*cli);
}

TEST_P(cli_repl, starts_in_the_database_of_n) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port()), "-n", "3"});
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->expect(prompt(server->port(), "[3]")));
  cli->send_line("client info");
  ASSERT_TRUE(cli->expect(" db=3 "));
  ASSERT_TRUE(cli->expect(prompt(server->port(), "[3]")));
  quit(*cli);
}

TEST_P(cli_repl, history_file_skips_auth_and_keeps_order) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  const std::vector<std::pair<std::string, std::string>> typed = {
      {"set a 1", "OK"},
      {"auth secretpassword", "(error) ERR AUTH"},
      {"AUTH someuser otherpassword", "(error) WRONGPASS"},
      {"hello 3 auth default anything", "1# \"server\" => \"redis\""},  // nopass: accepted
      {"get a", "\"1\""},
      {"get \"\"key", "Invalid argument(s)"},
      {"2 incr n", "(integer) 2"},
      {"acl setuser bob on >bobpw", "OK"},
      {"config set masterauth somepw", "OK"},
      {"CONFIG SET maxmemory 0", "OK"},
      {"migrate 127.0.0.1 1 nokey 0 1000 AUTH pw", "NOKEY"},
      {"migrate 127.0.0.1 1 nokey 0 1000", "NOKEY"},
  };
  for (const auto& [line, reply] : typed) {
    cli->send_line(line);
    ASSERT_TRUE(cli->expect(reply));
    ASSERT_TRUE(cli->expect(p));
  }
  // The file is rewritten after every line, so it is complete before quit.
  const std::string kept =
      "set a 1\nget a\nget \"\"key\n2 incr n\nCONFIG SET maxmemory 0\n"
      "migrate 127.0.0.1 1 nokey 0 1000\n";
  EXPECT_EQ(read_file(history_), kept);
  quit(*cli);
  bool exists = false;
  EXPECT_EQ(read_file(history_, &exists), kept + "quit\n");
  EXPECT_TRUE(exists);
  struct stat st {};
  ASSERT_EQ(::stat(history_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << std::oct << (st.st_mode & 0777);
}

TEST_P(cli_repl, history_file_keeps_the_last_100_entries) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  {
    // An existing history is loaded first.
    std::ofstream(history_) << "echo old1\necho old2\n";
  }
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  for (int i = 1; i <= 105; ++i) {
    cli->send_line("echo " + std::to_string(i));
    ASSERT_TRUE(cli->expect(fmt::format("\"{}\"\n{}", i, p)));
  }
  quit(*cli);
  const auto lines = lines_of(read_file(history_));
  ASSERT_EQ(lines.size(), 100u) << read_file(history_);
  EXPECT_EQ(lines.front(), "echo 7");
  EXPECT_EQ(lines[98], "echo 105");
  EXPECT_EQ(lines.back(), "quit");
}

TEST_P(cli_repl, history_is_recalled_with_the_up_arrow) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  { std::ofstream(history_) << "echo from-the-file\n"; }
  auto cli = start({"-p", std::to_string(server->port())}, "xterm");
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, "\x1b[A"));  // up: the entry loaded from the file
  ASSERT_TRUE(type(*cli, "\r"));
  ASSERT_TRUE(cli->expect("\"from-the-file\"\n"));
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, "echo typed\r"));
  ASSERT_TRUE(cli->expect("\"typed\"\n"));
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, "\x1b[A\r"));  // the line just typed
  ASSERT_TRUE(cli->expect("\"typed\"\n"));
  ASSERT_TRUE(cli->expect(p));
  quit(*cli, true);
  // A line equal to the newest entry is not added again.
  EXPECT_EQ(read_file(history_), "echo from-the-file\necho typed\nquit\n");
}

TEST_P(cli_repl, quoting_errors_and_quoted_arguments) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("get \"\"key");
  ASSERT_TRUE(cli->expect("Invalid argument(s)\n" + p));
  cli->send_line("get \"unterminated");
  ASSERT_TRUE(cli->expect("Invalid argument(s)\n" + p));
  cli->send_line("set key \" bar \"");
  ASSERT_TRUE(cli->expect("OK\n" + p));
  cli->send_line("get key");
  ASSERT_TRUE(cli->expect("\" bar \"\n" + p));
  cli->send_line("set key \"\\\"bar\\\"\"");
  ASSERT_TRUE(cli->expect("OK\n" + p));
  cli->send_line("get key");
  ASSERT_TRUE(cli->expect("\"\\\"bar\\\"\"\n" + p));
  cli->send_line("set bin \"\\x00\\xff\\n\"");
  ASSERT_TRUE(cli->expect("OK\n" + p));
  cli->send_line("get bin");
  ASSERT_TRUE(cli->expect("\"\\x00\\xff\\n\"\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, repeat_prefix) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("3 incr x");
  ASSERT_TRUE(cli->expect("(integer) 1\n(integer) 2\n(integer) 3\n" + p));
  cli->send_line("0 incr x");
  ASSERT_TRUE(cli->expect("Invalid redis-cli repeat command option value.\n" + p));
  cli->send_line("get x");
  ASSERT_TRUE(cli->expect("\"3\"\n" + p));
  cli->send_line("3");  // a number alone is a command, not a repeat count
  ASSERT_TRUE(cli->expect("(error) ERR unknown command '3'"));
  ASSERT_TRUE(cli->expect(p));
  quit(*cli);
}

TEST_P(cli_repl, connect_to_another_server) {
  RESPOOL_START_SERVER_OR_SKIP(first, server_options{});
  RESPOOL_START_SERVER_OR_SKIP(second, server_options{});
  ASSERT_FALSE(second->command({"SET", "where", "second"}, second_why).empty()) << second_why;
  auto cli = start({"-p", std::to_string(first->port())});
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->expect(prompt(first->port())));
  cli->send_line("connect 127.0.0.1 " + std::to_string(second->port()));
  ASSERT_TRUE(cli->expect(prompt(second->port())));
  cli->send_line("get where");
  ASSERT_TRUE(cli->expect("\"second\"\n" + prompt(second->port())));
  const auto closed = closed_port();
  cli->send_line("connect 127.0.0.1 " + std::to_string(closed));
  ASSERT_TRUE(cli->expect("Could not connect to Redis at 127.0.0.1:" + std::to_string(closed) +
                          ": Connection refused\nnot connected> "));
  cli->send_line("connect 127.0.0.1 " + std::to_string(first->port()));
  ASSERT_TRUE(cli->expect(prompt(first->port())));
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + prompt(first->port())));
  quit(*cli);
}

TEST_P(cli_repl, server_killed_and_restarted) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  const std::string refused =
      "Could not connect to Redis at 127.0.0.1:" + std::to_string(server->port()) +
      ": Connection refused\n";
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + p));
  server->kill_hard();
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("ping\nError: Server closed the connection\nnot connected> "));
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("ping\n" + refused + "not connected> "));
  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("ping\nPONG\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, refused_at_start_then_server_appears) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  const std::uint16_t port = server->port();
  server->kill_hard();
  auto cli = start({"-p", std::to_string(port)});
  ASSERT_NE(cli, nullptr);
  const std::string refused =
      "Could not connect to Redis at 127.0.0.1:" + std::to_string(port) + ": Connection refused\n";
  ASSERT_TRUE(cli->expect(refused + "not connected> "));
  cli->send_line("get k");
  ASSERT_TRUE(cli->expect(refused + "not connected> "));
  std::string why;
  ASSERT_TRUE(server->restart(why)) << why;
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + prompt(port)));
  quit(*cli);
}

TEST_P(cli_repl, unix_socket_prompt) {
  RESPOOL_START_SERVER_OR_SKIP(server, with_unix_socket());
  auto cli = start({"-s", server->unix_path()});
  ASSERT_NE(cli, nullptr);
  const std::string p = "redis " + server->unix_path() + "> ";
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("select 1");
  ASSERT_TRUE(cli->expect("OK\nredis " + server->unix_path() + "[1]> "));
  quit(*cli);
}

TEST_P(cli_repl, password_from_the_environment) {
  RESPOOL_START_SERVER_OR_SKIP(server, with_password("pw1"));
  auto cli = start({"-p", std::to_string(server->port())}, "dumb", {{"REDISCLI_AUTH", "pw1"}});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("acl whoami");
  ASSERT_TRUE(cli->expect("\"default\"\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, slow_command_shows_its_duration) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  // At least one second: "(1.0Xs)" follows the reply (the figure itself is not checked).
  cli->send_line("debug sleep 1");
  ASSERT_TRUE(cli->expect("OK\n(1."));
  ASSERT_TRUE(cli->expect("s)\n" + p));
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, exit_and_end_of_input) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  {
    auto cli = start({"-p", std::to_string(server->port())});
    ASSERT_NE(cli, nullptr);
    ASSERT_TRUE(cli->expect(prompt(server->port())));
    cli->send_line("EXIT");
    const run_result r = cli->wait_exit(10s);
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << cli->dump();
  }
  for (const char* term : {"dumb", "xterm"}) {
    auto cli = start({"-p", std::to_string(server->port())}, term);
    ASSERT_NE(cli, nullptr);
    ASSERT_TRUE(cli->expect(prompt(server->port())));
    // Ctrl-D on an empty line (with TERM=dumb the terminal driver makes it the end of input).
    ASSERT_TRUE(std::string(term) == "dumb" ? cli->send("\x04") : type(*cli, "\x04"));
    const run_result r = cli->wait_exit(10s);
    EXPECT_TRUE(r.exited && r.exit_code == 0) << term << ": " << r.status() << "\n" << cli->dump();
  }
}

TEST_P(cli_repl, interrupt_with_a_plain_terminal) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  // TERM=dumb: Ctrl-C makes the terminal driver send SIGINT, which ends the program with
  // status 1, at the prompt as during a blocking command (with line editing, Ctrl-C at the
  // prompt is a key: status 0, see line_editing_with_xterm).
  for (const bool blocked : {false, true}) {
    auto cli = start({"-p", std::to_string(server->port())});
    ASSERT_NE(cli, nullptr);
    ASSERT_TRUE(cli->expect(prompt(server->port())));
    if (blocked) {
      cli->send_line("blpop nolist 0");
      ASSERT_TRUE(cli->expect("blpop nolist 0\n"));
    }
    cli->send("\x03");
    const run_result r = cli->wait_exit(10s);
    EXPECT_TRUE(r.exited && r.exit_code == 1)
        << (blocked ? "blocked: " : "at the prompt: ") << r.status() << "\n"
        << cli->dump();
  }
}

TEST_P(cli_repl, line_editing_with_xterm) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())}, "xterm");
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  // Typed in pieces, with a mistake erased by backspace (DEL).
  ASSERT_TRUE(type(*cli, "ech"));
  ASSERT_TRUE(type(*cli, "o hellx"));
  ASSERT_TRUE(type(*cli, "\x7f"));
  ASSERT_TRUE(type(*cli, "o\r"));
  ASSERT_TRUE(cli->expect("\"hello\"\n"));
  ASSERT_TRUE(cli->expect(p));
  // "set k1 v", the cursor moved left three times (before the '1'), then '9': "set k91 v".
  ASSERT_TRUE(type(*cli, "set k1 v"));
  ASSERT_TRUE(type(*cli, "\x1b[D\x1b[D\x1b[D"));
  ASSERT_TRUE(type(*cli, "9\r"));
  ASSERT_TRUE(cli->expect("OK\n"));
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, "get k91\r"));
  ASSERT_TRUE(cli->expect("\"v\"\n"));
  ASSERT_TRUE(cli->expect(p));
  // Ctrl-C while a line is being typed ends the program with status 0 (as at an empty prompt).
  ASSERT_TRUE(type(*cli, "get k91"));
  ASSERT_TRUE(type(*cli, "\x03"));
  const run_result r = cli->wait_exit(10s);
  EXPECT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << cli->dump();
}

TEST_P(cli_repl, clear_and_local_commands) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("clear");
  ASSERT_TRUE(cli->expect(p));
  EXPECT_NE(cli->transcript().find("\x1b[H\x1b[2J"), std::string::npos) << cli->dump();
  cli->send_line(":xyz");
  ASSERT_TRUE(cli->expect("unknown redis-cli internal command ':xyz'\n" + p));
  cli->send_line(":set bogus");
  ASSERT_TRUE(cli->expect("unknown redis-cli preference 'bogus'\n" + p));
  cli->send_line("restart");
  ASSERT_TRUE(cli->expect("Use 'restart' only in Lua debugging mode.\n" + p));
  quit(*cli);
}

TEST_P(cli_repl, subscribe_prints_messages_until_interrupted) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())});
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("subscribe ch");
  ASSERT_TRUE(cli->expect("Reading messages... (press Ctrl-C to quit)\n"));
  ASSERT_TRUE(cli->expect("1) \"subscribe\"\n2) \"ch\"\n3) (integer) 1\n"));
  std::string why;
  ASSERT_EQ(server->command({"PUBLISH", "ch", "hello"}, why), ":1\r\n") << why;
  ASSERT_TRUE(cli->expect("1) \"message\"\n2) \"ch\"\n3) \"hello\"\n"));
  // Ctrl-C leaves the subscription: back at the prompt, on a new connection.
  cli->send("\x03");
  ASSERT_TRUE(cli->expect(p));
  cli->send_line("ping");
  ASSERT_TRUE(cli->expect("PONG\n" + p));
  quit(*cli);
}

INSTANTIATE_TEST_SUITE_P(binaries, cli_repl,
                         ::testing::Values(binary{"redis_cli", "redis-cli"},
                                           binary{"respool_cli", RESPOOL_CLI_PATH}),
                         [](const ::testing::TestParamInfo<binary>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace respool::test::cli
