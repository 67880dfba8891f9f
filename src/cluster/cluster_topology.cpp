// The cluster's nodes and their connections, and reading the topology.
#include "cluster_impl.hpp"
#include <respool/protocol/error.hpp>

#include <asio/post.hpp>

#include <algorithm>

namespace respool::detail {

namespace {

// What a topology read's reply is made into. `impl` is the cluster; `shards` tells which
// command was sent.
struct refresh_reply {
  cluster_impl* impl;
  std::string_view host;
  bool shards;
  bool parsed = false;
  bool unknown_command = false;
};

void on_refresh_reply(void* p, std::size_t, resp3::reply_view reply, adapt_error&) {
  auto& r = *static_cast<refresh_reply*>(p);
  cluster_impl& c = *r.impl;
  if (!reply.empty() && resp3::is_error(reply.front().data_type)) {
    // Servers before 7 do not know CLUSTER SHARDS: CLUSTER SLOTS is asked next.
    r.unknown_command = r.shards && reply.front().value.find("unknown") != std::string_view::npos;
    c.refresh_why.assign(reply.front().value);
    return;
  }
  r.parsed = r.shards ? cluster::parse_cluster_shards(reply, r.host, c.next_map, c.refresh_why)
                      : cluster::parse_cluster_slots(reply, r.host, c.next_map, c.refresh_why);
}

void on_command_reply(void* p, std::size_t, resp3::reply_view reply, adapt_error&) {
  auto& c = *static_cast<cluster_impl*>(p);
  std::string why;
  if (c.commands.overlay(reply, why)) c.table_read = true;
}

void ignore_done(void*, std::size_t, adapt_error&) {}

}  // namespace

cluster_impl::cluster_impl(asio::any_io_executor executor, cluster_config config)
    : ex{std::move(executor)},
      cfg{std::move(config)},
      gate{cfg.min_refresh_interval},
      refresh_timer{ex},
      periodic_timer{ex},
      rng{std::random_device{}()},
      messages{cfg.seeds.empty() ? respool::config{}.max_queued_pushes
                                 : cfg.seeds.front().max_queued_pushes} {
  if (cfg.seeds.empty()) cfg.seeds.emplace_back();
  owner.fill(no_master);
  shards_req.push("CLUSTER", "SHARDS");
  slots_req.push("CLUSTER", "SLOTS");
  command_req.push("COMMAND");
}

cluster_node& cluster_impl::node_at(std::string_view host, std::uint16_t port) {
  for (const auto& n : nodes) {
    if (n->port == port && n->host == host) return *n;
  }
  auto& n = *nodes.emplace_back(std::make_unique<cluster_node>());
  n.host.assign(host);
  n.port = port;
  return n;
}

config cluster_impl::node_config(const cluster_node& n) const {
  config c = cfg.seeds.front();
  c.host = n.host;
  c.port = n.port;
  c.unix_socket.clear();
  c.wait_for_connection = cfg.node_wait;
  // The cluster resends what did not run itself (to wherever the slot is now); a node's
  // connection resending on its own would go to the old owner.
  c.retry = {};
  return c;
}

connection& cluster_impl::connect(cluster_node& n) {
  if (!n.conn) {
    config c = node_config(n);
    // Every node's, since a master may become a replica: READONLY changes nothing on a master.
    c.readonly = cfg.reads != read_policy::master;
    n.conn = std::make_unique<connection>(ex, std::move(c));
    ++stats.nodes;
    n.conn->async_run([self = shared_from_this(), np = &n](std::error_code) {
      // The connection is done (cancelled, or refused for good): a new one is made if the
      // node is used again. Freed from outside its own completion.
      asio::post(self->ex, [self, np] {
        if (np->conn && !self->stopped) np->conn.reset();
      });
    });
  }
  return *n.conn;
}

void cluster_impl::want_refresh() {
  if (stopped || !running) return;
  const auto now = cluster_clock::now();
  const auto at = gate.want(now);
  if (at == cluster_clock::time_point::max()) return;
  if (at <= now) {
    gate.started(now);
    ++stats.refreshes;
    // Not from inside the reply or completion that asked: post.
    asio::post(ex, [self = shared_from_this()] { self->start_refresh(); });
    return;
  }
  refresh_timer.expires_at(at);
  refresh_timer.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->stopped) return;
    self->gate.timer_fired();
    self->want_refresh();
  });
}

