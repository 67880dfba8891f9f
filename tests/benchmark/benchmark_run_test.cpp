// Real runs against the test server (RESPOOL_TEST_SERVER): the load generator must send
// exactly the requests asked for, replace the placeholders, stop on an error reply; and the
// executable must print what redis-benchmark prints.
#include "benchmark_process.hpp"
#include "connection_support.hpp"
#include "runner.hpp"
#include "suite.hpp"
#include <respool/client/sync_client.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rb = respool::benchmark;
namespace test = respool::test;

namespace {

class benchmark_run_test : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = test::server_config();
    try {
      redis_ = std::make_unique<respool::sync_client>(cfg_);
      redis_->exec<std::string>("PING");
    } catch (const std::exception& e) {
      redis_.reset();
      if (test::server_required()) FAIL() << "test server required but unreachable: " << e.what();
      GTEST_SKIP() << "no Redis server at " << cfg_.host << ":" << cfg_.port << ": " << e.what();
    }
    prefix_ = "respool:benchmark-test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }

  void TearDown() override {
    if (!redis_) return;
    for (const std::string& k : keys_) redis_->exec<long long>("DEL", k);
  }

  std::string key(const std::string& name) {
    keys_.push_back(prefix_ + name);
    redis_->exec<long long>("DEL", keys_.back());
    return keys_.back();
  }

  respool::config where() const {
    respool::config c;
    c.host = cfg_.host;
    c.port = cfg_.port;
    c.protocol = 2;
    return c;
  }

  respool::config cfg_;
  std::unique_ptr<respool::sync_client> redis_;
  std::string prefix_;
  std::vector<std::string> keys_;
};

using respool::test::json_count;
using respool::test::process_output;
using respool::test::run_benchmark;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The counter `name` of `counters`, or -1 when it is not there.
long long count_of(const std::vector<rb::counter>& counters, std::string_view name) {
  for (const rb::counter& c : counters) {
    if (c.name == name) return static_cast<long long>(c.value);
  }
  return -1;
}

}  // namespace

TEST_F(benchmark_run_test, request_counts_add_up) {
  const std::string counter = key("counter");
  rb::load how;
  how.clients = 5;
  how.pipeline = 7;
  how.threads = 2;
  rb::runner runner(where(), how);
  std::string why;
  ASSERT_TRUE(runner.connect(why)) << why;

  const rb::test_case incr = rb::command_test(std::vector<std::string>{"INCR", counter});
  std::optional<rb::failure> failed;
  int ticks = 0;
  // 1003 = 143 pipelines of 7 and one of 2, spread over 5 clients on 2 loops.
  const rb::test_figures fig = runner.run(
      incr, 1003, [&](const rb::progress&) { ++ticks; }, failed, std::chrono::milliseconds(1));
  ASSERT_FALSE(failed) << failed->message;
  EXPECT_EQ(fig.requests, 1003u);
  EXPECT_EQ(fig.latency.count(), 1003u);
  EXPECT_GT(fig.seconds, 0.0);
  EXPECT_GT(fig.latency.min(), 0u);
  EXPECT_EQ(fig.title, "INCR " + counter);
  EXPECT_EQ(redis_->exec<std::string>("GET", counter), "1003");
  // The connections' counters during the test: every reply read, no connection made.
  const std::vector<rb::counter>& during = fig.counters.connections;
  EXPECT_TRUE(fig.counters.cluster.empty());
  EXPECT_EQ(during.size(), 11u);
  EXPECT_EQ(count_of(during, "connects"), 0);
  EXPECT_EQ(count_of(during, "disconnects"), 0);
  EXPECT_GE(count_of(during, "replies"), 1003);
  EXPECT_GE(count_of(during, "write_batches"), 144);  // at most a request per batch
  EXPECT_GT(count_of(during, "writes"), 0);
  EXPECT_GT(count_of(during, "reads"), 0);
  EXPECT_EQ(count_of(during, "health_checks"), 0);  // off in a benchmark

  // The same connections again: fewer requests than clients times the pipeline.
  const rb::test_figures again = runner.run(incr, 12, {}, failed);
  ASSERT_FALSE(failed) << failed->message;
  EXPECT_EQ(again.requests, 12u);
  EXPECT_EQ(again.latency.count(), 12u);
  EXPECT_EQ(redis_->exec<std::string>("GET", counter), "1015");

  const rb::test_figures none = runner.run(incr, 0, {}, failed);
  EXPECT_FALSE(failed);
  EXPECT_EQ(none.requests, 0u);
  EXPECT_EQ(redis_->exec<std::string>("GET", counter), "1015");
  // Over the whole run: the five connections, their setups and all three tests.
  const rb::connection_counters totals = runner.counters();
  EXPECT_EQ(count_of(totals.connections, "connects"), 5);
  EXPECT_GE(count_of(totals.connections, "replies"), 1015 + 5);
  (void)ticks;  // how many ticks a run sees depends on the machine's speed
}

