// respool-benchmark's command line and test list, against what redis-benchmark 7.0 does with
// the same arguments.
#include "options.hpp"
#include "suite.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rb = respool::benchmark;

namespace {

rb::parse_result parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return rb::parse_options(v);
}

std::vector<std::string> titles(const std::vector<rb::test_case>& tests) {
  std::vector<std::string> out;
  for (const rb::test_case& t : tests) out.push_back(t.title);
  return out;
}

}  // namespace

TEST(benchmark_options_test, defaults_are_redis_benchmarks) {
  const rb::parse_result r = parse({});
  ASSERT_EQ(r.action, rb::parse_action::run);
  const rb::options& o = r.opts;
  EXPECT_EQ(o.server.host, "127.0.0.1");
  EXPECT_EQ(o.server.port, 6379);
  EXPECT_TRUE(o.server.unix_socket.empty());
  EXPECT_EQ(o.server.protocol, 2);
  EXPECT_TRUE(o.server.password.empty());
  EXPECT_FALSE(o.server.tls.enabled);
  EXPECT_EQ(o.clients, 50);
  EXPECT_EQ(o.requests, 100000);
  EXPECT_EQ(o.data_size, 3);
  EXPECT_EQ(o.pipeline, 1);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.precision, 3);
  EXPECT_EQ(o.stall_timeout, 10);  // ours: redis-benchmark has no such limit
  EXPECT_FALSE(o.random_keys);
  EXPECT_FALSE(o.quiet || o.csv || o.loop || o.json);
  EXPECT_TRUE(o.tests.empty());
  EXPECT_TRUE(o.command.empty());
}

TEST(benchmark_options_test, every_flag_is_read) {
  const rb::parse_result r = parse({"-h",          "redis.example",
                                    "-p",          "7000",
                                    "-s",          "/tmp/r.sock",
                                    "-a",          "secret",
                                    "--user",      "alice",
                                    "-c",          "7",
                                    "-n",          "1234",
                                    "-d",          "16",
                                    "-P",          "32",
                                    "-r",          "1000",
                                    "--threads",   "3",
                                    "--dbnum",     "2",
                                    "-3",          "-q",
                                    "--csv",       "-l",
                                    "--precision", "2",
                                    "--json",      "--svg",
                                    "out.svg",     "-t",
                                    "SET,Get",     "--stall-timeout",
                                    "30"});
  ASSERT_EQ(r.action, rb::parse_action::run) << r.message;
  const rb::options& o = r.opts;
  EXPECT_EQ(o.server.host, "redis.example");
  EXPECT_EQ(o.server.port, 7000);
  EXPECT_EQ(o.server.unix_socket, "/tmp/r.sock");
  EXPECT_EQ(o.server.password, "secret");
  EXPECT_EQ(o.server.username, "alice");
  EXPECT_EQ(o.clients, 7);
  EXPECT_EQ(o.requests, 1234);
  EXPECT_EQ(o.data_size, 16);
  EXPECT_EQ(o.pipeline, 32);
  EXPECT_TRUE(o.random_keys);
  EXPECT_EQ(o.keyspace, 1000);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.server.database, 2);
  EXPECT_EQ(o.server.protocol, 3);
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.csv);
  EXPECT_TRUE(o.loop);
  EXPECT_EQ(o.precision, 2);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.svg_file, "out.svg");
  EXPECT_EQ(o.tests, ",set,get,");  // lower-cased and framed by commas
  EXPECT_EQ(o.stall_timeout, 30);
}

TEST(benchmark_options_test, stall_timeout_zero_waits_forever_and_negatives_read_as_zero) {
  EXPECT_EQ(parse({"--stall-timeout", "0"}).opts.stall_timeout, 0);
  EXPECT_EQ(parse({"--stall-timeout", "-3"}).opts.stall_timeout, 0);
  EXPECT_EQ(parse({"--stall-timeout", "2s"}).opts.stall_timeout, 2);
  EXPECT_EQ(parse({"--stall-timeout", "never"}).opts.stall_timeout, 0);  // as atoi reads it
  EXPECT_EQ(parse({"--stall-timeout", "1", "ping"}).opts.command, std::vector<std::string>{"ping"});

  const rb::parse_result missing = parse({"-q", "--stall-timeout"});
  EXPECT_EQ(missing.action, rb::parse_action::error);
  EXPECT_EQ(missing.message, "Invalid option \"--stall-timeout\" or option argument missing");
}

