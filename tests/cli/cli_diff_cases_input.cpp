// cli_diff_test cases: where commands come from and how they reach the server (stdin,
// repetition, databases, authentication, sockets, bad command lines).
#include "cli_diff_case.hpp"

#include <string>
#include <vector>

namespace respool::test::cli {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Commands read from a piped stdin (the REPL without a terminal).
void add_stdin_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --- commands read from a piped stdin (the REPL without a terminal)
  add(C("stdin_commands", {}).in("set a 1\nget a\nincr a\nget missing\n"));
  add(C("stdin_commands_tty", {"--no-raw"}).in("set a 1\nget a\nincr a\nlrange list 0 -1\nfoo\n"));
  add(C("stdin_commands_csv", {"--csv"}).in("get str\nlrange list 0 -1\nfoo\n"));
  add(C("stdin_commands_json", {"--json"}).in("get str\nhgetall hash\nfoo\n"));
  add(C("stdin_double_quotes", {})
          .in("set q \" bar \"\nget q\nset q \"\\\"bar\\\"\"\nget q\nset q \"a\\tb\\\\c\\n\"\nget "
              "q\n"));
  add(C("stdin_single_quotes", {"--no-raw"}).in("set q 'it\\'s \\x41 \"x\"'\nget q\n"));
  add(C("stdin_hex_escapes", {"--no-raw"}).in("set k \"\\x41\\x00\\xff\\xAb\"\nget k\nstrlen k\n"));
  add(C("stdin_invalid_quotes", {})
          .in("get \"\"key\nget \"unterminated\nget 'x'y\nset a\"b c\" 1\nget \"ab c\"\nping\n"));
  add(C("stdin_empty_argument", {"--no-raw"}).in("set \"\" empty-name\nget \"\"\n"));
  add(C("stdin_repeat_prefix", {}).in("3 incr cnt\n0 incr cnt\n-1 incr cnt\n2 get cnt\n"));
  add(C("stdin_repeat_prefix_tty", {"--no-raw"}).in("2 lrange list 0 -1\n"));
  add(C("stdin_quit", {}).in("ping\nquit\nset after quit\n").then_read({"get", "after"}));
  add(C("stdin_exit_uppercase", {}).in("ping\nEXIT\nping\n"));
  add(C("stdin_blank_lines", {}).in("ping\n\n   \n\t\nping\n"));
  add(C("stdin_no_final_newline", {}).in("ping\nget str"));
  add(C("stdin_crlf", {}).in("ping\r\nget str\r\n"));
  add(C("stdin_multi_info_quirk", {"--no-raw"}).in("multi\nincr a\ninfo keyspace\nexec\n"));
  add(C("stdin_multi_discard", {"--no-raw"}).in("multi\nset a 1\ndiscard\nget a\nexec\n"));
  add(C("stdin_select", {"--no-raw"}).in("select 2\nget dbkey\nselect 99\nget dbkey\n"));
  add(C("stdin_connect", {}).in("connect 127.0.0.1 {port}\nping\nconnect 127.0.0.1\nping\n"));
  add(C("stdin_connect_refused", {}).in("connect 127.0.0.1 {closed}\nping\n"));
  add(C("stdin_local_commands", {})
          .in(":set hints\n:set nohints\n:set bogus\n:xyz\nrestart\nclear\nping\n"));
  add(C("stdin_errors", {}).in("foo\nget\nincr str\nping\n"));
  add(C("stdin_refused", {"-p", "{closed}"}).on(target::none).in("ping\nping\n"));
  add(C("stdin_auth", {}).on(target::password).in("ping\nauth wrong\nping\nauth s3cret\nping\n"));
  add(C("stdin_client_tracking_pushes_hidden", {"-3"})
          .in("client tracking on\nget str\nset str x\nget str\nping\n"));
  add(C("stdin_client_tracking_pushes_shown", {"-3", "--show-pushes", "y"})
          .in("client tracking on\nget str\nset str x\nget str\nping\n"));
  add(C("stdin_client_tracking_tty", {"-3", "--no-raw", "--show-pushes", "Yes"})
          .in("client tracking on\nget str\nset str x\nget str\nping\n"));
  add(C("stdin_client_tracking_json", {"-3", "--json", "--show-pushes", "y"})
          .in("client tracking on\nget str\nset str x\nget str\nping\n"));
}

