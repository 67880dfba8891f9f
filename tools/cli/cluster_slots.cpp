// What the subcommands that move slots share (reshard, rebalance, fix): the SETSLOT family,
// the owner of a slot as a node sees it, and the move of a slot with its keys, in the order
// that neither loses a key nor leaves a slot with two owners at once: IMPORTING on the target,
// MIGRATING on the source, the keys, then the new owner told to the target first.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <random>

namespace respool::cli::cluster {
namespace {

long long as_number(const reply& r) {
  return r.ok() && r.type == resp3::type::number ? std::atoll(r.text.c_str()) : 0;
}

// The owner of `slot` as CLUSTER SLOTS on `n` gives it (by id, or by address when the reply
// names none), or null. A failure to ask goes to `err`.
node* slot_owner(manager& m, node& n, int slot, std::string& err) {
  const reply r = m.command(n, {"CLUSTER", "SLOTS"});
  if (!r.ok()) {
    if (r.error()) err = r.text;
    return nullptr;
  }
  // Each range: [first, last, [ip, port, id, ...], replicas...] at depths 1, 2 and 3.
  const auto& items = r.items;
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (items[i].depth != 1 || i + 3 >= items.size()) continue;
    const int first = std::atoi(items[i + 1].value.c_str());
    const int last = std::atoi(items[i + 2].value.c_str());
    if (slot < first || slot > last || items[i + 3].depth != 2) continue;
    const std::size_t master = i + 3;
    if (items[master].size >= 3 && master + 3 < items.size()) {
      if (node* owner = m.by_name(items[master + 3].value)) return owner;
    } else if (master + 2 < items.size()) {
      const int port = std::atoi(items[master + 2].value.c_str());
      for (const auto& c : m.nodes) {
        if (c->ip == items[master + 1].value && c->port == port) return c.get();
      }
    }
  }
  return nullptr;
}

// The slot has no owner in `n`'s view (and `n` could say so).
bool unassigned(manager& m, node& n, int slot) {
  std::string err;
  if (slot_owner(m, n, slot, err) != nullptr) return false;
  if (err.empty()) return true;
  m.log_reply_error(n, err);
  return false;
}

// MIGRATE of `keys` from `source` to `target` (REPLACE with `replace`, the AUTH of -a/--user);
// the reply, not received when the link failed.
reply migrate(manager& m, node& source, const node& target, const std::vector<std::string>& keys,
              bool replace) {
  std::vector<std::string> argv{"MIGRATE", target.ip, std::to_string(target.port),
                                "",        "0",       std::to_string(m.cmd().timeout)};
  if (replace) argv.emplace_back("REPLACE");
  if (const auto& password = m.opts().password) {
    if (const auto& user = m.opts().user) {
      argv.insert(argv.end(), {"AUTH2", *user, *password});
    } else {
      argv.insert(argv.end(), {"AUTH", *password});
    }
  }
  argv.emplace_back("KEYS");
  argv.insert(argv.end(), keys.begin(), keys.end());
  return m.command(source, argv);
}

// The keys whose values differ on the two nodes (DEBUG DIGEST-VALUE; a key missing on either
// side is not a difference). False when either node would not tell.
bool differing_keys(manager& m, node& a, node& b, const std::vector<std::string>& keys,
                    std::vector<std::string>& diffs) {
  std::vector<std::string> argv{"DEBUG", "DIGEST-VALUE"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  const reply ra = m.command(a, argv);
  if (!ra.received) return false;
  const reply rb = m.command(b, argv);
  if (!rb.received) return false;
  if (ra.error()) m.log_reply_error(a, ra.text);
  if (rb.error()) m.log_reply_error(b, rb.text);
  if (ra.error() || rb.error()) return false;
  const std::vector<std::string> da = ra.strings();
  const std::vector<std::string> db = rb.strings();
  if (da.size() != keys.size() || db.size() != keys.size()) return false;
  const std::string zero(40, '0');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (da[i] == zero || db[i] == zero) continue;
    if (da[i] != db[i]) diffs.push_back(keys[i]);
  }
  return true;
}

// A MIGRATE refused because the target has some of the keys: with --cluster-replace, or when
// the values are the same on both sides, the keys are replaced. False (reason printed) when
// they differ or cannot be compared.
bool may_replace(manager& m, node& source, node& target, const std::vector<std::string>& keys) {
  m.log(log_level::warn, "\n*** Target key exists\n");
  if (!m.cmd().replace) {
    m.log(log_level::warn, "*** Checking key values on both nodes...\n");
    std::vector<std::string> diffs;
    if (!differing_keys(m, source, target, keys, diffs)) {
      m.log(log_level::err, "*** Value check failed!\n");
      return false;
    }
    if (!diffs.empty()) {
      m.log(log_level::err,
            fmt::format("*** Found {} key(s) in both source node and target node having "
                        "different values.\n    Source node: {}:{}\n    Target node: {}:{}\n"
                        "    Keys(s):\n",
                        diffs.size(), source.ip, source.port, target.ip, target.port));
      for (const std::string& k : diffs) m.log(log_level::err, fmt::format("    - {}\n", k));
      m.log(log_level::err,
            "Please fix the above key(s) manually and try again or relaunch the command \n"
            "with --cluster-replace option to force key overriding.\n");
      return false;
    }
  }
  m.log(log_level::warn, "*** Replacing target keys...\n");
  return true;
}

// One batch's MIGRATE failed with `r`: a busy key or a slot without owner is handled as
// redis-cli does, then the batch is sent again. False (reason printed) when that fails too.
bool retry_batch(manager& m, node& source, node& target, int slot,
                 const std::vector<std::string>& keys, reply r, std::string* err) {
  const bool busy = r.error() && r.text.find("BUSYKEY") != std::string::npos;
  const bool not_served = r.error() && !busy && unassigned(m, source, slot);
  if (busy || not_served) {
    if (m.fixing && not_served) {
      m.log(log_level::warn, fmt::format("*** Slot was not served, setting owner to node {}:{}.\n",
                                         target.ip, target.port));
      set_slot(m, source, target, slot, "node", nullptr);
    }
    if (busy && !may_replace(m, source, target, keys)) return false;
    r = migrate(m, source, target, keys, busy);
    if (r.ok()) return true;
  }
  if (r.error()) {
    if (err != nullptr) *err = r.text;
    print("\n");
    m.log_reply_error(source, r.text);
  }
  return false;
}

// Every key of the slot, from `source` to `target`, --cluster-pipeline keys at a time (a dot
// per key with `verbose`).
bool migrate_keys_in_slot(manager& m, node& source, node& target, int slot, bool verbose,
                          std::string* err) {
  const std::string batch = std::to_string(m.cmd().pipeline);
  for (;;) {
    const reply r = m.command(source, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), batch});
    if (!r.received) return false;
    if (r.error()) {
      if (err != nullptr) {
        *err = r.text;
        m.log_reply_error(source, r.text);
      }
      return false;
    }
    const std::vector<std::string> keys = r.strings();
    if (keys.empty()) return true;
    const reply moved = migrate(m, source, target, keys, false);
    if (!moved.received) return false;
    if (moved.error() && !retry_batch(m, source, target, slot, keys, moved, err)) return false;
    if (verbose) print(std::string(keys.size(), '.'));
  }
}

}  // namespace