TEST(benchmark_options_test, numbers_read_as_atoi_reads_them) {
  EXPECT_EQ(parse({"-n", "12abc"}).opts.requests, 12);
  EXPECT_EQ(parse({"-n", "  +40"}).opts.requests, 40);
  EXPECT_EQ(parse({"-p", "x"}).opts.server.port, 0);
  EXPECT_EQ(parse({"--dbnum", "3rd"}).opts.server.database, 3);
}

TEST(benchmark_options_test, values_are_clamped_where_redis_benchmark_clamps_them) {
  EXPECT_EQ(parse({"-d", "0"}).opts.data_size, 1);
  EXPECT_EQ(parse({"-d", "5000000000"}).opts.data_size, 1024 * 1024 * 1024);
  EXPECT_EQ(parse({"-P", "0"}).opts.pipeline, 1);
  EXPECT_EQ(parse({"-P", "-4"}).opts.pipeline, 1);
  EXPECT_EQ(parse({"-c", "0"}).opts.clients, 1);
  EXPECT_EQ(parse({"--threads", "-2"}).opts.threads, 0);
  EXPECT_EQ(parse({"--precision", "0"}).opts.precision, 3);
  EXPECT_EQ(parse({"--precision", "9"}).opts.precision, 4);
  EXPECT_EQ(parse({"-r", "-5"}).opts.keyspace, 0);
  EXPECT_TRUE(parse({"-r", "-5"}).opts.random_keys);

  const rb::parse_result many = parse({"--threads", "1000"});
  EXPECT_EQ(many.opts.threads, 500);
  ASSERT_EQ(many.opts.warnings.size(), 1u);
  EXPECT_EQ(many.opts.warnings[0], "WARNING: Too many threads, limiting threads to 500.");
}

TEST(benchmark_options_test, the_first_non_option_starts_the_command) {
  const rb::parse_result r = parse({"-q", "-n", "10", "lpush", "mylist", "-c", "__rand_int__"});
  ASSERT_EQ(r.action, rb::parse_action::run);
  EXPECT_TRUE(r.opts.quiet);
  EXPECT_EQ(r.opts.requests, 10);
  EXPECT_EQ(r.opts.clients, 50);  // "-c" belongs to the command
  EXPECT_EQ(r.opts.command, (std::vector<std::string>{"lpush", "mylist", "-c", "__rand_int__"}));

  const rb::parse_result one = parse({"ping"});
  EXPECT_EQ(one.opts.command, std::vector<std::string>{"ping"});
}

TEST(benchmark_options_test, unknown_options_and_missing_values_are_errors) {
  const rb::parse_result bogus = parse({"--bogus"});
  EXPECT_EQ(bogus.action, rb::parse_action::error);
  EXPECT_EQ(bogus.message, "Invalid option \"--bogus\" or option argument missing");

  const rb::parse_result missing = parse({"-q", "-c"});
  EXPECT_EQ(missing.action, rb::parse_action::error);
  EXPECT_EQ(missing.message, "Invalid option \"-c\" or option argument missing");

  EXPECT_EQ(parse({"-r", "-x"}).action, rb::parse_action::error);
  EXPECT_EQ(parse({"-n", "5", "-z", "set"}).action, rb::parse_action::error);
}

TEST(benchmark_options_test, seed_and_stdin_argument) {
  const rb::parse_result r = parse({"--seed", "7", "-x", "set", "k"});
  ASSERT_EQ(r.action, rb::parse_action::run) << r.message;
  EXPECT_EQ(r.opts.seed, std::optional<std::uint64_t>{7});
  EXPECT_TRUE(r.opts.stdin_arg);
  EXPECT_EQ(r.opts.command, (std::vector<std::string>{"set", "k"}));
  const rb::parse_result none = parse({"-q"});
  EXPECT_FALSE(none.opts.seed.has_value());
  EXPECT_FALSE(none.opts.stdin_arg);
  EXPECT_EQ(parse({"--seed"}).action, rb::parse_action::error);
}

