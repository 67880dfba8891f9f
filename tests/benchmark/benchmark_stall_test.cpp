// The benchmark executable against servers that keep the connection up but stop answering:
// it must give up by itself after --stall-timeout, say why, and exit 1; with
// --stall-timeout 0 it must keep waiting, as redis-benchmark does. Then the connections of -k 0
// and -I, counted and watched on the server's side. The servers are scripted (fake_server):
// one session at a time, so every run uses one client.
#include "fake_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using respool::test::fake_server;
using namespace std::chrono_literals;

namespace {

// Longer than any run here: the sessions' waits end when the fake_server is destroyed.
constexpr auto forever = 60s;

// The respool-benchmark executable, run with `args`; stdout is dropped, stderr kept.
class benchmark_process {
 public:
  explicit benchmark_process(const std::vector<std::string>& args) {
    // Built before fork(): the child, a copy of a process with threads, only calls what is
    // safe there until execv().
    std::vector<char*> argv{const_cast<char*>(RESPOOL_BENCHMARK_PATH)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDERR_FILENO);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    err_ = fds[0];
    ::fcntl(err_, F_SETFL, O_NONBLOCK);
  }

  ~benchmark_process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) ::close(err_);
  }

  benchmark_process(const benchmark_process&) = delete;
  benchmark_process& operator=(const benchmark_process&) = delete;

  bool started() const { return pid_ > 0; }

  /// The exit status once the process has exited within `limit`; nullopt while it still runs
  /// (or when it died of a signal: -1).
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!status_) {
      drain();
      int raw = 0;
      if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
        status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(20ms);
    }
    drain();
    return status_;
  }

  const std::string& err() const { return err_text_; }

 private:
  void drain() {
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(err_, buf, sizeof buf)) > 0) err_text_.append(buf, static_cast<size_t>(n));
  }

  pid_t pid_ = -1;
  int err_ = -1;
  std::optional<int> status_;
  std::string err_text_;
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// What redis 7.0 answers (RESP2) to CONFIG GET save and CONFIG GET appendonly.
std::string config_reply(const std::vector<std::string>& cmd) {
  if (cmd.size() >= 3 && cmd[2] == "save") return "*2\r\n$4\r\nsave\r\n$0\r\n\r\n";
  return "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n";
}

// Reads every command and answers none.
void black_hole(fake_server::peer& p) {
  while (p.read_command(forever)) {
  }
}

// Answers the connection's setup (a lone PING, in RESP2 without a password), then reads
// every command and answers none.
void answers_setup_only(fake_server::peer& p) {
  const auto cmd = p.read_command(forever);
  if (!cmd || cmd->empty() || upper(cmd->front()) != "PING") return;
  p.write("+PONG\r\n");
  black_hole(p);
}

// Answers CONFIG GET, then `pongs` PINGs (or any command), then starts the next reply and
// stops in the middle of it, the connection still up.
void stops_mid_reply(fake_server::peer& p, int pongs) {
  int answered = 0;
  while (auto cmd = p.read_command(forever)) {
    if (!cmd->empty() && upper(cmd->front()) == "CONFIG") {
      p.write(config_reply(*cmd));
    } else if (answered++ < pongs) {
      p.write("+PONG\r\n");
    } else {
      p.write("+PO");
      p.wait_closed(forever);
      return;
    }
  }
}

// Refuses CONFIG, as a managed server may, and answers everything else.
void refuses_config(fake_server::peer& p) {
  while (auto cmd = p.read_command(forever)) {
    if (!cmd->empty() && upper(cmd->front()) == "CONFIG") {
      p.write("-ERR unknown command 'CONFIG'\r\n");
    } else {
      p.write("+PONG\r\n");
    }
  }
}

std::vector<std::string> with_port(const fake_server& server, std::vector<std::string> args) {
  args.insert(args.begin(), {"-p", std::to_string(server.port())});
  return args;
}

// A generous upper bound: the stalls below are 1 s, and are noticed within a tick (250 ms).
constexpr auto exit_bound = 10s;
const std::string stall_text = "Error: no reply from the server for 1 second";

// Runs `respool-benchmark -c 1 -t ping --stall-timeout 1` against `server` and expects it to
// end with status 1, no sooner than the stall bound; returns its stderr.
std::string stderr_of_a_stalled_run(const fake_server& server) {
  const auto start = std::chrono::steady_clock::now();
  benchmark_process run(with_port(server, {"-c", "1", "-t", "ping", "--stall-timeout", "1"}));
  EXPECT_TRUE(run.started());
  if (!run.started()) return {};
  const std::optional<int> status = run.wait_exit(exit_bound);
  EXPECT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(status.value_or(-1), 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_NE(run.err().find("(--stall-timeout)"), std::string::npos) << run.err();
  return run.err();
}

}  // namespace

TEST(benchmark_stall_test, a_server_that_never_answers_ends_the_run_while_connecting) {
  fake_server server(black_hole);
  const std::string err = stderr_of_a_stalled_run(server);
  EXPECT_NE(err.find("Could not connect to Redis at"), std::string::npos) << err;
  EXPECT_NE(err.find("no reply from the server for 1 second"), std::string::npos) << err;
}

