// respool-cli's command line: redis-cli's flags, their defaults and their refusals.
#include "options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace respool::cli;

struct parsed {
  options opts;
  parse_result result;
};

parsed parse(std::vector<std::string> args, bool tty = false, const char* auth = nullptr) {
  parsed p;
  p.result = parse_options(args, tty, auth, p.opts);
  return p;
}

TEST(cli_options, defaults_follow_whether_stdout_is_a_terminal) {
  auto piped = parse({"ping"});
  EXPECT_EQ(piped.opts.mode, output_mode::raw);
  EXPECT_EQ(piped.opts.host, "127.0.0.1");
  EXPECT_EQ(piped.opts.port, 6379);
  EXPECT_EQ(piped.opts.db, 0);
  EXPECT_EQ(piped.opts.repeat, 1);
  EXPECT_EQ(piped.opts.pipe_timeout, 30);
  EXPECT_EQ(piped.opts.command, std::vector<std::string>{"ping"});
  EXPECT_EQ(parse({"ping"}, true).opts.mode, output_mode::standard);
}

TEST(cli_options, the_first_word_that_is_not_an_option_starts_the_command) {
  auto p = parse({"-p", "7000", "set", "-h", "--raw", "-x"});
  EXPECT_EQ(p.result.next, parse_result::action::run);
  EXPECT_EQ(p.opts.port, 7000);
  EXPECT_EQ(p.opts.host, "127.0.0.1");
  EXPECT_FALSE(p.opts.stdin_last_arg);
  EXPECT_EQ(p.opts.command, (std::vector<std::string>{"set", "-h", "--raw", "-x"}));
}

TEST(cli_options, value_flags) {
  auto p = parse({"-h",
                  "example",
                  "-p",
                  "6390",
                  "-n",
                  "3",
                  "-r",
                  "-1",
                  "-i",
                  "0.25",
                  "-d",
                  ",",
                  "-D",
                  "",
                  "--pattern",
                  "a*",
                  "--count",
                  "50",
                  "--pipe-timeout",
                  "0",
                  "get",
                  "k"});
  EXPECT_EQ(p.opts.host, "example");
  EXPECT_EQ(p.opts.port, 6390);
  EXPECT_EQ(p.opts.db, 3);
  EXPECT_EQ(p.opts.repeat, -1);
  EXPECT_DOUBLE_EQ(p.opts.interval, 0.25);
  EXPECT_EQ(p.opts.element_delimiter, ",");
  EXPECT_EQ(p.opts.reply_delimiter, "");
  EXPECT_EQ(p.opts.pattern, "a*");
  EXPECT_EQ(p.opts.count, 50);
  EXPECT_EQ(p.opts.pipe_timeout, 0);
}

TEST(cli_options, numbers_are_read_as_atoi_reads_them) {
  // redis-cli reads numeric flags with atoi/strtoll: a bad number is 0, not an error.
  EXPECT_EQ(parse({"-p", "abc", "ping"}).opts.port, 0);
  EXPECT_EQ(parse({"-n", "12x", "ping"}).opts.db, 12);
  EXPECT_EQ(parse({"-p", "99999", "ping"}).opts.port, 99999);
}

TEST(cli_options, output_modes_last_one_wins) {
  EXPECT_EQ(parse({"--csv", "ping"}, true).opts.mode, output_mode::csv);
  EXPECT_EQ(parse({"--raw", "ping"}, true).opts.mode, output_mode::raw);
  EXPECT_EQ(parse({"--no-raw", "ping"}).opts.mode, output_mode::standard);
  EXPECT_EQ(parse({"--csv", "--json", "ping"}).opts.mode, output_mode::json);
  EXPECT_EQ(parse({"--quoted-json", "ping"}).opts.mode, output_mode::quoted_json);
  EXPECT_TRUE(parse({"--json", "ping"}).opts.json_asks_resp3);
  EXPECT_FALSE(parse({"--csv", "ping"}).opts.json_asks_resp3);
}

