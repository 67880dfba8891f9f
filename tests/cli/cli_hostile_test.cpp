// respool-cli against servers where redis-cli itself hangs or balloons: only respool-cli runs,
// against tests/fake_server.hpp scripts.
//
// - A reply that can never be read (a size or a line beyond the parser's limits) ends it at
//   once, with status 1 and a message, its memory bounded by the limits.
// - -t bounds every wait for bytes (the first of a reply, and each pause inside one), in the
//   special modes too; without it the first byte is awaited as long as it takes, as
//   redis-cli does, and a silent server keeps it waiting until SIGINT.
// - --pipe-timeout bounds --pipe's wait for replies (0: forever).
//
// Every bound is checked with a generous margin: these tests say that the program ends by
// itself and why, not how fast (the figures are printed for the record).
#include "cli_runner.hpp"
#include "fake_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <signal.h>

#ifndef RESPOOL_CLI_PATH
#  error "RESPOOL_CLI_PATH (the respool-cli binary) must be defined"
#endif

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

class cli_hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    ours_ = find_program(RESPOOL_CLI_PATH);
    ASSERT_FALSE(ours_.empty()) << "respool-cli not found at " << RESPOOL_CLI_PATH;
  }

  run_options options(const fake_server& server, std::vector<std::string> args) const {
    run_options opt;
    opt.program = ours_;
    opt.args = {"-p", std::to_string(server.port())};
    opt.args.insert(opt.args.end(), args.begin(), args.end());
    opt.env.unset = {"REDISCLI_AUTH", "FAKETTY"};
    // Far longer than any bound under test, far shorter than the servers' silences (60 s).
    opt.timeout = 30s;
    return opt;
  }

  // Runs respool-cli and expects it to end by itself with status 1 and stderr starting with
  // `message`, after `bound` (within the run's timeout), and small all along. The peak
  // counts what the process held between fork and exec, a copy of this test's own memory:
  // a test that holds much itself says `check_memory = false`.
  run_result expect_ends(const run_options& opt, std::string_view message,
                         std::chrono::milliseconds bound = 0ms, bool check_memory = true) {
    const auto start = steady_clock::now();
    run_result r = run(opt);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start);
    EXPECT_FALSE(r.timed_out) << "respool-cli did not end by itself";
    EXPECT_TRUE(r.exited && r.exit_code == 1) << r.status();
    EXPECT_EQ(r.err.rfind(message, 0), 0u) << "stderr: " << escape_bytes(r.err);
    EXPECT_GE(took, bound) << "respool-cli gave up before its bound";
    if (check_memory && r.peak_resident_kib >= 0) {
      EXPECT_LT(r.peak_resident_kib, 64 * 1024)
          << "respool-cli reached " << r.peak_resident_kib << " KiB";
    }
    std::printf("ended in %lld ms (bound %lld ms), peak %ld KiB\n",
                static_cast<long long>(took.count()), static_cast<long long>(bound.count()),
                r.peak_resident_kib);
    return r;
  }

  // Starts respool-cli, lets it run `wait`, expects it still running, then interrupts it.
  void expect_waits(const run_options& opt, std::chrono::milliseconds wait) {
    std::string why;
    auto child = child_process::start(opt, why);
    ASSERT_NE(child, nullptr) << why;
    child->pump_for(wait);
    const long rss = child->resident_kib();
    EXPECT_GE(rss, 0) << "respool-cli ended before it was interrupted: "
                      << escape_bytes(child->err());
    if (rss >= 0) {
      EXPECT_LT(rss, 64 * 1024) << "respool-cli holds " << rss << " KiB";
    }
    child->send_signal(SIGINT);
    const run_result r = child->finish(10s);
    EXPECT_FALSE(r.timed_out) << "respool-cli did not end on SIGINT";
    EXPECT_TRUE(r.signal == SIGINT || r.exited) << r.status();
  }

  std::string ours_;
};

// --- replies that can never be read ------------------------------------------------------

TEST_F(cli_hostile, absurd_bulk_length_is_refused_on_its_header) {
  // A length of about 1 TB, then a trickle of data: the reply is never complete.
  fake_server server([](fake_server::peer& p) {
    if (!p.read_command(10s)) return;
    p.write("$999999999999\r\n");
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 16; ++i) {
      if (!p.write(chunk)) return;
    }
    p.delay(60s);
  });
  expect_ends(options(server, {"get", "x"}), "Error: Protocol error: a bulk string is longer");
}

