// cli_repl_test, continued: the modes that speak the replication protocol (--rdb,
// --functions-rdb, --replica), --askpass and the Lua debugger (--ldb), for both programs. An
// RDB written by either must load in a fresh server; --replica is run by both programs at once
// on one server, and their outputs compared byte for byte; so are --ldb sessions.
#include "cli_repl_fixture.hpp"

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <signal.h>

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;

const char* const library =
    "#!lua name=cli_lib\n"
    "redis.register_function('cli_fn', function(keys, args) return 1 end)";

// A server with two keys and a function library.
void fill(server_process& s) {
  std::string why;
  for (const std::vector<std::string>& c : {std::vector<std::string>{"SET", "k1", "v1"},
                                            {"RPUSH", "list", "a", "b"},
                                            {"FUNCTION", "LOAD", library},
                                            {"CONFIG", "SET", "repl-diskless-sync-delay", "0"}}) {
    ASSERT_FALSE(s.command(c, why).empty()) << why;
  }
}

run_result run_cli(const std::string& program, std::vector<std::string> args,
                   std::string stdin_data = {}) {
  run_options o;
  o.program = program;
  o.argv0 = "redis-cli";
  o.args = std::move(args);
  o.stdin_data = std::move(stdin_data);
  o.env.unset = {"REDISCLI_AUTH"};
  return run(o);
}

// A fresh server that loads `file` at start.
std::unique_ptr<server_process> load(const temp_dir& dir, const std::string& file,
                                     std::string& why) {
  server_options o;
  o.extra = {"dir " + dir.path(), "dbfilename " + file};
  return server_process::start(o, why);
}

TEST_P(cli_repl, rdb_written_loads_in_a_fresh_server) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  fill(*server);
  temp_dir dir("respool-cli-rdb");
  const std::string port = std::to_string(server->port());
  // Diskless (the EOF marker form), then from disk (the size announced first).
  for (const char* diskless : {"yes", "no"}) {
    SCOPED_TRACE(std::string("repl-diskless-sync ") + diskless);
    std::string why;
    server->command({"CONFIG", "SET", "repl-diskless-sync", diskless}, why);
    const std::string file = std::string("dump-") + diskless + ".rdb";
    const run_result r = run_cli(program_, {"-p", port, "--rdb", dir.path() + "/" + file});
    ASSERT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << r.err;
    EXPECT_EQ(r.out, "");
    const std::string to = "'" + dir.path() + "/" + file + "'";
    const std::string how =
        std::string(diskless) == "yes"
            ? "writing bytes of bulk transfer until EOF marker to " + to +
                  "\nTransfer finished with success after [0-9]+ bytes\n"
            : "writing [0-9]+ bytes to " + to + "\nTransfer finished with success\\.\n";
    EXPECT_TRUE(std::regex_match(r.err, std::regex("sending REPLCONF capa eof\n"
                                                   "sending REPLCONF rdb-only 1\n"
                                                   "SYNC sent to master, " +
                                                   how)))
        << r.err;
    auto loaded = load(dir, file, why);
    ASSERT_NE(loaded, nullptr) << why;
    EXPECT_EQ(loaded->command({"GET", "k1"}, why), "$2\r\nv1\r\n");
    EXPECT_EQ(loaded->command({"LRANGE", "list", "0", "-1"}, why), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    EXPECT_EQ(loaded->command({"FCALL", "cli_fn", "0"}, why), ":1\r\n");
  }
}

TEST_P(cli_repl, functions_rdb_holds_the_functions_only) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  fill(*server);
  temp_dir dir("respool-cli-rdb");
  const run_result r = run_cli(program_, {"-p", std::to_string(server->port()), "--functions-rdb",
                                          dir.path() + "/functions.rdb"});
  ASSERT_TRUE(r.exited && r.exit_code == 0) << r.status() << "\n" << r.err;
  EXPECT_TRUE(
      r.err.starts_with("sending REPLCONF capa eof\nsending REPLCONF rdb-only 1\n"
                        "sending REPLCONF rdb-filter-only functions\nSYNC sent to master, "))
      << r.err;
  std::string why;
  auto loaded = load(dir, "functions.rdb", why);
  ASSERT_NE(loaded, nullptr) << why;
  EXPECT_EQ(loaded->command({"DBSIZE"}, why), ":0\r\n");
  EXPECT_EQ(loaded->command({"FCALL", "cli_fn", "0"}, why), ":1\r\n");
}

