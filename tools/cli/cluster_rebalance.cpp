// `--cluster rebalance`: gives each master its weight's share of the slots (weights from
// --cluster-weight, 1 otherwise; masters without slots only with --cluster-use-empty-masters),
// when some master is further from its share than --cluster-threshold percent.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace respool::cli::cluster {
namespace {

struct member {
  node* n;
  float weight;
  int balance = 0;  // slots to give (positive) or to take (negative)
};

// The first node whose id starts with `prefix` (in lower case), or null.
node* by_prefix(manager& m, std::string prefix) {
  std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& n : m.nodes) {
    if (!n->name.empty() && n->name.starts_with(prefix)) return n.get();
  }
  return nullptr;
}

// The weights of --cluster-weight ("id-prefix=weight"), by node. False (reason printed) for a
// word without '=' or a prefix of no node.
bool read_weights(manager& m, std::map<const node*, float>& weights) {
  for (const std::string& word : m.cmd().weights) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      m.log(log_level::err, fmt::format("*** invalid input {}\n", word));
      return false;
    }
    const std::string name = word.substr(0, eq);
    node* n = by_prefix(m, name);
    if (n == nullptr) {
      m.log(log_level::err, fmt::format("*** No such master node {}\n", name));
      return false;
    }
    weights[n] = static_cast<float>(std::atof(word.c_str() + eq + 1));
  }
  return true;
}

// Each member's balance; false when every one is within the threshold of its share.
bool compute_balances(manager& m, std::vector<member>& members, float total_weight) {
  const auto threshold = static_cast<float>(m.cmd().threshold);
  bool over = false;
  int total_balance = 0;
  for (member& e : members) {
    const auto expected =
        total_weight > 0
            ? static_cast<int>(static_cast<float>(slot_count) / total_weight * e.weight)
            : 0;
    e.balance = e.n->slots_count - expected;
    total_balance += e.balance;
    if (threshold > 0) {
      if (e.n->slots_count > 0) {
        const auto off = static_cast<float>(
            std::fabs(100 - (100.0 * expected / static_cast<double>(e.n->slots_count))));
        if (off > threshold) over = true;
      } else if (expected > 1) {
        over = true;
      }
    }
  }
  if (!over) return false;
  // Rounding may leave more slots to give than to take: the takers take the difference. (A
  // pass that finds no taker ends this, where redis-cli would go round for ever.)
  for (bool changed = true; total_balance > 0 && changed;) {
    changed = false;
    for (member& e : members) {
      if (e.balance <= 0 && total_balance > 0) {
        --e.balance;
        --total_balance;
        changed = true;
      }
    }
  }
  return true;
}

// `count` slots from `src` to `dst`, a '#' for each; false (reason printed) on a failure.
bool move_slots(manager& m, node& src, node& dst, int count) {
  print(fmt::format("Moving {} slots from {}:{} to {}:{}\n", count, src.ip, src.port, dst.ip,
                    dst.port));
  const auto table = reshard_table({&src}, count);
  if (static_cast<int>(table.size()) != count) {
    m.log(log_level::err, "*** Assertion failed: Reshard table != number of slots");
    return false;
  }
  if (m.cmd().simulate) {
    print(std::string(table.size(), '#'));
  } else {
    for (const auto& [from, slot] : table) {
      std::string err;
      if (!move_slot(m, *from, dst, slot, move_quiet | move_update, &err)) {
        m.log(log_level::err, fmt::format("*** clusterManagerMoveSlot: {}\n",
                                          err.empty() ? std::string("(null)") : err));
        return false;
      }
      print("#");
    }
  }
  print("\n");
  return true;
}

}  // namespace

bool rebalance(manager& m, std::span<const std::string> args) {
  if (!load_cluster(m, args, false)) return false;
  std::map<const node*, float> weights;
  if (!read_weights(m, weights)) return false;
  std::vector<member> members;
  float total_weight = 0;
  for (const auto& n : m.nodes) {
    if (n->is_slave() || n->replicate) continue;
    if (!m.cmd().use_empty_masters && n->slots_count == 0) continue;
    const auto w = weights.find(n.get());
    members.push_back({n.get(), w == weights.end() ? 1.0F : w->second});
    total_weight += members.back().weight;
  }
  check_cluster(m, true);
  if (!m.errors.empty()) {
    m.log(log_level::err, "*** Please fix your cluster problems before rebalancing\n");
    return false;
  }
  if (!compute_balances(m, members, total_weight)) {
    m.log(log_level::warn,
          fmt::format("*** No rebalancing needed! All nodes are within the {:.2f}% threshold.\n",
                      static_cast<double>(static_cast<float>(m.cmd().threshold))));
    return true;
  }
  // Those that take slots first, those that give them last.
  std::stable_sort(members.begin(), members.end(),
                   [](const member& a, const member& b) { return a.balance < b.balance; });
  m.log(log_level::info, fmt::format(">>> Rebalancing across {} nodes. Total weight = {:.2f}\n",
                                     members.size(), static_cast<double>(total_weight)));
  if (m.opts().verbose) {
    for (const member& e : members) {
      print(fmt::format("{}:{} balance is {} slots\n", e.n->ip, e.n->port, e.balance));
    }
  }
  std::size_t dst = 0;
  std::size_t src = members.size() - 1;
  while (dst < src) {
    const int count = std::min(std::abs(members[dst].balance), std::abs(members[src].balance));
    if (count > 0 && !move_slots(m, *members[src].n, *members[dst].n, count)) return false;
    members[dst].balance += count;
    members[src].balance -= count;
    if (members[dst].balance == 0) ++dst;
    if (members[src].balance == 0) --src;
  }
  return true;
}

}  // namespace respool::cli::cluster
