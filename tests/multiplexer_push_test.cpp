// The answers of (P|S)(UN)SUBSCRIBE commands (confirmations, or one refusal) told apart from
// the replies of the requests around them, in RESP3 and RESP2, scripted with literal RESP bytes.
#include "multiplexer_support.hpp"
#include <respool/protocol/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using respool::detail::multiplexer;
using respool::detail::routed;
using respool::test::feed;
using respool::test::op;

constexpr const char* arity_error = "-ERR wrong number of arguments for 'subscribe' command\r\n";

// Writes the requests, in order, in one batch.
void write(multiplexer& m, std::initializer_list<op*> ops) {
  for (op* o : ops) m.enqueue(o->st);
  m.prepare_write();
  m.commit_write();
}

std::string first_value(const op& o) {
  return o.resp.empty() ? std::string{} : std::string{o.resp.at(0).nodes()[0].value};
}

// generic_response keeps error replies as they came.
bool got_error(const op& o) {
  return !o.resp.empty() && respool::resp3::is_error(o.resp.at(0).nodes()[0].data_type);
}

TEST(multiplexer_push_test, a_refused_subscribe_alone_goes_to_the_receiver_not_the_next_request) {
  multiplexer m;
  op sub, ping;
  sub.req.push("SUBSCRIBE");  // no channel: the server refuses it
  ping.req.push("PING");
  write(m, {&sub, &ping});
  EXPECT_EQ(sub.completions, 1);  // once written, as every push-answered request
  EXPECT_FALSE(sub.ec);
  respool::resp3::parser p;
  std::error_code ec;
  ASSERT_TRUE(p.parse(arity_error, ec));
  EXPECT_TRUE(m.routes_to_push(p.reply()));
  EXPECT_EQ(feed(m, std::string(arity_error) + "+PONG\r\n"),
            (std::vector<routed>{routed::refused, routed::response}));
  EXPECT_EQ(ping.completions, 1);
  EXPECT_FALSE(ping.ec);
  EXPECT_EQ(first_value(ping), "PONG");
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_push_test, a_refusal_fails_the_request_that_waits_for_a_later_reply) {
  multiplexer m;
  op mixed, next;
  mixed.req.push("SUBSCRIBE", "forbidden");
  mixed.req.push("GET", "k");
  next.req.push("GET", "other");
  write(m, {&mixed, &next});
  EXPECT_EQ(feed(m,
                 "-NOPERM this user has no permissions to access one of the channels\r\n"
                 "$1\r\nv\r\n$1\r\nw\r\n"),
            (std::vector<routed>{routed::absorbed, routed::response, routed::response}));
  EXPECT_EQ(mixed.completions, 1);
  EXPECT_EQ(mixed.ec, respool::error::server_error);
  EXPECT_EQ(mixed.st.error.message.rfind("NOPERM", 0), 0u) << mixed.st.error.message;
  EXPECT_EQ(first_value(next), "w");
  EXPECT_FALSE(next.ec);
}

TEST(multiplexer_push_test, confirmations_and_messages_go_to_the_receiver_in_resp3) {
  multiplexer m;
  op sub, get;
  sub.req.push("SUBSCRIBE", "a", "b");
  sub.req.push("GET", "k");
  get.req.push("GET", "k2");
  write(m, {&sub, &get});
  // A message of an older subscription comes between the confirmations.
  EXPECT_EQ(feed(m,
                 ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                 ">3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$2\r\nhi\r\n"
                 ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                 "$1\r\nv\r\n-ERR no such thing\r\n"),
            (std::vector<routed>{routed::push, routed::push, routed::push, routed::response,
                                 routed::response}));
  EXPECT_FALSE(sub.ec);
  EXPECT_EQ(first_value(sub), "v");
  // An error after the confirmations is an ordinary reply, not a refusal.
  EXPECT_TRUE(got_error(get));
  EXPECT_TRUE(m.idle());
}

TEST(multiplexer_push_test, resp2_confirmations_are_arrays_told_apart_by_their_first_element) {
  multiplexer m;
  op psub, ping;
  psub.req.push("PSUBSCRIBE", "p*", "q*");
  ping.req.push("PING");
  write(m, {&psub, &ping});
  EXPECT_EQ(feed(m,
                 "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:1\r\n"
                 "*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npa\r\n$1\r\nx\r\n"
                 "*3\r\n$10\r\npsubscribe\r\n$2\r\nq*\r\n:2\r\n"
                 "*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
            (std::vector<routed>{routed::push, routed::push, routed::push, routed::response}));
  EXPECT_EQ(ping.completions, 1);
  EXPECT_FALSE(ping.ec);
  ASSERT_EQ(ping.resp.size(), 1u);
  EXPECT_EQ(ping.resp[0].nodes()[1].value, "pong");
}

TEST(multiplexer_push_test, queued_in_a_transaction_is_the_subscribe_s_answer) {
  multiplexer m;
  op tx;
  tx.req.push("MULTI");
  tx.req.push("SUBSCRIBE", "a");
  tx.req.push("EXEC");
  write(m, {&tx});
  EXPECT_EQ(feed(m, "+OK\r\n+QUEUED\r\n*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"),
            (std::vector<routed>{routed::response, routed::absorbed, routed::response}));
  EXPECT_EQ(tx.completions, 1);
  EXPECT_FALSE(tx.ec);
  EXPECT_EQ(tx.resp.size(), 2u);  // MULTI's and EXEC's
}

TEST(multiplexer_push_test, unsubscribe_from_everything_owes_nothing_but_pushes) {
  multiplexer m;
  op unsub, get;
  unsub.req.push("UNSUBSCRIBE");  // one confirmation per channel the connection has
  get.req.push("GET", "k");
  write(m, {&unsub, &get});
  EXPECT_EQ(feed(m,
                 ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n"
                 ">3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n$1\r\nv\r\n"),
            (std::vector<routed>{routed::push, routed::push, routed::response}));
  EXPECT_EQ(first_value(get), "v");
}

TEST(multiplexer_push_test, a_lost_connection_forgets_the_answers_owed) {
  multiplexer m;
  op sub, after;
  sub.req.push("SSUBSCRIBE", "s");
  write(m, {&sub});
  m.fail_all(respool::error::connection_lost, {});
  after.req.push("PING");
  write(m, {&after});
  EXPECT_EQ(feed(m, "-ERR on the new connection\r\n"), std::vector<routed>{routed::response});
  EXPECT_TRUE(got_error(after));
}

TEST(multiplexer_push_test, an_answer_may_come_before_the_write_is_reported_done) {
  multiplexer m;
  op sub, get;
  sub.req.push("SUBSCRIBE");
  get.req.push("GET", "k");
  m.enqueue(sub.st);
  m.enqueue(get.st);
  m.prepare_write();
  EXPECT_EQ(feed(m, std::string(arity_error) + "$1\r\nv\r\n"),
            (std::vector<routed>{routed::refused, routed::response}));
  EXPECT_EQ(first_value(get), "v");
  m.commit_write();
  EXPECT_TRUE(m.idle());
}

}  // namespace