TEST(cli_options, password_warning_only_for_the_command_line) {
  auto a = parse({"-a", "secret", "ping"});
  EXPECT_EQ(a.opts.password, "secret");
  EXPECT_EQ(a.result.err,
            "Warning: Using a password with '-a' or '-u' option on the command line interface "
            "may not be safe.\n");
  EXPECT_EQ(parse({"--pass", "secret", "--no-auth-warning", "ping"}).result.err, "");
  EXPECT_EQ(parse({"--no-auth-warning", "-a", "x", "ping"}).result.err, "");

  auto env = parse({"ping"}, false, "fromenv");
  EXPECT_EQ(env.opts.password, "fromenv");
  EXPECT_EQ(env.result.err, "");
  // The command line wins over REDISCLI_AUTH.
  EXPECT_EQ(parse({"-a", "cli", "ping"}, false, "fromenv").opts.password, "cli");
}

TEST(cli_options, uri) {
  auto p = parse({"-u", "redis://alice:p%40ss@db.example:6380/4", "ping"});
  EXPECT_EQ(p.opts.user, "alice");
  EXPECT_EQ(p.opts.password, "p@ss");
  EXPECT_EQ(p.opts.host, "db.example");
  EXPECT_EQ(p.opts.port, 6380);
  EXPECT_EQ(p.opts.db, 4);
  EXPECT_FALSE(p.opts.tls.enabled);
  EXPECT_FALSE(p.result.err.empty());  // the warning

  auto tls = parse({"-u", "REDISS://[::1]:7000", "ping"});
  EXPECT_TRUE(tls.opts.tls.enabled);
  EXPECT_EQ(tls.opts.host, "::1");
  EXPECT_EQ(tls.opts.port, 7000);
  EXPECT_FALSE(tls.opts.password);
  EXPECT_EQ(tls.result.err, "");

  // ":password@" gives an empty user name, as redis-cli sends it.
  auto empty_user = parse({"-u", "redis://:pw@h", "ping"});
  EXPECT_EQ(empty_user.opts.user, "");
  EXPECT_EQ(empty_user.opts.password, "pw");
  EXPECT_EQ(empty_user.opts.host, "h");
  EXPECT_EQ(empty_user.opts.port, 6379);

  auto bad = parse({"-u", "http://h", "ping"});
  EXPECT_EQ(bad.result.next, parse_result::action::exit);
  EXPECT_EQ(bad.result.exit_code, 1);
  EXPECT_EQ(bad.result.err, "Invalid URI scheme\n");
}

TEST(cli_options, uri_over_the_flags_before_it) {
  // "password@" names no user: AUTH password, and an earlier --user stays.
  auto password_only = parse({"--user", "bob", "-u", "redis://pw@h", "ping"});
  EXPECT_EQ(password_only.opts.user, "bob");
  EXPECT_EQ(password_only.opts.password, "pw");
  EXPECT_FALSE(parse({"-u", "redis://pw@h", "ping"}).opts.user);
  // What the URI leaves out keeps the earlier flags' values.
  auto kept = parse({"-p", "7000", "-n", "3", "--tls", "-u", "redis://h", "ping"});
  EXPECT_EQ(kept.opts.host, "h");
  EXPECT_EQ(kept.opts.port, 7000);
  EXPECT_EQ(kept.opts.db, 3);
  EXPECT_TRUE(kept.opts.tls.enabled);
  EXPECT_FALSE(kept.opts.password);
  // Flags after the URI win.
  EXPECT_EQ(parse({"-u", "redis://h:7000", "-p", "7001", "ping"}).opts.port, 7001);
  EXPECT_TRUE(parse({"-u", "rediss://h?insecure", "ping"}).opts.tls.verify_peer == false);
}

