// Every code example of README.md, run against a server, so that they cannot rot: ctest builds
// and runs this program (readme_examples_run). tests/readme_test.cpp checks that each line of
// each README example is still here; tests/compile_test.cmake compiles each example alone, as
// the reader sees it. The examples are functions, as in the README; the lines that check what
// they did, and main(), are this program's own.
// Usage: respool-readme-examples [-h host] [-p port]
//
// clang-format off
// (the examples keep the README's layout, comments included)
#include <respool/client/caching_client.hpp>
#include <respool/client/client.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/io/connection.hpp>
#include <respool/client/connection_pool.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/script.hpp>
#include <respool/client/subscriber.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/cluster.hpp>
#include <respool/io/observer.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/uio.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "example_args.hpp"

using namespace std::chrono_literals;
namespace cmd = respool::cmd;

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("example failed: ") + what);
}

// The README's examples, in its order -----------------------------------------------------

// Sends three commands on `fd`, a socket connected to a Redis server; returns what writev does.
ssize_t send_commands(int fd) {
  std::string value(64 * 1024, 'v');
  std::map<std::string, std::string> fields{{"name", "respool"}, {"lang", "C++"}};
  respool::request req;                        // reuse it: clear() keeps every buffer
  req.push("SET", "key:1", value);             // 64 KiB: referenced, not copied
  req.push("INCRBY", "counter", 42);           // numbers are formatted in place
  req.push_range("HSET", "h", fields);         // any range of pairs
  // segments() is an iovec-compatible gather list: writev it to a connected socket, or give it
  // to Asio.
  check(req.size_bytes() > 64 * 1024, "the request holds the value");
  return ::writev(fd, respool::as_iovec(req.segments().data()), int(req.segments().size()));
}

void say_hello(const std::string& uri) {
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
    conn.cancel();
  }, asio::detached);
  ioc.run();
}

asio::awaitable<void> count(respool::connection& conn) {
  respool::client c(conn);
  c.async_exec<long long>("INCR", "counter", [](std::error_code ec, long long value) {  // a callback
    if (!ec) std::printf("counter: %lld\n", value);
  });
  long long n = co_await c.async_exec<long long>("INCR", "counter", asio::use_awaitable);
  auto v = co_await c.async_exec<std::optional<std::string>>("GET", "k", asio::use_awaitable);
  std::printf("counter: %lld, k: %s\n", n, v ? v->c_str() : "(none)");
  check(n > 1, "INCR counter");
}

void sync_calls(const std::string& uri) {
  respool::sync_client redis(respool::config_from_uri(uri));
  redis.exec<std::string>("SET", "k", "v");                          // throws std::system_error
  std::error_code ec;
  auto v = redis.exec<std::optional<std::string>>(ec, "GET", "k");   // or reports in ec
  if (!ec) std::cout << "k: " << v.value_or("(none)") << '\n';
  check(!ec && v == "v", "GET k");
}

bool set_once(respool::sync_client& redis) {
  bool stored = redis.exec(cmd::set("k", "v", {.ttl = 10s, .only = respool::set_if::absent}));
  std::optional<std::string> v = redis.exec(cmd::get("k"));
  return stored && v == "v";
}

asio::awaitable<respool::ttl_reply> time_left(respool::client& c) {
  respool::ttl_reply t = co_await c.async_exec(cmd::pttl("k"), asio::use_awaitable);
  co_return t;
}

void pipelined(respool::sync_client& redis) {
  auto [stored, value, hits] = redis.exec(cmd::pipeline(cmd::set("k", "v"), cmd::get("k"),
                                                        cmd::incr("hits")));
  std::optional<std::tuple<bool, long long>> done =   // nothing if a WATCHed key changed
      redis.exec(cmd::transaction(cmd::set("k", "v"), cmd::incr("hits")));
  check(stored && value == "v" && hits > 0 && done.has_value(), "pipeline and transaction");
}

