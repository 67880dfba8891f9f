// respool-cli against the installed redis-cli (7.0.15), command line by command line.
//
// Each case of the table runs one command line twice: first through redis-cli, then through
// respool-cli (RESPOOL_CLI_PATH), each time after the same data was loaded into a private
// redis-server (FLUSHALL, then the commands of load_data()). stdout, stderr and the exit status
// must be the same bytes. Some cases also read keys afterwards ("after" commands) and compare
// what the two runs stored.
//
// stdout is always a pipe, so both programs format replies in RAW mode unless the case asks for
// --no-raw (the terminal format) or --csv/--json. stdin is a pipe too (empty unless the case
// feeds it), which is how the "REPL on a pipe" cases feed their lines.
//
// Where the output cannot be the same twice, the case says so and compares less:
// - normalize: regular expressions replaced in both outputs before comparing (HELLO's client
//   id, INFO/CLIENT INFO figures, MONITOR timestamps, the version line of --help);
// - sort: stdout lines sorted first (--scan: SCAN's order is the server's hash table order);
// - shape: both outputs must match a regular expression (--latency figures, --version).
// Each such case gives its reason (shown when it fails).
//
// RESPOOL_CLI_DIFF_SHOW=1 prints what redis-cli did for every case (to review the table).
//
// The hostile-server cases run both programs against tests/fake_server.hpp scripts (malformed
// replies, connections closed or reset mid-reply); the ones where redis-cli itself hangs (a
// server that never answers, an absurd bulk length) run only respool-cli, in
// cli_hostile_test.cpp.
#include "cli_runner.hpp"
#include "fake_server.hpp"
#include "server_process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef RESPOOL_CLI_PATH
#  error "RESPOOL_CLI_PATH (the respool-cli binary) must be defined"
#endif

namespace respool::test::cli {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using command = std::vector<std::string>;

constexpr const char* the_password = "s3cret";

// ---------------------------------------------------------------------------------------------
// The case table

enum class target {
  plain,     // the private server (TCP and unix socket), no password
  password,  // the private server with requirepass s3cret and the ACL user alice/wonder
  fake,      // a fake_server running `fake_reply` (one per run)
  none,      // no server needed (flags refused before connecting, closed ports)
};

enum class fake_end {
  close,      // write the reply, then FIN
  reset,      // write the reply, then RST
  reconnect,  // the reply then FIN; every later command (on a new connection) gets +PONG
};

// One step of a case that runs a while (pub/sub, MONITOR): wait until stdout contains
// `wait_for` (after what the previous step matched), then run `run` on the case's server, then
// keep reading for `pause`.
struct step {
  std::string wait_for;
  command run;
  std::chrono::milliseconds pause{0};  // then wait this long (keeps feeding/draining)
};

struct cli_case {
  std::string name;
  std::vector<std::string> args;
  bool prefix_port = true;  // prepend "-p <port>" of the target server
  input stdin_kind = input::pipe;
  std::string stdin_data;
  std::vector<std::pair<std::string, std::string>> env;
  target server = target::plain;
  std::vector<command> after;
  std::vector<std::pair<std::string, std::string>> normalize;
  bool sort = false;
  std::string out_shape;
  std::string err_shape;
  std::string why;              // for normalize/sort/shape: why the output varies
  bool differs = false;         // see deliberately()
  std::string own_out;          // regex for respool-cli's stdout
  std::string own_err;          // regex for respool-cli's stderr
  std::string own_status;       // respool-cli's exit status ("exit 0")
  std::string their_err_shape;  // regex redis-cli's stderr must match
  std::string fake_reply;
  fake_end fake_how = fake_end::close;
  std::vector<step> steps;
  int final_signal = 0;  // sent after the steps (then the outputs so far are compared)
  std::chrono::milliseconds timeout = 30s;