TEST_P(cli_repl, rdb_to_stdout_and_to_a_file_that_cannot_be_opened) {
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  fill(*server);
  std::string why;
  server->command({"CONFIG", "SET", "repl-diskless-sync", "no"}, why);
  const std::string port = std::to_string(server->port());
  const run_result out = run_cli(program_, {"-p", port, "--rdb", "-"});
  ASSERT_TRUE(out.exited && out.exit_code == 0) << out.status() << "\n" << out.err;
  EXPECT_TRUE(out.out.starts_with("REDIS0")) << escape_bytes(out.out.substr(0, 16));
  EXPECT_NE(out.err.find(" bytes to '-'\n"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find(std::to_string(out.out.size()) + " bytes"), std::string::npos) << out.err;
  const run_result bad = run_cli(program_, {"-p", port, "--rdb", "/nonexistent/dir/x.rdb"});
  EXPECT_TRUE(bad.exited && bad.exit_code == 1) << bad.status();
  EXPECT_TRUE(
      bad.err.ends_with("Error opening '/nonexistent/dir/x.rdb': No such file or directory\n"))
      << bad.err;
}

TEST_P(cli_repl, askpass_reads_the_password_from_stdin) {
  RESPOOL_START_SERVER_OR_SKIP(server, with_password("s3cret"));
  const std::string port = std::to_string(server->port());
  // From a pipe: the first line, no prompt.
  const run_result r = run_cli(program_, {"-p", port, "--askpass", "ping"}, "s3cret\n");
  EXPECT_EQ(r.out, "PONG\n");
  EXPECT_EQ(r.err, "");
  const run_result none = run_cli(program_, {"-p", port, "--askpass", "ping"});
  EXPECT_EQ(none.out, "NOAUTH Authentication required.\n\n");
  // On a terminal: the prompt, and what is typed is not shown.
  auto cli = start({"-p", port, "--askpass"}, "xterm");
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->expect("Please input password: "));
  // (respool-cli reads it with the terminal's own line editing, echo off: no type())
  ASSERT_TRUE(cli->send("s3cret\r"));
  ASSERT_TRUE(cli->expect(prompt(server->port())));
  EXPECT_EQ(cli->text().find("s3cret"), std::string::npos) << cli->dump();
  ASSERT_TRUE(type(*cli, "ping\r"));
  ASSERT_TRUE(cli->expect("PONG"));
  quit(*cli, true);
}

// What a --replica run printed, with the RDB's size (which varies) taken out.
std::string without_sizes(const std::string& err) {
  return std::regex_replace(err, std::regex("[0-9]+ bytes"), "N bytes");
}

