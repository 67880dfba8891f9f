// cli_repl_test, continued: `connect`, a server that dies and comes back or appears late,
// a unix socket, REDISCLI_AUTH, a slow command, leaving (quit, EOF, Ctrl-C), line editing with
// TERM=xterm (with hints and tab completion), local commands and subscribe mode.
#include "cli_repl_fixture.hpp"

#include <string>
#include <vector>

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;

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

// Hints: after a command's name, the syntax of the arguments still to type (from COMMAND
// DOCS); Tab completes a command's name, in capitals. `:set nohints` turns hints off.
TEST_P(cli_repl, hints_and_tab_completion_with_xterm) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  auto cli = start({"-p", std::to_string(server->port())}, "xterm");
  ASSERT_NE(cli, nullptr);
  const std::string p = prompt(server->port());
  ASSERT_TRUE(cli->expect(p));
  const std::pair<const char*, const char*> typed_and_hint[] = {
      {"SET k v ",
       "[NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
       "unix-time-milliseconds|KEEPTTL]"},
      {"zadd k ", "[NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"},
      {"lpos", " key element [RANK rank] [COUNT num-matches] [MAXLEN len]"},
      {"object encoding", " key"},
      {"migrate h p ",
       "key|\"\" destination-db timeout [COPY] [REPLACE] [[AUTH password]|[AUTH2 username "
       "password]] [KEYS key [key ...]]"},
  };
  for (const auto& [typed, hint] : typed_and_hint) {
    ASSERT_TRUE(type(*cli, typed));
    ASSERT_TRUE(cli->expect(std::string(typed) + hint));
    ASSERT_TRUE(type(*cli, "\x15"));  // Ctrl-U: the line is erased
  }
  ASSERT_TRUE(type(*cli, "client setn\t"));
  ASSERT_TRUE(cli->expect("CLIENT SETNAME connection-name"));
  ASSERT_TRUE(type(*cli, "\r"));
  ASSERT_TRUE(cli->expect("(error) ERR wrong number of arguments for 'client|setname' command"));
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, ":set nohints\r"));
  ASSERT_TRUE(cli->expect(p));
  ASSERT_TRUE(type(*cli, "SET k v "));
  cli->drain_for(300ms);
  EXPECT_EQ(cli->text_after_cursor().find("[NX|XX]"), std::string::npos) << cli->dump();
  ASSERT_TRUE(type(*cli, "\x15"));
  quit(*cli, true);
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

}  // namespace
}  // namespace respool::test::cli