TEST_F(benchmark_run_test, placeholders_are_replaced_only_with_random_keys) {
  const std::string list = key("list");
  rb::load how;
  how.clients = 3;
  how.pipeline = 4;
  how.random_keys = true;
  how.keyspace = 1000;
  rb::runner runner(where(), how);
  std::string why;
  ASSERT_TRUE(runner.connect(why)) << why;
  std::optional<rb::failure> failed;
  const rb::test_figures fig = runner.run(
      rb::command_test(std::vector<std::string>{"RPUSH", list, "n:__rand_int__:__rand_int__"}), 101,
      {}, failed);
  ASSERT_FALSE(failed) << failed->message;
  EXPECT_EQ(fig.requests, 101u);
  const auto items = redis_->exec<std::vector<std::string>>("LRANGE", list, 0, -1);
  ASSERT_EQ(items.size(), 101u);
  const std::regex shape("n:(\\d{12}):(\\d{12})");
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(items[i], m, shape)) << items[i];
    EXPECT_LT(std::stoll(m[1].str()), 1000);
    EXPECT_LT(std::stoll(m[2].str()), 1000);
    if (i > 0 && items[i] != items[i - 1]) ++distinct;
  }
  EXPECT_GT(distinct, 50u);  // drawn afresh for every command, not once per request

  // Without -r the placeholder goes out as it is.
  const std::string plain = key("plain");
  rb::load fixed;
  fixed.clients = 2;
  fixed.pipeline = 3;
  rb::runner runner2(where(), fixed);
  ASSERT_TRUE(runner2.connect(why)) << why;
  runner2.run(rb::command_test(std::vector<std::string>{"RPUSH", plain, "x__rand_int__"}), 10, {},
              failed);
  ASSERT_FALSE(failed);
  EXPECT_EQ(redis_->exec<std::vector<std::string>>("LRANGE", plain, 0, -1),
            std::vector<std::string>(10, "x__rand_int__"));
}

TEST_F(benchmark_run_test, an_error_reply_stops_the_test) {
  rb::load how;
  how.clients = 2;
  rb::runner runner(where(), how);
  std::string why;
  ASSERT_TRUE(runner.connect(why)) << why;
  std::optional<rb::failure> failed;
  const rb::test_figures fig = runner.run(
      rb::command_test(std::vector<std::string>{"NO-SUCH-COMMAND", "x"}), 1000, {}, failed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->what, rb::failure::kind::server_error);
  EXPECT_NE(failed->message.find("unknown command"), std::string::npos) << failed->message;
  EXPECT_LT(fig.requests, 1000u);
}

