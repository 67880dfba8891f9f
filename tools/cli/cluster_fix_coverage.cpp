// `--cluster fix`: the slots no master serves. Each is given, after a question that
// --cluster-yes does not answer, to a random master (no master has its keys), to the master
// that has its keys, or to the master with the most of them (the others' keys moved there).
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace respool::cli::cluster {
namespace {

using node_list = std::vector<node*>;

// "[1-3],[7]" for the slots.
void print_slots(const std::vector<std::string>& slots) {
  std::bitset<slot_count> set;
  for (const std::string& s : slots) {
    const int slot = std::atoi(s.c_str());
    if (slot >= 0 && slot < slot_count) set.set(static_cast<std::size_t>(slot));
  }
  print(slots_text(set) + "\n");
}

// For each uncovered slot, the masters that have keys of it. False on a node's error.
bool masters_with_keys(manager& m, const std::bitset<slot_count>& covered,
                       std::map<std::string, node_list>& holders, std::vector<std::string>& order) {
  for (int slot = 0; slot < slot_count; ++slot) {
    if (covered.test(static_cast<std::size_t>(slot))) continue;
    const std::string name = std::to_string(slot);
    node_list& with_keys = holders[name];
    for (const auto& n : m.nodes) {
      if (n->is_slave() || n->replicate) continue;
      const reply r = m.command(*n, {"CLUSTER", "GETKEYSINSLOT", name, "1"});
      if (r.error()) m.log_reply_error(*n, r.text);
      if (!r.ok()) return false;
      if (!r.strings().empty()) with_keys.push_back(n.get());
    }
    order.push_back(name);
  }
  return true;
}

// Gives `slot` (an empty one, or one whose keys are all in `n`) to `n`.
bool cover(manager& m, const std::string& slot, node& n, int& fixed) {
  m.log(log_level::info, fmt::format(">>> Covering slot {} with {}:{}\n", slot, n.ip, n.port));
  const int s = std::atoi(slot.c_str());
  if (!set_slot_owner(m, n, s, false)) return false;
  n.slots.set(static_cast<std::size_t>(s));
  ++fixed;
  return true;
}

// The slots with keys nowhere go to a random master each.
bool cover_empty(manager& m, const std::vector<std::string>& slots, int& fixed) {
  print("The following uncovered slots have no keys across the cluster:\n");
  print_slots(slots);
  if (!confirm(m, "Fix these slots by covering with a random node?", true)) return true;
  for (const std::string& slot : slots) {
    node* n = random_master(m);
    if (n == nullptr) return false;
    if (!cover(m, slot, *n, fixed)) return false;
  }
  return true;
}

// The slots with keys in one master go to it.
bool cover_single(manager& m, const std::vector<std::string>& slots,
                  std::map<std::string, node_list>& holders, int& fixed) {
  print("The following uncovered slots have keys in just one node:\n");
  print_slots(slots);
  if (!confirm(m, "Fix these slots by covering with those nodes?", true)) return true;
  for (const std::string& slot : slots) {
    node* n = holders[slot].front();
    if (!cover(m, slot, *n, fixed)) return false;
  }
  return true;
}

// The slots with keys in several masters go to the one with the most, the others' keys moved
// there (each of them importing the slot meanwhile, so that MIGRATE is not redirected).
bool cover_multi(manager& m, const std::vector<std::string>& slots,
                 std::map<std::string, node_list>& holders, int& fixed) {
  print("The following uncovered slots have keys in multiple nodes:\n");
  print_slots(slots);
  if (!confirm(m, "Fix these slots by moving keys into a single node?", true)) return true;
  for (const std::string& slot : slots) {
    const node_list& nodes = holders[slot];
    const int s = std::atoi(slot.c_str());
    node* target = most_keys_in_slot(m, nodes, s);
    if (target == nullptr) return false;
    m.log(log_level::info, fmt::format(">>> Covering slot {} moving keys to {}:{}\n", slot,
                                       target->ip, target->port));
    if (!set_slot_owner(m, *target, s, true)) return false;
    target->slots.set(static_cast<std::size_t>(s));
    for (node* src : nodes) {
      if (src == target) continue;
      if (!set_slot(m, *src, *target, s, "NODE", nullptr) ||
          !set_slot(m, *src, *target, s, "IMPORTING", nullptr) ||
          !move_slot(m, *src, *target, s, move_verbose | move_cold, nullptr) ||
          !clear_slot_status(m, *src, s)) {
        return false;
      }
    }
    ++fixed;
  }
  return true;
}

}  // namespace

int fix_slots_coverage(manager& m, const std::bitset<slot_count>& covered) {
  if (m.unreachable_masters > 0 && !m.cmd().fix_with_unreachable_masters) {
    m.log(log_level::warn,
          fmt::format("*** Fixing slots coverage with {} unreachable masters is dangerous: "
                      "redis-cli will assume that slots about masters that are not reachable "
                      "are not covered, and will try to reassign them to the reachable nodes. "
                      "This can cause data loss and is rarely what you want to do. If you really "
                      "want to proceed use the --cluster-fix-with-unreachable-masters option.\n",
                      m.unreachable_masters));
    std::fflush(stdout);
    std::exit(1);
  }
  m.log(log_level::info, ">>> Fixing slots coverage...\n");
  std::map<std::string, node_list> holders;
  std::vector<std::string> found;
  int fixed = 0;
  if (!masters_with_keys(m, covered, holders, found)) return -1;
  // In the order of redis-cli's table of the uncovered slots.
  std::vector<std::string> none;
  std::vector<std::string> single;
  std::vector<std::string> multi;
  for (const std::string& slot : dict_order(found, dict_use::replace)) {
    const std::size_t count = holders[slot].size();
    (count == 0 ? none : count == 1 ? single : multi).push_back(slot);
  }
  if (!none.empty() && !cover_empty(m, none, fixed)) return -1;
  if (!single.empty() && !cover_single(m, single, holders, fixed)) return -1;
  if (!multi.empty() && !cover_multi(m, multi, holders, fixed)) return -1;
  return fixed;
}

}  // namespace respool::cli::cluster
