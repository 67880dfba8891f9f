// The connection's I/O-free parts, without a server: the batch writer (the write side), the
// push channel and the completion queue.
#include <respool/io/detail/batch_writer.hpp>
#include <respool/io/detail/exec_op.hpp>
#include <respool/io/detail/push_channel.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool::detail {
namespace {

std::string concat(std::span<const segment> segs) {
  std::string s;
  for (const auto& seg : segs) s.append(seg.data, seg.size);
  return s;
}

TEST(batch_writer_test, partial_writes_resume_where_they_stopped) {
  const std::string a = "*1\r\n$4\r\nPING\r\n";
  const std::string b = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  const std::vector<segment> segs{{a.data(), a.size()}, {nullptr, 0}, {b.data(), b.size()}};
  batch_writer w;
  EXPECT_FALSE(w.busy());
  w.start(segs);
  EXPECT_TRUE(w.busy());
  EXPECT_EQ(concat(w.next_segments()), a + b);  // the empty segment is skipped
  EXPECT_FALSE(w.consume(5));
  EXPECT_EQ(concat(w.next_segments()), (a + b).substr(5));
  const auto bufs = w.next_buffers();
  ASSERT_EQ(bufs.size(), 2u);
  EXPECT_EQ(bufs[0].size(), a.size() - 5);
  EXPECT_TRUE(w.consume(a.size() + b.size() - 5));
  EXPECT_TRUE(w.done());
  w.finish();
  EXPECT_FALSE(w.busy());
}

TEST(batch_writer_test, asio_lists_stop_at_the_gather_limit) {
  const std::string x = "x";
  const std::vector<segment> segs(batch_writer::asio_gather_limit + 10, segment{x.data(), 1});
  batch_writer w;
  w.start(segs);
  EXPECT_EQ(w.next_buffers().size(), batch_writer::asio_gather_limit);
  EXPECT_EQ(w.next_segments().size(), segs.size());
  EXPECT_FALSE(w.consume(batch_writer::asio_gather_limit));
  EXPECT_EQ(w.next_buffers().size(), 10u);
}

TEST(batch_writer_test, detach_copies_what_is_left) {
  std::string a = "hello ";
  std::string b = "world";
  const std::vector<segment> segs{{a.data(), a.size()}, {b.data(), b.size()}};
  batch_writer w;
  EXPECT_FALSE(w.detach());  // idle: nothing to copy
  w.start(segs);
  EXPECT_FALSE(w.consume(3));
  EXPECT_TRUE(w.detach());
  EXPECT_FALSE(w.detach());  // once
  a.assign(a.size(), '?');   // the requests' own bytes may go now
  b.assign(b.size(), '?');
  EXPECT_EQ(concat(w.next_segments()), "lo world");
  EXPECT_TRUE(w.consume(8));
}

// Parses one whole reply.
struct one_reply {
  explicit one_reply(std::string_view bytes) {
    std::error_code ec;
    EXPECT_TRUE(p.parse(bytes, ec)) << ec.message();
  }
  resp3::parser p;
};

constexpr std::string_view push_bytes = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n";

TEST(push_channel_test, queues_until_a_receiver_comes) {
  asio::io_context ioc;
  push_channel ch(2);
  const one_reply r(push_bytes);
  EXPECT_EQ(ch.offer(r.p.reply()), push_channel::outcome::queued);
  EXPECT_EQ(ch.queued(), 1u);
  generic_reply out(generic_reply::owning);
  std::optional<std::error_code> got;
  ch.handler_slot().emplace([&](std::error_code ec) { got = ec; }, ioc.get_executor());
  EXPECT_TRUE(ch.start(out, {}));  // took the queued one
  ioc.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(*got);
  EXPECT_EQ(out.nodes().size(), 4u);
  EXPECT_EQ(ch.queued(), 0u);
}

TEST(push_channel_test, a_waiting_receiver_gets_the_push_on_delivery) {
  asio::io_context ioc;
  push_channel ch(2);
  generic_reply out(generic_reply::owning);
  std::optional<std::error_code> got;
  ch.handler_slot().emplace([&](std::error_code ec) { got = ec; }, ioc.get_executor());
  EXPECT_FALSE(ch.start(out, {}));
  const one_reply r(push_bytes);
  EXPECT_EQ(ch.offer(r.p.reply()), push_channel::outcome::delivered);
  ioc.poll();
  EXPECT_FALSE(got.has_value());  // not before deliver()
  ch.deliver(true);
  ioc.poll();
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(*got);
  EXPECT_EQ(out.nodes().size(), 4u);
}

TEST(push_channel_test, full_queue_drops_until_a_receiver_was_seen_then_pauses) {
  asio::io_context ioc;
  push_channel ch(1);
  const one_reply r(push_bytes);
  EXPECT_EQ(ch.offer(r.p.reply()), push_channel::outcome::queued);
  EXPECT_FALSE(ch.must_pause());  // nobody ever received: the next one is dropped
  EXPECT_EQ(ch.offer(r.p.reply()), push_channel::outcome::dropped);
  generic_reply out(generic_reply::owning);
  ch.handler_slot().emplace([](std::error_code) {}, ioc.get_executor());
  EXPECT_TRUE(ch.start(out, {}));
  ioc.run();
  EXPECT_EQ(ch.offer(r.p.reply()), push_channel::outcome::queued);
  EXPECT_TRUE(ch.must_pause());  // a receiver will come: reading waits for it
}

TEST(push_channel_test, second_receive_is_rejected_and_abort_completes_the_first) {
  asio::io_context ioc;
  push_channel ch(1);
  generic_reply out;
  std::optional<std::error_code> first;
  std::optional<std::error_code> second;
  ch.handler_slot().emplace([&](std::error_code ec) { first = ec; }, ioc.get_executor());
  EXPECT_FALSE(ch.start(out, {}));
  ch.handler_slot().emplace([&](std::error_code ec) { second = ec; }, ioc.get_executor());
  EXPECT_FALSE(ch.start(out, {}));
  ioc.poll();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, asio::error::already_started);
  EXPECT_FALSE(first.has_value());
  ch.abort();
  ioc.restart();
  ioc.poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, asio::error::operation_aborted);
}

TEST(completion_queue_test, delivers_in_completion_order_once) {
  completion_queue q;
  exec_op a;
  exec_op b;
  EXPECT_EQ(q.pop(), nullptr);
  q.push(a);
  q.push(b);
  EXPECT_TRUE(a.in_done);
  EXPECT_TRUE(q.begin_delivery());
  EXPECT_FALSE(q.begin_delivery());  // a nested delivery leaves it to the outer one
  EXPECT_EQ(q.pop(), &a);
  EXPECT_FALSE(a.in_done);
  q.push(a);  // added while delivering: taken by the same loop
  EXPECT_EQ(q.pop(), &b);
  EXPECT_EQ(q.pop(), &a);
  EXPECT_EQ(q.pop(), nullptr);
  q.end_delivery();
  EXPECT_TRUE(q.begin_delivery());
}

}  // namespace
}  // namespace respool::detail
