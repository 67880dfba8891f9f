// The I/O-free parts of the cluster connection: reading a request back command by command,
// reading redirections, keeping replies until their turn, and deciding when to refresh.
#include "alloc_counter.hpp"
#include "cluster_test_support.hpp"
#include <respool/protocol/cluster/detail/redirect.hpp>
#include <respool/protocol/cluster/detail/reply_store.hpp>
#include <respool/protocol/cluster/detail/request_walker.hpp>
#include <respool/protocol/request.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace respool::cluster::detail;
using respool::request;
using respool::segment;
using namespace std::string_view_literals;

std::string bytes_of(std::span<const segment> segs) {
  std::string out;
  for (const segment& s : segs) out.append(s.data, s.size);
  return out;
}

std::string encoded(const request& req) { return bytes_of(req.segments()); }

TEST(request_walker, reads_each_command_and_its_bytes) {
  const std::string big(20000, 'v');  // referenced, in a segment of its own
  request req;
  req.push("SET", "k1", big);
  req.push("GET", "k2");
  req.push("MSET", "a", 1, "b", "");
  request_walker w(req.segments());
  std::vector<std::string_view> argv;
  command_bytes where;
  std::vector<std::vector<std::string_view>> seen;
  std::string rebuilt;
  while (w.next(argv, where)) {
    seen.push_back(argv);
    std::vector<segment> slice;
    slice_segments(req.segments(), where, slice);
    rebuilt += bytes_of(slice);
  }
  EXPECT_TRUE(w.ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::vector<std::string_view>{"SET", "k1", big}));
  EXPECT_EQ(seen[0][2].data(), big.data());  // a view of the caller's argument
  EXPECT_EQ(seen[1], (std::vector<std::string_view>{"GET", "k2"}));
  EXPECT_EQ(seen[2], (std::vector<std::string_view>{"MSET", "a", "1", "b", ""}));
  EXPECT_EQ(rebuilt, encoded(req));
}

TEST(request_walker, slices_of_consecutive_commands_join_into_one_segment) {
  request req;
  for (int i = 0; i < 10; ++i) req.push("INCR", "counter");
  request_walker w(req.segments());
  std::vector<std::string_view> argv;
  command_bytes where;
  std::vector<segment> slices;
  int n = 0;
  while (w.next(argv, where)) {
    if (n++ % 2 == 0) slice_segments(req.segments(), where, slices);  // every other command
  }
  ASSERT_EQ(n, 10);
  EXPECT_EQ(slices.size(), 5u);  // not adjacent: one segment each
  slices.clear();
  request_walker again(req.segments());
  while (again.next(argv, where)) slice_segments(req.segments(), where, slices);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(bytes_of(slices), encoded(req));
}

TEST(request_walker, headers_cut_across_segments_are_read) {
  const std::string text = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n";
  // One segment per byte: every header and CRLF is cut.
  std::vector<segment> segs;
  for (std::size_t i = 0; i < text.size(); ++i) segs.push_back({text.data() + i, 1});
  // Payloads must be whole: "GET", "key", "PING" each in one segment.
  std::vector<segment> glued;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = 1;
    for (std::string_view word : {"GET"sv, "key"sv, "PING"sv}) {
      if (text.compare(i, word.size(), word) == 0) n = word.size();
    }
    glued.push_back({text.data() + i, n});
    i += n;
  }
  request_walker w(glued);
  std::vector<std::string_view> argv;
  command_bytes where;
  ASSERT_TRUE(w.next(argv, where));
  EXPECT_EQ(argv, (std::vector<std::string_view>{"GET", "key"}));
  ASSERT_TRUE(w.next(argv, where));
  EXPECT_EQ(argv, (std::vector<std::string_view>{"PING"}));
  EXPECT_FALSE(w.next(argv, where));
  EXPECT_TRUE(w.ok());
  request_walker cut(segs);  // "GET" split over three segments: refused, not misread
  EXPECT_FALSE(cut.next(argv, where));
  EXPECT_FALSE(cut.ok());
}