  cli_case& in(std::string data) {
    stdin_kind = input::pipe;
    stdin_data = std::move(data);
    return *this;
  }
  cli_case& null_stdin() {
    stdin_kind = input::dev_null;
    return *this;
  }
  cli_case& closed_stdin() {
    stdin_kind = input::closed;
    return *this;
  }
  cli_case& on(target t) {
    server = t;
    return *this;
  }
  cli_case& with_env(std::string variable, std::string value) {
    env.emplace_back(std::move(variable), std::move(value));
    return *this;
  }
  cli_case& then_read(command c) {
    after.push_back(std::move(c));
    return *this;
  }
  cli_case& normalized(std::string regex, std::string replacement, std::string reason) {
    normalize.emplace_back(std::move(regex), std::move(replacement));
    why = std::move(reason);
    return *this;
  }
  cli_case& sorted(std::string reason) {
    sort = true;
    why = std::move(reason);
    return *this;
  }
  cli_case& shape(std::string out_regex, std::string err_regex, std::string reason) {
    out_shape = std::move(out_regex);
    err_shape = std::move(err_regex);
    why = std::move(reason);
    return *this;
  }
  // respool-cli differs from redis-cli here on purpose (README, "respool-cli"): redis-cli still
  // runs, and must match `their_*` (so the note stays true); respool-cli must match `ours_*`.
  cli_case& deliberately(std::string ours_out, std::string ours_err, std::string ours_status,
                         std::string their_err, std::string reason) {
    differs = true;
    own_out = std::move(ours_out);
    own_err = std::move(ours_err);
    own_status = std::move(ours_status);
    their_err_shape = std::move(their_err);
    why = std::move(reason);
    return *this;
  }
  cli_case& fake(std::string reply, fake_end how = fake_end::close) {
    server = target::fake;
    fake_reply = std::move(reply);
    fake_how = how;
    return *this;
  }
  cli_case& step_wait(std::string text, command run = {}) {
    steps.push_back({std::move(text), std::move(run), 0ms});
    return *this;
  }
  cli_case& step_pause(std::chrono::milliseconds d) {
    steps.push_back({"", {}, d});
    return *this;
  }
  cli_case& then_signal(int sig) {
    final_signal = sig;
    return *this;
  }
};

// escape_bytes() on one line.
std::string inline_escape(std::string_view bytes) {
  std::string s = escape_bytes(bytes);
  s.erase(std::remove(s.begin(), s.end(), '\n'), s.end());
  return s;
}

void PrintTo(const cli_case& c, std::ostream* os) {
  *os << c.name << ":";
  for (const auto& a : c.args) *os << " '" << inline_escape(a) << "'";
}

// A case that connects to the plain server: "-p <port>" comes first.
cli_case C(std::string name, std::vector<std::string> args) {
  cli_case c;
  c.name = std::move(name);
  c.args = std::move(args);
  return c;
}

// A case whose arguments are given whole (no "-p <port>" added).
cli_case R(std::string name, std::vector<std::string> args) {
  cli_case c = C(std::move(name), std::move(args));
  c.prefix_port = false;
  c.server = target::none;
  return c;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The same replies in every output mode.
struct reply_source {
  const char* name;
  std::vector<std::string> args;
};

const std::vector<reply_source>& resp2_replies() {
  static const std::vector<reply_source> list = {
      {"status_ping", {"ping"}},
      {"status_set", {"set", "newkey", "v"}},
      {"error_unknown", {"nosuchcmd", "arg"}},
      {"integer", {"incr", "num"}},
      {"bulk", {"get", "str"}},
      {"bulk_empty", {"get", "empty"}},
      {"nil", {"get", "missing"}},
      {"bulk_binary", {"get", "bin"}},
      {"bulk_utf8", {"get", "utf8"}},
      {"bulk_control", {"get", "ctrl"}},
      {"array3", {"lrange", "list", "0", "-1"}},
      {"array12", {"lrange", "list12", "0", "-1"}},
      {"array105", {"lrange", "list105", "0", "-1"}},
      {"array_empty", {"lrange", "missing", "0", "-1"}},
      {"array_binary", {"lrange", "binlist", "0", "-1"}},
      {"array_with_nils", {"mget", "str", "missing", "num"}},
      {"nested_xrange", {"xrange", "stream", "-", "+"}},
      {"nested_eval", {"eval", "return {1, {2, {3, 'x'}}, {}, false}", "0"}},
      {"hgetall", {"hgetall", "hash"}},
      {"zrange_withscores", {"zrange", "zset", "0", "-1", "withscores"}},
      {"smembers", {"smembers", "set"}},
  };
  return list;
}

const std::vector<reply_source>& resp3_replies() {
  static const std::vector<reply_source> list = {
      {"map", {"hgetall", "hash"}},
      {"map_integer_key", {"hgetall", "numkey"}},
      {"map_binary", {"hgetall", "binhash"}},
      {"map_empty", {"hgetall", "missing"}},
      {"map_nested", {"eval", "redis.setresp(3); return {map={k1={1,2,{map={x='y'}}}}}", "0"}},
      {"set", {"smembers", "intset"}},
      {"set_empty", {"smembers", "missing"}},
      {"double", {"zscore", "zset", "b"}},
      {"double_inf", {"zscore", "zset", "c"}},
      {"doubles_nested", {"zrange", "zset", "0", "-1", "withscores"}},
      {"null", {"get", "missing"}},
      {"array", {"lrange", "list12", "0", "-1"}},
      {"proto_double", {"debug", "protocol", "double"}},
      {"proto_true", {"debug", "protocol", "true"}},
      {"proto_false", {"debug", "protocol", "false"}},
      {"proto_null", {"debug", "protocol", "null"}},
      {"proto_verbatim", {"debug", "protocol", "verbatim"}},
      {"proto_map", {"debug", "protocol", "map"}},
      {"proto_set", {"debug", "protocol", "set"}},
      {"proto_push", {"debug", "protocol", "push"}},
      {"proto_bignum", {"debug", "protocol", "bignum"}},
      {"proto_attrib", {"debug", "protocol", "attrib"}},
      {"config_get", {"config", "get", "maxmemory-policy"}},
  };
  return list;
}

const char* hello_id_regex = R"((id"? => \(integer\) |id |"id",|"id":)[0-9]+)";
const char* hello_id_why = "HELLO's reply holds the connection id, one higher for the second run";

std::string resp(const std::vector<std::string>& args) { return encode_command(args); }

