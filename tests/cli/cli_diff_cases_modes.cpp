// cli_diff_test cases: the special modes, pub/sub and MONITOR, and hostile servers.
#include "cli_diff_case.hpp"

#include <string>
#include <vector>

#include <signal.h>

namespace respool::test::cli {

using namespace std::chrono_literals;
using namespace std::string_literals;

// --pipe, --scan and --latency.
void add_mode_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

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

  // --- --rdb, --functions-rdb, --replica (the transfers themselves: cli_replication_test)
  add(R("replica_refused", {"-p", "{closed}", "--replica"}));
  add(R("rdb_refused", {"-p", "{closed}", "--rdb", "{tmp}/x.rdb"}));
  add(R("rdb_and_functions_rdb_exclusive",
        {"-p", "{closed}", "--rdb", "a", "--functions-rdb", "b"}));

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
}

// Pub/sub and MONITOR.
void add_blocking_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

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
}

// Hostile servers (tests/fake_server.hpp) where redis-cli behaves sanely.
void add_hostile_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

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
}

}  // namespace respool::test::cli