void delete_sessions(respool::sync_client& redis) {
  for (const std::string& key : redis.scan("session:*")) redis.exec(respool::cmd::del(key));
}

long long add_five(respool::sync_client& redis) {
  const respool::script add("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const std::string_view keys[] = {"counter"}, args[] = {"5"};
  return redis.eval<long long>(add, keys, args);  // EVALSHA; EVAL once on NOSCRIPT
}

asio::awaitable<void> print_news(respool::connection& conn) {
  respool::subscriber sub(conn);
  const std::string_view channels[] = {"news"};
  co_await sub.async_subscribe(channels, asio::use_awaitable);
  for (respool::message m;;) {
    co_await sub.async_next(m, asio::use_awaitable);   // confirmations are skipped
    std::cout << m.channel_name << ": " << m.payload << '\n';
    break;
  }
}

asio::awaitable<void> read_twice(respool::connection& conn) {
  respool::caching_client cache(conn, 10000);       // at most 10 000 values, LRU
  auto v = co_await cache.async_get("k", asio::use_awaitable);
  auto again = co_await cache.async_get("k", asio::use_awaitable);  // from the cache
  // This connection has no config::client_tracking: the miss sent CLIENT TRACKING ON itself.
  check(v == again && cache.stats().hits == 1, "cached GET");
}

bool withdraw_30(const std::string& uri) {
  respool::connection_pool pool({.connection = respool::config_from_uri(uri)});
  auto c = pool.acquire();                         // waits up to wait_timeout
  const std::string_view keys[] = {"balance"};
  std::string next;
  auto [stored] = respool::optimistic_transaction(*c, keys, [&](respool::sync_client& own) {
    const long long balance = std::stoll(own.exec(cmd::get("balance")).value_or("0"));
    next = std::to_string(balance - 30);
    return cmd::transaction(cmd::set("balance", next));  // retried if "balance" changed
  });
  return stored;
}

// Compiled here, not run: it needs a cluster, and this program is given one server.
asio::awaitable<void> count_visit(respool::cluster_connection& cluster) {
  respool::request req;
  req.push("INCR", "visits:home");                      // to the master of its slot
  req.push("INCR", "visits:about");                     // maybe another one
  req.push("MGET", "{user:7}.name", "{user:7}.mail");   // a {tag}: one slot for both keys
  std::tuple<long long, long long, std::vector<std::optional<std::string>>> resp;
  co_await cluster.async_exec(req, resp, asio::use_awaitable);
}

[[maybe_unused]] void run(const std::string& seeds) {  // e.g. "redis://10.0.0.1:7000,10.0.0.2:7000"
  asio::io_context ioc;
  // Any node will do as a seed: the others are found from its CLUSTER SHARDS.
  respool::cluster_connection cluster(ioc, respool::cluster_config_from_uri(seeds));
  cluster.async_run(asio::detached);
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await count_visit(cluster);
        cluster.cancel();
      },
      asio::detached);
  ioc.run();
}

// Compiled here, not run, for the same reason.
[[maybe_unused]] long long count_on_cluster(const std::string& seeds) {  // e.g. "redis://10.0.0.1:7000"
  respool::sync_client redis(respool::cluster_config_from_uri(seeds));
  redis.exec(respool::cmd::set("{user:7}.name", "Ada"));  // to the master of its slot
  return redis.exec(respool::cmd::incr("visits:home"));   // maybe another one
}

[[maybe_unused]] asio::awaitable<void> follow_orders(respool::cluster_connection& cluster) {
  respool::subscriber sub(cluster);
  const std::string_view channels[] = {"orders:eu", "orders:us"};  // shard channels
  co_await sub.async_ssubscribe(channels, asio::use_awaitable);   // each at its slot's master
  for (respool::message m;;) {
    co_await sub.async_next(m, asio::use_awaitable);  // from whichever master holds it now
    std::printf("%s: %s\n", m.channel_name.c_str(), m.payload.c_str());
  }
}

