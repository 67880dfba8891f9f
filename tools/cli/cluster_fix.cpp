// `--cluster fix`: check, repairing what it finds. Here the open slots (a slot left migrating or
// importing, as an interrupted reshard leaves it) and the slots several masters claim; the
// slots no master serves are in cluster_fix_coverage.cpp.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace respool::cli::cluster {
namespace {

using node_list = std::vector<node*>;

void remove_from(node_list& list, const node* n) {
  if (const auto it = std::find(list.begin(), list.end(), n); it != list.end()) list.erase(it);
}

bool has_open(const std::vector<open_slot>& slots, int slot) {
  return std::any_of(slots.begin(), slots.end(),
                     [&](const open_slot& s) { return std::atoi(s.first.c_str()) == slot; });
}

// What the masters say of an open slot: who owns it (or holds its keys), who has it migrating
// and who importing (or holds its keys without owning it).
struct open_state {
  node_list owners;
  node_list migrating;
  node_list importing;
  std::string migrating_text;  // "ip:port,ip:port"
  std::string importing_text;
  node* owner = nullptr;  // the single clear owner, if any

  void add(node_list& list, std::string& text, node* n) {
    if (!list.empty()) text += ',';
    text += fmt::format("{}:{}", n->ip, n->port);
    list.push_back(n);
  }
};

bool find_owners(manager& m, int slot, open_state& s) {
  for (const auto& n : m.nodes) {
    if (n->is_slave()) continue;
    if (n->slots.test(static_cast<std::size_t>(slot))) {
      s.owners.push_back(n.get());
      continue;
    }
    const reply r = m.command(*n, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
    if (!r.ok()) {
      if (r.error()) m.log_reply_error(*n, r.text);
      return false;
    }
    if (std::atoll(r.text.c_str()) > 0) {
      m.log(log_level::warn, fmt::format("*** Found keys about slot {} in non-owner node {}:{}!\n",
                                         slot, n->ip, n->port));
      s.owners.push_back(n.get());
    }
  }
  if (s.owners.size() == 1) s.owner = s.owners.front();
  return true;
}

bool find_open(manager& m, int slot, open_state& s) {
  for (const auto& n : m.nodes) {
    if (n->is_slave()) continue;
    if (has_open(n->migrating, slot)) {
      s.add(s.migrating, s.migrating_text, n.get());
    } else if (has_open(n->importing, slot)) {
      s.add(s.importing, s.importing_text, n.get());
    } else if (n.get() != s.owner) {
      const reply r = m.command(*n, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
      if (!r.ok()) {
        if (r.error()) m.log_reply_error(*n, r.text);
        return false;
      }
      if (std::atoll(r.text.c_str()) > 0) {
        m.log(log_level::warn,
              fmt::format("*** Found keys about slot {} in node {}:{}!\n", slot, n->ip, n->port));
        s.add(s.importing, s.importing_text, n.get());
      }
    }
  }
  if (!s.migrating_text.empty()) print(fmt::format("Set as migrating in: {}\n", s.migrating_text));
  if (!s.importing_text.empty()) print(fmt::format("Set as importing in: {}\n", s.importing_text));
  return true;
}

// No single owner: the master with the most keys of the slot becomes it.
bool elect_owner(manager& m, int slot, open_state& s) {
  m.log(log_level::info,
        ">>> No single clear owner for the slot, selecting an owner by # of keys...\n");
  node_list all;
  for (const auto& n : m.nodes) all.push_back(n.get());
  s.owner = most_keys_in_slot(m, all, slot);
  if (s.owner == nullptr) {
    m.log(log_level::err, "[ERR] Can't select a slot owner. Impossible to fix.\n");
    return false;
  }
  m.log(log_level::warn,
        fmt::format("*** Configuring {}:{} as the slot owner\n", s.owner->ip, s.owner->port));
  if (!clear_slot_status(m, *s.owner, slot) || !set_slot_owner(m, *s.owner, slot, false)) {
    return false;
  }
  s.owner->slots.set(static_cast<std::size_t>(slot));
  remove_from(s.migrating, s.owner);
  remove_from(s.importing, s.owner);
  return true;
}

// Several owners: the others give the slot up and import it, so that a case below applies.
bool single_out_owner(manager& m, int slot, open_state& s) {
  for (node* n : s.owners) {
    if (n == s.owner) continue;
    if (!del_slot(m, *n, slot, true)) return false;
    n->slots.reset(static_cast<std::size_t>(slot));
    if (!set_slot(m, *n, *s.owner, slot, "node", nullptr) ||
        !set_slot(m, *n, *s.owner, slot, "importing", nullptr)) {
      return false;
    }
    remove_from(s.importing, n);
    s.importing.push_back(n);
    remove_from(s.migrating, n);
  }
  return true;
}

// Keys in several importing nodes and no migrating one: the keys go to the owner, cold, and
// every master is told the owner.
bool move_to_owner(manager& m, int slot, open_state& s) {
  m.log(log_level::info, fmt::format(">>> Case 2: Moving all the {} slot keys to its owner {}:{}\n",
                                     slot, s.owner->ip, s.owner->port));
  for (node* n : s.importing) {
    if (n == s.owner) continue;
    if (!move_slot(m, *n, *s.owner, slot, move_verbose | move_cold, nullptr)) return false;
    m.log(log_level::info,
          fmt::format(">>> Setting {} as STABLE in {}:{}\n", slot, n->ip, n->port));
    if (!clear_slot_status(m, *n, slot)) return false;
  }
  for (const auto& n : m.nodes) {
    if (n.get() == s.owner || n->is_slave()) continue;
    if (!set_slot(m, *n, *s.owner, slot, "NODE", nullptr)) return false;
  }
  return true;
}

bool unhandled(manager& m, const open_state& s) {
  m.log(log_level::err,
        fmt::format("[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is "
                    "set as migrating in {}, as importing in {}, owner is {}:{}\n",
                    s.migrating_text, s.importing_text, s.owner->ip, s.owner->port));
  return false;
}

// One migrating node, several importing ones without keys: the slot goes to the one the
// migrating node names, and is closed on the others (or closed everywhere).
bool close_among_importers(manager& m, int slot, open_state& s) {
  node& src = *s.migrating.front();
  std::string target_id;
  for (const open_slot& o : src.migrating) {
    if (std::atoi(o.first.c_str()) == slot) {
      target_id = o.second;
      break;
    }
  }
  node* dst = nullptr;
  for (node* n : s.importing) {
    if (count_keys_in_slot(m, *n, slot) > 0) return unhandled(m, s);
    if (n->name == target_id) dst = n;
  }
  if (dst == nullptr) {
    m.log(
        log_level::info,
        fmt::format(">>> Case 3: Closing slot {} on both migrating and importing nodes.\n", slot));
    if (!clear_slot_status(m, src, slot)) return false;
    for (node* n : s.importing) {
      if (!clear_slot_status(m, *n, slot)) return false;
    }
    return true;
  }
  m.log(log_level::info,
        fmt::format(">>> Case 3: Moving slot {} from {}:{} to {}:{} and closing it "
                    "on all the other importing nodes.\n",
                    slot, src.ip, src.port, dst->ip, dst->port));
  if (!move_slot(m, src, *dst, slot, move_verbose, nullptr)) return false;
  for (node* n : s.importing) {
    if (n != dst && !clear_slot_status(m, *n, slot)) return false;
  }
  return true;
}

// A migrating node and no importing one: when it is the owner or has no keys left, the slot
// is closed on it (an interrupted reshard).
bool close_on_migrating(manager& m, int slot, open_state& s) {
  bool close = s.importing.empty() && s.migrating.size() == 1;
  if (close && s.owner != s.migrating.front()) {
    node& n = *s.migrating.front();
    const reply r = m.command(n, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "10"});
    if (r.error()) m.log_reply_error(n, r.text);
    if (!r.ok()) return false;
    close = r.strings().empty();
  }
  if (!close) return unhandled(m, s);
  node& n = *s.migrating.front();
  m.log(log_level::info, fmt::format(">>> Case 4: Closing slot {} on {}:{}\n", slot, n.ip, n.port));
  return clear_slot_status(m, n, slot);
}

}  // namespace

bool fix_open_slot(manager& m, int slot) {
  if (m.unreachable_masters > 0 && !m.cmd().fix_with_unreachable_masters) {
    m.log(log_level::warn,
          fmt::format("*** Fixing open slots with {} unreachable masters is dangerous: redis-cli "
                      "will assume that slots about masters that are not reachable are not "
                      "covered, and will try to reassign them to the reachable nodes. This can "
                      "cause data loss and is rarely what you want to do. If you really want to "
                      "proceed use the --cluster-fix-with-unreachable-masters option.\n",
                      m.unreachable_masters));
    std::fflush(stdout);
    std::exit(1);
  }
  m.log(log_level::info, fmt::format(">>> Fixing open slot {}\n", slot));
  open_state s;
  if (!find_owners(m, slot, s) || !find_open(m, slot, s)) return false;
  if (s.owner == nullptr && !elect_owner(m, slot, s)) return false;
  if (s.owners.size() > 1 && !single_out_owner(m, slot, s)) return false;
  if (s.migrating.size() == 1 && s.importing.size() == 1) {
    node& src = *s.migrating.front();
    node& dst = *s.importing.front();
    m.log(log_level::info, fmt::format(">>> Case 1: Moving slot {} from {}:{} to {}:{}\n", slot,
                                       src.ip, src.port, dst.ip, dst.port));
    return move_slot(m, src, dst, slot, move_verbose | move_update, nullptr);
  }
  if (s.migrating.empty() && !s.importing.empty()) return move_to_owner(m, slot, s);
  if (s.migrating.size() == 1 && s.importing.size() > 1) {
    return close_among_importers(m, slot, s);
  }
  return close_on_migrating(m, slot, s);
}

bool fix_multiple_owners(manager& m, int slot, const std::vector<node*>& owners) {
  m.log(log_level::info, fmt::format(">>> Fixing multiple owners for slot {}...\n", slot));
  node* owner = most_keys_in_slot(m, owners, slot);
  if (owner == nullptr) owner = owners.front();
  m.log(log_level::info,
        fmt::format(">>> Setting slot {} owner: {}:{}\n", slot, owner->ip, owner->port));
  if (!set_slot_owner(m, *owner, slot, false)) return false;
  bool ok = false;
  for (const auto& n : m.nodes) {
    if (n.get() == owner || n->is_slave()) continue;
    const long long keys = count_keys_in_slot(m, *n, slot);
    ok = keys >= 0;
    if (!ok) break;
    del_slot(m, *n, slot, true);
    if (!set_slot(m, *n, *owner, slot, "node", nullptr)) return false;
    if (keys > 0) {
      ok = move_slot(m, *n, *owner, slot, move_verbose | move_cold, nullptr);
      if (!ok) break;
    }
  }
  return ok;
}

}  // namespace respool::cli::cluster
