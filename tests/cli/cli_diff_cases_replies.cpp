// cli_diff_test cases: how replies are printed (every type in every output mode, the
// commands printed raw, errors, binary data).
#include "cli_diff_case.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace respool::test::cli {

using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

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

}  // namespace

// Every reply type in every output mode, RESP2 and RESP3.
void add_reply_type_cases(std::vector<cli_case>& v) {
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
}

// Commands whose replies are always raw; error replies and -e.
void add_forced_raw_and_error_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

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
}

// Binary data and argument quoting.
void add_binary_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

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
}

// The keys the cases read: every type, binary and UTF-8 values, a key in database 2.
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

}  // namespace respool::test::cli
