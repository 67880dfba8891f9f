// Every example in the public headers' documentation (the lines between @code and @endcode),
// compiled here around the context it assumes; those that need no server also run.
// tests/readme_test.cpp checks that each line of each example is still in this file, so an
// example edited in a header and not here fails, and one that no longer compiles fails the
// build.
//
// clang-format off
// (the examples keep the headers' layout)
#include <respool/client/caching_client.hpp>
#include <respool/client/client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/io/connection.hpp>
#include <respool/client/connection_pool.hpp>
#include <respool/protocol/pool.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/parser.hpp>
#include <respool/protocol/segment.hpp>
#include <respool/client/subscriber.hpp>
#include <respool/client/sync_client.hpp>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace app {
enum class color { red, green };
std::string_view respool_to_bulk(color c) { return c == color::red ? "red" : "green"; }
}

// The examples that need a server: compiled, not run (the README's examples run against one).
namespace server_examples {

void handle(std::string_view, std::string_view) {}

// commands.hpp
asio::awaitable<void> typed_commands(respool::sync_client& redis, respool::client& client) {
    std::optional<std::string> v = redis.exec(respool::cmd::get("k"));
    bool stored = redis.exec(respool::cmd::set("k", "v", {.ttl = 10s, .only = respool::set_if::absent}));
    long long n = co_await client.async_exec(respool::cmd::incrby("hits", 5), asio::use_awaitable);
  (void)v, (void)stored, (void)n;
}

// client.hpp
asio::awaitable<void> client_get(respool::connection& conn) {
    respool::client c(conn);
    auto v = co_await c.async_exec<std::optional<std::string>>("GET", "key", asio::use_awaitable);
  (void)v;
}

// subscriber.hpp
asio::awaitable<void> subscribe(respool::connection& conn) {
    respool::subscriber sub(conn);
    const std::string_view channels[] = {"news"};
    co_await sub.async_subscribe(channels, asio::use_awaitable);
    for (respool::message m;;) {
      co_await sub.async_next(m, asio::use_awaitable);
      handle(m.channel_name, m.payload);
    }
}

// caching_client.hpp
asio::awaitable<void> cached_get(asio::io_context& ioc) {
    respool::config cfg = respool::config_from_uri("redis://localhost");
    cfg.client_tracking = true;             // CLIENT TRACKING ON with every setup
    respool::connection conn(ioc, cfg);
    respool::caching_client cache(conn, 10000);
    auto v = co_await cache.async_get("user:42", asio::use_awaitable);
  (void)v;
}

// sync_client.hpp
void blocking() {
    respool::sync_client redis(respool::config_from_uri("redis://localhost"));
    redis.exec<std::string>("SET", "k", "v");
    std::optional<std::string> v = redis.exec<std::optional<std::string>>("GET", "k");
  (void)v;
}

// sync_client.hpp, over a cluster
void blocking_on_cluster() {
    respool::sync_client redis(respool::cluster_config_from_uri("redis://10.0.0.1:7000"));
    redis.exec<std::string>("SET", "k", "v");  // on the master of k's slot
}

// borrowed.hpp
std::string user_key(int id) { return "user:" + std::to_string(id); }
void borrowed(respool::sync_client& redis, int id) {
    std::string name = user_key(id);
    redis.exec(respool::cmd::get(name));             // a named string: borrowed
    redis.exec(respool::cmd::set("greeting", "hi"));  // literals live for ever
}

// connection_pool.hpp
void pooled() {
    respool::connection_pool pool({.connection = respool::config_from_uri("redis://h")});
    {
      auto c = pool.acquire();              // waits up to wait_timeout
      c->exec<std::string>("WATCH", "k");   // this connection only, until the lease ends
    }                                       // back to the pool, unwatched
}

}  // namespace server_examples

namespace {

// A connected pair of local sockets: what the examples write, read back.
struct socket_pair {
  int fds[2] = {-1, -1};
  socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~socket_pair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  std::string read_all() {
    ::shutdown(fds[0], SHUT_WR);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[1], buf, sizeof buf)) > 0;) out.append(buf, std::size_t(n));
    return out;
  }
};

TEST(doc_examples_test, pool) {
    respool::pool<respool::request> requests(64);
    {
      auto req = requests.acquire();   // a lease: returns to the pool at scope exit
      req->push("PING");
    }
  EXPECT_EQ(requests.cached(), 1u);  // the lease came back
}

std::string wire(const respool::request& req) {
  std::string out;
  req.flatten_into(out);
  return out;
}

TEST(doc_examples_test, to_bulk) {
  respool::request req;
    req.push("SET", "paint", app::color::red);  // *3 $3 SET $5 paint $3 red
  EXPECT_EQ(wire(req), "*3\r\n$3\r\nSET\r\n$5\r\npaint\r\n$3\r\nred\r\n");
}

TEST(doc_examples_test, request) {
  socket_pair pair;
  const int fd = pair.fds[0];
  const std::string value(100, 'v');
  const std::map<std::string, std::string> fields{{"a", "1"}};
    respool::request req;
    req.push("SET", "key", value);       // value referenced if large, copied if small
    req.push("INCRBY", "counter", 42);
    req.push_range("HSET", "h", fields); // any range of pairs
    writev(fd, respool::as_iovec(req.segments().data()), int(req.segments().size()));
  EXPECT_EQ(pair.read_all(), wire(req));
}

bool write_with_cursor(int fd, const respool::request& req) {
    respool::segment_cursor cur(req.segments());
    std::array<respool::segment, respool::max_gather_segments> iov;
    while (!cur.done()) {
      auto n = cur.fill(iov);
      auto written = ::writev(fd, respool::as_iovec(iov.data()), int(n));
      if (written < 0) return false;  // EINTR, EAGAIN: retry later; other errors: give up
      cur.consume(std::size_t(written));
    }
  return true;
}

TEST(doc_examples_test, segment_cursor) {
  socket_pair pair;
  respool::request req;
  const std::string big(64 * 1024, 'x');
  for (int i = 0; i < 3; ++i) req.push("SET", "k", big);
  EXPECT_TRUE(write_with_cursor(pair.fds[0], req));
  EXPECT_EQ(pair.read_all(), wire(req));
}

TEST(doc_examples_test, parser) {
  std::vector<std::string> seen;
  auto print = [&](const respool::resp3::node& n) {
    seen.push_back(std::string(respool::resp3::to_string(n.data_type)) + " " + std::string(n.value));
  };
    respool::resp3::parser p;
    std::error_code ec;
    std::string_view in = "*2\r\n$3\r\nfoo\r\n:42\r\n";
    if (p.parse(in, ec)) {
      for (const auto& n : p.reply()) print(n);   // array(2), bulk "foo", number "42"
      in.remove_prefix(p.consumed());
    }
  EXPECT_EQ(seen, (std::vector<std::string>{"array ", "bulk string foo", "number 42"}));
  EXPECT_TRUE(in.empty());
}

}  // namespace
