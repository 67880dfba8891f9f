// The runner's event loops and clients: a worker runs one loop and its clients; a client
// sends a test's requests over its connection (or cluster connection) one after the other.
#pragma once

#include "histogram.hpp"
#include "reply_tally.hpp"
#include "runner_shared.hpp"
#include "suite.hpp"
#include <respool/cluster/cluster_connection.hpp>
#include <respool/io/connection.hpp>
#include <respool/protocol/request.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace respool::benchmark {

using detail::clock;

// What the clients' connections have counted so far, summed (runner.cpp).
struct stats_sum {
  connection_stats connections;
  cluster_stats cluster;
};

// One event loop and the clients it runs.
struct worker {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  std::thread thread;
  std::vector<client*> clients;
  histogram latency;
  // Read by the progress ticks of the thread that runs the test; written by this worker only.
  std::atomic<std::uint64_t> finished{0};
  std::atomic<std::uint64_t> latency_sum{0};
  std::size_t active = 0;  // clients still sending in the current test
  clock::time_point end{};

  explicit worker(int precision) : latency(precision) {}

  void record(std::uint64_t ns, std::uint32_t n) noexcept {
    latency.record(ns, n);
    // One writer: a plain load and store, no read-modify-write.
    finished.store(finished.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    latency_sum.store(latency_sum.load(std::memory_order_relaxed) + ns * n,
                      std::memory_order_relaxed);
  }
};

struct client {
  runner::shared* s = nullptr;
  worker* w = nullptr;
  // One or the other: a connection to the server, or with --cluster a cluster connection.
  // The connection is shared with its async_run handler, which keeps it until its run ends
  // (-k 0 replaces it while the old one winds down).
  std::shared_ptr<connection> conn;
  std::unique_ptr<cluster_connection> cluster;
  std::size_t index = 0;               // among all the clients
  std::uint16_t home_slot = 0;         // --cluster: the slot of its keys (start_cluster_clients)
  std::atomic<bool> run_ended{false};  // set on its loop, read by run() between tests
  connection_stats closed;             // -k 0: what its closed connections counted

  // The test's command, its "__rand_int__" positions (argument, offset) when -r replaces
  // them, and the requests: `full` holds a pipeline, `partial` the remainder the last claim
  // may get; with placeholders to replace, `work` is rebuilt for every request instead.
  std::vector<std::string> args;
  std::vector<std::pair<std::size_t, std::size_t>> holes;
  request full, partial, work;
  std::uint32_t pipeline = 1;
  std::uint64_t keyspace = 0;
  std::mt19937_64 rng;

  detail::reply_tally tally;
  clock::time_point sent{};
  std::uint32_t in_flight = 0;

  struct on_exec {
    client* c;
    void operator()(std::error_code ec, std::size_t) const { c->completed(ec); }
  };

  void prepare(const test_case& test, std::uint64_t requests, const load& how) {
    args = test.args;
    holes.clear();
    if (how.random_keys) find_all(rand_placeholder, holes);
    if (cluster) put_tag();
    pipeline = static_cast<std::uint32_t>(how.pipeline);
    keyspace = how.keyspace;
    full.clear();
    partial.clear();
    work.clear();
    if (!holes.empty()) {
      // A large argument would be referenced, not copied, and the next command's digits
      // would overwrite it before the write: with placeholders in one, copy everything.
      const bool large = std::any_of(holes.begin(), holes.end(), [&](const auto& h) {
        return args[h.first].size() >= request::default_copy_threshold;
      });
      work = large ? request(request_config{SIZE_MAX}) : request();
      build(work, pipeline);  // sizes its buffers once
      return;
    }
    build(full, pipeline);
    if (const std::uint64_t rest = requests % pipeline; rest != 0) {
      build(partial, static_cast<std::uint32_t>(rest));
    }
  }

  // Every (argument, offset) of `placeholder` in the command.
  void find_all(std::string_view placeholder,
                std::vector<std::pair<std::size_t, std::size_t>>& out) {
    for (std::size_t a = 0; a < args.size(); ++a) {
      for (std::size_t at = args[a].find(placeholder); at != std::string::npos;
           at = args[a].find(placeholder, at + placeholder.size())) {
        out.emplace_back(a, at);
      }
    }
  }

  void build(request& req, std::uint32_t n) {
    req.clear();
    const std::span<const std::string> rest(args.data() + 1, args.size() - 1);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!holes.empty()) fill_holes();
      req.push_range(args[0], rest);
    }
  }

  // --cluster: every "{tag}" of the command becomes the tag of home_slot, so that all the
  // keys of every request (MSET's ten, a whole pipeline) are in that slot, on one master.
  void put_tag() {
    const std::string_view tag = slot_tag(home_slot);
    for (std::string& arg : args) {
      for (std::size_t at = arg.find(tag_placeholder); at != std::string::npos;
           at = arg.find(tag_placeholder, at + tag_placeholder.size())) {
        std::copy(tag.begin(), tag.end(), arg.begin() + static_cast<std::ptrdiff_t>(at) + 1);
      }
    }
  }

  void fill_holes() noexcept {
    for (const auto& [a, at] : holes) {
      std::uint64_t r = keyspace == 0 ? 0 : rng() % keyspace;
      char* p = args[a].data() + at;
      for (std::size_t j = rand_digits; j-- > 0;) {
        p[j] = static_cast<char>('0' + r % 10);
        r /= 10;
      }
    }
  }

  // Claims the next request's commands and sends them, or retires.
  void send() {
    if (s->stop.load(std::memory_order_relaxed)) return finish();
    const std::int64_t before = s->remaining.fetch_sub(pipeline, std::memory_order_relaxed);
    if (before <= 0) return finish();
    const auto n = static_cast<std::uint32_t>(std::min<std::int64_t>(before, pipeline));
    const request* req = nullptr;
    if (!holes.empty()) {
      build(work, n);
      req = &work;
    } else {
      req = n == pipeline ? &full : &partial;
    }
    in_flight = n;
    tally.replies = 0;
    tally.errors = 0;
    sent = clock::now();
    if (cluster) {
      cluster->async_exec(*req, tally, on_exec{this});
    } else {
      conn->async_exec(*req, tally, on_exec{this});
    }
  }

  void completed(std::error_code ec) {
    const clock::time_point first = tally.replies > 0 ? tally.first : clock::now();
    if (!ec && tally.errors == 0) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(first - sent).count();
      w->record(static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0)), in_flight);
      // -k 0: a new connection for the next request, when one is left to send.
      const bool more = s->remaining.load(std::memory_order_relaxed) > 0;
      return s->how.keepalive || cluster || !more ? send() : reopen();
    }
    if (tally.errors > 0) {
      s->fail({failure::kind::server_error, tally.first_error});
    } else {
      s->fail({failure::kind::connection, ec.message()});
    }
    finish();
  }

  // Makes a new connection to the server and runs it (runner.cpp).
  void open();
  // -k 0: closes the connection, opens another, and sends the next request once it is set up
  // (runner.cpp).
  void reopen();
  // Adds what its connections have counted to `sum`, on its loop (runner.cpp).
  void add_stats(stats_sum& sum) const;

  void finish() {
    if (--w->active == 0) {
      w->end = clock::now();
      s->signal();
    }
  }
};

// --cluster: makes and runs a cluster connection for every client of `w`, seeded with the
// masters of s.how.cluster, each node reached with `node`'s settings; signals the phase done
// once every client has reached every master or failed (runner_cluster.cpp).
void start_cluster_clients(worker& w, runner::shared& s, const config& node);

}  // namespace respool::benchmark