TEST(benchmark_stall_test, a_server_that_stops_answering_ends_the_run_at_config_get) {
  fake_server server(answers_setup_only);
  const std::string err = stderr_of_a_stalled_run(server);
  EXPECT_NE(err.find(stall_text), std::string::npos) << err;
  // A stall, not a refusal of CONFIG.
  EXPECT_EQ(err.find("Could not fetch server CONFIG"), std::string::npos) << err;
}

TEST(benchmark_stall_test, a_server_that_stops_mid_reply_ends_the_test_in_quiet_mode) {
  fake_server server([](fake_server::peer& p) { stops_mid_reply(p, 20); });
  benchmark_process run(
      with_port(server, {"-c", "1", "-n", "1000", "-t", "ping", "-q", "--stall-timeout", "1"}));
  ASSERT_TRUE(run.started());
  const std::optional<int> status = run.wait_exit(exit_bound);
  ASSERT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(*status, 1);
  EXPECT_NE(run.err().find(stall_text), std::string::npos) << run.err();
  EXPECT_EQ(run.err().find("Could not fetch server CONFIG"), std::string::npos) << run.err();
}

TEST(benchmark_stall_test, a_stall_is_noticed_with_threads_and_a_progress_line) {
  fake_server server([](fake_server::peer& p) { stops_mid_reply(p, 20); });
  benchmark_process run(with_port(
      server, {"-c", "1", "-n", "1000", "--threads", "2", "--stall-timeout", "1", "ping"}));
  ASSERT_TRUE(run.started());
  const std::optional<int> status = run.wait_exit(exit_bound);
  ASSERT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(*status, 1);
  EXPECT_NE(run.err().find(stall_text), std::string::npos) << run.err();
}

TEST(benchmark_stall_test, a_refused_config_is_a_warning_not_a_stall) {
  fake_server server(refuses_config);
  benchmark_process run(
      with_port(server, {"-c", "1", "-n", "50", "-t", "ping", "--csv", "--stall-timeout", "1"}));
  ASSERT_TRUE(run.started());
  const std::optional<int> status = run.wait_exit(exit_bound);
  ASSERT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(*status, 0) << run.err();
  EXPECT_NE(run.err().find("WARNING: Could not fetch server CONFIG"), std::string::npos)
      << run.err();
  EXPECT_EQ(run.err().find("--stall-timeout"), std::string::npos) << run.err();
}

TEST(benchmark_stall_test, stall_timeout_zero_keeps_waiting) {
  for (auto session : {fake_server::session(black_hole),
                       fake_server::session([](fake_server::peer& p) { stops_mid_reply(p, 5); })}) {
    fake_server server(session);
    benchmark_process run(
        with_port(server, {"-c", "1", "-n", "100", "-t", "ping", "-q", "--stall-timeout", "0"}));
    ASSERT_TRUE(run.started());
    EXPECT_FALSE(run.wait_exit(2s)) << "exited with: " << run.err();
    // The process is killed as `run` goes, before the server.
  }
}

// -k 0: every request on a connection of its own, set up (PING) before it; CONFIG GET goes on
// the first. Counts the sessions and the PINGs sent as requests.
TEST(benchmark_stall_test, keepalive_zero_opens_a_connection_per_request) {
  std::atomic<int> sessions{0};
  std::atomic<int> requests{0};
  fake_server server([&](fake_server::peer& p) {
    ++sessions;
    bool set_up = false;
    while (auto cmd = p.read_command(forever)) {
      if (!cmd->empty() && upper(cmd->front()) == "CONFIG") {
        p.write(config_reply(*cmd));
        continue;
      }
      if (set_up) ++requests;
      set_up = true;
      p.write("+PONG\r\n");
    }
  });
  benchmark_process run(with_port(server, {"-c", "1", "-n", "5", "-k", "0", "-t", "ping_mbulk"}));
  ASSERT_TRUE(run.started());
  const std::optional<int> status = run.wait_exit(exit_bound);
  ASSERT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(*status, 0) << run.err();
  EXPECT_EQ(requests.load(), 5);
  EXPECT_EQ(sessions.load(), 5) << "one connection per request";
  EXPECT_NE(run.err().find("WARNING: Keepalive disabled."), std::string::npos) << run.err();
}

// -I: the connection is set up, then nothing is sent on it; when the server closes it, the
// run ends with an error.
TEST(benchmark_stall_test, idle_mode_sends_nothing_and_ends_when_the_connection_is_lost) {
  std::atomic<bool> set_up{false};
  std::atomic<bool> quiet{false};
  fake_server server([&](fake_server::peer& p) {
    const auto cmd = p.read_command(forever);
    if (!cmd || cmd->empty() || upper(cmd->front()) != "PING") return;
    p.write("+PONG\r\n");
    set_up = true;
    // Two seconds with nothing from the client, then the server goes.
    quiet = !p.read_command(2s) && !p.wait_closed(0ms);
    p.close();
  });
  benchmark_process run(with_port(server, {"-c", "1", "-I"}));
  ASSERT_TRUE(run.started());
  EXPECT_FALSE(run.wait_exit(1s)) << "exited with: " << run.err();
  const std::optional<int> status = run.wait_exit(exit_bound);
  ASSERT_TRUE(status) << "still running after " << exit_bound.count() << " s";
  EXPECT_EQ(*status, 1);
  EXPECT_TRUE(set_up.load());
  EXPECT_TRUE(quiet.load()) << "the idle connection sent a command";
  EXPECT_NE(run.err().find("Error: "), std::string::npos) << run.err();
}