TEST_F(benchmark_run_test, server_settings_are_read) {
  rb::load how;
  how.clients = 1;
  rb::runner runner(where(), how);
  std::string why;
  ASSERT_TRUE(runner.connect(why)) << why;
  std::optional<rb::failure> stalled;
  const auto settings = runner.fetch_server_settings(stalled);
  EXPECT_FALSE(stalled);
  ASSERT_TRUE(settings);
  EXPECT_TRUE(settings->appendonly == "yes" || settings->appendonly == "no")
      << settings->appendonly;
  EXPECT_EQ(settings->save, redis_->exec<std::vector<std::string>>("CONFIG", "GET", "save")[1]);
}

TEST_F(benchmark_run_test, a_closed_port_is_reported) {
  // A port nothing listens on: bound, then closed again.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  const int port = ntohs(addr.sin_port);

  respool::config t;
  t.host = "127.0.0.1";
  t.port = static_cast<std::uint16_t>(port);
  rb::load how;
  how.clients = 3;
  rb::runner runner(t, how);
  std::string why;
  EXPECT_FALSE(runner.connect(why));
  EXPECT_EQ(why, "Could not connect to Redis at 127.0.0.1:" + std::to_string(port) +
                     ": Connection refused");
}

// --seed: two runs with one seed send the same keys, a run with another seed others. -x:
// standard input, all of it, is the command's last argument (as redis-benchmark's -x).
TEST_F(benchmark_run_test, a_seed_repeats_the_keys_and_x_reads_the_last_argument) {
  const std::string server = "-h " + cfg_.host + " -p " + std::to_string(cfg_.port);
  const auto pushed_with_seed = [&](const std::string& list, const std::string& seed) {
    const process_output r = run_benchmark(server + " -n 20 -c 1 -q -r 1000000 --seed " + seed +
                                           " rpush " + list + " __rand_int__");
    EXPECT_EQ(r.status, 0) << r.out;
    return redis_->exec<std::vector<std::string>>("LRANGE", list, 0, -1);
  };
  const std::vector<std::string> first = pushed_with_seed(key("first"), "42");
  const std::vector<std::string> again = pushed_with_seed(key("again"), "42");
  const std::vector<std::string> other = pushed_with_seed(key("other"), "43");
  ASSERT_EQ(first.size(), 20u);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);

  const std::string input =
      ::testing::TempDir() + "respool-benchmark-x-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(input, std::ios::binary) << "line one\nline two\n";
  const std::string value = key("value");
  const process_output x = run_benchmark(server + " -n 3 -c 1 -q -x set " + value + " < " + input);
  std::remove(input.c_str());
  EXPECT_EQ(x.status, 0) << x.out;
  EXPECT_EQ(redis_->exec<std::string>("GET", value), "line one\nline two\n");
}