TEST(cli_options, uri_refusals) {
  // redis-cli takes no unix:// URI.
  EXPECT_EQ(parse({"-u", "unix:///tmp/redis.sock", "ping"}).result.err, "Invalid URI scheme\n");
  EXPECT_EQ(parse({"-u", "h:6379", "ping"}).result.err, "Invalid URI scheme\n");
  // respool's URI parser refuses what redis-cli would read with atoi().
  auto port = parse({"-u", "redis://h:abc", "ping"});
  EXPECT_EQ(port.result.exit_code, 1);
  EXPECT_EQ(port.result.err, "Invalid URI: invalid port 'abc' in 'redis://h:abc'\n");
  EXPECT_EQ(parse({"-u", "redis://:pw@h/x", "ping"}).result.err,
            "Invalid URI: invalid database '/x' (expected /N, N a non-negative integer) in "
            "'redis://:***@h/x'\n");
}

TEST(cli_options, refusals) {
  auto unknown = parse({"--frobnicate", "ping"});
  EXPECT_EQ(unknown.result.exit_code, 1);
  EXPECT_EQ(unknown.result.err, "Unrecognized option or bad number of args for: '--frobnicate'\n");
  auto missing = parse({"-p"});
  EXPECT_EQ(missing.result.exit_code, 1);
  EXPECT_EQ(missing.result.err, "Unrecognized option or bad number of args for: '-p'\n");
  EXPECT_EQ(parse({"-2", "-3", "ping"}).result.err, "Options -2 and -3 are mutually exclusive.\n");
  EXPECT_EQ(parse({"-c", "-s", "/tmp/s", "ping"}).result.err,
            "Options -c and -s are mutually exclusive.\n");
  EXPECT_EQ(parse({"-x", "-X", "t", "ping"}).result.err,
            "Options -x and -X are mutually exclusive.\n");
  auto pushes = parse({"--show-pushes", "maybe", "ping"});
  EXPECT_EQ(pushes.result.next, parse_result::action::run);  // a warning, as redis-cli gives
  EXPECT_EQ(pushes.result.err, "Unknown --show-pushes value 'maybe' (valid: '[y]es', '[n]o')\n");
  EXPECT_EQ(parse({"ping"}, true).opts.show_pushes, true);
  EXPECT_EQ(parse({"--no-raw", "ping"}, false).opts.show_pushes, false);
  EXPECT_EQ(parse({"--ldb", "ping"}).result.err,
            "Options --ldb and --ldb-sync-mode require --eval.\n"
            "Try redis-cli --help for more information.\n");
  EXPECT_EQ(parse({"--quoted-pattern", "\"k\\x00*\"", "--scan"}).opts.pattern,
            std::string("k\0*", 3));
  EXPECT_EQ(parse({"--quoted-pattern", "\"open", "--scan"}).result.err,
            "Invalid quoted string specified for --quoted-pattern.\n");
  EXPECT_EQ(parse({"--show-pushes", "No", "ping"}).opts.show_pushes, false);
  EXPECT_EQ(parse({"--show-pushes", "YES", "ping"}).opts.show_pushes, true);
}

TEST(cli_options, help_and_version_exit_zero) {
  for (const auto& args : {std::vector<std::string>{"--help"}, std::vector<std::string>{"-h"},
                           std::vector<std::string>{"-p", "1", "-h"}}) {
    auto p = parse(args);
    EXPECT_EQ(p.result.next, parse_result::action::exit);
    EXPECT_EQ(p.result.exit_code, 0);
    EXPECT_NE(p.result.out.find("Usage: respool-cli"), std::string::npos);
  }
  auto v = parse({"--version"});
  EXPECT_EQ(v.result.exit_code, 0);
  EXPECT_EQ(v.result.out.rfind("respool-cli ", 0), 0u);
  EXPECT_EQ(parse({"-v"}).result.out, v.result.out);
}

