// blocking_bench's workers with threads: hiredis's blocking contexts and respool's
// sync_client. The callers run on threads of their own; the main thread sleeps through the
// warm-up and the window and takes the snapshots.
#include "blocking_bench.hpp"
#include <respool/client/sync_client.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/request.hpp>

#include <hiredis/hiredis.h>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace blocking {

namespace {

// A caller's count of completed commands, on a cache line of its own so that 50 callers do not
// contend for one.
struct alignas(64) caller_count {
  std::atomic<std::uint64_t> n{0};
};

// Runs `callers` threads until the window ends and measures them.
class thread_harness {
 public:
  explicit thread_harness(int callers) : counts_(static_cast<std::size_t>(callers)) {}

  [[nodiscard]] bool running() const { return !stop_.load(std::memory_order_relaxed); }

  void count(int caller, std::uint64_t commands) {
    counts_[static_cast<std::size_t>(caller)].n.fetch_add(commands, std::memory_order_relaxed);
  }

  // Keeps the first error and stops every caller.
  void fail(std::string why) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (error_.empty()) error_ = std::move(why);
    }
    stop_.store(true, std::memory_order_relaxed);
  }

  // Starts the callers, each running `body(index)` until running() is false; sleeps through
  // the warm-up and the window, then stops and joins them.
  template <class Body>
  worker_result run(const Body& body, window w) {
    std::vector<std::thread> threads;
    threads.reserve(counts_.size());
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      threads.emplace_back([&body, i] { body(static_cast<int>(i)); });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(w.warmup));
    const snapshot start = snapshot::take(total());
    std::this_thread::sleep_for(std::chrono::duration<double>(w.seconds));
    const snapshot end = snapshot::take(total());
    stop_.store(true, std::memory_order_relaxed);
    for (std::thread& t : threads) t.join();
    worker_result r = difference(start, end);
    r.error = error_;
    return r;
  }

 private:
  [[nodiscard]] std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (const caller_count& c : counts_) sum += c.n.load(std::memory_order_relaxed);
    return sum;
  }

  std::vector<caller_count> counts_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// hiredis

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

// hiredis 0.14 takes argv as const char** (the array itself not const); it only reads it.
const char* set_argv[] = {"SET", key.data(), value.data()};
const std::size_t set_lens[] = {3, key.size(), value.size()};
const char* get_argv[] = {"GET", key.data()};
const std::size_t get_lens[] = {3, key.size()};

context_ptr connect_context(const server_address& s, std::string& problem) {
  context_ptr c{redisConnectWithTimeout(s.host.c_str(), s.port, timeval{10, 0})};
  if (!c) {
    problem = "redisConnect: out of memory";
  } else if (c->err != 0) {
    problem = std::string("redisConnect: ") + c->errstr;
    c.reset();
  } else {
    // A server that stops answering fails the run instead of hanging it.
    redisSetTimeout(c.get(), timeval{10, 0});
  }
  return c;
}

// Checks that a reply is of `type` (and, when `text` is given, says `text`); frees it.
std::string check_reply(redisContext* c, void* r, int type, const char* what,
                        std::string_view text = {}) {
  if (r == nullptr) return std::string(what) + ": " + c->errstr;
  auto* reply = static_cast<redisReply*>(r);
  std::string problem;
  if (reply->type == REDIS_REPLY_ERROR) {
    problem = std::string(what) + ": error reply: " + reply->str;
  } else if (reply->type != type ||
             (!text.empty() && std::string_view(reply->str, reply->len) != text)) {
    problem = std::string(what) + ": unexpected reply";
  }
  freeReplyObject(reply);
  return problem;
}

std::string hiredis_set(redisContext* c, std::string_view text = {}) {
  return check_reply(c, redisCommandArgv(c, 3, set_argv, set_lens), REDIS_REPLY_STATUS, "SET",
                     text);
}

std::string hiredis_get(redisContext* c, std::string_view text = {}) {
  return check_reply(c, redisCommandArgv(c, 2, get_argv, get_lens), REDIS_REPLY_STRING, "GET",
                     text);
}

