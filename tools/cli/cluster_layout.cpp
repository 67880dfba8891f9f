// Where `--cluster create` puts the slots and the replicas, as redis-cli does: the nodes are
// interleaved by IP address, the first ones become the masters with equal slot ranges, the
// others are handed out as replicas preferring a host other than their master's, and then
// replicas are swapped between masters at random to improve the anti-affinity.
//
// redis-cli draws its swaps from rand() seeded with the time, so which master a replica ends
// up with differs from run to run when several layouts score the same (always, when all
// nodes share one host). respool-cli draws them from a generator with a fixed seed: the same
// nodes give the same layout every time.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>
#include <utility>

namespace respool::cli::cluster {
namespace {

// The masters' slot ranges: 16384 / masters slots each, rounded as redis-cli rounds them (in
// single precision), the last range ending at the last slot.
void assign_slots(std::span<node* const> masters) {
  const float per_master = static_cast<float>(slot_count) / static_cast<float>(masters.size());
  long first = 0;
  float cursor = 0.0F;
  for (std::size_t i = 0; i < masters.size(); ++i) {
    node& master = *masters[i];
    long last = std::lround(cursor + per_master - 1);
    if (last > slot_count || i + 1 == masters.size()) last = slot_count - 1;
    if (last < first) last = first;
    print(fmt::format("Master[{}] -> Slots {} - {}\n", i, first, last));
    master.slots_count = 0;
    for (long j = first; j <= last; ++j) {
      master.slots.set(static_cast<std::size_t>(j));
      ++master.slots_count;
    }
    master.dirty = true;
    first = last + 1;
    cursor += per_master;
  }
}

// Up to `replicas` replicas per master from `pool` (then, when some are left, one more per
// master): first a node on another host; else the first one left on the same host, skipping
// the nodes before it for good, as redis-cli does.
void assign_replicas(std::span<node* const> masters, std::vector<node*> pool, int replicas) {
  std::size_t start = 0;
  std::size_t available = pool.size();
  for (bool extra = false;; extra = true) {
    for (node* master : masters) {
      for (int assigned = 0; assigned < replicas && available > 0;) {
        node* replica = nullptr;
        std::optional<std::size_t> same_host;
        for (std::size_t j = start; j < pool.size() && replica == nullptr; ++j) {
          if (pool[j] == nullptr) continue;
          if (pool[j]->ip != master->ip) {
            replica = std::exchange(pool[j], nullptr);
          } else if (!same_host) {
            same_host = j;
          }
        }
        if (replica == nullptr && same_host) {
          replica = pool[*same_host];
          start = *same_host + 1;
        }
        if (replica == nullptr) break;
        ++assigned;
        --available;
        replica->replicate = master->name;
        replica->dirty = true;
        print(fmt::format("Adding replica {}:{} to {}:{}\n", replica->ip, replica->port, master->ip,
                          master->port));
        if (extra) break;
      }
    }
    if (extra || available == 0) return;
    print("Adding extra replicas...\n");
  }
}

// How badly replicas share a host with their master (10000 each) or with another replica of
// the same master (1 each); `offenders` gets, per offending group, a replica in it.
int affinity_score(manager& m, const std::vector<std::vector<node*>>& hosts,
                   std::vector<node*>* offenders) {
  int score = 0;
  for (const auto& host : hosts) {
    // Per master id: 'm' when the master is on this host, then an 's' per replica here.
    std::vector<std::pair<std::string, std::string>> groups;
    for (const node* n : host) {
      const std::string& key = n->replicate ? *n->replicate : n->name;
      auto it = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == key; });
      if (it == groups.end()) it = groups.insert(groups.end(), {key, ""});
      if (n->replicate) {
        it->second += 's';
      } else {
        it->second.insert(0, 1, 'm');
      }
    }
    for (const auto& [master, kinds] : groups) {
      const int count = static_cast<int>(kinds.size());
      if (count < 2) continue;
      score += kinds[0] == 'm' ? 10000 * (count - 1) : count;
      if (offenders == nullptr) continue;
      for (const auto& n : m.nodes) {
        if (n->replicate == master && n->ip == host.front()->ip) {
          offenders->push_back(n.get());
          break;
        }
      }
    }
  }
  return score;
}

void improve_affinity(manager& m, const std::vector<std::vector<node*>>& hosts) {
  if (affinity_score(m, hosts, nullptr) == 0) return;
  m.log(log_level::info, ">>> Trying to optimize slaves allocation for anti-affinity\n");
  std::minstd_rand random(20231207);  // fixed: the same layout on every run
  for (std::size_t tries = 500 * m.nodes.size(); tries > 0; --tries) {
    std::vector<node*> offenders;
    const int score = affinity_score(m, hosts, &offenders);
    if (score == 0 || offenders.empty()) break;
    node* first = offenders[random() % offenders.size()];
    std::vector<node*> others;
    for (const auto& n : m.nodes) {
      if (n.get() != first && n->replicate) others.push_back(n.get());
    }
    if (others.empty()) break;
    node* second = others[random() % others.size()];
    std::swap(first->replicate, second->replicate);
    first->dirty = second->dirty = true;
    // A swap that makes it worse is undone; an equal one is kept (several may be needed).
    if (affinity_score(m, hosts, nullptr) > score) std::swap(first->replicate, second->replicate);
  }
  const int score = affinity_score(m, hosts, nullptr);
  if (score == 0) {
    m.log(log_level::ok, "[OK] Perfect anti-affinity obtained!\n");
  } else if (score >= 10000) {
    m.log(log_level::warn, "[WARNING] Some slaves are in the same host as their master\n");
  } else {
    m.log(log_level::warn, "[WARNING] Some slaves of the same master are in the same host\n");
  }
}

}  // namespace

std::vector<std::vector<node*>> nodes_by_ip(manager& m) {
  std::vector<std::vector<node*>> hosts;
  for (const auto& n : m.nodes) {
    auto it = std::find_if(hosts.begin(), hosts.end(),
                           [&](const auto& h) { return h.front()->ip == n->ip; });
    if (it == hosts.end()) it = hosts.insert(hosts.end(), std::vector<node*>{});
    it->push_back(n.get());
  }
  return hosts;
}

void plan_layout(manager& m, int masters) {
  const auto hosts = nodes_by_ip(m);
  // One node of each host in turn, until every node is placed.
  std::vector<node*> order;
  for (std::size_t round = 0; order.size() < m.nodes.size(); ++round) {
    for (const auto& host : hosts) {
      if (round < host.size()) order.push_back(host[round]);
    }
  }
  const auto split = order.begin() + masters;
  const std::vector<node*> chosen(order.begin(), split);
  std::vector<node*> pool(split, order.end());
  assign_slots(chosen);
  // The pool's first node goes last before the replicas are handed out, as in redis-cli.
  if (!pool.empty()) std::rotate(pool.begin(), pool.begin() + 1, pool.end());
  assign_replicas(chosen, std::move(pool), m.cmd().replicas);
  improve_affinity(m, hosts);
}

}  // namespace respool::cli::cluster