// Repetition, databases, protocols.
void add_session_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --- repetition, databases, protocols
  add(C("repeat_incr", {"-r", "3", "-i", "0", "incr", "num"}).then_read({"get", "num"}));
  add(C("repeat_zero", {"-r", "0", "ping"}));
  add(C("repeat_not_a_number", {"-r", "abc", "ping"}));
  add(C("repeat_tty_array", {"-r", "2", "-i", "0", "--no-raw", "lrange", "list", "0", "-1"}));
  add(C("repeat_csv_error", {"-r", "2", "-i", "0", "--csv", "nosuchcmd"}));
  add(C("interval_not_a_number", {"-i", "abc", "-r", "2", "ping"}));
  add(C("db_select", {"-n", "2", "get", "dbkey"}));
  add(C("db_select_tty", {"--no-raw", "-n", "2", "keys", "*"}));
  add(C("db_out_of_range", {"-n", "99", "ping"}));
  add(C("db_uri", {"-u", "redis://127.0.0.1:{port}/2", "get", "dbkey"}));
  add(C("resp2_and_resp3_exclusive", {"-2", "-3", "ping"}));
  add(C("show_pushes_bad_value", {"--show-pushes", "maybe", "ping"}));
}

// Passwords and users, from flags, URIs and the environment.
void add_auth_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --- authentication
  add(C("auth_a", {"-a", the_password, "ping"}).on(target::password));
  add(C("auth_no_warning", {"--no-auth-warning", "-a", the_password, "ping"}).on(target::password));
  add(C("auth_pass", {"--pass", the_password, "ping"}).on(target::password));
  add(C("auth_wrong", {"-a", "wrong", "ping"}).on(target::password));
  add(C("auth_wrong_e", {"-e", "-a", "wrong", "ping"}).on(target::password));
  add(C("auth_missing", {"ping"}).on(target::password));
  add(C("auth_missing_e", {"-e", "ping"}).on(target::password));
  add(C("auth_user", {"--user", "alice", "-a", "wonder", "acl", "whoami"}).on(target::password));
  add(C("auth_user_without_password", {"--user", "alice", "ping"}).on(target::password));
  add(C("auth_user_wrong", {"--user", "alice", "--pass", "bad", "ping"}).on(target::password));
  add(C("auth_uri_user", {"-u", "redis://alice:wonder@127.0.0.1:{port}", "acl", "whoami"})
          .on(target::password));
  add(C("auth_uri_percent", {"-u", "redis://alice:won%64er@127.0.0.1:{port}", "acl", "whoami"})
          .on(target::password));
  add(C("auth_uri_empty_user", {"-u", "redis://:s3cret@127.0.0.1:{port}", "ping"})
          .on(target::password));
  add(C("auth_uri_password_only", {"-u", "redis://s3cret@127.0.0.1:{port}", "ping"})
          .on(target::password));
  add(C("auth_uri_db", {"-u", "redis://default:s3cret@127.0.0.1:{port}/2", "get", "dbkey"})
          .on(target::password));
  add(C("auth_uri_then_a", {"-u", "redis://127.0.0.1:{port}/3", "-a", the_password, "ping"})
          .on(target::password));
  add(C("auth_env", {"ping"}).on(target::password).with_env("REDISCLI_AUTH", the_password));
  add(C("auth_env_wrong", {"ping"}).on(target::password).with_env("REDISCLI_AUTH", "bad"));
  add(C("auth_env_overridden_by_a", {"-a", the_password, "ping"})
          .on(target::password)
          .with_env("REDISCLI_AUTH", "bad"));
  add(C("auth_wrong_then_select", {"-a", "wrong", "-n", "5", "ping"}).on(target::password));
  add(C("auth_then_select", {"-a", the_password, "-n", "2", "get", "dbkey"}).on(target::password));
  add(C("auth_json_hello", {"-a", the_password, "--json", "hgetall", "hash"}).on(target::password));
  add(C("auth_missing_resp3", {"-3", "ping"}).on(target::password));
  add(C("auth_missing_json", {"--json", "ping"}).on(target::password));
  add(C("auth_pipe", {"-a", the_password, "--pipe"})
          .on(target::password)
          .in(resp({"SET", "pk", "v"}) + resp({"GET", "pk"}))
          .then_read({"get", "pk"}));
  add(C("auth_scan", {"--no-auth-warning", "-a", the_password, "--scan", "--pattern", "l*"})
          .on(target::password)
          .sorted("SCAN returns keys in the server's hash table order"));
}