TEST_F(benchmark_run_test, the_executable_prints_redis_benchmarks_formats) {
  const std::string server = "-h " + cfg_.host + " -p " + std::to_string(cfg_.port);

  const process_output csv = run_benchmark(server + " -n 2000 -c 4 -P 3 -t set,get --csv");
  ASSERT_EQ(csv.status, 0) << csv.out;
  const std::vector<std::string> lines = lines_of(csv.out);
  ASSERT_EQ(lines.size(), 3u) << csv.out;
  EXPECT_EQ(lines[0],
            "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
            "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"");
  const std::regex row("\"(SET|GET)\",\"\\d+\\.\\d\\d\"(,\"\\d+\\.\\d\\d\\d\"){6}");
  EXPECT_TRUE(std::regex_match(lines[1], row)) << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], row)) << lines[2];
  EXPECT_EQ(lines[1].rfind("\"SET\"", 0), 0u);
  EXPECT_EQ(lines[2].rfind("\"GET\"", 0), 0u);

  const process_output quiet = run_benchmark(server + " -n 1000 -c 2 -t get -q");
  ASSERT_EQ(quiet.status, 0) << quiet.out;
  EXPECT_TRUE(std::regex_search(
      quiet.out,
      std::regex("\rGET: \\d+\\.\\d\\d requests per second, p50=\\d+\\.\\d\\d\\d msec\n")))
      << quiet.out;

  const process_output full = run_benchmark(server + " -n 1000 -c 3 -t ping");
  ASSERT_EQ(full.status, 0) << full.out;
  for (const char* part :
       {"====== PING_INLINE ======\n  1000 requests completed in ", "====== PING_MBULK ======\n",
        "  3 parallel clients\n  3 bytes payload\n  keep alive: 1\n",
        "Latency by percentile distribution:\n0.000% <= ",
        "Cumulative distribution of latencies:\n",
        "\n100.000% <= ", "Summary:\n  throughput summary: ", "  latency summary (msec):\n"}) {
    EXPECT_NE(full.out.find(part), std::string::npos) << part << "\n" << full.out;
  }

  const process_output json = run_benchmark(server + " -n 500 -c 2 -P 5 -t set --json");
  ASSERT_EQ(json.status, 0) << json.out;
  EXPECT_NE(json.out.find("\"test\": \"SET\", \"requests\": 500,"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"allocations_per_request\": "), std::string::npos);

  const process_output error = run_benchmark(server + " -n 10 -q no-such-command");
  EXPECT_EQ(error.status, 1);
  EXPECT_NE(error.out.find("Error from server: ERR unknown command"), std::string::npos)
      << error.out;

  const process_output invalid = run_benchmark("--no-such-option");
  EXPECT_EQ(invalid.status, 1);
  EXPECT_EQ(invalid.out.rfind("Invalid option \"--no-such-option\" or option argument missing\n\n"
                              "Usage: respool-benchmark",
                              0),
            0u)
      << invalid.out;
}

// --json adds the connections' counters, for each test and for the whole run; -k 0 counts the
// connections it closed too.
TEST_F(benchmark_run_test, json_reports_the_connections_counters) {
  const std::string server = "-h " + cfg_.host + " -p " + std::to_string(cfg_.port);
  const process_output r = run_benchmark(server + " -n 500 -c 2 -P 5 -t set,get --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string& json = r.out;
  // The whole run's, after the settings: two connections, each with its setup's replies.
  const std::size_t totals = json.find("\n  \"connections\": {");
  ASSERT_LT(totals, json.find("\"tests\": [")) << json;
  EXPECT_EQ(json_count(json, totals, "connects"), 2) << json;
  EXPECT_EQ(json_count(json, totals, "disconnects"), 0) << json;
  EXPECT_GE(json_count(json, totals, "replies"), 1000 + 2) << json;
  EXPECT_EQ(json.find("\"cluster\": {"), std::string::npos) << json;
  for (const char* test : {"\"test\": \"SET\"", "\"test\": \"GET\""}) {
    const std::size_t at = json.find("\"connections\": {", json.find(test));
    ASSERT_NE(at, std::string::npos) << test << "\n" << json;
    EXPECT_EQ(json_count(json, at, "connects"), 0) << test;
    EXPECT_GT(json_count(json, at, "writes"), 0) << test;
    EXPECT_GE(json_count(json, at, "write_batches"), 100) << test;  // 100 requests of 5
    EXPECT_GE(json_count(json, at, "replies"), 500) << test;
    EXPECT_EQ(json_count(json, at, "pushes"), 0) << test;
  }

  // -k 0: a new connection for every request but each client's first, the old one closed.
  const process_output k0 = run_benchmark(server + " -n 40 -c 2 -k 0 -t ping_mbulk --json");
  ASSERT_EQ(k0.status, 0) << k0.out;
  const std::size_t at = k0.out.find("\"connections\": {", k0.out.find("\"PING_MBULK\""));
  const long long connects = json_count(k0.out, at, "connects");
  EXPECT_GE(connects, 40 - 2) << k0.out;
  EXPECT_LE(connects, 40) << k0.out;
  EXPECT_EQ(json_count(k0.out, at, "disconnects"), connects) << k0.out;
  EXPECT_GE(json_count(k0.out, at, "replies"), 40) << k0.out;
}