// SET then GET, each awaited, until the window ends.
void hiredis_d1(thread_harness& h, redisContext* c, int caller) {
  while (h.running()) {
    if (std::string p = hiredis_set(c); !p.empty()) return h.fail(std::move(p));
    h.count(caller, 1);
    if (std::string p = hiredis_get(c); !p.empty()) return h.fail(std::move(p));
    h.count(caller, 1);
  }
}

// 128 appended SETs, then their 128 replies.
void hiredis_p128(thread_harness& h, redisContext* c) {
  while (h.running()) {
    for (int i = 0; i < pipeline_depth; ++i) redisAppendCommandArgv(c, 3, set_argv, set_lens);
    for (int i = 0; i < pipeline_depth; ++i) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) r = nullptr;
      if (std::string p = check_reply(c, r, REDIS_REPLY_STATUS, "SET"); !p.empty()) {
        return h.fail(std::move(p));
      }
    }
    h.count(0, pipeline_depth);
  }
}

// ---------------------------------------------------------------------------------------------
// sync_client

// A caller's prepared requests and the GET's response, kept between calls so that the steady
// state allocates nothing.
struct sync_caller {
  respool::request set;
  respool::request get;
  std::string got;
  respool::ignore_t ignored;

  sync_caller() {
    set.push("SET", key, value);
    get.push("GET", key);
  }
};

void sync_d1(thread_harness& h, respool::sync_client& client, int caller) {
  sync_caller r;
  while (h.running()) {
    if (const std::error_code ec = client.exec_request(r.set, r.ignored)) {
      return h.fail("SET: " + ec.message());
    }
    h.count(caller, 1);
    if (const std::error_code ec = client.exec_request(r.get, r.got)) {
      return h.fail("GET: " + ec.message());
    }
    h.count(caller, 1);
  }
}

void sync_p128(thread_harness& h, respool::sync_client& client) {
  respool::request req;
  for (int i = 0; i < pipeline_depth; ++i) req.push("SET", key, value);
  respool::ignore_t ignored;
  while (h.running()) {
    if (const std::error_code ec = client.exec_request(req, ignored)) {
      return h.fail("SET pipeline: " + ec.message());
    }
    h.count(0, pipeline_depth);
  }
}

// One SET and one GET, checked; why not as expected.
std::string sync_verify(respool::sync_client& client) {
  std::error_code ec;
  const auto ok = client.exec<std::string>(ec, "SET", key, value);
  if (ec) return "SET: " + ec.message();
  if (ok != "OK") return "SET replied \"" + ok + "\", not OK";
  const auto got = client.exec<std::string>(ec, "GET", key);
  if (ec) return "GET: " + ec.message();
  if (got != value) return "GET returned \"" + got + "\", not the value set";
  return {};
}

}  // namespace

worker_result run_hiredis(const server_address& s, bench_case c, window w) {
  const int callers = c == bench_case::c50 ? concurrent_callers : 1;
  std::vector<context_ptr> contexts;
  worker_result failed;
  for (int i = 0; i < callers; ++i) {
    contexts.push_back(connect_context(s, failed.error));
    if (!contexts.back()) return failed;
  }
  failed.error = hiredis_set(contexts[0].get(), "OK");
  if (failed.error.empty()) failed.error = hiredis_get(contexts[0].get(), value);
  if (!failed.error.empty()) return failed;

  thread_harness h{callers};
  if (c == bench_case::p128) {
    return h.run([&](int) { hiredis_p128(h, contexts[0].get()); }, w);
  }
  return h.run([&](int i) { hiredis_d1(h, contexts[static_cast<std::size_t>(i)].get(), i); }, w);
}

worker_result run_sync_client(const server_address& s, bench_case c, window w) {
  worker_result failed;
  try {
    respool::sync_client client(respool::bench::make_config(s, false));
    failed.error = sync_verify(client);
    if (!failed.error.empty()) return failed;
    thread_harness h{c == bench_case::c50 ? concurrent_callers : 1};
    if (c == bench_case::p128) return h.run([&](int) { sync_p128(h, client); }, w);
    return h.run([&](int i) { sync_d1(h, client, i); }, w);
  } catch (const std::exception& e) {
    failed.error = std::string("sync_client: ") + e.what();
    return failed;
  }
}

}  // namespace blocking
