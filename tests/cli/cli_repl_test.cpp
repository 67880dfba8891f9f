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
//
// The tests are in two files: this one (prompt, replies, history, quoting, the repeat prefix)
// and cli_repl_lifecycle.cpp (other servers, dying servers, leaving, signals, line editing).
#include "cli_repl_fixture.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#ifndef RESPOOL_CLI_PATH
#  error "RESPOOL_CLI_PATH (the respool-cli binary) must be defined"
#endif

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;

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

INSTANTIATE_TEST_SUITE_P(binaries, cli_repl,
                         ::testing::Values(binary{"redis_cli", "redis-cli"},
                                           binary{"respool_cli", RESPOOL_CLI_PATH}),
                         [](const ::testing::TestParamInfo<binary>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace respool::test::cli