// Asks the nodes known, masters first, then the replicas, then the seeds, until one answers;
// nodes known to be failing or unreachable come last.
void cluster_impl::start_refresh() {
  if (stopped) return;
  candidates.clear();
  const auto add = [this](const std::string& host, std::uint16_t port) {
    if (port == 0 || host.empty()) return;
    const auto same = [&](const auto& c) { return c.first == host && c.second == port; };
    if (std::none_of(candidates.begin(), candidates.end(), same)) {
      candidates.emplace_back(host, port);
    }
  };
  for (const bool healthy : {true, false}) {
    for (const auto role : {cluster::node_role::master, cluster::node_role::replica}) {
      for (const auto& n : map.nodes()) {
        const bool ok =
            n.health != cluster::node_health::failed && reachable(node_at(n.host, node_port(n)));
        if (n.role == role && n.reachable && ok == healthy) add(n.host, node_port(n));
      }
    }
    if (healthy) {
      for (const config& s : cfg.seeds) add(s.host, s.port);
    }
  }
  refresh_from(0, true);
}

bool cluster_impl::reachable(const cluster_node& n) const noexcept {
  // A connection that was up and is down now is reconnecting: its node is likely gone.
  return !(n.conn && !n.conn->is_connected() && n.conn->stats().connects > 0);
}

std::uint16_t cluster_impl::node_port(const cluster::node_info& n) const noexcept {
  return cfg.seeds.front().tls.enabled && n.tls_port != 0 ? n.tls_port : n.port;
}

void cluster_impl::refresh_from(std::size_t i, bool shards) {
  if (stopped) return refresh_done(false);
  if (i >= candidates.size()) return refresh_done(false);
  cluster_node& node = node_at(candidates[i].first, candidates[i].second);
  auto reply = std::make_shared<refresh_reply>(refresh_reply{this, node.host, shards});
  next_map.clear();
  connect(node).launch_exec(
      shards ? shards_req : slots_req,
      erased_response{reply.get(), &on_refresh_reply, &ignore_done},
      [self = shared_from_this(), reply, i, np = &node](std::error_code, std::size_t) {
        if (reply->parsed) {
          self->install_map(*np);
          self->refresh_done(true);
        } else if (reply->unknown_command) {
          self->refresh_from(i, false);
        } else {
          self->refresh_from(i + 1, true);
        }
      },
      asio::cancellation_slot{}, ex);
}

void cluster_impl::refresh_done(bool ok) {
  if (!ok) ++stats.refresh_failures;
  const auto next = gate.finished(cluster_clock::now());
  // With no topology yet, keep asking; else whatever needs one asks again.
  if (!ok && map.nodes().empty()) {
    want_refresh();
  } else if (next != cluster_clock::time_point::max() && !stopped) {
    refresh_timer.expires_at(next);
    refresh_timer.async_wait([self = shared_from_this()](std::error_code ec) {
      if (ec || self->stopped) return;
      self->gate.timer_fired();
      self->want_refresh();
    });
  }
  if (!stopped && wake_waiting_for_nodes()) want_refresh();
  // Subscriptions go where the topology now says (or wait for the next one).
  reconcile_subscriptions();
}

