// Every code example of README.md, in a program that runs them against a server, so that they
// cannot rot: ctest builds and runs it (readme_examples_run), and checks that each README
// example's lines are still here, in order (readme_examples_match, tools/readme_examples.cmake).
// Usage: respool-readme-examples [-h host] [-p port]
//
// clang-format off
// (the examples keep the README's layout, comments included)
#include <respool.hpp>
#include <respool/caching_client.hpp>
#include <respool/client.hpp>
#include <respool/connection.hpp>
#include <respool/connection_pool.hpp>
#include <respool/request.hpp>
#include <respool/subscriber.hpp>
#include <respool/sync_client.hpp>

#include <asio.hpp>

#include <sys/uio.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

using namespace std::chrono_literals;

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("example failed: ") + what);
}

void encoder_example(const std::string& host, const std::string& port) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::connect(socket, asio::ip::tcp::resolver(io).resolve(host, port));
  const int fd = socket.native_handle();
  std::string value(64 * 1024, 'v');
  std::map<std::string, std::string> fields{{"name", "respool"}, {"lang", "C++"}};
  respool::request req;                        // reuse it: clear() keeps every buffer
  req.push("SET", "key:1", value);             // 64 KiB: referenced, not copied
  req.push("INCRBY", "counter", 42);           // numbers are formatted in place
  req.push_range("HSET", "h", fields);         // any range of pairs
  // segments() is an iovec-compatible gather list: writev it to a connected socket, or give it
  // to Asio.
  const auto written =
  ::writev(fd, respool::as_iovec(req.segments().data()), int(req.segments().size()));
  check(written == static_cast<ssize_t>(req.size_bytes()), "writev wrote the whole request");
  asio::streambuf replies;
  asio::read_until(socket, replies, "+OK\r\n");
  std::puts("encoder: ok");
}

void connection_example(const std::string& uri) {
  bool ran = false;
  asio::io_context ioc;
  respool::connection conn(ioc, respool::config_from_uri(uri));  // "redis://:pw@localhost:6379/0"
  conn.async_run(asio::detached);              // connects, reconnects, until conn.cancel()

  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    respool::request req;
    req.push("SET", "greeting", "hello");
    req.push("GET", "greeting");
    std::tuple<respool::ignore_t, std::string> resp;  // one element per command
    co_await conn.async_exec(req, resp, asio::use_awaitable);
    check(std::get<1>(resp) == "hello", "GET greeting");
    ran = true;

    // Commands by name, and typed commands, on the async client.
    {
      respool::client c(conn);
      long long n = co_await c.async_exec<long long>("INCR", "counter", asio::use_awaitable);
      auto v = co_await c.async_exec<std::optional<std::string>>("GET", "k", asio::use_awaitable);
      check(n > 0, "INCR counter");
      (void)v;
      c.async_exec<long long>("INCR", "counter", [](std::error_code ec, long long value) {  // a callback
        if (!ec) std::printf("counter: %lld\n", value);
      });
      namespace cmd = respool::cmd;
      co_await c.async_exec(cmd::set("k", "v", {.ttl = 10s}), asio::use_awaitable);
      respool::ttl_reply t = co_await c.async_exec(cmd::ttl("k"), asio::use_awaitable);
      check(t.state == respool::ttl_reply::expires, "TTL k");
    }

    // Client-side caching (this connection has no config::client_tracking: each miss sends
    // CLIENT TRACKING ON with its GET).
    {
      respool::caching_client cache(conn, 10000);       // at most 10 000 values, LRU
      auto v = co_await cache.async_get("k", asio::use_awaitable);
      auto again = co_await cache.async_get("k", asio::use_awaitable);
      check(v == again && cache.statistics().hits == 1, "cached GET");
    }

    // Pub/sub; once subscribed (confirmed), another connection publishes once.
    {
      respool::sync_client publisher(respool::config_from_uri(uri));
      respool::subscriber sub(conn);
      const std::string_view channels[] = {"news"};
      co_await sub.async_subscribe(channels, asio::use_awaitable);
      check(publisher.exec<long long>("PUBLISH", "news", "hello subscribers") == 1,
            "PUBLISH after async_subscribe reaches the subscriber");
      for (respool::message m;;) {
        co_await sub.async_next(m, asio::use_awaitable);   // confirmations are skipped
        std::cout << m.channel_name << ": " << m.payload << '\n';
        break;
      }
    }
    conn.cancel();
  }, asio::detached);
  ioc.run();
  check(ran, "the coroutine ran");
  std::puts("connection: ok");
}

void sync_examples(const std::string& uri) {
  {
    respool::sync_client redis(respool::config_from_uri(uri));
    redis.exec<std::string>("SET", "k", "v");                          // throws std::system_error
    std::error_code ec;
    auto v = redis.exec<std::optional<std::string>>(ec, "GET", "k");   // or reports in ec
    check(!ec && v == "v", "GET k");
  }
  respool::sync_client redis(respool::config_from_uri(uri));
  {
    redis.exec<long long>("DEL", "k");
    namespace cmd = respool::cmd;
    bool stored = redis.exec(cmd::set("k", "v", {.ttl = 10s, .only = respool::set_if::absent}));
    std::optional<std::string> v = redis.exec(cmd::get("k"));
    check(stored && v == "v", "typed SET NX / GET");
  }
  {
    namespace cmd = respool::cmd;
    auto [stored, value, hits] = redis.exec(cmd::pipeline(cmd::set("k", "v"), cmd::get("k"),
                                                          cmd::incr("hits")));
    std::optional<std::tuple<bool, long long>> done =   // nothing if a WATCHed key changed
        redis.exec(cmd::transaction(cmd::set("k", "v"), cmd::incr("hits")));
    check(stored && value == "v" && hits > 0 && done.has_value(), "pipeline and transaction");
  }
  {
    namespace cmd = respool::cmd;
    redis.exec(cmd::set("session:1", "x"));
    for (const std::string& key : redis.scan("session:*")) redis.exec(cmd::del(key));
    check(!redis.exec(cmd::exists("session:1")), "SCAN and DEL");
  }
  {
    redis.exec<long long>("DEL", "counter");
    const respool::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    const std::string_view keys[] = {"counter"}, args[] = {"5"};
    long long n = redis.eval<long long>(add, keys, args);  // EVALSHA; EVAL once on NOSCRIPT
    check(n == 5, "script");
  }
  std::puts("sync: ok");
}

void pool_example(const std::string& uri) {
  namespace cmd = respool::cmd;
  respool::connection_pool pool({.connection = respool::config_from_uri(uri)});
  auto c = pool.acquire();                         // waits up to wait_timeout
  c->exec(cmd::set("balance", "100"));
  const std::string_view keys[] = {"balance"};
  std::string next;
  auto [stored] = respool::optimistic_transaction(*c, keys, [&](respool::sync_client& own) {
    next = std::to_string(std::stoll(*own.exec(cmd::get("balance"))) - 30);
    return cmd::transaction(cmd::set("balance", next));  // retried if "balance" changed
  });
  check(stored && c->exec(cmd::get("balance")) == "70", "optimistic transaction");
  std::puts("pool: ok");
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", port = "6379";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "-h") {
      host = argv[i + 1];
    } else if (flag == "-p") {
      port = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [-h host] [-p port]\n", argv[0]);
      return 2;
    }
  }
  const std::string uri = "redis://" + host + ":" + port;
  try {
    encoder_example(host, port);
    connection_example(uri);
    sync_examples(uri);
    pool_example(uri);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::puts("all README examples ran");
  return 0;
}
// clang-format on