TEST(cli_replica, both_programs_print_the_same_stream) {
  const std::string theirs = find_program("redis-cli");
  if (theirs.empty()) GTEST_SKIP() << "redis-cli not found in PATH";
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  std::string why;
  // No PING from the server in the stream: its timing would differ between the two runs.
  ASSERT_FALSE(server->command({"CONFIG", "SET", "repl-ping-replica-period", "3600"}, why).empty());
  ASSERT_FALSE(server->command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}, why).empty());
  const std::string port = std::to_string(server->port());
  int round = 0;
  for (const char* diskless : {"yes", "no"}) {
    SCOPED_TRACE(std::string("repl-diskless-sync ") + diskless);
    server->command({"CONFIG", "SET", "repl-diskless-sync", diskless}, why);
    std::vector<std::unique_ptr<child_process>> runs;
    for (const std::string& program : {theirs, std::string(RESPOOL_CLI_PATH)}) {
      run_options o;
      o.program = program;
      o.argv0 = "redis-cli";
      o.args = {"-p", port, "--replica"};
      o.stdin_kind = input::dev_null;
      runs.push_back(child_process::start(o, why));
      ASSERT_NE(runs.back(), nullptr) << why;
      ASSERT_TRUE(runs.back()->wait_for_output("Logging commands from master.\n", 20s, true))
          << runs.back()->err();
    }
    const std::string key = "key" + std::to_string(++round);
    server->command({"SET", key, "a value"}, why);
    server->command({"RPUSH", "list", "x", "y"}, why);
    server->command({"INCR", "n"}, why);
    for (auto& r : runs) {
      ASSERT_TRUE(r->wait_for_output("\"INCR\",\"n\"\n", 20s)) << r->out() << r->err();
      r->send_signal(SIGKILL);
      r->finish(5s);
    }
    EXPECT_EQ(runs[1]->out(), runs[0]->out()) << diff_text(runs[0]->out(), runs[1]->out());
    EXPECT_EQ(without_sizes(runs[1]->err()), without_sizes(runs[0]->err()))
        << diff_text(runs[0]->err(), runs[1]->err());
    EXPECT_NE(runs[1]->out().find("\"SET\",\"" + key + "\",\"a value\"\n"), std::string::npos)
        << runs[1]->out();
  }
}

TEST(cli_ldb, debugging_sessions_print_what_redis_cli_prints) {
  const std::string theirs = find_program("redis-cli");
  if (theirs.empty()) GTEST_SKIP() << "redis-cli not found in PATH";
  RESPOOL_START_SERVER_OR_SKIP(server, server_options{});
  temp_dir dir("respool-cli-ldb");
  std::ofstream(dir.path() + "/s.lua") << "local a = 1\nredis.call('set', KEYS[1], ARGV[1])\n"
                                       << "return a + 1\n";
  std::ofstream(dir.path() + "/bad.lua") << "return (\n";
  // Stepping, printing, the debugger's help, eval and redis, a breakpoint, the end of the
  // session and the REPL after it, restart, abort.
  const std::string session =
      "step\nstep\nprint\nhelp\neval return 5\nredis ping\nlist\nbreak 3\ncontinue\n"
      "continue\nget k\nrestart\nstep\nabort\nget k\nquit\n";
  const std::string port = std::to_string(server->port());
  struct variant {
    std::vector<std::string> args;
    std::string term;
  };
  const variant variants[] = {
      {{"--ldb", "--eval", dir.path() + "/s.lua", "k", ",", "v"}, "xterm"},
      {{"--ldb-sync-mode", "--eval", dir.path() + "/s.lua", "k", ",", "v"}, "dumb"},
      {{"--ldb", "--eval", dir.path() + "/bad.lua"}, "xterm"},
  };
  for (const variant& v : variants) {
    SCOPED_TRACE(v.args.front() + " " + v.args[2] + " TERM=" + v.term);
    std::vector<run_result> results;
    for (const std::string& program : {theirs, std::string(RESPOOL_CLI_PATH)}) {
      std::string why;
      server->command({"DEL", "k"}, why);
      run_options o;
      o.program = program;
      o.argv0 = "redis-cli";
      o.args = {"-p", port};
      o.args.insert(o.args.end(), v.args.begin(), v.args.end());
      o.stdin_data = session;
      o.env.unset = {"REDISCLI_AUTH"};
      o.env.set = {{"TERM", v.term}};
      results.push_back(run(o));
    }
    EXPECT_EQ(results[1].status(), results[0].status());
    EXPECT_EQ(results[1].out, results[0].out) << diff_text(results[0].out, results[1].out);
    EXPECT_EQ(results[1].err, results[0].err) << diff_text(results[0].err, results[1].err);
    EXPECT_NE(results[1].out.find("Lua debugging session "), std::string::npos);
  }
}

}  // namespace
}  // namespace respool::test::cli