TEST(cli_options, flags_without_a_value_and_modes) {
  auto p = parse({"-c", "-e", "-x", "-2", "--quoted-input", "-t", "1.5", "-r", "3",
                  "--latency-history", "--pipe", "--scan", "--eval", "f.lua", "ping"});
  EXPECT_TRUE(p.opts.cluster);
  EXPECT_TRUE(p.opts.errors_to_stderr);
  EXPECT_TRUE(p.opts.stdin_last_arg);
  EXPECT_TRUE(p.opts.force_resp2);
  EXPECT_TRUE(p.opts.quoted_input);
  EXPECT_DOUBLE_EQ(p.opts.reply_timeout, 1.5);
  EXPECT_EQ(p.opts.repeat, 3);
  EXPECT_TRUE(p.opts.latency);
  EXPECT_TRUE(p.opts.latency_history);
  EXPECT_TRUE(p.opts.pipe);
  EXPECT_TRUE(p.opts.scan);
  EXPECT_EQ(p.opts.eval_file, "f.lua");
  EXPECT_EQ(parse({"-X", "tag", "set", "k", "tag"}).opts.stdin_tag, "tag");
  EXPECT_EQ(parse({"--user", "bob", "--pass", "pw", "ping"}).opts.user, "bob");
  EXPECT_FALSE(parse({"--latency", "ping"}).opts.latency_history);
}

TEST(cli_options, a_value_flag_as_the_last_argument_is_unrecognized) {
  for (const char* flag : {"-p", "-s", "-a", "--user", "-u", "-n", "-X", "--pattern", "--count",
                           "--eval", "-d", "--show-pushes", "--tls-ciphers", "--quoted-pattern",
                           "--rdb", "--cluster-replicas", "--cluster-weight", "--cluster-from"}) {
    auto p = parse({"--raw", flag});
    EXPECT_EQ(p.result.exit_code, 1) << flag;
    EXPECT_EQ(p.result.err,
              std::string("Unrecognized option or bad number of args for: '") + flag + "'\n");
  }
  EXPECT_EQ(parse({"-"}).result.err, "Unrecognized option or bad number of args for: '-'\n");
  // An empty word is not a flag: the command starts there.
  EXPECT_EQ(parse({"", "ping"}).opts.command, (std::vector<std::string>{"", "ping"}));
}

TEST(cli_options, verbose_is_read) {
  EXPECT_FALSE(parse({}).opts.verbose);
  auto p = parse({"--verbose", "--replica"});
  EXPECT_EQ(p.result.next, parse_result::action::run);
  EXPECT_TRUE(p.opts.verbose);
  EXPECT_TRUE(p.opts.replica);
}

TEST(cli_options, keyspace_and_monitoring_modes) {
  auto p = parse({"--bigkeys", "--hotkeys", "--stat", "--latency-dist", "--mono"});
  EXPECT_EQ(p.result.next, parse_result::action::run);
  EXPECT_TRUE(p.opts.bigkeys && p.opts.hotkeys && p.opts.stat && p.opts.latency_dist);
  EXPECT_TRUE(p.opts.mono);
  EXPECT_FALSE(p.opts.memkeys);
  EXPECT_FALSE(p.opts.lru_test);
  EXPECT_FALSE(p.opts.intrinsic_latency);
  // --memkeys-samples implies --memkeys; a later --memkeys goes back to the server's default.
  auto m = parse({"--memkeys-samples", "7"});
  EXPECT_TRUE(m.opts.memkeys);
  EXPECT_EQ(m.opts.memkeys_samples, 7u);
  EXPECT_EQ(parse({"--memkeys-samples", "7", "--memkeys"}).opts.memkeys_samples, 0u);
  EXPECT_EQ(parse({"--lru-test", "1000"}).opts.lru_test, 1000);
  EXPECT_EQ(parse({"--intrinsic-latency", "5"}).opts.intrinsic_latency, 5);
  // Read as atoi() reads them.
  EXPECT_EQ(parse({"--intrinsic-latency", "2s"}).opts.intrinsic_latency, 2);
  // Without their value they are unknown, as in redis-cli (which, for --memkeys-samples,
  // reads past its arguments instead).
  for (const char* flag : {"--memkeys-samples", "--lru-test", "--intrinsic-latency"}) {
    EXPECT_EQ(parse({flag}).result.err,
              std::string("Unrecognized option or bad number of args for: '") + flag + "'\n");
  }
}