TEST(benchmark_options_test, keepalive_and_idle_mode) {
  const rb::parse_result r = parse({"-k", "0", "-I", "-c", "3"});
  ASSERT_EQ(r.action, rb::parse_action::run) << r.message;
  EXPECT_FALSE(r.opts.keepalive);
  EXPECT_TRUE(r.opts.idle);
  const rb::parse_result defaults = parse({"-q"});
  EXPECT_TRUE(defaults.opts.keepalive);
  EXPECT_FALSE(defaults.opts.idle);
  EXPECT_TRUE(parse({"-k", "1"}).opts.keepalive);
  EXPECT_TRUE(parse({"-k", "7"}).opts.keepalive);  // atoi, then non-zero, as redis-benchmark
  EXPECT_FALSE(parse({"-k", "no"}).opts.keepalive);
  EXPECT_EQ(parse({"-k"}).action, rb::parse_action::error);
}

TEST(benchmark_options_test, uri_fills_the_connection) {
  const rb::parse_result r = parse({"-p", "1", "-u", "redis://alice:pw@cache.local:7001/4"});
  ASSERT_EQ(r.action, rb::parse_action::run) << r.message;
  EXPECT_EQ(r.opts.server.host, "cache.local");
  EXPECT_EQ(r.opts.server.port, 7001);
  EXPECT_EQ(r.opts.server.username, "alice");
  EXPECT_EQ(r.opts.server.password, "pw");
  EXPECT_EQ(r.opts.server.database, 4);
  EXPECT_FALSE(r.opts.server.tls.enabled);

  // Later options win over the URI.
  EXPECT_EQ(parse({"-u", "redis://h:7001", "-p", "7002"}).opts.server.port, 7002);

  const rb::parse_result unix_uri = parse({"-u", "unix:///run/redis.sock"});
  EXPECT_EQ(unix_uri.opts.server.unix_socket, "/run/redis.sock");

  const rb::parse_result bad = parse({"-u", "nonsense"});
  EXPECT_EQ(bad.action, rb::parse_action::error);
  EXPECT_EQ(bad.message.rfind("Invalid URI: ", 0), 0u) << bad.message;
}

TEST(benchmark_options_test, tls_flags_and_rediss_uris_fill_the_tls_settings) {
  const rb::parse_result r =
      parse({"--tls", "--sni", "cache.example", "--cacert", "ca.crt", "--cacertdir", "/etc/ca",
             "--cert", "client.crt", "--key", "client.key", "--insecure", "-t", "set"});
  ASSERT_EQ(r.action, rb::parse_action::run) << r.message;
  const respool::tls_config& tls = r.opts.server.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.server_name, "cache.example");
  EXPECT_EQ(tls.ca_file, "ca.crt");
  EXPECT_EQ(tls.ca_dir, "/etc/ca");
  EXPECT_EQ(tls.cert_file, "client.crt");
  EXPECT_EQ(tls.key_file, "client.key");
  EXPECT_FALSE(tls.verify_peer);
  EXPECT_EQ(r.opts.tests, ",set,");

  // A flag alone at the end, and one whose value is missing.
  EXPECT_TRUE(parse({"--tls"}).opts.server.tls.enabled);
  EXPECT_EQ(parse({"--tls", "--cacert"}).action, rb::parse_action::error);

  const rb::parse_result uri = parse({"--cacert", "ca.crt", "-u", "rediss://:pw@secure:6380"});
  ASSERT_EQ(uri.action, rb::parse_action::run) << uri.message;
  EXPECT_TRUE(uri.opts.server.tls.enabled);
  EXPECT_TRUE(uri.opts.server.tls.verify_peer);
  EXPECT_EQ(uri.opts.server.tls.ca_file, "ca.crt");
  EXPECT_EQ(uri.opts.server.host, "secure");
  EXPECT_EQ(uri.opts.server.port, 6380);
  EXPECT_EQ(uri.opts.server.password, "pw");
}

