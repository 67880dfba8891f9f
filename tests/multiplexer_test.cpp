// The connection's logic without sockets: queueing, batching, reply matching, push routing,
// abandonment, failure and deadlines, scripted with literal RESP bytes.
#include "alloc_counter.hpp"
#include "multiplexer_support.hpp"
#include <respool/io/detail/multiplexer.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using respool::error;
using respool::request;
using respool::detail::clock;
using respool::detail::exec_state;
using respool::detail::multiplexer;
using respool::detail::routed;
using respool::test::concat;
using respool::test::feed;
using respool::test::op;

TEST(multiplexer_test, batches_every_queued_request_in_one_gather_list) {
  multiplexer m(2);  // small on purpose: the segment array must grow
  op a, b, c;
  a.req.push("SET", "a", "1");
  b.req.push("GET", "a");
  b.req.push("GET", "b");
  c.req.push("PING");
  m.enqueue(a.st);
  m.enqueue(b.st);
  EXPECT_EQ(m.queued(), 2u);
  const auto segs = m.prepare_write();
  EXPECT_EQ(concat(segs),
            "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
            "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
  // While a write is in progress, new requests wait for the next batch.
  m.enqueue(c.st);
  EXPECT_TRUE(m.prepare_write().empty());
  m.commit_write();
  EXPECT_EQ(m.awaiting(), 2u);
  EXPECT_EQ(concat(m.prepare_write()), "*1\r\n$4\r\nPING\r\n");
  m.commit_write();

  EXPECT_EQ(feed(m, "+OK\r\n$1\r\n1\r\n"),
            (std::vector<routed>{routed::response, routed::response}));
  EXPECT_EQ(a.completions, 1);
  EXPECT_FALSE(a.ec);
  EXPECT_EQ(a.st.bytes, 5u);
  EXPECT_EQ(b.completions, 0);  // one of its two replies
  feed(m, "_\r\n+PONG\r\n");
  EXPECT_EQ(b.completions, 1);
  ASSERT_EQ(b.resp.size(), 2u);
  EXPECT_EQ(b.resp[0].nodes()[0].value, "1");
  EXPECT_EQ(b.resp[1].nodes()[0].data_type, respool::resp3::type::null);
  EXPECT_EQ(c.completions, 1);
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_test, a_reply_may_come_before_the_write_is_reported_done) {
  multiplexer m;
  op sub, a, b;
  sub.req.push("SUBSCRIBE", "ch");
  a.req.push("SET", "a", "1");
  b.req.push("GET", "a");
  m.enqueue(sub.st);
  m.enqueue(a.st);
  m.enqueue(b.st);
  m.prepare_write();
  EXPECT_FALSE(m.routes_to_push(respool::resp3::reply_view{}));
  // The server answered the first two before commit_write(): they are the batch's.
  EXPECT_EQ(feed(m, ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n+OK\r\n"),
            (std::vector<routed>{routed::push, routed::response}));
  EXPECT_EQ(sub.completions, 1);
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.resp.at(0).nodes()[0].value, "OK");
  EXPECT_EQ(b.completions, 0);
  m.commit_write();
  feed(m, "$1\r\n1\r\n");
  EXPECT_EQ(b.completions, 1);
  EXPECT_EQ(b.resp.at(0).nodes()[0].value, "1");
  EXPECT_TRUE(m.idle());
  // Nothing written or being written: a reply is unsolicited.
  EXPECT_EQ(feed(m, "+OK\r\n"), std::vector<routed>{routed::push});
}

TEST(multiplexer_test, max_requests_limits_a_batch) {
  multiplexer m;
  op a, b;
  a.req.push("HELLO", "3");
  b.req.push("GET", "k");
  m.enqueue(b.st);
  m.enqueue_front(a.st);
  EXPECT_EQ(m.front_queued(), &a.st);
  EXPECT_EQ(concat(m.prepare_write(1)), "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n");
  m.commit_write();
  EXPECT_EQ(m.queued(), 1u);
}

TEST(multiplexer_test, pushes_and_unsolicited_replies_go_to_the_push_receiver) {
  multiplexer m;
  op a;
  a.req.push("GET", "k");
  // No request waits: a reply is unsolicited (a RESP2 pub/sub message).
  EXPECT_EQ(feed(m, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
            std::vector<routed>{routed::push});
  m.enqueue(a.st);
  m.prepare_write();
  m.commit_write();
  // A push before, and in the same read as, the reply.
  EXPECT_EQ(feed(m,
                 ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n$1\r\nv\r\n"
                 ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"),
            (std::vector<routed>{routed::push, routed::response, routed::push}));
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.resp.at(0).nodes()[0].value, "v");
}

TEST(multiplexer_test, subscribe_commands_expect_no_reply) {
  multiplexer m;
  op sub, get;
  sub.req.push("SUBSCRIBE", "a", "b");
  get.req.push("GET", "k");
  m.enqueue(sub.st);
  m.enqueue(get.st);
  m.prepare_write();
  m.commit_write();
  EXPECT_EQ(sub.completions, 1);  // done once written
  EXPECT_EQ(m.awaiting(), 1u);
  EXPECT_EQ(feed(m,
                 ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                 ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n$1\r\nv\r\n"),
            (std::vector<routed>{routed::push, routed::push, routed::response}));
  EXPECT_EQ(get.completions, 1);
}

TEST(multiplexer_test, server_errors_complete_with_the_servers_message) {
  multiplexer m;
  op a;
  a.req.push("INCR", "s");
  m.enqueue(a.st);
  m.prepare_write();
  m.commit_write();
  feed(m, "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(a.completions, 1);
  // generic_response keeps error replies as they came; the code is the adapter's.
  ASSERT_EQ(a.resp.size(), 1u);
  EXPECT_EQ(a.resp[0].nodes()[0].value, "ERR value is not an integer or out of range");
}

TEST(multiplexer_test, abandoning_a_queued_request_removes_it) {
  multiplexer m;
  op a, b;
  a.req.push("GET", "a");
  b.req.push("GET", "b");
  m.enqueue(a.st);
  m.enqueue(b.st);
  EXPECT_TRUE(m.abandon(a.st, error::request_timeout));
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.ec, error::request_timeout);
  EXPECT_FALSE(m.abandon(a.st, error::request_timeout));  // completed already
  EXPECT_EQ(concat(m.prepare_write()), "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
}

TEST(multiplexer_test, an_abandoned_written_request_still_consumes_its_replies) {
  multiplexer m;
  op a, b;
  a.req.push("GET", "a");
  a.req.push("GET", "a2");
  b.req.push("GET", "b");
  m.enqueue(a.st);
  m.enqueue(b.st);
  m.prepare_write();
  m.commit_write();
  EXPECT_TRUE(m.abandon(a.st, error::request_timeout));
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.releases, 0);  // still needed to drop its replies
  feed(m, "$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  EXPECT_EQ(a.releases, 1);
  EXPECT_TRUE(a.resp.empty());  // its response is not touched once it completed
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(b.completions, 1);
  EXPECT_EQ(b.resp.at(0).nodes()[0].value, "3");  // not misaligned
}

TEST(multiplexer_test, abandoning_during_the_write_completes_after_it) {
  multiplexer m;
  op a;
  a.req.push("GET", "a");
  m.enqueue(a.st);
  m.prepare_write();
  EXPECT_TRUE(m.abandon(a.st, error::request_timeout));
  EXPECT_EQ(a.completions, 0);  // the write still reads its bytes
  m.commit_write();
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.ec, error::request_timeout);
  feed(m, "$1\r\n1\r\n");
  EXPECT_EQ(a.releases, 1);
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_test, a_detached_batch_lets_an_abandoned_request_complete_at_once) {
  multiplexer m;
  op a, b;
  a.req.push("GET", "a");
  b.req.push("GET", "b");
  m.enqueue(a.st);
  m.enqueue(b.st);
  m.prepare_write();
  m.detach_batch();  // the writer copied the rest of the batch
  EXPECT_TRUE(m.abandon(a.st, error::request_timeout));
  EXPECT_EQ(a.completions, 1);
  EXPECT_EQ(a.ec, error::request_timeout);
  m.commit_write();
  EXPECT_EQ(a.completions, 1);  // not told twice
  feed(m, "$1\r\n1\r\n$1\r\n2\r\n");
  EXPECT_EQ(a.releases, 1);
  EXPECT_EQ(b.resp.at(0).nodes()[0].value, "2");
  // The next batch is not detached.
  op c;
  c.req.push("GET", "c");
  m.enqueue(c.st);
  m.prepare_write();
  m.abandon(c.st, error::request_timeout);
  EXPECT_EQ(c.completions, 0);
  m.fail_all(error::connection_lost, {});
  EXPECT_EQ(c.completions, 1);
  EXPECT_EQ(c.ec, error::request_timeout);
}

TEST(multiplexer_test, failing_completes_written_requests_and_keeps_or_fails_queued_ones) {
  multiplexer m;
  op written, batched, queued, abandoned;
  written.req.push("GET", "a");
  abandoned.req.push("GET", "b");
  batched.req.push("GET", "c");
  queued.req.push("GET", "d");
  m.enqueue(written.st);
  m.enqueue(abandoned.st);
  m.prepare_write();
  m.commit_write();
  m.abandon(abandoned.st, error::request_timeout);
  m.enqueue(batched.st);
  m.prepare_write();
  m.enqueue(queued.st);

  m.fail_all(error::connection_lost, {});
  EXPECT_EQ(written.ec, error::connection_lost);
  EXPECT_EQ(batched.ec, error::connection_lost);
  EXPECT_EQ(abandoned.completions, 1);
  EXPECT_EQ(abandoned.ec, error::request_timeout);
  EXPECT_EQ(abandoned.releases, 1);
  EXPECT_EQ(queued.completions, 0);  // waits for the next connection
  EXPECT_EQ(m.queued(), 1u);
  EXPECT_FALSE(m.writing());

  m.fail_all(error::connection_lost, error::not_connected);
  EXPECT_EQ(queued.completions, 1);
  EXPECT_EQ(queued.ec, error::not_connected);
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_test, deadlines_expire_wherever_the_request_is) {
  multiplexer m;
  op a, b, c;
  const auto t0 = clock::now();
  a.req.push("GET", "a");
  b.req.push("GET", "b");
  c.req.push("GET", "c");
  a.st.deadline = t0 + std::chrono::seconds(1);
  b.st.deadline = t0 + std::chrono::seconds(2);
  c.st.deadline = t0 + std::chrono::seconds(3);
  m.enqueue(a.st);
  m.prepare_write();
  m.commit_write();
  m.enqueue(b.st);
  m.enqueue(c.st);
  EXPECT_EQ(m.earliest_deadline(), a.st.deadline);
  m.expire(t0 + std::chrono::milliseconds(2500));
  EXPECT_EQ(a.ec, error::request_timeout);
  EXPECT_EQ(b.ec, error::request_timeout);
  EXPECT_EQ(c.completions, 0);
  EXPECT_EQ(m.earliest_deadline(), c.st.deadline);
  EXPECT_EQ(concat(m.prepare_write()), "*2\r\n$3\r\nGET\r\n$1\r\nc\r\n");
  m.commit_write();
  feed(m, "$1\r\nA\r\n$1\r\nC\r\n");  // a's reply is dropped, c gets its own
  EXPECT_EQ(c.resp.at(0).nodes()[0].value, "C");
  EXPECT_EQ(a.releases, 1);
}

// Requests waiting for a connection give up at their wait deadline with not_connected; those
// that found one (written, or a connection came up) no longer have one.
TEST(multiplexer_test, requests_waiting_for_a_connection_give_up_with_not_connected) {
  multiplexer m;
  op early, late, written, timed;
  const auto t0 = clock::now();
  for (op* o : {&early, &late, &written, &timed}) o->req.push("PING");
  written.st.wait_deadline = t0 + std::chrono::seconds(1);
  m.enqueue(written.st);
  m.prepare_write();
  m.commit_write();
  early.st.wait_deadline = t0 + std::chrono::seconds(1);  // made while down
  m.enqueue(early.st);
  m.enqueue(late.st);  // made while up, left unwritten when the connection went
  timed.st.deadline = t0 + std::chrono::milliseconds(500);
  timed.st.wait_deadline = t0 + std::chrono::seconds(1);
  m.enqueue(timed.st);
  m.wait_for_connection(t0 + std::chrono::seconds(2));
  EXPECT_EQ(early.st.wait_deadline, t0 + std::chrono::seconds(1));  // kept
  EXPECT_EQ(late.st.wait_deadline, t0 + std::chrono::seconds(2));
  EXPECT_EQ(written.st.wait_deadline, clock::time_point::max());
  EXPECT_EQ(m.earliest_deadline(), timed.st.deadline);

  m.expire(t0 + std::chrono::milliseconds(1500));
  EXPECT_EQ(timed.ec, error::request_timeout);  // its own timeout came first
  EXPECT_EQ(early.completions, 1);
  EXPECT_EQ(early.ec, error::not_connected);
  EXPECT_EQ(late.completions, 0);
  EXPECT_EQ(written.completions, 0);
  EXPECT_EQ(m.earliest_deadline(), late.st.wait_deadline);

  m.connection_up();
  EXPECT_EQ(m.earliest_deadline(), clock::time_point::max());
  m.expire(t0 + std::chrono::seconds(3));
  EXPECT_EQ(late.completions, 0);
  EXPECT_EQ(concat(m.prepare_write()), "*1\r\n$4\r\nPING\r\n");
  m.commit_write();
  feed(m, "+PONG\r\n+PONG\r\n");
  EXPECT_FALSE(written.ec);
  EXPECT_FALSE(late.ec);
  EXPECT_EQ(late.completions, 1);
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_test, an_empty_request_completes_at_once) {
  multiplexer m;
  op a;
  m.enqueue(a.st);
  EXPECT_EQ(a.completions, 1);
  EXPECT_FALSE(a.ec);
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_test, steady_state_allocates_nothing) {
  multiplexer m;
  op a;
  respool::ignore_t ignored;
  a.st.response = &ignored;
  a.st.on_reply = [](void* r, std::size_t i, respool::resp3::reply_view reply,
                     respool::adapt_error& err) {
    respool::response_adapter<respool::ignore_t>(*static_cast<respool::ignore_t*>(r))
        .on_reply(i, reply, err);
  };
  a.st.on_done = [](void* r, std::size_t n, respool::adapt_error& err) {
    respool::response_adapter<respool::ignore_t>(*static_cast<respool::ignore_t*>(r))
        .on_done(n, err);
  };
  for (int i = 0; i < 16; ++i) a.req.push("SET", "key", i);
  respool::resp3::parser p;
  const std::string replies = [] {
    std::string s;
    for (int i = 0; i < 16; ++i) s += "+OK\r\n";
    return s;
  }();
  auto round = [&] {
    m.enqueue(a.st);
    (void)m.prepare_write();
    m.commit_write();
    std::string_view in = replies;
    std::error_code ec;
    while (!in.empty() && p.parse(in, ec)) {
      m.on_reply(p.reply(), p.consumed());
      in.remove_prefix(p.consumed());
    }
  };
  round();
  const auto before = respool::test::allocations();
  for (int i = 0; i < 100; ++i) round();
  EXPECT_EQ(respool::test::allocations() - before, 0u);
  EXPECT_EQ(a.completions, 101);
}

}  // namespace