std::vector<cli_case> all_cases() {
  std::vector<cli_case> v;
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --- every reply type in every output mode (RESP2)
  const std::vector<std::pair<const char*, std::vector<std::string>>> modes2 = {
      {"tty", {"--no-raw"}},        {"raw", {}}, {"csv", {"--csv"}}, {"json", {"--json"}},
      {"qjson", {"--quoted-json"}},
  };
  for (const auto& [mode, flags] : modes2) {
    for (const auto& r : resp2_replies()) add(C(std::string(mode) + "_" + r.name, flags + r.args));
  }
  // --- RESP3 types (-3)
  const std::vector<std::pair<const char*, std::vector<std::string>>> modes3 = {
      {"resp3_tty", {"-3", "--no-raw"}},
      {"resp3_raw", {"-3"}},
      {"resp3_csv", {"-3", "--csv"}},
      {"resp3_json", {"-3", "--json"}},
  };
  for (const auto& [mode, flags] : modes3) {
    for (const auto& r : resp3_replies()) {
      cli_case c = C(std::string(mode) + "_" + r.name, flags + r.args);
      if (r.name == std::string("proto_attrib")) {
        c.deliberately(R"("?Some real reply following the attribute"?\n)", "", "exit 0",
                       R"(Error: Protocol error, got "\|" as reply type byte\n)",
                       "RESP3 attributes are metadata a client may skip: respool-cli prints the "
                       "reply they annotate, where redis-cli's parser stops with an error");
      }
      add(c);
    }
    add(C(std::string(mode) + "_hello", flags + std::vector<std::string>{"hello", "3"})
            .normalized(hello_id_regex, "$1N", hello_id_why));
  }
  add(C("resp3_qjson_map_binary", {"-3", "--quoted-json", "hgetall", "binhash"}));
  add(C("resp3_qjson_verbatim", {"-3", "--quoted-json", "debug", "protocol", "verbatim"}));
  add(C("resp2_json_hgetall", {"-2", "--json", "hgetall", "hash"}));
  add(C("resp2_forced_tty_zscore", {"-2", "--no-raw", "zscore", "zset", "b"}));
  add(C("json_implies_resp3_zscore", {"--json", "zscore", "zset", "b"}));
  add(C("resp3_raw_delimiter_map", {"-3", "-d", ",", "hgetall", "hash"}));

  // --- forced-raw commands
  add(C("forced_raw_memory_doctor", {"memory", "doctor"}));
  add(C("forced_raw_memory_doctor_tty", {"--no-raw", "memory", "doctor"}));
  add(C("forced_raw_memory_doctor_csv", {"--csv", "MEMORY", "DOCTOR"}));
  add(C("forced_raw_memory_doctor_json", {"--json", "memory", "doctor"}));
  add(C("forced_raw_lolwut_tty", {"--no-raw", "lolwut", "version", "1"}));
  add(C("forced_raw_lolwut_csv", {"--csv", "LOLWUT", "VERSION", "1"}));
  add(C("forced_raw_latency_doctor_tty", {"--no-raw", "latency", "doctor"}));
  add(C("forced_raw_latency_graph_error_tty", {"--no-raw", "latency", "graph", "command"}));
  add(C("forced_raw_cluster_info_error_json", {"--json", "cluster", "info"}));
  add(C("forced_raw_debug_htstats_tty", {"--no-raw", "-n", "9", "debug", "htstats", "9"}));
  add(C("forced_raw_info_keyspace_tty", {"--no-raw", "info", "keyspace"}));
  add(C("forced_raw_info_keyspace_csv", {"--csv", "info", "keyspace"}));
  add(C("forced_raw_info_server_tty", {"--no-raw", "info", "server"})
          .normalized("[0-9]+", "N", "INFO server holds uptime, clocks and the server's pid"));
  add(C("forced_raw_client_info_tty", {"--no-raw", "client", "info"})
          .normalized("[0-9]+", "N", "CLIENT INFO holds the connection id, port and ages"));
  add(C("forced_raw_client_info_json", {"--json", "client", "info"})
          .normalized("[0-9]+", "N", "CLIENT INFO holds the connection id, port and ages"));
  // Other connections (the data loader's) may still be listed: only an empty list is certain.
  add(C("forced_raw_client_list_empty_json", {"--json", "client", "list", "type", "pubsub"}));
  add(C("not_forced_client_getname_tty", {"--no-raw", "-3", "client", "getname"}));
  add(C("not_forced_info_in_eval", {"--no-raw", "eval", "return 'info'", "0"}));

  // --- errors and -e
  add(C("e_unknown_command", {"-e", "nosuchcmd", "a", "b"}));
  add(C("e_wrongtype", {"-e", "lpush", "str", "x"}));
  add(C("e_wrong_arity", {"-e", "get"}));
  add(C("e_success", {"-e", "ping"}));
  add(C("e_csv_error", {"-e", "--csv", "nosuchcmd"}));
  add(C("e_tty_error", {"-e", "--no-raw", "incr", "str"}));
  add(C("e_repeat_stops", {"-e", "-r", "3", "-i", "0", "nosuchcmd"}));
  add(C("wrongtype_tty", {"--no-raw", "lpush", "str", "x"}));
  add(C("wrong_arity_raw", {"get"}));
  add(C("error_json_arity", {"--json", "hset", "h"}));

  // --- binary data and argument quoting
  add(C("x_set_binary", {"-x", "set", "xk"}).in("a\0b\xff\n\"q'\r\n"s).then_read({"get", "xk"}));
  add(C("x_echo_empty_stdin", {"-x", "echo"}).in(""));
  add(C("x_echo_dev_null", {"--no-raw", "-x", "echo"}).null_stdin());
  add(C("command_with_stdin_closed", {"--no-raw", "lrange", "list", "0", "-1"}).closed_stdin());
  add(C("x_hset_utf8", {"-x", "hset", "xh", "f"})
          .in("h\xc3\xa9llo \xe2\x9c\x93")
          .then_read({"hgetall", "xh"}));
  add(C("x_tag_replaced", {"-X", "TAG", "set", "TAG2", "TAG"})
          .in("tagged\0value"s)
          .then_read({"get", "TAG2"}));
  add(C("x_tag_first_match_only", {"-X", "t", "mset", "k1", "t", "k2", "t"})
          .in("stdin")
          .then_read({"mget", "k1", "k2"}));
  add(C("x_tag_no_match", {"-X", "NOPE", "set", "a", "b"}).in("v"));
  add(C("x_and_tag_exclusive", {"-x", "-X", "t", "get", "t"}).in("v"));
  add(C("dump_exact_bytes", {"-D", "", "--raw", "dump", "bin"}));
  add(C("quoted_input_nul", {"--quoted-input", "set", "\"null-\\x00-separated\"", "value"})
          .then_read({"get", "null-\0-separated"s}));
  add(C("quoted_input_get_binary_key",
        {"--quoted-input", "--no-raw", "get", "\"k\\x00ey\\xff\\n\""}));
  add(C("quoted_input_single_quotes", {"--quoted-input", "echo", "'it\\'s \\x41'"}));
  add(C("quoted_input_unterminated", {"--quoted-input", "get", "\"unterminated"}));
  add(C("quoted_input_two_tokens", {"--quoted-input", "get", "a b"}));
  add(C("quoted_input_trailing_garbage", {"--quoted-input", "get", "\"k\"x"}));
  add(C("unquoted_escapes_are_literal", {"set", "lit", "\"\\x41\\x41\""})
          .then_read({"get", "lit"}));
  add(C("args_binary_and_newlines", {"--no-raw", "set", "k\n\xff\x01", "v\r\n\x7f"})
          .then_read({"get", "k\n\xff\x01"}));
  add(C("args_utf8", {"--no-raw", "set", "caf\xc3\xa9", "\xe2\x98\x95"})
          .then_read({"get", "caf\xc3\xa9"}));
  add(C("args_spaces_tty", {"--no-raw", "get", "key with spaces"}));
  add(C("args_after_command_are_verbatim", {"echo", "--foo", "-p", "1"}));
  add(C("json_binary_bulk", {"--json", "lrange", "binlist", "0", "-1"}));
  add(C("delimiter_elements", {"-d", ",", "lrange", "list", "0", "-1"}));
  add(C("delimiter_replies", {"-D", "X", "-r", "2", "-i", "0", "get", "str"}));
  add(C("delimiters_empty", {"-d", "", "-D", "", "--raw", "lrange", "list", "0", "-1"}));
  add(C("delimiter_nested", {"-d", "<>", "xrange", "stream", "-", "+"}));
  add(C("delimiter_ignored_by_tty", {"-d", "|", "--no-raw", "lrange", "list", "0", "-1"}));
  add(C("delimiter_ignored_by_csv", {"-d", "|", "--csv", "lrange", "list", "0", "-1"}));

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

  // --- --pipe
  add(C("pipe_resp", {"--pipe"})
          .in(resp({"SET", "pk", "v1"}) + resp({"INCR", "pc"}) + resp({"RPUSH", "pl", "a", "b"}))
          .then_read({"mget", "pk", "pc"})
          .then_read({"lrange", "pl", "0", "-1"}));
  add(C("pipe_errors", {"--pipe"})
          .in(resp({"FOO"}) + resp({"INCR", "str"}) + resp({"PING"}) + resp({"GET"})));
  add(C("pipe_empty", {"--pipe"}).in(""));
  add(C("pipe_dev_null", {"--pipe"}).null_stdin());
  add(C("pipe_inline", {"--pipe"})
          .in("PING\r\nSET inl 1\r\nINCR inl\r\n")
          .then_read({"get", "inl"}));
  add(C("pipe_garbage", {"--pipe"}).in("garbage\r\n" + resp({"PING"})));
  add(C("pipe_unterminated", {"--pipe"}).in(resp({"PING"}) + "*1\r\n$4\r\nPING"));
  add(C("pipe_binary", {"--pipe"}).in(resp({"SET", "pb", "\0\xff\r\n"s})).then_read({"get", "pb"}));
  {
    std::string many;
    for (int i = 0; i < 1000; ++i) many += resp({"SET", "bulk:" + std::to_string(i), "v"});
    add(C("pipe_thousand", {"--pipe"}).in(many).then_read({"dbsize"}));
  }
  add(C("pipe_timeout_flag", {"--pipe-timeout", "5", "--pipe"}).in(resp({"PING"})));
  add(R("pipe_refused", {"-p", "{closed}", "--pipe"}).in(resp({"PING"})));

  // --- --scan
  const char* scan_why = "SCAN returns keys in the server's hash table order";
  add(C("scan_all", {"--scan"}).sorted(scan_why));
  add(C("scan_pattern", {"--scan", "--pattern", "l*"}).sorted(scan_why));
  add(C("scan_tty", {"--no-raw", "--scan"}).sorted(scan_why));
  add(C("scan_binary_keys_raw", {"--scan", "--pattern", "k*"}).sorted(scan_why));
  add(C("scan_quoted_pattern", {"--no-raw", "--scan", "--quoted-pattern", "\"k\\x00*\""}));
  add(C("scan_no_match", {"--scan", "--pattern", "nomatch*"}));
  add(C("scan_db", {"-n", "2", "--scan"}));
  add(C("scan_csv", {"--csv", "--scan", "--pattern", "list*"}).sorted(scan_why));
  add(R("scan_refused", {"-p", "{closed}", "--scan"}));

  // --- --latency (figures vary: shape only)
  const char* latency_why = "latency figures and sample counts vary from run to run";
  add(C("latency_raw", {"--latency", "-i", "0.2"})
          .shape(R"([0-9]+ [0-9]+ [0-9]+\.[0-9]{2} [0-9]+\n)", "", latency_why));
  add(C("latency_csv", {"--csv", "--latency", "-i", "0.2"})
          .shape(R"([0-9]+,[0-9]+,[0-9]+\.[0-9]{2},[0-9]+\n)", "", latency_why));
  add(C("latency_json", {"--json", "--latency", "-i", "0.2"})
          .shape(R"(\{"min": [0-9]+, "max": [0-9]+, "avg": [0-9]+\.[0-9]{2}, "count": [0-9]+\}\n)",
                 "", latency_why));
  add(C("latency_quoted_json_prints_nothing", {"--quoted-json", "--latency", "-i", "0.2"}));
  add(R("latency_refused", {"-p", "{closed}", "--latency"}));

  // --- pub/sub and MONITOR: steps, then SIGINT, compare everything printed
  for (const auto& [mode, flags, confirm, message] :
       std::vector<std::tuple<std::string, std::vector<std::string>, std::string, std::string>>{
           {"raw", {}, "subscribe\nch\n1\n", "hello\n"},
           {"tty", {"--no-raw"}, "(integer) 1\n", "\"hello\"\n"},
           {"csv", {"--csv"}, "\"ch\",1\n", "\"hello\"\n"},
           {"json", {"--json"}, "\"ch\",1]\n", "\"hello\"]\n"},
           {"resp3_tty", {"-3", "--no-raw"}, "(integer) 1\n", "\"hello\"\n"},
       }) {
    add(C("subscribe_" + mode, flags + std::vector<std::string>{"subscribe", "ch"})
            .step_wait(confirm, {"publish", "ch", "hello"})
            .step_wait(message)
            .then_signal(SIGINT));
  }
  add(C("psubscribe_tty", {"--no-raw", "psubscribe", "c*"})
          .step_wait("(integer) 1\n", {"publish", "chan", "hi"})
          .step_wait("\"hi\"\n")
          .then_signal(SIGINT));
  add(C("subscribe_two_channels", {"subscribe", "c1", "c2"})
          .step_wait("c2\n2\n", {"publish", "c2", "second"})
          .step_wait("second\n")
          .then_signal(SIGINT));
  add(C("monitor", {"monitor"})
          .step_wait("OK\n", {"set", "monkey", "banana"})
          .step_wait("\"banana\"\n")
          .then_signal(SIGINT)
          .normalized(R"([0-9]+\.[0-9]+ \[0 127\.0\.0\.1:[0-9]+\])", "T [0 ADDR]",
                      "MONITOR lines start with a timestamp and the client's port"));
  add(C("blpop_interrupted", {"blpop", "nolist", "0"}).step_pause(300ms).then_signal(SIGINT));

  // --- hostile servers (tests/fake_server.hpp) where redis-cli behaves sanely
  add(C("fake_protocol_error", {"get", "x"})
          .fake("?garbage\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Protocol error, got "\?" as reply type byte\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_ok_then_garbage", {"get", "x"}).fake("+OK\r\n?garbage\r\n"));
  add(C("fake_closed_no_reply", {"get", "x"}).fake(""));
  add(C("fake_closed_mid_bulk", {"get", "x"}).fake("$5\r\nab"));
  add(C("fake_closed_mid_array", {"--no-raw", "lrange", "x", "0", "-1"}).fake("*3\r\n:1\r\n"));
  add(C("fake_closed_mid_status", {"ping"}).fake("+OK"));
  add(C("fake_reset_mid_bulk", {"get", "x"}).fake("$5\r\nab", fake_end::reset));
  add(C("fake_absurd_length_then_close", {"get", "x"})
          .fake("$999999999999\r\n")
          .deliberately(
              "", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
              R"(Error: Server closed the connection\n)",
              "the parser refuses a bulk longer than 512 MiB at once, before the server closes"));
  add(C("fake_length_overflow", {"get", "x"})
          .fake("$99999999999999999999999\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bad bulk string length\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_negative_bulk_length", {"get", "x"})
          .fake("$-5\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bulk string length out of range\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_negative_array_length", {"get", "x"})
          .fake("*-5\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Multi-bulk length out of range\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_bad_integer", {"incr", "x"})
          .fake(":abc\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bad integer value\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_integer_overflow", {"incr", "x"})
          .fake(":99999999999999999999\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bad integer value\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_bad_double", {"get", "x"})
          .fake(",abc\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bad double value\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_bad_boolean", {"get", "x"})
          .fake("#x\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Bad bool value\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_bad_verbatim", {"get", "x"})
          .fake("=3\r\nabc\r\n")
          .deliberately("", R"(Error: Protocol error: [^\n]+\n)", "exit 1",
                        R"(Error: Verbatim string [^\n]*\n)",
                        "the error names what the parser rejected, in respool's words"));
  add(C("fake_bignum", {"get", "x"}).fake("(123\r\n"));
  add(C("fake_blob_error", {"get", "x"})
          .fake("!5\r\nhello\r\n")
          .deliberately("hello\n\n", "", "exit 0",
                        R"(Error: Protocol error, got "!" as reply type byte\n)",
                        "a RESP3 bulk error is an error reply to respool-cli, printed as one"));
  add(C("fake_extra_reply_ignored", {"--no-raw", "get", "x"}).fake("+OK\r\n+EXTRA\r\n"));
  add(C("fake_push_before_reply", {"--no-raw", "get", "x"}).fake(">2\r\n+a\r\n+b\r\n+OK\r\n"));
  add(C("fake_deep_nesting", {"--no-raw", "get", "x"})
          .fake("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"));
  add(C("fake_stdin_reconnects", {"--no-raw"})
          .fake("$5\r\nab", fake_end::reconnect)
          .in("get x\nping\n"));
  return v;
}

