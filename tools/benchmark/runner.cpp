#include "runner.hpp"

#include "runner_client.hpp"
#include "runner_shared.hpp"
#include "stall_watch.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/request.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <sys/resource.h>

namespace respool::benchmark {

namespace {

double seconds_of(const ::timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

struct cpu_times {
  double user = 0, system = 0;
};

cpu_times process_cpu() {
  ::rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return {seconds_of(ru.ru_utime), seconds_of(ru.ru_stime)};
}

// Signals the phase done, on `w`'s loop, once every client of `w` is up or has failed (the
// error itself is reported by async_run's handler).
void signal_when_settled(worker& w, runner::shared& s) {
  auto pending = std::make_shared<std::size_t>(w.clients.size());
  if (*pending == 0) return s.signal();
  for (client* c : w.clients) {
    c->conn->async_wait_connected([pending, &s](std::error_code) {
      if (--*pending == 0) s.signal();
    });
  }
}

// Why a connection's run ended, as the connect phase reports it.
std::string run_end_message(const runner::shared& s, connection& conn, std::error_code ec) {
  if (ec == error::setup_failed && !conn.setup_error().empty()) {
    return "Error from server: " + conn.setup_error();
  }
  if (ec == error::connect_timeout && s.stall_bounds_connect) {
    return "Could not connect to Redis at " + s.where + ": " + stall_message(s.how.stall_timeout) +
           " (--stall-timeout)";
  }
  return "Could not connect to Redis at " + s.where + ": " + ec.message();
}

// The members of connection_stats and cluster_stats, by the names --json gives them.
template <class Stats>
using stats_field = std::pair<std::string_view, std::uint64_t Stats::*>;

constexpr stats_field<connection_stats> connection_fields[] = {
    {"connects", &connection_stats::connects},
    {"connect_failures", &connection_stats::connect_failures},
    {"disconnects", &connection_stats::disconnects},
    {"writes", &connection_stats::writes},
    {"write_batches", &connection_stats::write_batches},
    {"reads", &connection_stats::reads},
    {"replies", &connection_stats::replies},
    {"pushes", &connection_stats::pushes},
    {"pushes_dropped", &connection_stats::pushes_dropped},
    {"health_checks", &connection_stats::health_checks},
    {"retries", &connection_stats::retries}};

constexpr stats_field<cluster_stats> cluster_fields[] = {
    {"refreshes", &cluster_stats::refreshes},
    {"refresh_failures", &cluster_stats::refresh_failures},
    {"moved", &cluster_stats::moved},
    {"asked", &cluster_stats::asked},
    {"retries", &cluster_stats::retries},
    {"split", &cluster_stats::split},
    {"nodes", &cluster_stats::nodes},
    {"resubscribed", &cluster_stats::resubscribed},
    {"messages_dropped", &cluster_stats::messages_dropped}};

template <class Stats, std::size_t N>
void add_up(Stats& total, const Stats& s, const stats_field<Stats> (&fields)[N]) {
  for (const auto& [name, member] : fields) total.*member += s.*member;
}

void add_up(stats_sum& total, const stats_sum& s) {
  add_up(total.connections, s.connections, connection_fields);
  add_up(total.cluster, s.cluster, cluster_fields);
}

template <class Stats, std::size_t N>
std::vector<counter> growth(const Stats& before, const Stats& after,
                            const stats_field<Stats> (&fields)[N]) {
  std::vector<counter> out;
  for (const auto& [name, member] : fields) out.push_back({name, after.*member - before.*member});
  return out;
}

// The counters from `before` to `after`: a cluster connection's own with --cluster (its node
// connections are not reachable), else the connections'.
connection_counters growth(const runner::shared& s, const stats_sum& before,
                           const stats_sum& after) {
  connection_counters out;
  if (s.how.cluster.empty()) {
    out.connections = growth(before.connections, after.connections, connection_fields);
  } else {
    out.cluster = growth(before.cluster, after.cluster, cluster_fields);
  }
  return out;
}

// Every client's counters so far, each loop reading its own clients', summed.
stats_sum gather_stats(runner::shared& s) {
  std::vector<stats_sum> per_loop(s.workers.size());
  s.begin_phase();
  for (std::size_t i = 0; i < s.workers.size(); ++i) {
    worker* wp = s.workers[i].get();
    stats_sum* out = &per_loop[i];
    runner::shared* sp = &s;
    asio::post(wp->ioc, [wp, out, sp] {
      for (const client* c : wp->clients) c->add_stats(*out);
      sp->signal();
    });
  }
  s.await(s.workers.size());
  stats_sum total;
  for (const stats_sum& loop : per_loop) add_up(total, loop);
  return total;
}

}  // namespace

void client::add_stats(stats_sum& sum) const {
  if (conn) add_up(sum.connections, conn->stats(), connection_fields);
  add_up(sum.connections, closed, connection_fields);
  if (cluster) add_up(sum.cluster, cluster->stats(), cluster_fields);
}

void client::open() {
  auto fresh = std::make_shared<connection>(w->ioc, s->conn_cfg);
  conn = fresh;
  fresh->async_run([this, fresh](std::error_code ec) mutable {
    const bool current = conn == fresh;
    // Destroyed from the loop once this handler is done, not inside its own run.
    asio::post(w->ioc, [done = std::move(fresh)] {});
    if (!current) return;  // -k 0 closed it after its request
    run_ended.store(true);
    if (s->closed.load() || ec == asio::error::operation_aborted) return;
    std::string message = run_end_message(*s, *conn, ec);
    {
      std::lock_guard lock(s->m);
      if (s->connect_error.empty()) s->connect_error = message;
      if (s->lost_reason.empty()) s->lost_reason = ec.message();
    }
    // A connection that ends during a test fails its request; the test stops then.
    s->stop.store(true, std::memory_order_relaxed);
    if (s->idling.load()) s->signal();
  });
}

void client::reopen() {
  conn->cancel();
  // Its counters are final once it is cancelled; the next connection replaces it.
  add_up(closed, conn->stats(), connection_fields);
  open();
  conn->async_wait_connected([this](std::error_code ec) {
    if (!ec) return send();
    // The run's handler has said why, and stopped the test.
    s->fail({failure::kind::connection, ec.message()});
    finish();
  });
}

runner::runner(config server, load how) : s_{std::make_unique<shared>()} {
  s_->server = std::move(server);
  s_->how = how;
  const int loops = std::max(1, how.threads);
  for (int i = 0; i < loops; ++i) s_->workers.push_back(std::make_unique<worker>(how.precision));
  for (int i = 0; i < how.clients; ++i) {
    auto c = std::make_unique<client>();
    c->s = s_.get();
    c->index = static_cast<std::size_t>(i);
    c->w = s_->workers[static_cast<std::size_t>(i) % s_->workers.size()].get();
    c->w->clients.push_back(c.get());
    // Every client draws its own sequence.
    const std::uint64_t base =
        how.seed ? *how.seed : static_cast<std::uint64_t>(clock::now().time_since_epoch().count());
    c->rng.seed(base + static_cast<std::uint64_t>(i));
    s_->clients.push_back(std::move(c));
  }
  s_->inline_loop = how.threads <= 0 ? &s_->workers.front()->ioc : nullptr;
  if (s_->inline_loop == nullptr) {
    for (auto& w : s_->workers) {
      worker* raw = w.get();
      w->thread = std::thread([raw] { raw->ioc.run(); });
    }
  }
}

bool runner::shared::begin_test(const test_case& test, std::uint64_t requests) {
  // The workers are idle between tests: what they own is safe to set up from here, and the
  // posts that start the test publish it to them.
  for (auto& c : clients) c->prepare(test, requests, how);
  for (auto& w : workers) {
    w->latency.reset();
    w->finished.store(0, std::memory_order_relaxed);
    w->latency_sum.store(0, std::memory_order_relaxed);
    w->active = w->clients.size();
  }
  begin_phase();
  {
    std::lock_guard lock(m);
    failed.reset();
  }
  remaining.store(static_cast<std::int64_t>(std::min<std::uint64_t>(requests, INT64_MAX / 2)),
                  std::memory_order_relaxed);
  // A connection lost between tests has already set `stop`: the test then ends at once.
  const bool lost = std::any_of(clients.begin(), clients.end(),
                                [](const auto& c) { return c->run_ended.load(); });
  stop.store(lost, std::memory_order_relaxed);
  return lost;
}

std::uint64_t runner::shared::finished() const {
  std::uint64_t n = 0;
  for (const auto& w : workers) n += w->finished.load(std::memory_order_relaxed);
  return n;
}

void runner::shared::cancel_connections() {
  for (auto& w : workers) {
    worker* wp = w.get();
    asio::post(wp->ioc, [wp] {
      for (client* c : wp->clients) {
        if (c->conn) c->conn->cancel();
        if (c->cluster) c->cluster->cancel();
      }
    });
  }
}

runner::~runner() { close(); }

bool runner::connect(std::string& why) {
  config cfg = s_->server;
  // A benchmark connection fails loudly instead of healing: no reconnection, no health-check
  // PINGs among the measured commands.
  cfg.reconnect.enabled = false;
  cfg.health_check_interval = std::chrono::milliseconds(0);
  cfg.fail_unwritten_when_down = true;
  // Asio's reads and writes rather than writev()/recv() after a readiness wait: with Asio
  // 1.22 every such wait re-registers the socket with epoll (one epoll_ctl per wait, and an
  // EPOLLOUT event that wakes the loop for nothing), which Asio's own reads never do.
  // Measured with 50 clients on this project's 2-vCPU machine: 3 to 9 % less client CPU per
  // request, the same throughput (bench/RESULTS.md, "respool-benchmark against
  // redis-benchmark").
  cfg.direct_writev = false;
  if (s_->how.read_buffer_size != 0) cfg.read_buffer_size = s_->how.read_buffer_size;
  // The setup ends with a PING: a server that never answers is a stall there too.
  const auto stall = s_->how.stall_timeout;
  const bool stall_bounds_connect =
      stall > std::chrono::milliseconds::zero() && stall < cfg.connect_timeout;
  if (stall_bounds_connect) cfg.connect_timeout = stall;

  s_->begin_phase();
  {
    std::lock_guard lock(s_->m);
    s_->connect_error.clear();
  }
  s_->conn_cfg = cfg;
  s_->where = cfg.unix_socket.empty() ? cfg.host + ":" + std::to_string(cfg.port) : cfg.unix_socket;
  s_->stall_bounds_connect = stall_bounds_connect;
  for (auto& w : s_->workers) {
    worker* wp = w.get();
    shared* s = s_.get();
    if (!s->how.cluster.empty()) {
      asio::post(wp->ioc, [wp, s, cfg] { start_cluster_clients(*wp, *s, cfg); });
      continue;
    }
    // Each connection is made and run on its own loop's thread, as a connection wants.
    asio::post(wp->ioc, [wp, s] {
      for (client* c : wp->clients) c->open();
      signal_when_settled(*wp, *s);
    });
  }
  s_->await(s_->workers.size());
  std::lock_guard lock(s_->m);
  if (!s_->connect_error.empty()) {
    why = s_->connect_error;
    return false;
  }
  return true;
}

std::optional<server_settings> runner::fetch_server_settings(std::optional<failure>& stalled) {
  stalled.reset();
  if (s_->clients.empty()) return std::nullopt;
  client* c = s_->clients.front().get();
  std::promise<std::optional<server_settings>> done;
  auto answer = done.get_future();
  shared* s = s_.get();
  s->begin_phase();
  asio::post(c->w->ioc, [c, s, &done] {
    // Each reply maps the parameter's name to its value (a flat array in RESP2, a map in
    // RESP3; the adapter reads both).
    using settings_map = std::map<std::string, std::string>;
    struct state {
      request req;
      std::tuple<settings_map, settings_map> resp;
    };
    auto st = std::make_shared<state>();
    st->req.push("CONFIG", "GET", "save");
    st->req.push("CONFIG", "GET", "appendonly");
    c->conn->async_exec(st->req, st->resp, [st, s, &done](std::error_code ec, std::size_t) {
      const auto& [save, appendonly] = st->resp;
      const auto s_it = save.find("save");
      const auto a_it = appendonly.find("appendonly");
      if (ec || s_it == save.end() || a_it == appendonly.end()) {
        done.set_value(std::nullopt);
      } else {
        done.set_value(server_settings{s_it->second, a_it->second});
      }
      s->signal();
    });
  });
  // Nothing completes in the meantime: the watch sees a count that never moves.
  if (s->await_watched(1, {}, std::chrono::milliseconds(250), [] { return std::uint64_t{0}; })) {
    stalled = failure{failure::kind::stalled, stall_message(s->how.stall_timeout)};
  }
  return answer.get();
}

test_figures runner::run(const test_case& test, std::uint64_t requests,
                         const std::function<void(const progress&)>& on_tick,
                         std::optional<failure>& failed, std::chrono::milliseconds tick) {
  shared& s = *s_;
  test_figures fig;
  fig.title = test.title;
  fig.payload = test.payload;
  fig.latency = histogram(s.how.precision);
  failed.reset();
  const stats_sum stats_before = gather_stats(s);
  const bool lost = s.begin_test(test, requests);

  const cpu_times cpu_before = process_cpu();
  const std::uint64_t allocs_before = s.how.allocation_counter ? s.how.allocation_counter() : 0;
  const clock::time_point start = clock::now();
  for (auto& w : s.workers) {
    worker* wp = w.get();
    asio::post(wp->ioc, [wp, &s] {
      if (wp->clients.empty()) {
        wp->end = clock::now();
        return s.signal();
      }
      for (client* c : wp->clients) c->send();
    });
  }

  std::function<void()> sample;
  if (on_tick) {
    sample = [&] {
      progress p;
      for (auto& w : s.workers) {
        p.finished += w->finished.load(std::memory_order_relaxed);
        p.latency_sum_ns += w->latency_sum.load(std::memory_order_relaxed);
      }
      p.elapsed_seconds = std::chrono::duration<double>(clock::now() - start).count();
      on_tick(p);
    };
  }
  s.await_watched(s.workers.size(), sample, tick, [&s] { return s.finished(); });
  {
    std::lock_guard lock(s.m);
    failed = s.failed;
    if (lost && !failed) {
      failed = failure{failure::kind::connection, "Server closed the connection"};
    }
  }

  clock::time_point end = start;
  for (auto& w : s.workers) {
    end = std::max(end, w->end);
    fig.latency.merge(w->latency);
    fig.requests += w->finished.load(std::memory_order_relaxed);
  }
  const cpu_times cpu_after = process_cpu();
  if (s.how.allocation_counter) fig.allocations = s.how.allocation_counter() - allocs_before;
  fig.seconds = std::chrono::duration<double>(end - start).count();
  fig.cpu_user_seconds = cpu_after.user - cpu_before.user;
  fig.cpu_system_seconds = cpu_after.system - cpu_before.system;
  fig.counters = growth(s, stats_before, gather_stats(s));
  return fig;
}

connection_counters runner::counters() {
  if (s_->closed.load()) return {};
  return growth(*s_, stats_sum{}, gather_stats(*s_));
}

std::string runner::idle(const std::function<void(std::size_t)>& tick,
                         std::chrono::milliseconds interval) {
  shared& s = *s_;
  s.begin_phase();
  s.idling.store(true);
  const auto live = [&s] {
    return static_cast<std::size_t>(std::count_if(
        s.clients.begin(), s.clients.end(), [](const auto& c) { return !c->run_ended.load(); }));
  };
  // A connection lost before the phase began has signalled nothing: it ends the phase now.
  if (live() == s.clients.size())
    s.await(
        1, [&] { tick(live()); }, interval);
  s.idling.store(false);
  std::lock_guard lock(s.m);
  return s.lost_reason.empty() ? std::string("Server closed the connection") : s.lost_reason;
}

void runner::close() {
  if (!s_ || s_->closed.exchange(true)) return;
  s_->cancel_connections();
  for (auto& w : s_->workers) w->guard.reset();
  for (auto& w : s_->workers) {
    if (w->thread.joinable()) {
      w->thread.join();
    } else {
      // The inline loop: run it here until the connections have wound down.
      w->ioc.restart();
      w->ioc.run();
    }
  }
  s_->clients.clear();
}

}  // namespace respool::benchmark
