// --cluster: every client's cluster connection, and the first request that makes it reach
// every master before the first test, as redis-benchmark's clients are all connected before
// they send.
#include "runner_client.hpp"
#include "runner_shared.hpp"
#include <respool/cluster/cluster_config.hpp>
#include <respool/cluster/cluster_connection.hpp>

#include <asio/error.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <system_error>

namespace respool::benchmark {

namespace {

// One EXISTS per master, of a key in a slot it serves: sent once, the request makes the
// cluster connection connect to every master.
std::shared_ptr<const request> reach_every_master(const std::vector<cluster_master>& masters) {
  auto req = std::make_shared<request>();
  for (const cluster_master& m : masters) {
    std::string key = "{";
    key += slot_tag(m.first_slot);
    key += '}';
    req->push("EXISTS", key);
  }
  return req;
}

void connect_failed(runner::shared& s, std::string message) {
  {
    std::lock_guard lock(s.m);
    if (s.connect_error.empty()) s.connect_error = std::move(message);
  }
  s.stop.store(true, std::memory_order_relaxed);
}

}  // namespace

void start_cluster_clients(worker& w, runner::shared& s, const config& node) {
  cluster_config cc;
  for (const cluster_master& m : s.how.cluster) {
    config seed = node;
    seed.host = m.host;
    seed.port = static_cast<std::uint16_t>(m.port);
    seed.unix_socket.clear();
    // A cluster has database 0 alone.
    seed.database = 0;
    // The cluster connection heals what a failover or a resharding breaks: its node
    // connections reconnect, and requests wait for a node connection being made (the
    // redirections and the topology reads rely on both). A lost connection still fails the
    // requests it had written, which stops the run as on a single server.
    seed.reconnect = config{}.reconnect;
    seed.fail_unwritten_when_down = false;
    cc.seeds.push_back(std::move(seed));
  }
  const auto reach = reach_every_master(s.how.cluster);
  auto pending = std::make_shared<std::size_t>(w.clients.size());
  if (*pending == 0) return s.signal();
  runner::shared* sp = &s;
  for (client* c : w.clients) {
    // The clients take the masters in turn, each the first slot of its master for all its
    // keys, as redis-benchmark 7.0 gives each client one master and tags its keys with that
    // master's first slot. With a loop per master (the default), a loop's clients share one.
    c->home_slot = s.how.cluster[c->index % s.how.cluster.size()].first_slot;
    c->cluster = std::make_unique<cluster_connection>(w.ioc, cc);
    c->cluster->async_run([c, sp](std::error_code ec) {
      c->run_ended.store(true);
      if (sp->closed.load() || ec == asio::error::operation_aborted) return;
      connect_failed(*sp, "Cluster connection ended: " + ec.message());
    });
    c->cluster->async_exec(*reach, [reach, pending, sp](std::error_code ec, std::size_t) {
      if (ec && !sp->closed.load()) {
        connect_failed(*sp, "Could not reach every master of the cluster: " + ec.message());
      }
      if (--*pending == 0) sp->signal();
    });
  }
}

}  // namespace respool::benchmark