TEST_F(cli_hostile, aggregate_that_cannot_fit_is_refused_on_its_header) {
  for (const std::string_view header : {"*2147483647\r\n", "%2147483647\r\n"}) {
    fake_server server([header](fake_server::peer& p) {
      if (!p.read_command(10s)) return;
      p.write(header);
      p.delay(60s);  // and then silence, the connection open
    });
    expect_ends(options(server, {"get", "x"}),
                "Error: Protocol error: an aggregate announces more elements");
  }
}

TEST_F(cli_hostile, line_that_never_ends_is_refused_at_its_limit) {
  for (const char kind : std::string_view("+-:$")) {
    fake_server server([kind](fake_server::peer& p) {
      if (!p.read_command(10s)) return;
      const std::string chunk(64 * 1024, kind == '+' || kind == '-' ? 'x' : '1');
      p.write(std::string(1, kind));
      // A line without end, for as long as the client reads (up to 1 GiB).
      for (int i = 0; i < 16 * 1024 && p.write(chunk); ++i) {
      }
    });
    expect_ends(options(server, {"get", "x"}),
                "Error: Protocol error: a line of a reply is longer");
  }
}

// --- -t: every wait for bytes ------------------------------------------------------------

TEST_F(cli_hostile, silent_server_keeps_it_waiting_without_t) {
  fake_server server([](fake_server::peer& p) {
    if (p.read_command(10s)) p.delay(60s);
  });
  expect_waits(options(server, {"get", "x"}), 1500ms);
  EXPECT_GE(server.connections(), 1u);
}

TEST_F(cli_hostile, t_bounds_a_reply_that_never_begins) {
  fake_server server([](fake_server::peer& p) {
    if (p.read_command(10s)) p.delay(60s);
  });
  expect_ends(options(server, {"-t", "1", "get", "x"}),
              "Error: No data from the server for 1 second", 1s);
}

TEST_F(cli_hostile, t_bounds_a_reply_cut_in_half) {
  fake_server server([](fake_server::peer& p) {
    if (!p.read_command(10s)) return;
    p.write("+O");  // "+OK\r\n" stops after its second byte
    p.delay(60s);
  });
  expect_ends(options(server, {"-t", "0.5", "get", "x"}),
              "Error: No data from the server for 0.5 seconds", 500ms);
}

TEST_F(cli_hostile, t_bounds_every_pause_of_a_long_reply) {
  // An LRANGE reply of 100 000 elements that stops after about 200 KB, having come in pieces
  // each closer to the previous than -t: the bound is on silence, not on the whole reply.
  fake_server server([](fake_server::peer& p) {
    if (!p.read_command(10s)) return;
    std::string part;
    for (int i = 0; i < 2000; ++i) part += "$7\r\nelement\r\n";  // 26 KB
    p.write("*100000\r\n");
    for (int i = 0; i < 8; ++i) {
      if (!p.delay(300ms) || !p.write(part)) return;
    }
    p.delay(60s);
  });
  const run_result r = expect_ends(options(server, {"-t", "1", "lrange", "l", "0", "-1"}),
                                   "Error: No data from the server for 1 second", 3400ms);
  EXPECT_TRUE(r.out.empty()) << "a reply cut short is not printed";
}

