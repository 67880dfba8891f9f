// The connection's decisions without sockets: the setup it sends and how it reads the
// replies, the backoff, the health check, the subscriptions it restores, the push queue.
#include "alloc_counter.hpp"
#include <respool/io/detail/connection_logic.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::config;
using respool::generic_reply;
using respool::request;
using respool::detail::backoff;
using respool::detail::clock;
using respool::detail::health_check;
using respool::detail::push_queue;
using respool::detail::setup_outcome;
using respool::detail::subscriptions;

std::string flat(const request& req) {
  std::string s;
  req.flatten_into(s);
  return s;
}

// The replies in `bytes`, each an owning generic_reply.
std::vector<generic_reply> replies(std::string_view bytes) {
  respool::resp3::parser p;
  std::vector<generic_reply> out;
  std::error_code ec;
  while (!bytes.empty() && p.parse(bytes, ec)) {
    out.emplace_back(generic_reply::owning).assign(p.reply());
    bytes.remove_prefix(p.consumed());
  }
  EXPECT_FALSE(ec);
  return out;
}

void observe(subscriptions& subs, std::string_view bytes) {
  for (const auto& r : replies(bytes)) subs.observe(r.nodes());
}

TEST(connection_logic_test, setup_for_resp3_is_one_hello_then_select) {
  config cfg;
  cfg.username = "app";
  cfg.password = "p@ss";
  cfg.client_name = "svc";
  cfg.database = 4;
  request req;
  respool::detail::build_setup(cfg, 3, subscriptions{}, req);
  EXPECT_EQ(flat(req),
            "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$4\r\np@ss\r\n"
            "$7\r\nSETNAME\r\n$3\r\nsvc\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n"
            "*1\r\n$4\r\nPING\r\n");
  // A password alone authenticates as "default".
  cfg.username.clear();
  cfg.client_name.clear();
  cfg.database = 0;
  respool::detail::build_setup(cfg, 3, subscriptions{}, req);
  EXPECT_EQ(flat(req),
            "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$4\r\np@ss\r\n"
            "*1\r\n$4\r\nPING\r\n");
}

TEST(connection_logic_test, setup_for_resp2_uses_auth_and_client_setname) {
  config cfg;
  cfg.password = "pw";
  cfg.client_name = "svc";
  cfg.database = 2;
  request req;
  respool::detail::build_setup(cfg, 2, subscriptions{}, req);
  EXPECT_EQ(flat(req),
            "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\nsvc\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$4\r\nPING\r\n");
  cfg = config{};
  respool::detail::build_setup(cfg, 2, subscriptions{}, req);
  EXPECT_EQ(flat(req), "*1\r\n$4\r\nPING\r\n");  // only the readiness check
}