TEST(cli_options, replication_modes_and_askpass) {
  auto rdb = parse({"--rdb", "dump.rdb"});
  EXPECT_EQ(rdb.result.next, parse_result::action::run);
  EXPECT_EQ(rdb.opts.rdb_file, "dump.rdb");
  EXPECT_FALSE(rdb.opts.functions_rdb);
  auto functions = parse({"--functions-rdb", "-"});
  EXPECT_EQ(functions.opts.rdb_file, "-");
  EXPECT_TRUE(functions.opts.functions_rdb);
  // Both: refused once every flag is read, after the password warning, as redis-cli does.
  auto both = parse({"--rdb", "a", "-a", "x", "--functions-rdb", "b"});
  EXPECT_EQ(both.result.exit_code, 1);
  EXPECT_EQ(both.result.err,
            "Warning: Using a password with '-a' or '-u' option on the command line interface "
            "may not be safe.\nOption --functions-rdb and --rdb are mutually exclusive.\n");
  EXPECT_TRUE(parse({"--replica"}).opts.replica);
  EXPECT_TRUE(parse({"--slave"}).opts.replica);
  EXPECT_TRUE(parse({"--askpass"}).opts.askpass);
  auto ldb = parse({"--eval", "f.lua", "--ldb-sync-mode"});
  EXPECT_TRUE(ldb.opts.ldb && ldb.opts.ldb_sync);
  EXPECT_EQ(ldb.opts.mode, output_mode::raw);
  // --rdb needs its file name.
  EXPECT_EQ(parse({"--rdb"}).result.err,
            "Unrecognized option or bad number of args for: '--rdb'\n");
}

TEST(cli_options, cluster_takes_a_subcommand_and_the_plain_words_after_it) {
  auto p = parse({"--cluster", "create", "h:1", "h:2", "h:3", "--cluster-replicas", "1",
                  "--cluster-yes", "later", "words"});
  EXPECT_EQ(p.result.next, parse_result::action::run);
  const cluster_options& c = p.opts.cluster_manager;
  EXPECT_EQ(c.command, "create");
  EXPECT_EQ(c.args, (std::vector<std::string>{"h:1", "h:2", "h:3"}));
  EXPECT_EQ(c.replicas, 1);
  EXPECT_TRUE(c.yes);
  // No command: in cluster manager mode plain words do not end the options.
  EXPECT_TRUE(p.opts.command.empty());
  EXPECT_FALSE(parse({"ping"}).opts.cluster_manager.command);
}

TEST(cli_options, cluster_arguments_may_come_after_its_options) {
  auto p = parse({"--cluster", "call", "--cluster-only-masters", "h:1", "ping", "-p", "7"});
  EXPECT_EQ(p.opts.cluster_manager.args, (std::vector<std::string>{"h:1", "ping"}));
  EXPECT_TRUE(p.opts.cluster_manager.only_masters);
  EXPECT_EQ(p.opts.port, 7);
  // A subcommand that starts with '-' takes no words.
  auto dash = parse({"--cluster", "--cluster-yes", "h:1"});
  EXPECT_EQ(dash.opts.cluster_manager.command, "--cluster-yes");
  EXPECT_EQ(dash.opts.cluster_manager.args, std::vector<std::string>{"h:1"});
}