// Names are test names: letters, digits and '_', unique.
std::vector<cli_case> checked_cases() {
  auto cases = all_cases();
  std::set<std::string> seen;
  for (const auto& c : cases) {
    const bool ok = !c.name.empty() && std::all_of(c.name.begin(), c.name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_';
    });
    if (!ok || !seen.insert(c.name).second) {
      throw std::logic_error("bad or duplicate case name: " + c.name);
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// The data every case starts from

std::vector<command> load_data() {
  std::vector<command> d = {
      {"FLUSHALL"},
      {"SET", "str", "hello world"},
      {"SET", "empty", ""},
      {"SET", "num", "42"},
      {"SET", "bin",
       "a\0b\xff"
       "c\n\"q'\t\r\\"s},
      {"SET", "utf8", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93"},
      {"SET", "ctrl", "\x01\x07\x08\x0b\x0c\x1b\x7f end"},
      {"SET", "key with spaces", "v s"},
      {"SET", "k\0ey\xff\n"s, "binary key"},
      {"RPUSH", "list", "a", "b", "c"},
      {"RPUSH", "binlist", "x\0y"s, "\xff", "", "quote\"d", "new\nline", "tab\t"},
      {"HSET", "hash", "f1", "v1", "f2", "v2"},
      {"HSET", "numkey", "1", "One"},
      {"HSET", "binhash", "k\0ey"s,
       "v\xff"
       "al",
       "\xc3\xa9", "\x7f"},
      {"SADD", "set", "m1", "m2", "m3"},
      {"SADD", "intset", "3", "1", "2"},
      {"ZADD", "zset", "1", "a", "2.5", "b", "inf", "c"},
      {"XADD", "stream", "1-1", "f1", "v1", "f2", "v2"},
      {"XADD", "stream", "2-1", "f3", "v3"},
      {"SET", "dbkey", "in db 2"},
      {"MOVE", "dbkey", "2"},
  };
  command list12 = {"RPUSH", "list12"};
  for (int i = 1; i <= 12; ++i) list12.push_back(fmt::format("e{}", i));
  d.push_back(list12);
  command list105 = {"RPUSH", "list105"};
  for (int i = 1; i <= 105; ++i) list105.push_back(fmt::format("i{}", i));
  d.push_back(list105);
  return d;
}

// ---------------------------------------------------------------------------------------------
// Servers, shared by all cases (started by the first case that needs them, on the main thread)

bool server_required() {
  const char* v = std::getenv("RESPOOL_REQUIRE_SERVER");
  return v != nullptr && std::string(v) == "1";
}

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);  // bound but never listening: connections are refused
  return port;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

struct placeholders {
  std::map<std::string, std::string> values;
  std::string apply(std::string s) const {
    for (const auto& [k, v] : values) replace_all(s, "{" + k + "}", v);
    return s;
  }
};

// What one program did for one case.
struct outcome {
  run_result result;
  std::vector<std::string> after;  // raw RESP replies of the "after" commands
  std::string step_failure;        // a step whose text never came
};

class cli_diff : public ::testing::TestWithParam<cli_case> {
 public:
  static void TearDownTestSuite() {
    plain_.reset();
    password_.reset();
    home_.reset();
  }

 protected:
  // Null with `why` when the server cannot be started.
  static server_process* server(target t, std::string& why) {
    auto& slot = t == target::password ? password_ : plain_;
    if (!slot) {
      server_options o;
      if (t == target::password) {
        o.password = the_password;
      } else {
        o.unix_socket = true;
      }
      slot = server_process::start(o, why);
    }
    return slot.get();
  }

  static temp_dir& home() {
    if (!home_) {
      home_ = std::make_unique<temp_dir>("respool-cli-diff");
      std::ofstream(home_->path() + "/script.lua")
          << "return {KEYS[1], KEYS[2] or 'none', ARGV[1] or 'none', #KEYS, #ARGV}\n";
    }
    return *home_;
  }

  static std::unique_ptr<server_process> plain_;
  static std::unique_ptr<server_process> password_;
  static std::unique_ptr<temp_dir> home_;
};

std::unique_ptr<server_process> cli_diff::plain_;
std::unique_ptr<server_process> cli_diff::password_;
std::unique_ptr<temp_dir> cli_diff::home_;

// FLUSHALL and the data set (and the ACL user on the password server).
bool load(const server_process& s, std::string& why) {
  auto commands = load_data();
  if (!s.options().password.empty()) {
    commands.push_back({"ACL", "SETUSER", "alice", "reset", "on", ">wonder", "~*", "&*", "+@all"});
  }
  for (const auto& c : commands) {
    const std::string reply = s.command(c, why);
    if (reply.empty() || reply[0] == '-') {
      why = "loading " + c[0] + ": " + (reply.empty() ? why : reply);
      return false;
    }
  }
  return true;
}

bool is_command_command(const std::vector<std::string>& cmd) {
  if (cmd.empty() || cmd[0].size() != 7) return false;
  std::string name = cmd[0];
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name == "COMMAND";
}

// Answers COMMAND (and COMMAND DOCS, which redis-cli's REPL sends first) with an empty array,
// then the first other command with the case's reply and the end it asks for. With
// fake_end::reconnect, every later command (on any connection) gets +PONG.
std::unique_ptr<fake_server> start_fake(const cli_case& c) {
  const std::string reply = c.fake_reply;
  const fake_end how = c.fake_how;
  auto replied = std::make_shared<std::atomic<bool>>(false);
  return std::make_unique<fake_server>([reply, how, replied](fake_server::peer& p) {
    for (;;) {
      const auto cmd = p.read_command(std::chrono::seconds(10));
      if (!cmd) return;
      if (is_command_command(*cmd)) {
        if (!p.write("*0\r\n")) return;
        continue;
      }
      if (how == fake_end::reconnect && replied->exchange(true)) {
        if (!p.write("+PONG\r\n")) return;
        continue;
      }
      p.write(reply);
      if (how == fake_end::reset) {
        p.reset();
      } else {
        p.close();
      }
      return;
    }
  });
}

std::string apply_normalization(const cli_case& c, std::string s) {
  for (const auto& [re, rep] : c.normalize) s = std::regex_replace(s, std::regex(re), rep);
  return s;
}

std::string sort_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto nl = s.find('\n', pos);
    const auto end = nl == std::string::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

TEST_P(cli_diff, same_as_redis_cli) {
  const cli_case& c = GetParam();
  const std::string reference = find_program("redis-cli");
  if (reference.empty()) {
    if (server_required()) FAIL() << "redis-cli not found in PATH";
    GTEST_SKIP() << "redis-cli not found in PATH";
  }
  const std::string ours = find_program(RESPOOL_CLI_PATH);
  ASSERT_FALSE(ours.empty()) << "respool-cli not found at " << RESPOOL_CLI_PATH;

  placeholders ph;
  const std::uint16_t closed = closed_port();
  ph.values["closed"] = std::to_string(closed);
  ph.values["closed_wrapped"] = std::to_string(closed + 65536);
  ph.values["tmp"] = home().path();
  // The plain server runs for every case: some mention its socket without connecting.
  std::string why;
  server_process* plain = server(target::plain, why);
  if (plain == nullptr) {
    if (server_required()) FAIL() << "redis-server required: " << why;
    GTEST_SKIP() << "cannot start redis-server: " << why;
  }
  ph.values["sock"] = plain->unix_path();
  server_process* srv = nullptr;
  if (c.server == target::plain) srv = plain;
  if (c.server == target::password) {
    srv = server(target::password, why);
    if (srv == nullptr) {
      if (server_required()) FAIL() << "redis-server required: " << why;
      GTEST_SKIP() << "cannot start redis-server: " << why;
    }
  }

  auto run_with = [&](const std::string& program) {
    outcome o;
    std::unique_ptr<fake_server> fake;
    if (c.server == target::fake) {
      fake = start_fake(c);
      ph.values["port"] = std::to_string(fake->port());
    } else if (srv != nullptr) {
      ph.values["port"] = std::to_string(srv->port());
      std::string load_why;
      if (!load(*srv, load_why)) {
        ADD_FAILURE() << "cannot load the data: " << load_why;
        return o;
      }
    }
    run_options opt;
    opt.program = program;
    opt.argv0 = "redis-cli";  // both programs may print their argv[0]
    if (c.prefix_port && (srv != nullptr || fake)) opt.args = {"-p", ph.apply("{port}")};
    for (const auto& a : c.args) opt.args.push_back(ph.apply(a));
    opt.stdin_kind = c.stdin_kind;
    opt.stdin_data = ph.apply(c.stdin_data);
    opt.env.unset = {"REDISCLI_AUTH", "REDISCLI_HISTFILE", "REDISCLI_RCFILE", "FAKETTY",
                     "REDISCLI_CLUSTER_YES"};
    opt.env.set = {{"HOME", home().path()}, {"TERM", "dumb"}};
    for (const auto& [k, v] : c.env) opt.env.set.emplace_back(k, ph.apply(v));
    opt.cwd = home().path();
    opt.timeout = c.timeout;

    std::string start_why;
    auto child = child_process::start(opt, start_why);
    if (!child) {
      o.result.error = start_why;
      return o;
    }
    std::size_t from = 0;
    for (std::size_t i = 0; i < c.steps.size() && o.step_failure.empty(); ++i) {
      const step& s = c.steps[i];
      if (!s.wait_for.empty()) {
        if (!child->wait_for_output(s.wait_for, 10s, false, from)) {
          o.step_failure = "step " + std::to_string(i) + ": \"" + escape_bytes(s.wait_for) +
                           "\" did not appear on stdout";
          break;
        }
        from = child->out().find(s.wait_for, from) + s.wait_for.size();
      }
      if (!s.run.empty() && srv != nullptr) {
        std::string cwhy;
        if (srv->command(s.run, cwhy).empty()) o.step_failure = "step command failed: " + cwhy;
      }
      if (s.pause.count() > 0) child->pump_for(s.pause);
    }
    if (c.final_signal != 0) child->send_signal(c.final_signal);
    o.result = child->finish(c.final_signal != 0 ? 10s : c.timeout);
    if (c.server == target::fake) {
      replace_all(o.result.out, ph.values["port"], "<port>");
      replace_all(o.result.err, ph.values["port"], "<port>");
    }
    for (const auto& cmd : c.after) {
      std::string cwhy;
      std::string reply = srv != nullptr ? srv->command(cmd, cwhy) : std::string();
      o.after.push_back(reply.empty() ? "(failed: " + cwhy + ")" : reply);
    }
    return o;
  };

  const outcome ref = run_with(reference);
  const outcome got = run_with(ours);
  ASSERT_TRUE(ref.result.started) << "redis-cli: " << ref.result.error;
  ASSERT_TRUE(got.result.started) << "respool-cli: " << got.result.error;
  // The reference itself must behave as the case expects, or the case is wrong.
  ASSERT_FALSE(ref.result.timed_out) << "redis-cli timed out; stdout:\n"
                                     << escape_bytes(ref.result.out) << "\nstderr:\n"
                                     << escape_bytes(ref.result.err);
  ASSERT_TRUE(ref.step_failure.empty()) << "redis-cli: " << ref.step_failure << "\nstdout:\n"
                                        << escape_bytes(ref.result.out);
  EXPECT_TRUE(got.step_failure.empty()) << "respool-cli: " << got.step_failure;

  if (const char* show = std::getenv("RESPOOL_CLI_DIFF_SHOW"); show != nullptr && *show == '1') {
    std::printf("---- %s\n[stdout]\n%s\n[stderr]\n%s\n[%s]\n", c.name.c_str(),
                escape_bytes(ref.result.out).c_str(), escape_bytes(ref.result.err).c_str(),
                ref.result.status().c_str());
    for (const auto& a : ref.after) std::printf("[after] %s\n", escape_bytes(a).c_str());
  }
  const std::string args_text = [&] {
    std::string s;
    for (const auto& a : c.args) s += " '" + inline_escape(ph.apply(a)) + "'";
    return s;
  }();
  const std::string context = "case " + c.name + ":" + args_text +
                              (c.why.empty() ? "" : "\n(compared loosely: " + c.why + ")");

  if (c.differs) {
    EXPECT_TRUE(std::regex_match(ref.result.err, std::regex(c.their_err_shape)))
        << context << "\nredis-cli no longer does what the case says: stderr\n"
        << escape_bytes(ref.result.err);
    EXPECT_TRUE(std::regex_match(got.result.out, std::regex(c.own_out)))
        << context << "\nrespool-cli's stdout /" << c.own_out << "/:\n"
        << escape_bytes(got.result.out);
    EXPECT_TRUE(std::regex_match(got.result.err, std::regex(c.own_err)))
        << context << "\nrespool-cli's stderr /" << c.own_err << "/:\n"
        << escape_bytes(got.result.err);
    EXPECT_EQ(got.result.status(), c.own_status) << context;
    return;
  }
  auto compare = [&](const char* stream, const std::string& a, const std::string& b,
                     const std::string& shape) {
    if (!shape.empty()) {
      const std::regex re(shape);
      EXPECT_TRUE(std::regex_match(a, re))
          << context << "\nredis-cli's " << stream << " does not have the expected shape /" << shape
          << "/:\n"
          << escape_bytes(a);
      EXPECT_TRUE(std::regex_match(b, re))
          << context << "\nrespool-cli's " << stream << " does not have the expected shape /"
          << shape << "/:\n"
          << escape_bytes(b);
      return;
    }
    std::string na = apply_normalization(c, a);
    std::string nb = apply_normalization(c, b);
    if (c.sort && std::string_view(stream) == "stdout") {
      na = sort_lines(na);
      nb = sort_lines(nb);
    }
    EXPECT_TRUE(na == nb) << context << "\n"
                          << stream << " differs (- redis-cli, + respool-cli):\n"
                          << diff_text(na, nb);
  };
  compare("stdout", ref.result.out, got.result.out, c.out_shape);
  compare("stderr", ref.result.err, got.result.err, c.err_shape);
  EXPECT_EQ(ref.result.status(), got.result.status())
      << context << "\nexit status differs (redis-cli, respool-cli)";
  EXPECT_EQ(ref.after.size(), got.after.size());
  for (std::size_t i = 0; i < ref.after.size() && i < got.after.size(); ++i) {
    EXPECT_TRUE(ref.after[i] == got.after[i])
        << context << "\nthe data differs afterwards: " << c.after[i][0] << " gives\n"
        << diff_text(ref.after[i], got.after[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(cases, cli_diff, ::testing::ValuesIn(checked_cases()),
                         [](const ::testing::TestParamInfo<cli_case>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace respool::test::cli