TEST(request_walker, malformed_bytes_stop_it) {
  for (std::string_view bad : {"*2\r\n$3\r\nGET\r\n"sv, "PING\r\n"sv, "*1\r\n$9\r\nPING\r\n"sv,
                               "*0\r\n"sv, "*1\r\n$4\r\nPING\n\n"sv, "*x\r\n"sv}) {
    const segment s{bad.data(), bad.size()};
    request_walker w(std::span<const segment>(&s, 1));
    std::vector<std::string_view> argv;
    command_bytes where;
    EXPECT_FALSE(w.next(argv, where)) << bad;
    EXPECT_FALSE(w.ok()) << bad;
  }
}

TEST(request_walker, reads_without_allocating_once_warm) {
  request req;
  req.push("SET", "key", "value");
  std::vector<std::string_view> argv;
  argv.reserve(8);
  command_bytes where;
  respool::test::allocation_scope allocs;
  request_walker w(req.segments());
  ASSERT_TRUE(w.next(argv, where));
  EXPECT_EQ(allocs.count(), 0u);
}

redirect read(std::string bytes) {
  cluster_test::parsed p(std::move(bytes));
  EXPECT_TRUE(p.ok);
  static std::string keep;  // the views of the result point into the parsed bytes
  redirect r = read_redirect(p.reply());
  keep = std::string(r.host);
  r.host = keep;
  r.text = {};
  return r;
}

TEST(redirect, moved_and_ask_name_a_slot_and_a_node) {
  redirect r = read("-MOVED 3999 127.0.0.1:6381\r\n");
  EXPECT_EQ(r.kind, redirect_kind::moved);
  EXPECT_EQ(r.slot, 3999);
  EXPECT_EQ(r.host, "127.0.0.1");
  EXPECT_EQ(r.port, 6381);
  r = read("-ASK 16383 redis-3.example:7000\r\n");
  EXPECT_EQ(r.kind, redirect_kind::ask);
  EXPECT_EQ(r.slot, 16383);
  EXPECT_EQ(r.host, "redis-3.example");
  r = read("-MOVED 12 :6380\r\n");  // no endpoint known: the node that answered
  EXPECT_EQ(r.kind, redirect_kind::moved);
  EXPECT_EQ(r.host, "");
  EXPECT_EQ(r.port, 6380);
  r = read("-MOVED 12 [::1]:6380\r\n");
  EXPECT_EQ(r.host, "::1");
  r = read("!21\r\nMOVED 1 10.0.0.1:6379\r\n");  // RESP3 bulk error
  EXPECT_EQ(r.kind, redirect_kind::moved);
}

TEST(redirect, retryable_errors_and_the_rest) {
  EXPECT_EQ(read("-TRYAGAIN Multiple keys request during rehashing of slot\r\n").kind,
            redirect_kind::try_later);
  EXPECT_EQ(read("-CLUSTERDOWN The cluster is down\r\n").kind, redirect_kind::try_later);
  EXPECT_EQ(read("-LOADING Redis is loading the dataset in memory\r\n").kind,
            redirect_kind::try_later);
  EXPECT_EQ(read("-MASTERDOWN Link with MASTER is down\r\n").kind, redirect_kind::try_later);
  EXPECT_EQ(read("-READONLY You can't write against a read only replica.\r\n").kind,
            redirect_kind::wrong_role);
  // Ordinary answers, and redirections that do not parse, reach the caller as they are.
  for (const char* other :
       {"+MOVED 1 a:1\r\n", "-ERR MOVED\r\n", "-MOVEDX 1 a:1\r\n", "-MOVED 16384 a:1\r\n",
        "-MOVED 1 a\r\n", "-MOVED 1 a:0\r\n", "-MOVED 1 a:65536\r\n", "-MOVED x a:1\r\n",
        "-ASK 1\r\n", "$5\r\nMOVED\r\n", "*1\r\n-MOVED 1 a:1\r\n"}) {
    EXPECT_EQ(read(other).kind, redirect_kind::none) << other;
  }
}