// Compiled here, not run: it needs sentinels.
[[maybe_unused]] std::string read_setting() {
  respool::config cfg = respool::config_from_uri(
      "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/cache");
  respool::sync_client redis(cfg);  // on the master the sentinels name, wherever it moves
  return redis.exec<std::string>("GET", "setting");
}

[[maybe_unused]] std::string read_through_failures(const std::string& uri) {
  respool::config cfg = respool::config_from_uri(uri);
  cfg.retry.max_attempts = 4;                     // three retries at most
  cfg.request_timeout = std::chrono::seconds(5);  // all of them within this
  respool::sync_client redis(cfg);
  redis.exec<long long>("INCR", "visits");  // sent again only if it surely did not run
  return redis.exec<std::string>("GET", "greeting");  // read-only: sent again after a loss
}

class redis_metrics : public respool::connection_observer {
 public:
  void on_completed(const respool::completion_event& e) noexcept override {
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (e.ec) errors_.fetch_add(1, std::memory_order_relaxed);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(e.duration).count();
    for (std::size_t i = 0; i < bounds_us.size(); ++i) {
      if (us <= bounds_us[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
    }
    sum_us_.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
  }
  void on_disconnected(const respool::endpoint_event&) noexcept override {
    disconnects_.fetch_add(1, std::memory_order_relaxed);
  }

  // The text Prometheus scrapes, from any thread.
  std::string scrape() const {
    std::string out = "redis_requests_total " + std::to_string(requests_.load()) + "\n";
    out += "redis_errors_total " + std::to_string(errors_.load()) + "\n";
    out += "redis_disconnects_total " + std::to_string(disconnects_.load()) + "\n";
    for (std::size_t i = 0; i < bounds_us.size(); ++i) {
      out += "redis_request_seconds_bucket{le=\"" + std::to_string(bounds_us[i] / 1e6) +
             "\"} " + std::to_string(buckets_[i].load()) + "\n";
    }
    out += "redis_request_seconds_bucket{le=\"+Inf\"} " + std::to_string(requests_.load()) + "\n";
    out += "redis_request_seconds_sum " + std::to_string(sum_us_.load() / 1e6) + "\n";
    out += "redis_request_seconds_count " + std::to_string(requests_.load()) + "\n";
    return out;
  }

 private:
  static constexpr std::array<long long, 6> bounds_us{100, 250, 500, 1000, 5000, 25000};
  std::atomic<std::uint64_t> requests_{0}, errors_{0}, disconnects_{0}, sum_us_{0};
  std::array<std::atomic<std::uint64_t>, bounds_us.size()> buckets_{};
};

struct db_span {
  std::string name;  // the operation: "GET", "HSET"...
  std::chrono::system_clock::time_point start;
  std::chrono::nanoseconds duration;
  std::vector<std::pair<std::string, std::string>> attributes;
};

class redis_tracer : public respool::connection_observer {
 public:
  explicit redis_tracer(std::function<void(db_span)> exporter) : export_{std::move(exporter)} {}

  void on_connected(const respool::endpoint_event& e) noexcept override {
    address_.assign(e.host);
    port_ = e.port;
  }
  void on_completed(const respool::completion_event& e) noexcept override try {
    db_span s;
    s.name = respool::request_name(*e.request.req);
    s.duration = e.duration;
    s.start = std::chrono::system_clock::now() -
              std::chrono::duration_cast<std::chrono::system_clock::duration>(e.duration);
    s.attributes = {{"db.system.name", "redis"},
                    {"db.operation.name", s.name},
                    {"server.address", address_},
                    {"server.port", std::to_string(port_)}};
    if (e.request.commands > 1) {
      s.attributes.emplace_back("db.operation.batch.size", std::to_string(e.request.commands));
    }
    if (e.ec) s.attributes.emplace_back("error.type", e.ec.message());
    export_(std::move(s));
  } catch (...) {
    // An observer must not throw: a span that cannot be made is lost.
  }

 private:
  std::function<void(db_span)> export_;
  std::string address_;
  std::uint16_t port_ = 0;
};


// What runs them --------------------------------------------------------------------------

void encoder_example(const std::string& host, const std::string& port) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::connect(socket, asio::ip::tcp::resolver(io).resolve(host, port));
  check(send_commands(socket.native_handle()) > 64 * 1024, "writev wrote the request");
  asio::streambuf replies;
  asio::read_until(socket, replies, "+OK\r\n");
  std::puts("encoder: ok");
}

void connection_examples(const std::string& uri) {
  say_hello(uri);
  bool ran = false;
  asio::io_context ioc;
  respool::connection conn(ioc, respool::config_from_uri(uri));
  conn.async_run(asio::detached);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await count(conn);
    respool::client c(conn);
    co_await c.async_exec(cmd::set("k", "v", {.ttl = 10s}), asio::use_awaitable);
    check((co_await time_left(c)).state == respool::ttl_reply::expires, "TTL k");
    co_await read_twice(conn);
    // Another connection publishes until the message arrives (print_news subscribes first,
    // then waits: it cannot tell the publisher when it is ready).
    std::atomic<bool> got{false};
    std::thread publisher([&] {
      respool::sync_client p(respool::config_from_uri(uri));
      while (!got) {
        p.exec<long long>("PUBLISH", "news", "hello subscribers");
        std::this_thread::sleep_for(10ms);
      }
    });
    co_await print_news(conn);
    got = true;
    publisher.join();
    ran = true;
    conn.cancel();
  }, asio::detached);
  ioc.run();
  check(ran, "the coroutines ran");
  std::puts("connection: ok");
}

