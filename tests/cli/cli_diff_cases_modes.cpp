// cli_diff_test cases: the special modes, pub/sub and MONITOR, and hostile servers.
#include "cli_diff_case.hpp"

#include <string>
#include <string_view>
#include <utility>
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

namespace {

// The keyspace of the --bigkeys, --memkeys and --hotkeys cases, in database 3: each type
// twice (a small value and a big one, the big list, set and hash in their large encodings),
// a binary key name, and a few reads of str:big and stream:big for --hotkeys. No skiplist:
// its random levels would make MEMORY USAGE vary from run to run.
// Database 4 holds 1000 strings, enough SCAN calls for -i's pause and for the percentages.
// Each database's hash table must have finished growing before SCAN (or SCAN's batches would
// depend on when the server's timer finished it): a lookup moves it a step, hence the reads.
const char* const keyspace_script = R"(
redis.call('SELECT', 3)
redis.call('SET', 'str:small', 'hello')
redis.call('SET', 'str:big', string.rep('x', 300))
redis.call('SET', 'str:bin' .. string.char(0) .. string.char(255), string.rep('y', 20))
local function seq(prefix, n, score)
  local t = {}
  for i = 1, n do
    if score then t[#t + 1] = i end
    t[#t + 1] = prefix .. i
  end
  return t
end
redis.call('RPUSH', 'list:big', unpack(seq('item', 150)))
redis.call('RPUSH', 'list:small', 'a', 'b', 'c')
redis.call('SADD', 'set:big', unpack(seq('member', 70)))
redis.call('SADD', 'set:ints', 1, 2, 3)
redis.call('ZADD', 'zset:big', unpack(seq('z', 100, true)))
redis.call('ZADD', 'zset:small', 1, 'a', 2, 'b')
redis.call('HSET', 'hash:big', unpack(seq('field', 260)))
redis.call('HSET', 'hash:small', 'f', 'v')
for i = 1, 12 do redis.call('XADD', 'stream:big', i .. '-1', 'f', 'v' .. i) end
redis.call('XADD', 'stream:small', '1-1', 'f', 'v')
for i = 1, 3 do redis.call('GET', 'str:big') end
for i = 1, 9 do redis.call('XLEN', 'stream:big') end
redis.call('SELECT', 4)
for i = 1, 1000 do redis.call('SET', 'k:' .. i, string.rep('v', i % 97)) end
for i = 1, 1000 do redis.call('EXISTS', 'k:' .. i) end
return 1
)";

const command seed_keyspace = {"EVAL", keyspace_script, "0"};

}  // namespace

// --bigkeys, --memkeys and --hotkeys: the whole output compares equal, progress lines
// included (the same data on the same server gives the same SCAN order and the same figures).
void add_keyspace_cases(std::vector<cli_case>& v) {
  auto add = [&v](cli_case c) { v.push_back(c.first(seed_keyspace)); };

  add(C("bigkeys", {"-n", "3", "--bigkeys"}));
  add(C("bigkeys_pattern", {"-n", "3", "--bigkeys", "--pattern", "*:big"}));
  add(C("bigkeys_many_keys_interval", {"-n", "4", "-i", "0.01", "--bigkeys"}));
  // redis-cli's summary order of the types depends on how many keys it looked up (none, one,
  // more).
  add(C("bigkeys_empty_database", {"-n", "5", "--bigkeys"}));
  add(C("bigkeys_one_key", {"-n", "3", "--bigkeys", "--pattern", "str:small"}));
  add(C("bigkeys_first_of_modes", {"-n", "3", "--hotkeys", "--memkeys", "--bigkeys"}));
  add(R("bigkeys_refused", {"-p", "{closed}", "--bigkeys"}));
  add(C("memkeys", {"-n", "3", "--memkeys"}));
  add(C("memkeys_samples", {"-n", "3", "--memkeys-samples", "2"}));
  add(C("memkeys_many_keys", {"-n", "4", "--memkeys"}));
  // Without an LFU maxmemory-policy the server refuses OBJECT FREQ: so does --hotkeys.
  add(C("hotkeys_without_lfu", {"-n", "3", "--hotkeys"}));
  // With one, and counters that neither decay nor grow at random (lfu-log-factor 0: each
  // access adds one), the counters are the same on both runs.
  const command lfu = {"CONFIG",         "SET", "maxmemory-policy", "allkeys-lfu",
                       "lfu-log-factor", "0",   "lfu-decay-time",   "0"};
  const command no_lfu = {"CONFIG",         "SET", "maxmemory-policy", "noeviction",
                          "lfu-log-factor", "10",  "lfu-decay-time",   "1"};
  for (const auto& [name, db] : {std::pair{"hotkeys", "3"}, std::pair{"hotkeys_many_keys", "4"}}) {
    cli_case c = C(name, {"-n", db, "--hotkeys"});
    c.before = {lfu, seed_keyspace};
    v.push_back(c.then_read(no_lfu));
  }
  add(R("hotkeys_refused", {"-p", "{closed}", "--hotkeys"}));
}

// --stat, --latency-dist, --lru-test and --intrinsic-latency: their figures vary from run to
// run, so each is compared by its shape, with the fixed text compared byte for byte.
void add_monitoring_cases(std::vector<cli_case>& v) {
  auto add = [&v](const cli_case& c) { v.push_back(c); };

  // --stat runs until interrupted, and redis-cli writes to a pipe in 4 KiB blocks: wait for
  // its first block, interrupt, and compare the lines' shapes (each data line becomes "L",
  // each header "H"; the line the block cut is dropped).
  const std::string stat_header =
      "------- data ------ --------------------- load -------------------- - child -\n"
      "keys       mem      clients blocked requests            connections          \n";
  add(C("stat", {"--stat", "-i", "0.01"})
          .step_wait(stat_header)
          .then_signal(SIGINT)
          .normalized(R"(------- data ------ -+ load -+ - child -\n)", "H1\n", "")
          .normalized(R"(keys +mem +clients blocked requests +connections +\n)", "H2\n", "")
          .normalized(R"([0-9]+ +[0-9.]+[BKMG] +[0-9]+ +[0-9]+ +[0-9]+ \(\+[0-9]+\) +[0-9]+ *)"
                      R"((SAVE|AOF|SAVE\+AOF|LOAD)?\n)",
                      "L\n", "")
          .normalized(R"([^\n]+$)", "", "")
          .shape("H1\nH2\nL\n(L\n|H1\nH2\n)*(H1\n)?", "", "the figures change from line to line"));
  add(R("stat_refused", {"-p", "{closed}", "--stat"}));

  // --latency-dist: the legend byte for byte; each spectrum's signs, not their colours (one
  // line "S" however many spectrums came before the interruption).
  std::string spectrum = R"(\x1b\[38;5;0m)";
  for (const char sign : std::string_view(".-*#123456789ABCDEFGHIJKLMNOPQ?")) {
    spectrum += R"(\x1b\[48;5;[0-9]+m)";
    if (std::string_view(".-*?").find(sign) != std::string_view::npos) spectrum += '\\';
    spectrum += sign;
  }
  spectrum += R"(\x1b\[0m\n)";
  const char* dist_why = "each spectrum's colours follow the measured round trips";
  for (const auto& [name, flag] :
       {std::pair{"latency_dist", ""}, std::pair{"latency_dist_mono", "--mono"}}) {
    std::vector<std::string> args{"--latency-dist", "-i", "0.2"};
    if (*flag != '\0') args.emplace_back(flag);
    add(C(name, args)
            .step_wait("From 0 to 100%: ")
            .step_wait("\x1b[0m\n")
            .step_wait("\x1b[0m\n")
            .then_signal(SIGINT)
            .normalized(spectrum, "S\n", "")
            .normalized("(S\n)+", "S\n", dist_why));
  }
  add(R("latency_dist_refused", {"-p", "{closed}", "--latency-dist"}));

  // --lru-test: redis-cli's lines stay in its buffer (a line a second, 4 KiB blocks) when it
  // is interrupted; respool-cli writes each line as it comes.
  add(C("lru_test", {"--lru-test", "100"})
          .step_pause(1500ms)
          .then_signal(SIGINT)
          .deliberately(
              R"(([0-9]+ Gets/sec \| Hits: [0-9]+ \([0-9.]+%\) \| Misses: [0-9]+ \([0-9.]+%\)\n)+)",
              "", "signal 2", "", "respool-cli writes each line of --stat and --lru-test at once"));
  add(R("lru_test_refused", {"-p", "{closed}", "--lru-test", "100"}));

  // --intrinsic-latency: no server; the figures vary, the text does not.
  add(R("intrinsic_latency", {"--intrinsic-latency", "1"})
          .normalized(R"((Max latency so far: [0-9]+ microseconds\.\n)+)", "MAX\n", "")
          .normalized(R"([0-9]+(\.[0-9]+)?)", "N", "the measured latencies vary"));
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