TEST(cli_options, cluster_options_with_values) {
  auto p = parse({"--cluster-weight", "a=1", "b=2", "c", "--cluster-from", "x", "--cluster-to", "y",
                  "--cluster-slots", "10", "--cluster-timeout", "5", "--cluster-pipeline", "3",
                  "--cluster-threshold", "1.5", "--cluster-master-id", "id"});
  const cluster_options& c = p.opts.cluster_manager;
  EXPECT_EQ(c.weights, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(p.opts.command, (std::vector<std::string>{
                                "c", "--cluster-from", "x", "--cluster-to", "y", "--cluster-slots",
                                "10", "--cluster-timeout", "5", "--cluster-pipeline", "3",
                                "--cluster-threshold", "1.5", "--cluster-master-id", "id"}));
  auto q = parse({"--cluster-from", "x", "--cluster-to", "y", "--cluster-slots", "10",
                  "--cluster-timeout", "5", "--cluster-pipeline", "3", "--cluster-threshold", "1.5",
                  "--cluster-master-id", "id", "--cluster-slave", "--cluster-copy"});
  const cluster_options& d = q.opts.cluster_manager;
  EXPECT_EQ(d.from, "x");
  EXPECT_EQ(d.to, "y");
  EXPECT_EQ(d.slots, 10);
  EXPECT_EQ(d.timeout, 5);
  EXPECT_EQ(d.pipeline, 3);
  EXPECT_EQ(d.threshold, 1.5);
  EXPECT_EQ(d.master_id, "id");
  EXPECT_TRUE(d.slave);
  EXPECT_TRUE(d.copy);
  // A second --cluster-weight is an error.
  auto twice = parse({"--cluster-weight", "a=1", "--cluster-weight", "b=2"});
  EXPECT_EQ(twice.result.exit_code, 1);
  EXPECT_TRUE(twice.result.err.starts_with("WARNING: you cannot use --cluster-weight"));
}

TEST(cli_options, cluster_without_subcommand_or_twice_prints_the_usage_on_stderr) {
  for (const auto& args : {std::vector<std::string>{"--cluster"},
                           std::vector<std::string>{"--cluster", "check", "--cluster", "info"}}) {
    auto p = parse(args);
    EXPECT_EQ(p.result.exit_code, 1);
    EXPECT_EQ(p.result.err, usage_text());
    EXPECT_EQ(p.result.out, "");
  }
}

TEST(cli_options, cluster_remembers_x_given_before_it) {
  EXPECT_TRUE(parse({"-x", "--cluster", "call", "h:1"}).opts.cluster_manager.stdin_last_arg);
  EXPECT_FALSE(parse({"--cluster", "call", "h:1", "-x"}).opts.cluster_manager.stdin_last_arg);
  EXPECT_EQ(parse({"-X", "t", "--cluster", "call", "h:1"}).opts.cluster_manager.stdin_tag, "t");
}

TEST(cli_options, tls_flags) {
  auto p = parse({"--tls", "--sni", "name", "--cacert", "ca.pem", "--cacertdir", "/etc/ssl",
                  "--cert", "c.pem", "--key", "k.pem", "--insecure", "ping"});
  EXPECT_TRUE(p.opts.tls.enabled);
  EXPECT_EQ(p.opts.tls.server_name, "name");
  EXPECT_EQ(p.opts.tls.ca_file, "ca.pem");
  EXPECT_EQ(p.opts.tls.ca_dir, "/etc/ssl");
  EXPECT_EQ(p.opts.tls.cert_file, "c.pem");
  EXPECT_EQ(p.opts.tls.key_file, "k.pem");
  EXPECT_TRUE(p.opts.tls.verify_peer == false);
  auto ciphers = parse({"--tls-ciphers", "HIGH", "--tls-ciphersuites", "TLS_AES_256_GCM_SHA384"});
  EXPECT_EQ(ciphers.opts.tls.ciphers, "HIGH");
  EXPECT_EQ(ciphers.opts.tls.ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_FALSE(ciphers.opts.tls.enabled);
}

}  // namespace
