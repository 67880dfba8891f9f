// subscriber against the test server: messages by channel and by pattern, confirmations
// skipped, commands on the same connection meanwhile, subscriptions complete once confirmed.
#include "connection_support.hpp"
#include <respool/client/client.hpp>
#include <respool/client/subscriber.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/protocol/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using respool::message;
using respool::test::run_until;

TEST(subscriber_test, messages_by_channel_and_pattern_with_commands_between) {
  asio::io_context ioc;
  respool::config cfg = respool::test::server_config();
  cfg.reconnect.enabled = false;
  respool::connection conn(ioc, cfg);
  bool run_ended = false;
  std::error_code run_ec;
  conn.async_run([&](std::error_code ec) {
    run_ended = true;
    run_ec = ec;
  });
  if (!run_until(
          ioc, [&] { return conn.is_connected() || run_ended; }, 5s) ||
      !conn.is_connected()) {
    if (respool::test::server_required()) FAIL() << "server unreachable: " << run_ec.message();
    GTEST_SKIP() << "no Redis server: " << run_ec.message();
  }
  respool::subscriber sub(conn);
  respool::client cl(conn);
  respool::sync_client publisher(respool::test::server_config());

  std::vector<message> got;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        const std::string_view channels[] = {"sb:news", "sb:other"};
        const std::string_view patterns[] = {"sb:p.*"};
        co_await sub.async_subscribe(channels, asio::use_awaitable);
        co_await sub.async_psubscribe(patterns, asio::use_awaitable);
        // An ordinary command on the same connection, between subscriptions and messages.
        EXPECT_EQ(co_await cl.async_exec<std::string>("ECHO", "still here", asio::use_awaitable),
                  "still here");
        // Publishing waits for the confirmations: PUBLISH says how many received it.
        EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:news", "hello"), 1);
        EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:p.1", "by pattern"), 1);
        EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:unheard", "nobody"), 0);
        for (int i = 0; i < 2; ++i) {
          message m;
          co_await sub.async_next(m, asio::use_awaitable);
          got.push_back(m);
        }
        const std::string_view news[] = {"sb:news"};
        co_await sub.async_unsubscribe(news, asio::use_awaitable);
        done = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  ASSERT_TRUE(run_until(ioc, [&] { return done; }));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, message::channel);
  EXPECT_EQ(got[0].channel_name, "sb:news");
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[1].kind, message::pattern);
  EXPECT_EQ(got[1].pattern_text, "sb:p.*");
  EXPECT_EQ(got[1].channel_name, "sb:p.1");
  EXPECT_EQ(got[1].payload, "by pattern");

  // Callback form; the unsubscribed channel is silent now.
  message last;
  bool received = false;
  sub.async_next(last, [&](std::error_code ec) {
    EXPECT_FALSE(ec);
    received = true;
  });
  EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:news", "unheard"), 0);
  EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:other", "heard"), 1);
  ASSERT_TRUE(run_until(ioc, [&] { return received; }));
  EXPECT_EQ(last.channel_name, "sb:other");
  EXPECT_EQ(last.payload, "heard");
  conn.cancel();
  run_until(
      ioc, [&] { return run_ended; }, 5s);
}