TEST(connection_logic_test, a_readonly_connection_sends_readonly_with_its_setup) {
  config cfg;
  cfg.readonly = true;
  request req;
  respool::detail::build_setup(cfg, 3, subscriptions{}, req);
  EXPECT_EQ(flat(req),
            "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$8\r\nREADONLY\r\n*1\r\n$4\r\nPING\r\n");
  respool::detail::build_setup(cfg, 2, subscriptions{}, req);
  EXPECT_EQ(flat(req), "*1\r\n$8\r\nREADONLY\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(connection_logic_test, a_custom_setup_replaces_the_handshake_but_subscriptions_follow) {
  config cfg;
  cfg.password = "ignored";
  cfg.setup.emplace();
  cfg.setup->push("CLIENT", "NO-EVICT", "on");
  subscriptions subs;
  observe(subs, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  request req;
  respool::detail::build_setup(cfg, 3, subs, req);
  EXPECT_EQ(flat(req),
            "*3\r\n$6\r\nCLIENT\r\n$8\r\nNO-EVICT\r\n$2\r\non\r\n*1\r\n$4\r\nPING\r\n"
            "*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n");
  EXPECT_EQ(req.expected_replies(), 2u);
}

TEST(connection_logic_test, setup_replies_establish_fall_back_or_refuse) {
  using respool::detail::evaluate_setup;
  auto ok = replies("%1\r\n$5\r\nproto\r\n:3\r\n+OK\r\n");
  EXPECT_EQ(evaluate_setup(ok, false, 3).verdict, setup_outcome::established);
  EXPECT_EQ(evaluate_setup(ok, false, 3).protocol, 3);

  // Redis 5 with a password: HELLO unknown, and the SELECT with it refused for want of AUTH.
  auto old = replies("-ERR unknown command 'HELLO'\r\n-NOAUTH Authentication required.\r\n");
  const auto fb = evaluate_setup(old, false, 3);
  EXPECT_EQ(fb.verdict, setup_outcome::fall_back_to_resp2);
  EXPECT_EQ(fb.protocol, 2);
  auto noproto = replies("-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(evaluate_setup(noproto, false, 3).verdict, setup_outcome::fall_back_to_resp2);

  auto wrongpass = replies("-WRONGPASS invalid username-password pair\r\n+OK\r\n");
  const auto refused = evaluate_setup(wrongpass, false, 3);
  EXPECT_EQ(refused.verdict, setup_outcome::refused);
  EXPECT_EQ(refused.message, "WRONGPASS invalid username-password pair");
  // In RESP2, or in a custom setup, an unknown command is a refusal like any other.
  EXPECT_EQ(evaluate_setup(old, false, 2).verdict, setup_outcome::refused);
  EXPECT_EQ(evaluate_setup(old, true, 3).verdict, setup_outcome::refused);
  auto select_refused = replies("+OK\r\n-ERR DB index is out of range\r\n");
  EXPECT_EQ(evaluate_setup(select_refused, false, 2).message, "ERR DB index is out of range");

  // A custom setup speaks RESP3 when a reply is HELLO 3's map.
  EXPECT_EQ(evaluate_setup(replies("+OK\r\n"), true, 3).protocol, 2);
  EXPECT_EQ(evaluate_setup(ok, true, 2).protocol, 3);
}

// A restarted server accepts HELLO, AUTH and SELECT while it loads its dataset, and answers
// the readiness PING with LOADING: not a refusal, the setup is tried again later.
TEST(connection_logic_test, setup_answered_with_loading_waits_for_the_server) {
  using respool::detail::evaluate_setup;
  constexpr std::string_view loading = "-LOADING Redis is loading the dataset in memory\r\n";
  auto redis7 = replies("%1\r\n$5\r\nproto\r\n:3\r\n+OK\r\n" + std::string(loading));
  const auto out = evaluate_setup(redis7, false, 3);
  EXPECT_EQ(out.verdict, setup_outcome::loading);
  EXPECT_EQ(out.message, "LOADING Redis is loading the dataset in memory");
  EXPECT_EQ(out.protocol, 3);

  // A server that refuses HELLO itself while loading: what fails for want of its AUTH is no
  // refusal either.
  auto all_refused =
      replies(std::string(loading) + "-NOAUTH Authentication required.\r\n" + std::string(loading));
  EXPECT_EQ(evaluate_setup(all_refused, false, 3).verdict, setup_outcome::loading);
  // RESP2 and custom setups alike.
  auto resp2 = replies("+OK\r\n" + std::string(loading));
  EXPECT_EQ(evaluate_setup(resp2, false, 2).verdict, setup_outcome::loading);
  EXPECT_EQ(evaluate_setup(resp2, true, 3).verdict, setup_outcome::loading);
  // Once loaded, the same setup is established.
  auto ready = replies("%1\r\n$5\r\nproto\r\n:3\r\n+OK\r\n+PONG\r\n");
  EXPECT_EQ(evaluate_setup(ready, false, 3).verdict, setup_outcome::established);
}

TEST(connection_logic_test, requests_wait_for_a_connection_as_long_as_a_connect_by_default) {
  config cfg;
  EXPECT_EQ(respool::detail::connection_wait(cfg), cfg.connect_timeout);
  cfg.connect_timeout = 1500ms;
  EXPECT_EQ(respool::detail::connection_wait(cfg), 1500ms);
  cfg.wait_for_connection = 250ms;
  EXPECT_EQ(respool::detail::connection_wait(cfg), 250ms);
  cfg.wait_for_connection = 0ms;  // no bound
  EXPECT_EQ(respool::detail::connection_wait(cfg), 0ms);
}

TEST(connection_logic_test, not_connected_names_the_server_and_the_last_error) {
  using respool::detail::describe_not_connected;
  config cfg;
  cfg.port = 7000;
  EXPECT_EQ(describe_not_connected(cfg, {}), "no connection to 127.0.0.1:7000 yet");
  const std::error_code refused = std::make_error_code(std::errc::connection_refused);
  EXPECT_EQ(describe_not_connected(cfg, refused),
            "no connection to 127.0.0.1:7000 (last error: " + refused.message() + ")");
  cfg.host = "::1";
  EXPECT_EQ(describe_not_connected(cfg, respool::error::server_loading),
            "no connection to [::1]:7000 (last error: " +
                make_error_code(respool::error::server_loading).message() + ")");
  cfg.unix_socket = "/run/redis.sock";
  EXPECT_EQ(describe_not_connected(cfg, {}), "no connection to /run/redis.sock yet");
}

TEST(connection_logic_test, backoff_grows_to_its_cap_with_jitter_below) {
  respool::reconnect_config cfg;
  cfg.initial_delay = 100ms;
  cfg.max_delay = 1000ms;
  cfg.multiplier = 2.0;
  cfg.jitter = 0.5;
  backoff b(cfg);
  // unit 0: the full delay; unit close to 1: half of it.
  EXPECT_EQ(b.next(0.0), 100ms);
  EXPECT_EQ(b.next(0.0), 200ms);
  EXPECT_EQ(b.next(0.999), 200ms);  // 400 ms, less 49.95%
  EXPECT_EQ(b.next(0.0), 800ms);
  EXPECT_EQ(b.next(0.0), 1000ms);
  EXPECT_EQ(b.next(0.0), 1000ms);
  b.reset();
  EXPECT_EQ(b.next(0.5), 75ms);
  cfg.jitter = 0.0;
  cfg.multiplier = 0.5;  // never shrinks
  backoff flat_backoff(cfg);
  EXPECT_EQ(flat_backoff.next(0.7), 100ms);
  EXPECT_EQ(flat_backoff.next(0.7), 100ms);
}

TEST(connection_logic_test, jitter_is_uniform_in_the_unit_interval_and_differs_per_thread) {
  std::vector<double> mine;
  for (int i = 0; i < 1000; ++i) mine.push_back(respool::detail::jitter_unit());
  std::vector<double> other;
  std::thread([&] {
    for (int i = 0; i < 1000; ++i) other.push_back(respool::detail::jitter_unit());
  }).join();
  for (const auto& draws : {mine, other}) {
    EXPECT_TRUE(std::all_of(draws.begin(), draws.end(), [](double u) { return u >= 0 && u < 1; }));
    const auto below_half =
        std::count_if(draws.begin(), draws.end(), [](double u) { return u < 0.5; });
    EXPECT_GT(below_half, 400);  // a fair generator is far from these bounds
    EXPECT_LT(below_half, 600);
    EXPECT_EQ(std::set<double>(draws.begin(), draws.end()).size(), draws.size());
  }
  // Threads are seeded apart: their sequences differ from the first draw.
  EXPECT_NE(mine, other);
  EXPECT_NE(mine.front(), other.front());
}

TEST(connection_logic_test, block_timeout_reads_each_blocking_command_s_timeout) {
  using respool::detail::block_timeout;
  using respool::detail::blocks_forever;
  using argv = std::vector<std::string_view>;
  auto t = [](argv a) { return block_timeout(a); };
  EXPECT_EQ(t({"BLPOP", "a", "b", "1.5"}), 1500ms);
  EXPECT_EQ(t({"brpop", "k", "0"}), blocks_forever);
  EXPECT_EQ(t({"BLMOVE", "a", "b", "LEFT", "RIGHT", "2"}), 2000ms);
  EXPECT_EQ(t({"BRPOPLPUSH", "a", "b", "0.001"}), 1ms);
  EXPECT_EQ(t({"BZPOPMIN", "z", "3"}), 3000ms);
  EXPECT_EQ(t({"BLMPOP", "0.1", "2", "a", "b", "LEFT"}), 100ms);
  EXPECT_EQ(t({"BZMPOP", "3", "1", "z", "MIN"}), 3000ms);
  EXPECT_EQ(t({"XREAD", "COUNT", "1", "BLOCK", "250", "STREAMS", "s", "0"}), 250ms);
  EXPECT_EQ(t({"xreadgroup", "GROUP", "g", "c", "block", "0", "STREAMS", "s", ">"}),
            blocks_forever);
  EXPECT_EQ(t({"WAIT", "1", "100"}), 100ms);
  EXPECT_EQ(t({"WAITAOF", "1", "0", "50"}), 50ms);
  // Not blocking, or a timeout the server refuses.
  EXPECT_EQ(t({"XREAD", "STREAMS", "block", "0"}), std::nullopt);  // a stream named "block"
  EXPECT_EQ(t({"XREAD", "COUNT", "1", "STREAMS", "s", "0"}), std::nullopt);
  EXPECT_EQ(t({"GET", "k"}), std::nullopt);
  EXPECT_EQ(t({"BLPOP", "k", "soon"}), std::nullopt);
  EXPECT_EQ(t({"BLPOP", "k", "-1"}), std::nullopt);
  EXPECT_EQ(t({"BLPOP"}), std::nullopt);
  EXPECT_EQ(t({"WAIT", "1"}), std::nullopt);

  respool::request req;
  std::vector<std::string_view> scratch;
  req.push("GET", "k");
  EXPECT_EQ(respool::detail::longest_block(req, scratch), std::nullopt);
  req.push("BLPOP", "k", 1);
  req.push("XREAD", "BLOCK", 2000, "STREAMS", "s", "$");
  EXPECT_EQ(respool::detail::longest_block(req, scratch), 2000ms);
}

TEST(connection_logic_test, health_check_counts_silence_from_the_end_of_a_block) {
  health_check h(1000ms, 500ms);
  const auto t0 = respool::detail::clock::now();
  // Nothing read for 2 s, but a command may block until t0 + 3 s.
  EXPECT_EQ(h.tick(t0 + 2000ms, t0, false, t0 + 3000ms), health_check::action::none);
  EXPECT_EQ(h.tick(t0 + 3900ms, t0, false, t0 + 3000ms), health_check::action::none);
  EXPECT_EQ(h.tick(t0 + 4000ms, t0, false, t0 + 3000ms), health_check::action::send_ping);
  EXPECT_EQ(h.tick(t0 + 4400ms, t0, false, t0 + 3000ms), health_check::action::none);
  EXPECT_EQ(h.tick(t0 + 4500ms, t0, false, t0 + 3000ms), health_check::action::dead);
  // Forever: neither a PING nor death, however long.
  health_check forever(1000ms, 500ms);
  const auto never = respool::detail::clock::time_point::max();
  EXPECT_EQ(forever.tick(t0 + 3600s, t0, false, never), health_check::action::none);
  EXPECT_FALSE(forever.ping_out());
}

TEST(connection_logic_test, health_check_pings_only_when_idle_and_gives_up_after_silence) {
  health_check h(1000ms, 500ms);
  EXPECT_EQ(h.tick_period(), 250ms);
  const auto t0 = clock::now();
  EXPECT_EQ(h.tick(t0 + 900ms, t0, false), health_check::action::none);
  EXPECT_EQ(h.tick(t0 + 1000ms, t0, false), health_check::action::send_ping);
  EXPECT_TRUE(h.ping_out());
  EXPECT_EQ(h.tick(t0 + 1250ms, t0, false), health_check::action::none);  // waiting
  // Bytes came meanwhile (a long reply): not dead, even past the timeout.
  EXPECT_EQ(h.tick(t0 + 1600ms, t0 + 1400ms, false), health_check::action::none);
  EXPECT_EQ(h.tick(t0 + 1900ms, t0 + 1400ms, false), health_check::action::dead);
  h.answered();
  EXPECT_EQ(h.tick(t0 + 2000ms, t0 + 1950ms, false), health_check::action::none);
  // Paused reading (full push queue) proves nothing.
  EXPECT_EQ(h.tick(t0 + 9000ms, t0, true), health_check::action::none);
  // Interval zero: off. A zero timeout means the interval.
  EXPECT_FALSE(health_check(0ms, 100ms).enabled());
  EXPECT_EQ(health_check(400ms, 0ms).tick_period(), 200ms);
}

TEST(connection_logic_test, subscriptions_follow_the_servers_confirmations) {
  subscriptions subs;
  observe(subs,
          ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
          ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
          "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n"  // RESP2 confirmations too
          ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
          ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:3\r\n"
          ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"         // nothing subscribed: ignored
          ">3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nhi\r\n"  // a message: ignored
          ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$2\r\nnx\r\n$1\r\nm\r\n");
  EXPECT_EQ(subs.channels(), (std::set<std::string, std::less<>>{"b"}));
  EXPECT_EQ(subs.patterns(), (std::set<std::string, std::less<>>{"n*"}));
  EXPECT_EQ(subs.shard_channels(), (std::set<std::string, std::less<>>{"s"}));
  request req;
  subs.append_restore(req);
  EXPECT_EQ(flat(req),
            "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nb\r\n*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nn*\r\n"
            "*2\r\n$10\r\nSSUBSCRIBE\r\n$1\r\ns\r\n");
  EXPECT_EQ(req.expected_replies(), 0u);
  observe(subs,
          ">3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n"
          ">3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:0\r\n"
          ">3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n");
  EXPECT_TRUE(subs.empty());
}

TEST(connection_logic_test, push_queue_is_a_bounded_fifo_that_stops_allocating) {
  push_queue q(3);
  const auto msgs = replies(
      ">2\r\n$1\r\na\r\n$1\r\n1\r\n>2\r\n$1\r\nb\r\n$1\r\n2\r\n>2\r\n$1\r\nc\r\n$1\r\n3\r\n"
      ">2\r\n$1\r\nd\r\n$1\r\n4\r\n");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(q.push(msgs[i].nodes()));
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.push(msgs[3].nodes()));
  generic_reply out;  // viewing: pop makes it an owning copy
  q.pop(out);
  EXPECT_TRUE(out.owns_bytes());
  EXPECT_EQ(out.nodes()[1].value, "a");
  EXPECT_TRUE(q.push(msgs[3].nodes()));  // wraps around
  for (const char* want : {"b", "c", "d"}) {
    q.pop(out);
    EXPECT_EQ(out.nodes()[1].value, want);
  }
  EXPECT_EQ(q.size(), 0u);
  // Steady state: pushing and popping reuses the buffers.
  for (int i = 0; i < 10; ++i) {
    q.push(msgs[i % 4].nodes());
    q.pop(out);
  }
  const respool::test::allocation_scope scope;
  for (int i = 0; i < 100; ++i) {
    q.push(msgs[i % 4].nodes());
    q.pop(out);
  }
  EXPECT_EQ(scope.count(), 0u);
}

}  // namespace

namespace {

TEST(connection_logic_test, client_tracking_joins_the_resp3_setup) {
  respool::config cfg;
  cfg.client_tracking = true;
  request req;
  respool::detail::build_setup(cfg, 3, subscriptions{}, req);
  EXPECT_EQ(flat(req),
            "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n"
            "*1\r\n$4\r\nPING\r\n");
  // RESP2 cannot take invalidation pushes on the same connection: no tracking there.
  respool::detail::build_setup(cfg, 2, subscriptions{}, req);
  EXPECT_EQ(flat(req), "*1\r\n$4\r\nPING\r\n");
}

}  // namespace

TEST(connection_logic_test, retry_delays_double_to_their_cap_with_jitter_below) {
  respool::retry_policy p;
  p.initial_delay = 10ms;
  p.max_delay = 50ms;
  p.jitter = 0.5;
  using respool::detail::retry_delay;
  EXPECT_EQ(retry_delay(p, 1, 0.0), 10ms);
  EXPECT_EQ(retry_delay(p, 2, 0.0), 20ms);
  EXPECT_EQ(retry_delay(p, 3, 0.0), 40ms);
  EXPECT_EQ(retry_delay(p, 4, 0.0), 50ms);
  EXPECT_EQ(retry_delay(p, 1000, 0.0), 50ms);  // no overflow, however many
  EXPECT_EQ(retry_delay(p, 3, 0.999), 20ms);   // jitter takes off up to half
}

TEST(connection_logic_test, only_what_did_not_run_or_may_run_twice_is_retried) {
  using respool::detail::may_retry;
  using respool::detail::retry_facts;
  const auto lost = make_error_code(respool::error::connection_lost);
  const auto timeout = make_error_code(respool::error::request_timeout);
  const auto server = make_error_code(respool::error::server_error);
  EXPECT_TRUE(may_retry({server, 2, 2, false}));   // every command refused: none ran
  EXPECT_FALSE(may_retry({server, 2, 1, false}));  // one ran
  EXPECT_TRUE(may_retry({server, 2, 1, true}));    // ... but may run again
  EXPECT_FALSE(may_retry({lost, 1, 0, false}));    // may have run
  EXPECT_TRUE(may_retry({lost, 1, 0, true}));
  EXPECT_FALSE(may_retry({timeout, 1, 0, true}));  // a deadline is the caller's word
  EXPECT_FALSE(may_retry({{}, 1, 0, true}));       // an answer
  EXPECT_FALSE(may_retry({server, 1, 0, true}));   // an ordinary error
}

TEST(connection_logic_test, refusals_that_prove_a_command_did_not_run) {
  for (const char* text : {"-LOADING Redis is loading\r\n", "-MASTERDOWN Link down\r\n",
                           "-READONLY You can't write\r\n", "-TRYAGAIN Multiple keys\r\n",
                           "-CLUSTERDOWN The cluster is down\r\n"}) {
    EXPECT_TRUE(respool::detail::did_not_run(replies(text).front().nodes())) << text;
  }
  for (const char* text : {"-ERR wrong\r\n", "-LOADINGX\r\n", "+LOADING\r\n", ":1\r\n",
                           "-MOVED 1 127.0.0.1:7000\r\n"}) {
    EXPECT_FALSE(respool::detail::did_not_run(replies(text).front().nodes())) << text;
  }
}

TEST(connection_logic_test, read_only_requests_by_the_command_flags) {
  std::vector<std::string_view> argv;
  const auto read_only = [&](auto&&... commands) {
    request req;
    (std::apply([&](auto&&... args) { req.push(args...); }, commands), ...);
    return respool::detail::read_only_request(req, argv);
  };
  using t = std::tuple<const char*, const char*>;
  EXPECT_TRUE(read_only(t{"GET", "k"}, t{"hgetall", "h"}));
  EXPECT_TRUE(read_only(std::tuple{"XREAD", "STREAMS", "s", "0"}));
  EXPECT_FALSE(read_only(t{"GET", "k"}, t{"INCR", "k"}));
  EXPECT_FALSE(read_only(std::tuple{"EVAL", "return 1", "0"}));
  EXPECT_FALSE(read_only(std::tuple{"PING"}));  // not flagged read-only
  EXPECT_FALSE(read_only(std::tuple{"NO.SUCH.COMMAND"}));
  EXPECT_FALSE(read_only());  // nothing to repeat
}