TEST(benchmark_options_test, help_and_version) {
  EXPECT_EQ(parse({"-q", "--help"}).action, rb::parse_action::help);
  EXPECT_EQ(parse({"--version"}).action, rb::parse_action::version);
  const std::string usage = rb::usage_text();
  EXPECT_EQ(usage.rfind("Usage: respool-benchmark [OPTIONS] [COMMAND ARGS...]\n", 0), 0u);
  for (const char* flag : {" -h <hostname>",
                           " -p <port>",
                           " -s <socket>",
                           " -a <password>",
                           " --user <username>",
                           " -u <uri>",
                           " --tls ",
                           " --sni <host>",
                           " --cacert <file>",
                           " --cacertdir <dir>",
                           " --cert <file>",
                           " --key <file>",
                           " --insecure ",
                           " -c <clients>",
                           " -n <requests>",
                           " -d <size>",
                           " --dbnum <db>",
                           " -3 ",
                           " --threads <num>",
                           " --stall-timeout <seconds>",
                           " -r <keyspacelen>",
                           " -P <numreq>",
                           " -q ",
                           " --precision",
                           " --csv",
                           " --json",
                           " --svg <file>",
                           " -l ",
                           " -t <tests>"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(rb::version_text().rfind("respool-benchmark ", 0), 0u);
}

TEST(benchmark_suite_test, default_tests_in_redis_benchmarks_order) {
  const auto all = rb::default_tests("", "xyz", false);
  EXPECT_EQ(titles(all), (std::vector<std::string>{"PING_INLINE",
                                                   "PING_MBULK",
                                                   "SET",
                                                   "GET",
                                                   "INCR",
                                                   "LPUSH",
                                                   "RPUSH",
                                                   "LPOP",
                                                   "RPOP",
                                                   "SADD",
                                                   "HSET",
                                                   "SPOP",
                                                   "ZADD",
                                                   "ZPOPMIN",
                                                   "LPUSH (needed to benchmark LRANGE)",
                                                   "LRANGE_100 (first 100 elements)",
                                                   "LRANGE_300 (first 300 elements)",
                                                   "LRANGE_500 (first 500 elements)",
                                                   "LRANGE_600 (first 600 elements)",
                                                   "MSET (10 keys)",
                                                   "XADD"}));
  EXPECT_EQ(all[2].args, (std::vector<std::string>{"SET", "key:__rand_int__", "xyz"}));
  EXPECT_EQ(all[2].payload, 3u);
  EXPECT_EQ(all[16].args, (std::vector<std::string>{"LRANGE", "mylist", "0", "299"}));
  EXPECT_EQ(all[19].args.size(), 21u);
  EXPECT_EQ(all[12].args,
            (std::vector<std::string>{"ZADD", "myzset", "0", "element:__rand_int__"}));
  // With -r, ZADD's score is random too.
  EXPECT_EQ(rb::default_tests(",zadd,", "v", true)[0].args[2], "__rand_int__");
}

TEST(benchmark_suite_test, selection_by_name_and_by_family) {
  EXPECT_EQ(titles(rb::default_tests(",get,set,", "v", false)),
            (std::vector<std::string>{"SET", "GET"}));
  EXPECT_EQ(titles(rb::default_tests(",ping,", "v", false)),
            (std::vector<std::string>{"PING_INLINE", "PING_MBULK"}));
  EXPECT_EQ(titles(rb::default_tests(",lrange_300,", "v", false)),
            (std::vector<std::string>{"LPUSH (needed to benchmark LRANGE)",
                                      "LRANGE_300 (first 300 elements)"}));
  EXPECT_EQ(rb::default_tests(",lrange,", "v", false).size(), 5u);
  EXPECT_TRUE(rb::default_tests(",nothing,", "v", false).empty());
  EXPECT_FALSE(rb::test_selected(",sets,", "set"));
  EXPECT_TRUE(rb::test_selected("", "anything"));
}

TEST(benchmark_suite_test, data_is_redis_benchmarks_sequence) {
  // What redis-benchmark 7.0 stored as the value of `-t set -d 32`.
  EXPECT_EQ(rb::test_data(32), "VXKeHogKgJ=[5V9_X^b?48OKF2jGA<f:");
  EXPECT_EQ(rb::test_data(3), "VXK");
  EXPECT_EQ(rb::test_data(100000).size(), 100000u);
}

TEST(benchmark_suite_test, a_command_given_is_one_test) {
  const std::vector<std::string> args{"set", "key:__rand_int__", "hello"};
  const rb::test_case t = rb::command_test(args);
  EXPECT_EQ(t.title, "set key:__rand_int__ hello");
  EXPECT_EQ(t.args, args);
  // *3\r\n $3\r\nset\r\n $16\r\nkey:__rand_int__\r\n $5\r\nhello\r\n
  EXPECT_EQ(t.payload, 4u + 9u + 23u + 11u);
  EXPECT_EQ(rb::encoded_size(args), t.payload);
}