TEST(subscriber_test, read_message_tells_messages_from_confirmations) {
  auto make = [](std::string_view wire) {
    respool::resp3::parser p;
    std::error_code ec;
    EXPECT_TRUE(p.parse(wire, ec));
    respool::generic_reply r(respool::generic_reply::owning);
    r.assign(p.reply());
    return r;
  };
  message m;
  EXPECT_FALSE(
      respool::subscriber::read_message(make(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"), m));
  EXPECT_FALSE(
      respool::subscriber::read_message(make(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"), m));
  EXPECT_TRUE(
      respool::subscriber::read_message(make(">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n"), m));
  EXPECT_EQ(m.kind, message::shard);
  // RESP2 delivers the same as arrays.
  EXPECT_TRUE(respool::subscriber::read_message(
      make("*4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npq\r\n$1\r\ny\r\n"), m));
  EXPECT_EQ(m.kind, message::pattern);
  EXPECT_EQ(m.payload, "y");
}

// Runs `ioc` until `op` has completed; its error.
template <class Start>
std::error_code complete(asio::io_context& ioc, Start start) {
  std::error_code out = asio::error::would_block;
  start([&](std::error_code ec) { out = ec; });
  EXPECT_TRUE(run_until(ioc, [&] { return out != asio::error::would_block; }));
  return out;
}

TEST(subscriber_test, subscriptions_complete_once_the_server_confirmed_them) {
  asio::io_context ioc;
  respool::connection conn(ioc, respool::test::server_config());
  bool run_ended = false;
  conn.async_run([&](std::error_code) { run_ended = true; });
  respool::subscriber sub(conn);
  respool::sync_client publisher(respool::test::server_config());
  std::error_code probe;
  (void)publisher.exec<std::string>(probe, "PING");
  if (probe) {
    if (respool::test::server_required()) FAIL() << "server unreachable: " << probe.message();
    GTEST_SKIP() << "no Redis server: " << probe.message();
  }

  // Started before the connection is up: it completes after the setup and the confirmations.
  const std::string_view channels[] = {"sb:c1", "sb:c2", "sb:c3"};
  EXPECT_FALSE(complete(ioc, [&](auto h) { sub.async_subscribe(channels, h); }));
  // No retry loop: every channel has this subscriber as soon as the call is done.
  for (const std::string_view ch : channels) {
    EXPECT_EQ(publisher.exec<long long>("PUBLISH", ch, "first"), 1) << ch;
  }
  message m;
  for (const std::string_view ch : channels) {
    ASSERT_FALSE(complete(ioc, [&](auto h) { sub.async_next(m, h); }));
    EXPECT_EQ(m.channel_name, ch);
    EXPECT_EQ(m.payload, "first");
  }
  const std::string_view patterns[] = {"sb:q.*"};
  EXPECT_FALSE(complete(ioc, [&](auto h) { sub.async_psubscribe(patterns, h); }));
  EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:q.1", "matched"), 1);
  ASSERT_FALSE(complete(ioc, [&](auto h) { sub.async_next(m, h); }));
  EXPECT_EQ(m.pattern_text, "sb:q.*");
  EXPECT_EQ(m.payload, "matched");

  // An empty list unsubscribes from every channel, confirmed too: nobody hears them now.
  EXPECT_FALSE(complete(ioc, [&](auto h) { sub.async_unsubscribe({}, h); }));
  EXPECT_FALSE(complete(ioc, [&](auto h) { sub.async_punsubscribe({}, h); }));
  EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:c1", "late"), 0);
  EXPECT_EQ(publisher.exec<long long>("PUBLISH", "sb:q.1", "late"), 0);
  EXPECT_FALSE(conn.has_subscriptions());
  conn.cancel();
  run_until(
      ioc, [&] { return run_ended; }, 5s);
}

TEST(subscriber_test, bad_subscriptions_fail_with_a_clear_error) {
  asio::io_context ioc;
  respool::connection conn(ioc, respool::test::server_config());
  respool::subscriber sub(conn);
  // Nothing to subscribe to: refused before anything is sent.
  EXPECT_EQ(complete(ioc, [&](auto h) { sub.async_subscribe({}, h); }),
            std::errc::invalid_argument);
  EXPECT_EQ(complete(ioc, [&](auto h) { sub.async_psubscribe({}, h); }),
            std::errc::invalid_argument);
  // RESP2 cannot tell confirmations from replies.
  respool::config cfg = respool::test::server_config();
  cfg.protocol = 2;
  respool::connection resp2(ioc, cfg);
  respool::subscriber sub2(resp2);
  const std::string_view channels[] = {"sb:x"};
  EXPECT_EQ(complete(ioc, [&](auto h) { sub2.async_subscribe(channels, h); }),
            respool::error::resp3_required);
}

// The server refuses a SUBSCRIBE with one error reply instead of confirmations: the error is
// the subscribing request's (or, with no request left to tell, the push receiver's), never the
// reply of the request after it.
TEST(subscriber_test, refused_subscriptions_are_never_taken_for_another_reply) {
  respool::sync_client admin(respool::test::server_config());
  std::error_code probe;
  (void)admin.exec<std::string>(probe, "PING");
  if (probe) {
    if (respool::test::server_required()) FAIL() << "server unreachable: " << probe.message();
    GTEST_SKIP() << "no Redis server: " << probe.message();
  }
  const std::string tag = std::to_string(::getpid());
  const std::string user = "respool-sb-" + tag, key = "sb:refused:" + tag;
  admin.exec<std::string>("ACL", "SETUSER", user, "reset", "on", ">pw", "~*", "&sb:allowed",
                          "+@all");
  respool::config cfg = respool::test::server_config();
  cfg.username = user;
  cfg.password = "pw";
  asio::io_context ioc;
  respool::connection conn(ioc, cfg);
  conn.async_run(asio::detached);

  // A channel the ACL forbids, with a command after it in the same request.
  respool::request forbidden;
  forbidden.push("SUBSCRIBE", "sb:forbidden");
  forbidden.push("SET", key, "v");
  std::tuple<respool::result<std::string>> set_reply;
  EXPECT_EQ(complete(ioc,
                     [&](auto h) {
                       conn.async_exec(forbidden, set_reply,
                                       [h](std::error_code ec, std::size_t) mutable { h(ec); });
                     }),
            respool::error::server_error);
  ASSERT_TRUE(std::get<0>(set_reply).has_value());  // the SET ran
  EXPECT_EQ(std::get<0>(set_reply).value(), "OK");
  // No channel at all, alone: the error goes to the receiver; GET gets its own reply.
  respool::request bare, get;
  bare.push("SUBSCRIBE");
  get.push("GET", key);
  std::string value;
  std::error_code get_ec = asio::error::would_block;
  respool::ignore_t ignored;
  conn.async_exec(bare, ignored, [](std::error_code, std::size_t) {});
  conn.async_exec(get, value, [&](std::error_code ec, std::size_t) { get_ec = ec; });
  respool::generic_reply pushed;
  EXPECT_FALSE(complete(ioc, [&](auto h) { conn.async_receive(pushed, h); }));
  ASSERT_FALSE(pushed.nodes().empty());
  EXPECT_TRUE(respool::resp3::is_error(pushed.nodes()[0].data_type));
  EXPECT_NE(pushed.nodes()[0].value.find("wrong number of arguments"), std::string_view::npos);
  ASSERT_TRUE(run_until(ioc, [&] { return get_ec != asio::error::would_block; }));
  EXPECT_FALSE(get_ec);
  EXPECT_EQ(value, "v");
  // Through the subscriber: the forbidden channel fails, the allowed one works.
  respool::subscriber sub(conn);
  const std::string_view no[] = {"sb:forbidden"}, yes[] = {"sb:allowed"};
  EXPECT_EQ(complete(ioc, [&](auto h) { sub.async_subscribe(no, h); }),
            respool::error::server_error);
  EXPECT_FALSE(complete(ioc, [&](auto h) { sub.async_subscribe(yes, h); }));
  EXPECT_EQ(admin.exec<long long>("PUBLISH", "sb:allowed", "x"), 1);
  conn.cancel();
  admin.exec<long long>("ACL", "DELUSER", user);
  admin.exec<long long>("DEL", key);
}

}  // namespace