TEST_F(cli_hostile, t_does_not_bound_the_wait_for_a_message) {
  // In subscribe mode a message comes when it comes; a message cut in half is a fault.
  fake_server server([](fake_server::peer& p) {
    if (!p.read_command(10s)) return;
    p.write("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    if (!p.delay(2s)) return;
    p.write("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n");
    p.write("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhe");
    p.delay(60s);
  });
  const run_result r = expect_ends(options(server, {"-t", "1", "subscribe", "ch"}),
                                   "Error: No data from the server for 1 second", 3s);
  EXPECT_NE(r.out.find("hello"), std::string::npos) << "stdout: " << escape_bytes(r.out);
}

TEST_F(cli_hostile, t_bounds_the_keyspace_and_monitoring_modes) {
  // A server that answers DBSIZE and SCAN (two keys), and nothing else: each mode ends on the
  // first question left unanswered (TYPE, OBJECT FREQ, MEMORY USAGE, INFO, PING, SET).
  const std::vector<std::vector<std::string>> modes = {{"--bigkeys"},      {"--memkeys"},
                                                       {"--hotkeys"},      {"--stat"},
                                                       {"--latency-dist"}, {"--lru-test", "10"}};
  for (const auto& mode : modes) {
    fake_server server([](fake_server::peer& p) {
      for (;;) {
        const auto cmd = p.read_command(10s);
        if (!cmd || cmd->empty()) return;
        if ((*cmd)[0] == "DBSIZE") {
          p.write(":2\r\n");
        } else if ((*cmd)[0] == "SCAN") {
          p.write("*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        } else {
          p.delay(60s);
          return;
        }
      }
    });
    std::vector<std::string> args{"-t", "0.5"};
    args.insert(args.end(), mode.begin(), mode.end());
    SCOPED_TRACE(mode.front());
    expect_ends(options(server, args), "Error: No data from the server for 0.5 seconds", 500ms);
  }
}

TEST_F(cli_hostile, a_slow_reply_is_awaited_without_t) {
  fake_server server([](fake_server::peer& p) {
    if (!p.read_command(10s)) return;
    if (p.delay(2s)) p.write("+OK\r\n");
    p.wait_closed(10s);
  });
  const run_result r = run(options(server, {"get", "x"}));
  EXPECT_TRUE(r.exited && r.exit_code == 0) << r.status() << " " << escape_bytes(r.err);
  EXPECT_EQ(r.out, "OK\n");
}

// --- --rdb: what follows SYNC ---------------------------------------------------------------

// A server that accepts the replication handshake (every REPLCONF), then answers SYNC with
// `after_sync` and goes silent.
fake_server replication_server(std::string after_sync) {
  return fake_server([after_sync](fake_server::peer& p) {
    for (;;) {
      const auto c = p.read_command(10s);
      if (!c || c->empty()) return;
      if (c->front() == "SYNC") break;
      p.write("+OK\r\n");
    }
    if (p.write(after_sync)) p.delay(60s);
  });
}

TEST_F(cli_hostile, rdb_transfer_that_cannot_be_read) {
  temp_dir dir("respool-cli-hostile");
  const std::string file = dir.path() + "/x.rdb";
  const std::string part(64 * 1024, 'r');
  // A transfer of about 1 TB that stops: -t ends the wait, memory stays small.
  {
    auto server = replication_server("\n\n$999999999999\r\n" + part);
    const run_result r =
        expect_ends(options(server, {"-t", "1", "--rdb", file}), "sending REPLCONF capa eof\n", 1s);
    EXPECT_TRUE(r.err.ends_with("I/O Error reading RDB payload from socket\n")) << r.err;
    EXPECT_EQ(read_file(file).size(), part.size());
  }
  // Neither a size nor a marker; then nothing at all.
  for (const char* after : {"+FULLRESYNC 0123 0\r\n", ""}) {
    auto server = replication_server(after);
    const run_result r =
        expect_ends(options(server, {"-t", "1", "--rdb", file}), "sending REPLCONF capa eof\n");
    EXPECT_TRUE(r.err.ends_with("Error reading bulk length while SYNCing\n")) << r.err;
  }
  // An error.
  auto refused = replication_server("-ERR no sync for you\r\n");
  const run_result r = expect_ends(options(refused, {"--replica"}), "sending REPLCONF capa eof\n");
  EXPECT_TRUE(r.err.ends_with("SYNC with master failed: -ERR no sync for you\r\n")) << r.err;
}

// --- --pipe and --pipe-timeout -----------------------------------------------------------

// Reads every command and answers none.
void swallow(fake_server::peer& p) {
  while (p.read_command(60s)) {
  }
}

TEST_F(cli_hostile, pipe_timeout_bounds_a_server_that_swallows_everything) {
  fake_server server(swallow);
  run_options opt = options(server, {"--pipe", "--pipe-timeout", "1"});
  opt.stdin_data = "SET a 1\r\nSET b 2\r\n";
  const run_result r = expect_ends(opt, "No replies for 1 seconds: exiting.", 1s);
  EXPECT_NE(r.out.find("All data transferred"), std::string::npos) << escape_bytes(r.out);
  EXPECT_NE(r.out.find("errors: 1, replies: 0"), std::string::npos) << escape_bytes(r.out);
}

TEST_F(cli_hostile, pipe_timeout_bounds_a_server_that_reads_nothing) {
  // More input than the sockets' buffers hold: the write itself never ends.
  fake_server server([](fake_server::peer& p) { p.delay(60s); });
  run_options opt = options(server, {"--pipe", "--pipe-timeout", "1"});
  std::string input;
  const std::string command =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n" + std::string(1000, 'v') + "\r\n";
  while (input.size() < (std::size_t{32} << 20)) input += command;
  opt.stdin_data = std::move(input);
  expect_ends(opt, "No replies for 1 seconds: exiting.", 1s, false);
}

TEST_F(cli_hostile, pipe_timeout_0_waits_forever) {
  fake_server server(swallow);
  run_options opt = options(server, {"--pipe", "--pipe-timeout", "0"});
  opt.stdin_data = "SET a 1\r\n";
  expect_waits(opt, 3s);
}

}  // namespace
}  // namespace respool::test::cli