void observer_examples(const std::string& uri) {
  redis_metrics* metrics = nullptr;
  std::vector<db_span> spans;
  {
    respool::config cfg = respool::config_from_uri(uri);
    auto shared_metrics = std::make_shared<redis_metrics>();
    metrics = shared_metrics.get();
    cfg.observer = shared_metrics;
    respool::sync_client redis(cfg);
    redis.exec(cmd::set("greeting", "hello"));
    check(read_through_failures(uri) == "hello", "retry policy");
    check(metrics->scrape().find("redis_requests_total 1\n") != std::string::npos, "metrics");
    cfg.observer = std::make_shared<redis_tracer>([&](db_span s) { spans.push_back(std::move(s)); });
    respool::sync_client traced(cfg);
    traced.exec<std::string>("GET", "greeting");
  }
  check(!spans.empty() && spans.back().name == "GET" && spans.back().attributes.size() == 4,
        "spans");
  std::puts("observers: ok");
}

void sync_examples(const std::string& uri) {
  sync_calls(uri);
  respool::sync_client redis(respool::config_from_uri(uri));
  redis.exec<long long>("DEL", "k");
  check(set_once(redis), "typed SET NX / GET");
  pipelined(redis);
  redis.exec(cmd::set("session:1", "x"));
  delete_sessions(redis);
  check(!redis.exec(cmd::exists("session:1")), "SCAN and DEL");
  redis.exec<long long>("DEL", "counter");
  check(add_five(redis) == 5, "script");
  redis.exec(cmd::set("balance", "100"));
  check(withdraw_30(uri), "optimistic transaction stored");
  check(redis.exec(cmd::get("balance")) == "70", "optimistic transaction");
  redis.exec<long long>("DEL", "balance");
  check(withdraw_30(uri) && redis.exec(cmd::get("balance")) == "-30", "a missing balance");
  std::puts("sync: ok");
}

}  // namespace

int main(int argc, char** argv) {
  respool::examples::server_address address;
  if (!respool::examples::parse_address(argc, argv, address)) return 2;
  const std::string& host = address.host;
  const std::string& port = address.port;
  const std::string uri = "redis://" + host + ":" + port;
  try {
    encoder_example(host, port);
    connection_examples(uri);
    sync_examples(uri);
    observer_examples(uri);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::puts("all README examples ran");
  return 0;
}
// clang-format on