bool checked(manager& m, node& n, const std::vector<std::string>& argv, std::string* err) {
  const reply r = m.command(n, argv);
  if (r.error()) {
    if (err != nullptr) {
      *err = r.text;
    } else {
      m.log_reply_error(n, r.text);
    }
  }
  return r.ok();
}

bool set_slot(manager& m, node& n, const node& other, int slot, std::string_view status,
              std::string* err) {
  const reply r =
      m.command(n, {"CLUSTER", "SETSLOT", std::to_string(slot), std::string(status), other.name});
  if (err != nullptr) err->clear();
  if (!r.received) {
    if (err != nullptr) *err = "CLUSTER SETSLOT failed to run";
    return false;
  }
  if (r.error()) {
    if (err != nullptr) {
      *err = r.text;
    } else {
      m.log_reply_error(n, r.text);
    }
    return false;
  }
  return true;
}

bool clear_slot_status(manager& m, node& n, int slot) {
  return checked(m, n, {"CLUSTER", "SETSLOT", std::to_string(slot), "STABLE"});
}

bool del_slot(manager& m, node& n, int slot, bool ignore_unassigned) {
  std::string err;
  const reply r = m.command(n, {"CLUSTER", "DELSLOTS", std::to_string(slot)});
  if (r.ok()) return true;
  if (r.error() && ignore_unassigned) {
    std::string owner_err;
    if (slot_owner(m, n, slot, owner_err) == nullptr) {
      if (owner_err.empty()) return true;
      m.log_reply_error(n, owner_err);
    }
  }
  if (r.error()) m.log_reply_error(n, r.text);
  return false;
}