TEST(refresh_gate, ten_thousand_asks_in_a_millisecond_make_one_refresh) {
  using clock = refresh_gate::clock;
  refresh_gate gate(std::chrono::milliseconds(100));
  const clock::time_point t0{std::chrono::seconds(1000)};
  int started = 0;
  int timers = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto now = t0 + std::chrono::nanoseconds(i * 100);  // 10 000 within 1 ms
    const auto at = gate.want(now);
    if (at == now) {
      gate.started(now);
      ++started;
    } else if (at != clock::time_point::max()) {
      ++timers;
    }
  }
  EXPECT_EQ(started, 1);
  EXPECT_EQ(timers, 0);
  // Asks during the refresh make one more, no sooner than the spacing.
  const auto after = gate.finished(t0 + std::chrono::milliseconds(5));
  EXPECT_EQ(after, t0 + std::chrono::milliseconds(100));
  EXPECT_EQ(gate.want(t0 + std::chrono::milliseconds(6)), clock::time_point::max());  // armed
  gate.timer_fired();
  EXPECT_EQ(gate.want(after), after);
  gate.started(after);
  EXPECT_EQ(gate.finished(after + std::chrono::milliseconds(1)), clock::time_point::max());
  EXPECT_EQ(gate.starts(), 2u);
}

TEST(refresh_gate, spaces_refreshes_asked_for_one_after_another) {
  using clock = refresh_gate::clock;
  refresh_gate gate(std::chrono::milliseconds(100));
  const clock::time_point t0{std::chrono::seconds(1000)};
  ASSERT_EQ(gate.want(t0), t0);
  gate.started(t0);
  EXPECT_EQ(gate.finished(t0 + std::chrono::milliseconds(2)), clock::time_point::max());
  // Asked again 10 ms after the first started: a timer for 100 ms after it.
  EXPECT_EQ(gate.want(t0 + std::chrono::milliseconds(10)), t0 + std::chrono::milliseconds(100));
  EXPECT_EQ(gate.want(t0 + std::chrono::milliseconds(20)), clock::time_point::max());
  gate.timer_fired();
  const auto t1 = t0 + std::chrono::milliseconds(100);
  EXPECT_EQ(gate.want(t1), t1);
}

TEST(reply_store, gives_back_copies_in_any_order) {
  reply_store store;
  {
    cluster_test::parsed a("*2\r\n$3\r\nfoo\r\n:42\r\n");
    cluster_test::parsed b("+OK\r\n");
    store.put(7, a.reply());
    store.put(2, b.reply());
  }  // the originals are gone
  auto two = store.get(2);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].value, "OK");
  auto seven = store.get(7);
  ASSERT_EQ(seven.size(), 3u);
  EXPECT_EQ(seven[0].aggregate_size, 2u);
  EXPECT_EQ(seven[1].value, "foo");
  EXPECT_EQ(seven[2].value, "42");
  EXPECT_TRUE(store.get(3).empty());
  store.clear();
  EXPECT_TRUE(store.empty());
}

TEST(reply_store, reused_for_the_same_shape_allocates_nothing) {
  reply_store store;
  cluster_test::parsed a("*2\r\n$3\r\nfoo\r\n:42\r\n");
  for (int round = 0; round < 2; ++round) {
    respool::test::allocation_scope allocs;
    for (std::size_t i = 0; i < 16; ++i) store.put(i, a.reply());
    for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(store.get(i).size(), 3u);
    store.clear();
    if (round == 1) {
      EXPECT_EQ(allocs.count(), 0u);
    }
  }
}

TEST(request, append_encoded_forwards_commands_without_copying) {
  request original;
  original.push("SET", "k", "v");
  original.push("GET", "k");
  request forward;
  forward.push("ASKING");
  forward.append_encoded(original.segments(), 2);
  EXPECT_EQ(forward.commands(), 3u);
  EXPECT_EQ(forward.expected_replies(), 3u);
  EXPECT_EQ(encoded(forward), std::string("*1\r\n$6\r\nASKING\r\n") + encoded(original));
  EXPECT_EQ(forward.segments().back().data, original.segments().back().data);
  forward.push("PING");  // commands pushed after it follow it
  EXPECT_EQ(encoded(forward),
            std::string("*1\r\n$6\r\nASKING\r\n") + encoded(original) + "*1\r\n$4\r\nPING\r\n");
}

}  // namespace
