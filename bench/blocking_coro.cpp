// blocking_bench's worker for respool's async connection driven by coroutines: the main thread
// runs the io_context (concurrency hint 1); the callers are coroutines co_awaiting async_exec,
// and a coroutine with a timer takes the snapshots, then tells the callers to stop.
#include "blocking_bench.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/request.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <string>
#include <system_error>

namespace blocking {

namespace {

// What the coroutines share; everything runs on the one io_context thread.
struct coro_state {
  coro_state(respool::connection& connection, bench_case which) : conn{connection}, c{which} {}

  respool::connection& conn;
  bench_case c;
  std::uint64_t commands = 0;
  bool stop = false;
  int active = 0;  // callers still running
  worker_result result;

  void fail(std::string why) {
    if (result.error.empty()) result.error = std::move(why);
    stop = true;
  }
};

auto with(std::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// d1 (and each of c50's callers): SET then GET, each awaited; p128: 128 SETs per round trip.
// The requests and the GET's response are kept across calls, as an application would keep them.
asio::awaitable<void> caller(coro_state& st) {
  respool::request set;
  respool::request get;
  const int depth = st.c == bench_case::p128 ? pipeline_depth : 1;
  for (int i = 0; i < depth; ++i) set.push("SET", key, value);
  get.push("GET", key);
  std::string got;
  respool::ignore_t ignored;
  std::error_code ec;
  while (!st.stop) {
    co_await st.conn.async_exec(set, ignored, with(ec));
    if (ec) {
      if (!st.stop) st.fail("SET: " + ec.message());
      break;
    }
    st.commands += static_cast<std::uint64_t>(depth);
    if (st.c == bench_case::p128) continue;
    co_await st.conn.async_exec(get, got, with(ec));
    if (ec) {
      if (!st.stop) st.fail("GET: " + ec.message());
      break;
    }
    ++st.commands;
  }
  // The last caller ends async_run, so that the io_context runs out of work.
  if (--st.active == 0) st.conn.cancel();
}

// Waits for the connection, checks one SET and one GET; why not as expected.
asio::awaitable<std::string> verify(respool::connection& conn) {
  std::error_code ec;
  co_await conn.async_wait_connected(with(ec));
  if (ec) co_return "not connected: " + ec.message();
  respool::request req;
  req.push("SET", key, value);
  std::string reply;
  co_await conn.async_exec(req, reply, with(ec));
  if (ec) co_return "SET: " + ec.message();
  if (reply != "OK") co_return "SET replied \"" + reply + "\", not OK";
  req.clear();
  req.push("GET", key);
  co_await conn.async_exec(req, reply, with(ec));
  if (ec) co_return "GET: " + ec.message();
  if (reply != value) co_return "GET returned \"" + reply + "\", not the value set";
  co_return std::string{};
}

asio::awaitable<void> measure(coro_state& st, window w) {
  if (std::string problem = co_await verify(st.conn); !problem.empty()) {
    st.fail(std::move(problem));
    st.conn.cancel();
    co_return;
  }
  const auto executor = co_await asio::this_coro::executor;
  st.active = st.c == bench_case::c50 ? concurrent_callers : 1;
  for (int i = 0; i < st.active; ++i) asio::co_spawn(executor, caller(st), asio::detached);

  asio::steady_timer timer{executor};
  std::error_code ec;
  timer.expires_after(
      std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(w.warmup)));
  co_await timer.async_wait(with(ec));
  const snapshot start = snapshot::take(st.commands);
  timer.expires_after(
      std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(w.seconds)));
  co_await timer.async_wait(with(ec));
  const snapshot end = snapshot::take(st.commands);
  std::string error = std::move(st.result.error);
  st.result = difference(start, end);
  st.result.error = std::move(error);
  st.stop = true;
}

}  // namespace

worker_result run_connection(const server_address& s, bench_case c, window w) {
  asio::io_context ioc{1};
  respool::connection conn{ioc, respool::bench::make_config(s, false)};
  coro_state st{conn, c};
  std::error_code run_ec;
  conn.async_run([&](std::error_code ec) { run_ec = ec; });
  asio::co_spawn(ioc, measure(st, w), asio::detached);
  ioc.run();
  return st.result;
}

}  // namespace blocking