// The topology just read becomes the one routed by; requests that waited for it go.
void cluster_impl::install_map(cluster_node& from) {
  std::swap(map, next_map);
  owner.fill(no_master);
  masters.clear();
  replicas.clear();
  any_master = nullptr;
  for (const auto& n : nodes) n->replica = false;
  for (const cluster::shard& s : map.shards()) {
    const cluster::node_info& m = map.nodes()[s.master];
    // A master its peers see failing serves nothing until a replica takes over: its slots
    // wait, uncovered, and the topology is read again.
    if (!m.reachable || s.ranges.empty() || m.health == cluster::node_health::failed) continue;
    cluster_node& n = node_at(m.host, node_port(m));
    n.retired = false;
    if (any_master == nullptr) any_master = &n;
    for (const cluster::slot_range& r : s.ranges) {
      for (unsigned slot = r.first; slot <= r.last; ++slot) {
        set_owner(static_cast<std::uint16_t>(slot), n);
      }
    }
    replicas.resize(masters.size());
    auto& readers = replicas[owner[s.ranges.front().first]];
    for (const std::size_t r : s.replicas) {
      const cluster::node_info& info = map.nodes()[r];
      if (!info.reachable || info.health == cluster::node_health::failed ||
          info.health == cluster::node_health::loading) {
        continue;
      }
      cluster_node& rn = node_at(info.host, node_port(info));
      rn.replica = true;
      readers.push_back(&rn);
    }
  }
  scan_order.clear();
  for (const std::uint16_t i : owner) {
    if (i != no_master &&
        std::find(scan_order.begin(), scan_order.end(), masters[i]) == scan_order.end()) {
      scan_order.push_back(masters[i]);
    }
  }
  retire_absent_nodes();
  if (!table_read) {
    // The server's own key specifications, once: modules' commands route too.
    connect(from).launch_exec(
        command_req, erased_response{this, &on_command_reply, &ignore_done},
        [self = shared_from_this()](std::error_code, std::size_t) {}, asio::cancellation_slot{},
        ex);
    table_read = true;
  }
  std::vector<cluster_op*> ready;
  ready.swap(waiting);
  for (cluster_op* op : ready) {
    op->waiting = false;
    op->timer_armed = false;  // its wait is over: the timer's handler does nothing
    op->timer->cancel();
    dispatch(*op);
  }
}

void cluster_impl::set_owner(std::uint16_t slot, cluster_node& n) {
  std::size_t i = 0;
  while (i < masters.size() && masters[i] != &n) ++i;
  if (i == masters.size()) {
    masters.push_back(&n);
    replicas.resize(masters.size());
  }
  owner[slot] = static_cast<std::uint16_t>(i);
}

// Nodes gone from the topology lose their connections: requests stop going there.
void cluster_impl::retire_absent_nodes() {
  for (const auto& n : nodes) {
    const bool listed = std::any_of(
        map.nodes().begin(), map.nodes().end(),
        [&](const cluster::node_info& i) { return i.host == n->host && node_port(i) == n->port; });
    n->retired = !listed;
    if (!listed && n->conn) n->conn->cancel();
    if (!listed) drop_node_subscriptions(*n);
  }
}

void cluster_impl::arm_periodic() {
  if (cfg.refresh_interval.count() <= 0 || stopped) return;
  const auto full = cfg.refresh_interval.count();
  std::uniform_int_distribution<long long> spread(full * 4 / 5, full);
  periodic_timer.expires_after(std::chrono::milliseconds(spread(rng)));
  periodic_timer.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec || self->stopped) return;
    self->want_refresh();
    self->arm_periodic();
  });
}

void cluster_impl::run(asio::cancellation_slot slot) {
  if (running || stopped) {
    run_handler.post(running ? asio::error::already_started : asio::error::operation_aborted);
    return;
  }
  running = true;
  if (slot.is_connected()) {
    slot.assign([self = shared_from_this()](asio::cancellation_type) { self->stop(); });
  }
  want_refresh();
  arm_periodic();
}

void cluster_impl::stop() {
  if (stopped) return;
  stopped = true;
  refresh_timer.cancel();
  periodic_timer.cancel();
  for (const auto& n : nodes) {
    if (n->conn) n->conn->cancel();
  }
  stop_pubsub();
  std::vector<cluster_op*> idle;
  idle.swap(waiting);
  for (cluster_op* op : idle) {
    op->waiting = false;
    op->timer_armed = false;
    op->timer->cancel();
    op->failure = asio::error::operation_aborted;
    proceed(*op);
  }
  if (running) {
    running = false;
    run_handler.dispatch(asio::error::operation_aborted);
  }
}

}  // namespace respool::detail
