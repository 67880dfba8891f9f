// A representative asynchronous application file, compiled to measure what using respool costs
// at build time (measure.sh). It follows the README's examples: coroutines, a connection, the
// client with commands by name and typed commands, a pipeline, and a subscriber.
#include <respool/client/client.hpp>
#include <respool/client/subscriber.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/commands.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

namespace cmd = respool::cmd;

namespace {

asio::awaitable<void> by_name(respool::client& c) {
  c.async_exec<long long>("INCR", "counter", [](std::error_code ec, long long value) {
    if (!ec) std::printf("counter: %lld\n", value);
  });
  const long long n = co_await c.async_exec<long long>("INCR", "counter", asio::use_awaitable);
  auto v = co_await c.async_exec<std::optional<std::string>>("GET", "k", asio::use_awaitable);
  auto keys = co_await c.async_exec<std::vector<std::string>>("KEYS", "*", asio::use_awaitable);
  std::printf("%lld %s %zu\n", n, v ? v->c_str() : "(none)", keys.size());
}

asio::awaitable<void> typed(respool::client& c) {
  const std::string key = "user:42";
  const bool stored = co_await c.async_exec(cmd::set(key, "alice"), asio::use_awaitable);
  std::optional<std::string> name = co_await c.async_exec(cmd::get(key), asio::use_awaitable);
  const long long hits = co_await c.async_exec(cmd::incr("hits"), asio::use_awaitable);
  respool::ttl_reply t = co_await c.async_exec(cmd::pttl(key), asio::use_awaitable);
  std::printf("%d %s %lld %d\n", stored, name.value_or("").c_str(), hits, int(t.state));
}

asio::awaitable<void> pipelined(respool::connection& conn) {
  respool::request req;
  req.push("SET", "greeting", "hello");
  req.push("GET", "greeting");
  req.push("INCR", "hits");
  std::tuple<respool::ignore_t, std::string, long long> resp;
  co_await conn.async_exec(req, resp, asio::use_awaitable);
  respool::generic_response all;
  co_await conn.async_exec(req, all, asio::use_awaitable);
  std::printf("%s %lld %zu\n", std::get<1>(resp).c_str(), std::get<2>(resp), all.size());
}

asio::awaitable<void> news(respool::connection& conn) {
  respool::subscriber sub(conn);
  const std::string_view channels[] = {"news"};
  co_await sub.async_subscribe(channels, asio::use_awaitable);
  respool::message m;
  co_await sub.async_next(m, asio::use_awaitable);
  std::printf("%s: %s\n", m.channel_name.c_str(), m.payload.c_str());
}

asio::awaitable<void> session(respool::connection& conn) {
  respool::client c(conn);
  co_await by_name(c);
  co_await typed(c);
  co_await pipelined(conn);
  co_await news(conn);
  conn.cancel();
}

}  // namespace

int main(int argc, char** argv) {
  asio::io_context ioc;
  respool::connection conn(ioc, respool::config_from_uri(argc > 1 ? argv[1] : "redis://localhost"));
  conn.async_run(asio::detached);
  asio::co_spawn(ioc, session(conn), asio::detached);
  ioc.run();
}