// Unix sockets, and command lines redis-cli refuses or reads oddly.
void add_command_line_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --- unix socket
  add(R("unix_ping", {"-s", "{sock}", "ping"}).on(target::plain));
  add(R("unix_db", {"-s", "{sock}", "-n", "2", "--no-raw", "get", "dbkey"}).on(target::plain));
  add(R("unix_stdin", {"-s", "{sock}"}).on(target::plain).in("ping\nget str\n"));
  add(R("unix_missing", {"-s", "{tmp}/nosuch.sock", "ping"}));
  add(R("unix_and_cluster_exclusive", {"-c", "-s", "{sock}", "ping"}));

  // --- bad command lines (a case that might connect names a port: never the default 6379)
  add(R("flag_unknown", {"-p", "{closed}", "--foo", "ping"}));
  add(R("flag_value_missing", {"-p"}));
  add(C("flag_after_command_is_an_argument", {"ping", "-n"}));
  add(R("flag_dash_alone", {"-p", "{closed}", "-", "ping"}));
  add(C("flag_count_is_7_2_only", {"--scan", "--count", "2"})
          .deliberately(R"((([^\n]*)\n)*)", "", "exit 0",
                        R"(Unrecognized option or bad number of args for: '--count'\n)",
                        "--count comes from redis-cli 7.2; respool-cli accepts it"));
  add(R("port_not_a_number", {"-p", "abc", "ping"}));
  add(R("port_wraps_around", {"-p", "{closed_wrapped}", "ping"}));
  add(R("port_refused", {"-p", "{closed}", "ping"}));
  add(R("port_refused_tty", {"--no-raw", "-p", "{closed}", "get", "k"}));
  add(R("uri_bad_scheme", {"-u", "foo://127.0.0.1:{closed}", "ping"}));
  add(R("uri_no_scheme", {"-u", "127.0.0.1:{closed}", "ping"}));
  add(C("uri_scheme_uppercase", {"-u", "REDIS://127.0.0.1:{port}", "ping"}));
  add(C("uri_without_port_keeps_p", {"-u", "redis://127.0.0.1", "ping"}));
  add(R("uri_unix_scheme", {"-u", "unix://{sock}", "ping"}));
  add(R("uri_port_not_a_number", {"-u", "redis://127.0.0.1:abc", "ping"})
          .deliberately("", R"(Invalid URI: invalid port 'abc' in 'redis://127\.0\.0\.1:abc'\n)",
                        "exit 1", R"(Could not connect to Redis at 127\.0\.0\.1:0: [^\n]*\n)",
                        "respool-cli reads -u with respool's URI parser, which refuses a port "
                        "redis-cli reads with atoi()"));
  add(R("uri_ipv6_refused", {"-u", "redis://[::1]:{closed}", "ping"})
          .deliberately(
              "",
              R"(Could not connect to Redis at ::1:[0-9]+: (Connection refused|Cannot assign requested address|Network is unreachable)\n)",
              "exit 1", R"(Could not connect to Redis at \[:0: [^\n]*\n)",
              "redis-cli 7.0 cannot read an IPv6 address in a URI; respool-cli can"));
  add(R("cluster_and_unix_exclusive_order", {"-s", "/tmp/x.sock", "-c", "ping"}));
  add(C("ldb_without_eval", {"--ldb", "ping"}));
  // help <command>: respool-cli builds it from COMMAND DOCS, redis-cli from its own table.
  add(C("help_command", {"help", "set"}));
  add(C("help_subcommand", {"help", "client", "kill"}));
  add(C("help_container_command", {"help", "object"}));
  add(C("help_token_and_multiple", {"help", "migrate"}));
  add(C("help_unknown_command", {"help", "nosuch"}));
  add(C("eval_missing_file", {"--eval", "{tmp}/nosuch.lua"}));
  add(C("eval_file", {"--eval", "{tmp}/script.lua", "k1", "k2", ",", "a1"}));
  add(C("eval_file_no_comma", {"--no-raw", "--eval", "{tmp}/script.lua", "k1"}));
  add(R("help", {"-p", "{closed}", "--help"})
          .deliberately(
              R"(respool-cli [0-9]+\.[0-9]+\.[0-9]+\n\nUsage: respool-cli \[OPTIONS\] \[cmd \[arg \[arg \.\.\.\]\]\]\n[\s\S]*)",
              "", "exit 0", "", "the usage text is respool-cli's own (the same options)"));
  add(R("help_h_last", {"-p", "{closed}", "-h"})
          .deliberately(
              R"(respool-cli [0-9]+\.[0-9]+\.[0-9]+\n\nUsage: respool-cli \[OPTIONS\] \[cmd \[arg \[arg \.\.\.\]\]\]\n[\s\S]*)",
              "", "exit 0", "", "the usage text is respool-cli's own (the same options)"));
  add(R("version", {"-p", "{closed}", "--version"})
          .shape(R"([A-Za-z0-9_.-]+ [0-9]+\.[0-9]+\.[0-9]+[^\n]*\n)", "",
                 "each program prints its own name and version"));
  add(R("version_v", {"-p", "{closed}", "-v"})
          .shape(R"([A-Za-z0-9_.-]+ [0-9]+\.[0-9]+\.[0-9]+[^\n]*\n)", "",
                 "each program prints its own name and version"));
}

}  // namespace respool::test::cli