long long count_keys_in_slot(manager& m, node& n, int slot) {
  const reply r = m.command(n, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
  if (r.error()) m.log_reply_error(n, r.text);
  if (!r.ok() || r.type != resp3::type::number) return -1;
  return std::atoll(r.text.c_str());
}

bool set_slot_owner(manager& m, node& owner, int slot, bool clear) {
  if (!checked(m, owner, {"MULTI"})) return false;
  const std::string s = std::to_string(slot);
  // Queued: their replies are QUEUED (or an error for a command refused outright).
  del_slot(m, owner, slot, true);
  checked(m, owner, {"CLUSTER", "ADDSLOTS", s});
  if (clear) checked(m, owner, {"CLUSTER", "SETSLOT", s, "STABLE"});
  checked(m, owner, {"CLUSTER", "BUMPEPOCH"});
  const reply r = m.command(owner, {"EXEC"});
  if (r.error()) m.log_reply_error(owner, r.text);
  if (!r.ok() || !resp3::is_aggregate(r.type)) return false;
  // Only a failed ADDSLOTS (the second command) is a failure.
  int index = 0;
  for (const reply::item& i : r.items) {
    if (i.depth != 1) continue;
    if (resp3::is_error(i.type) && index == 1) {
      m.log_reply_error(owner, i.value);
      return false;
    }
    ++index;
  }
  return true;
}

node* most_keys_in_slot(manager& m, const std::vector<node*>& nodes, int slot) {
  node* found = nullptr;
  long long most = 0;
  for (node* n : nodes) {
    if (n->is_slave() || n->replicate) continue;
    const reply r = m.command(*n, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
    if (!r.ok()) {
      if (r.error()) m.log_reply_error(*n, r.text);
      return nullptr;
    }
    if (as_number(r) > most || found == nullptr) {
      most = as_number(r);
      found = n;
    }
  }
  return found;
}

node* least_replicas(manager& m) {
  node* found = nullptr;
  for (const auto& n : m.nodes) {
    if (n->is_slave()) continue;
    if (found == nullptr || n->replicas_count < found->replicas_count) found = n.get();
  }
  return found;
}

node* random_master(manager& m) {
  std::vector<node*> masters;
  for (const auto& n : m.nodes) {
    if (!n->is_slave()) masters.push_back(n.get());
  }
  if (masters.empty()) return nullptr;
  std::random_device seed;
  std::mt19937 gen(seed());
  return masters[std::uniform_int_distribution<std::size_t>(0, masters.size() - 1)(gen)];
}

bool move_slot(manager& m, node& source, node& target, int slot, unsigned options,
               std::string* err) {
  if ((options & move_quiet) == 0) {
    print(fmt::format("Moving slot {} from {}:{} to {}:{}: ", slot, source.ip, source.port,
                      target.ip, target.port));
  }
  if (err != nullptr) err->clear();
  const bool cold = (options & move_cold) != 0;
  if (!cold && (!set_slot(m, target, source, slot, "importing", err) ||
                !set_slot(m, source, target, slot, "migrating", err))) {
    return false;
  }
  const bool moved =
      migrate_keys_in_slot(m, source, target, slot, (options & move_verbose) != 0, err);
  if ((options & move_quiet) == 0) print("\n");
  if (!moved) return false;
  if (!cold) {
    // The target first: told first, it spreads the news; a source told first could leave the
    // slot without owner should the target die meanwhile.
    if (!set_slot(m, target, target, slot, "node", err)) return false;
    // A source that has just given its last slot away may already be a replica of the target:
    // its refusal then is no failure. (Without `err` a refusal is printed and the move goes on.)
    if (err == nullptr) {
      set_slot(m, source, target, slot, "node", nullptr);
    } else if (!set_slot(m, source, target, slot, "node", err)) {
      if (!err->starts_with("ERR Please use SETSLOT only with masters.")) return false;
      err->clear();
    }
    for (const auto& n : m.nodes) {
      if (n.get() == &target || n.get() == &source || n->is_slave()) continue;
      if (!set_slot(m, *n, target, slot, "node", err)) return false;
    }
  }
  if ((options & move_update) != 0) {
    source.slots.reset(static_cast<std::size_t>(slot));
    target.slots.set(static_cast<std::size_t>(slot));
  }
  return true;
}

}  // namespace respool::cli::cluster
