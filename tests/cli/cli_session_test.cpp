// respool-cli's session, link and modes called in-process against the test server: what they
// print on stdout and stderr, and the outcome (the exit status) they hand back to main.
#include "connection_support.hpp"
#include "link.hpp"
#include "modes.hpp"
#include "session.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

namespace respool::cli {
namespace {

// Sends descriptor `fd` (1 or 2) to a temporary file until text() takes what was written.
class captured {
 public:
  explicit captured(int fd) : fd_(fd), file_(std::tmpfile()) {
    std::fflush(nullptr);
    saved_ = ::dup(fd_);
    ::dup2(::fileno(file_), fd_);
  }
  ~captured() {
    restore();
    std::fclose(file_);
  }
  captured(const captured&) = delete;
  captured& operator=(const captured&) = delete;

  std::string text() {
    restore();
    std::string bytes;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) bytes.append(buf, n);
    return bytes;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(nullptr);
    ::dup2(saved_, fd_);
    ::close(saved_);
    saved_ = -1;
  }

  int fd_;
  std::FILE* file_;
  int saved_ = -1;
};

options server_options(output_mode mode) {
  const config cfg = test::server_config();
  options o;
  o.host = cfg.host;
  o.port = cfg.port;
  o.mode = mode;
  return o;
}

// A session on the test server, or a skip (a failure when the server is required).
#define RESPOOL_CLI_SESSION(var, opts, interactive)                                \
  session var(opts, interactive);                                                  \
  if (!var.connect(false, true)) {                                                 \
    if (test::server_required()) FAIL() << "test server required but unreachable"; \
    GTEST_SKIP() << "no Redis server";                                             \
  }

std::vector<std::string> words(std::initializer_list<const char*> list) {
  return {list.begin(), list.end()};
}

TEST(cli_session, prints_replies_in_the_output_mode) {
  RESPOOL_CLI_SESSION(raw, server_options(output_mode::raw), false);
  const std::string key = "cli_session:" + std::to_string(::getpid());
  captured out(1);
  const outcome set = raw.issue(words({"SET", key.c_str(), "tab\tvalue"}), 1);
  const outcome incr = raw.issue(words({"INCR", (key + ":n").c_str()}), 3);
  const outcome del = raw.issue(words({"DEL", key.c_str(), (key + ":n").c_str()}), 1);
  const outcome get = raw.issue(words({"GET", key.c_str()}), 1);
  EXPECT_EQ(out.text(), "OK\n1\n2\n3\n2\n\n");
  EXPECT_EQ(set, outcome::ok);
  EXPECT_EQ(incr, outcome::ok);
  EXPECT_EQ(del, outcome::ok);
  EXPECT_EQ(get, outcome::ok);

  RESPOOL_CLI_SESSION(tty, server_options(output_mode::standard), true);
  captured tty_out(1);
  const outcome missing = tty.issue(words({"GET", key.c_str()}), 1);
  const outcome echo = tty.issue(words({"ECHO", "a\"b\n"}), 1);
  EXPECT_EQ(tty_out.text(), "(nil)\n\"a\\\"b\\n\"\n");
  EXPECT_EQ(missing, outcome::ok);
  EXPECT_EQ(echo, outcome::ok);
}

TEST(cli_session, an_error_reply_is_output_unless_e_asks_for_status_1) {
  RESPOOL_CLI_SESSION(plain, server_options(output_mode::standard), false);
  captured out(1);
  const outcome printed = plain.issue(words({"NOSUCHCOMMAND"}), 1);
  EXPECT_EQ(out.text(),
            "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: \n");
  EXPECT_EQ(exit_status(printed), 0);

  options o = server_options(output_mode::raw);
  o.errors_to_stderr = true;
  RESPOOL_CLI_SESSION(strict, o, false);
  captured strict_out(1);
  captured strict_err(2);
  const outcome failed = strict.issue(words({"NOSUCHCOMMAND"}), 1);
  EXPECT_EQ(strict_err.text(), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: \n");
  EXPECT_EQ(strict_out.text(), "");
  EXPECT_EQ(failed, outcome::fatal);
  EXPECT_EQ(exit_status(failed), 1);
}

TEST(cli_session, the_prompt_follows_select_and_multi) {
  RESPOOL_CLI_SESSION(s, server_options(output_mode::standard), true);
  const config cfg = test::server_config();
  const std::string base = cfg.host + ":" + std::to_string(cfg.port);
  EXPECT_EQ(s.prompt(), base + "> ");
  captured out(1);
  EXPECT_EQ(s.issue(words({"SELECT", "2"}), 1), outcome::ok);
  EXPECT_EQ(s.prompt(), base + "[2]> ");
  EXPECT_EQ(s.issue(words({"MULTI"}), 1), outcome::ok);
  EXPECT_EQ(s.prompt(), base + "[2](TX)> ");
  EXPECT_EQ(s.issue(words({"DISCARD"}), 1), outcome::ok);
  EXPECT_EQ(s.prompt(), base + "[2]> ");
  EXPECT_EQ(out.text(), "OK\nOK\nOK\n");
}

TEST(cli_session, a_dead_server_fails_the_command_with_redis_clis_message) {
  options o = server_options(output_mode::raw);
  o.port = test::closed_port();
  session s(o, false);
  captured err(2);
  const bool connected = s.connect();
  const outcome r = s.issue(words({"PING"}), 1);
  const std::string reason = "Could not connect to Redis at 127.0.0.1:" + std::to_string(o.port) +
                             ": Connection refused\n";
  EXPECT_EQ(err.text(), reason + reason);
  EXPECT_FALSE(connected);
  EXPECT_EQ(r, outcome::failed);
  EXPECT_EQ(exit_status(r), 1);
  EXPECT_EQ(s.prompt(), "not connected> ");
}

// After QUIT the server closes the connection: the next command meets the closed socket.
TEST(cli_session, a_broken_connection_ends_a_one_shot_run_but_not_the_repl) {
  for (const bool interactive : {false, true}) {
    RESPOOL_CLI_SESSION(s, server_options(output_mode::raw), interactive);
    captured out(1);
    captured err(2);
    const outcome quit = s.issue(words({"QUIT"}), 1);
    const outcome ping = s.issue(words({"PING"}), 1);
    EXPECT_EQ(out.text(), "OK\n");
    EXPECT_TRUE(err.text().starts_with("Error: ")) << err.text();
    EXPECT_EQ(quit, outcome::ok);
    EXPECT_EQ(ping, interactive ? outcome::failed : outcome::fatal);
    EXPECT_FALSE(s.connected());
  }
}

TEST(cli_link, sends_a_request_and_reads_its_reply) {
  const config cfg = test::server_config();
  link l(tls_config{});
  std::string message;
  if (!l.connect(endpoint{cfg.host, cfg.port, {}}, message)) {
    if (test::server_required()) FAIL() << message;
    GTEST_SKIP() << message;
  }
  request req;
  req.push("ECHO", "hello");
  ASSERT_FALSE(l.write(req));
  ASSERT_FALSE(l.read());
  ASSERT_EQ(l.reply().size(), 1u);
  EXPECT_EQ(l.reply().front().data_type, resp3::type::bulk_string);
  EXPECT_EQ(l.reply().front().value, "hello");
  // Raw bytes, as --pipe sends them: an inline command.
  ASSERT_FALSE(l.write(std::string_view("PING\r\n")));
  ASSERT_FALSE(l.read());
  EXPECT_EQ(l.reply().front().value, "PONG");
  l.close();
  EXPECT_FALSE(l.is_open());
  EXPECT_EQ(l.native_handle(), -1);
}

TEST(cli_link, a_closed_port_is_refused) {
  link l(tls_config{});
  std::string message;
  const int port = test::closed_port();
  EXPECT_FALSE(l.connect(endpoint{"127.0.0.1", port, {}}, message));
  EXPECT_EQ(message, "Could not connect to Redis at 127.0.0.1:" + std::to_string(port) +
                         ": Connection refused\n");
  EXPECT_FALSE(l.is_open());
}

TEST(cli_modes, scan_lists_the_matching_keys) {
  options o = server_options(output_mode::raw);
  const std::string prefix = "cli_scan:" + std::to_string(::getpid()) + ":";
  o.scan = true;
  o.pattern = prefix + "*";
  RESPOOL_CLI_SESSION(s, o, false);
  {
    captured out(1);
    ASSERT_EQ(s.issue(words({"MSET", (prefix + "a").c_str(), "1", (prefix + "b").c_str(), "2"}), 1),
              outcome::ok);
    ASSERT_EQ(out.text(), "OK\n");
  }
  captured out(1);
  const int status = scan_mode(s);
  std::string listed = out.text();
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(listed == prefix + "a\n" + prefix + "b\n" ||
              listed == prefix + "b\n" + prefix + "a\n")
      << listed;
  captured del(1);
  EXPECT_EQ(s.issue(words({"DEL", (prefix + "a").c_str(), (prefix + "b").c_str()}), 1),
            outcome::ok);
  EXPECT_EQ(del.text(), "2\n");
}

TEST(cli_modes, scan_without_a_server_exits_with_1) {
  options o = server_options(output_mode::raw);
  o.port = test::closed_port();
  o.scan = true;
  session s(o, false);
  captured err(2);
  const int status = scan_mode(s);
  EXPECT_EQ(err.text(), "\nI/O error\n");
  EXPECT_EQ(status, 1);
}

}  // namespace
}  // namespace respool::cli
