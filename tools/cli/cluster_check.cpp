// What `--cluster check` and `--cluster info` report: the masters' keys, whether the nodes
// agree on who owns which slots, the open slots and the slot coverage.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace respool::cli::cluster {
namespace {

// The lines of a CLUSTER NODES reply that end in '\n'.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos;) {
    f(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
}

// The words of a line cut at single spaces (no last empty word after a final space).
std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    out.push_back(line.substr(0, space));
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  return out;
}

// What a node says about slot ownership: "id:slots,slots|id:slots" over the nodes that own
// slots, each part sorted; nullopt when it cannot say, or no node owns any slot.
std::optional<std::string> config_signature(manager& m, node& n) {
  const reply r = m.command(n, {"CLUSTER", "NODES"});
  if (!r.ok()) return std::nullopt;
  std::vector<std::string> configs;
  for_each_line(r.text, [&](std::string_view line) {
    std::vector<std::string_view> fields;
    for (std::size_t space; fields.size() < 8 && (space = line.find(' ')) != line.npos;) {
      fields.push_back(line.substr(0, space));
      line.remove_prefix(space + 1);
    }
    if (fields.size() != 8 || line.empty()) return;
    std::vector<std::string_view> slots;
    for (const std::string_view w : words_of(line)) {
      if (!w.starts_with('[')) slots.push_back(w);
    }
    if (slots.empty()) return;
    std::sort(slots.begin(), slots.end());
    std::string config(fields[0]);
    config += ':';
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (i > 0) config += ',';
      config += slots[i];
    }
    configs.push_back(std::move(config));
  });
  if (configs.empty()) return std::nullopt;
  std::sort(configs.begin(), configs.end());
  std::string signature;
  for (const std::string& c : configs) {
    if (!signature.empty()) signature += '|';
    signature += c;
  }
  return signature;
}

// "[WARNING] Node ip:port has slots in <state> state 1,2." for a node's open slots, whose
// numbers are added to `open` in order.
void report_open(manager& m, const node& n, const std::vector<open_slot>& slots,
                 std::string_view state, std::vector<std::string>& open) {
  if (slots.empty()) return;
  std::string text =
      fmt::format("[WARNING] Node {}:{} has slots in {} state ", n.ip, n.port, state);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (i > 0) text += ',';
    text += slots[i].first;
    open.push_back(slots[i].first);
  }
  text += '.';
  m.on_error(std::move(text));
}

// The slots that have an owner or several among the masters (a master that is not an owner
// but holds keys of the slot counts as one); under `fix`, each is given to one of them. Such a
// slot makes `result` false; a repair then sets it to its own outcome (as redis-cli does).
void check_multiple_owners(manager& m, bool& result) {
  m.log(log_level::info, ">>> Check for multiple slot owners...\n");
  int found = 0;
  for (int slot = 0; slot < slot_count; ++slot) {
    std::vector<node*> owners;
    for (const auto& n : m.nodes) {
      if (n->is_slave()) continue;
      if (n->slots.test(static_cast<std::size_t>(slot))) {
        owners.push_back(n.get());
        continue;
      }
      const reply r = m.command(*n, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
      if (r.error()) m.log_reply_error(*n, r.text);
      if (r.ok() && r.type == resp3::type::number && std::atoll(r.text.c_str()) > 0) {
        owners.push_back(n.get());
      }
    }
    if (owners.size() <= 1) continue;
    result = false;
    m.log(log_level::err, fmt::format("[WARNING] Slot {} has {} owners:\n", slot, owners.size()));
    for (const node* o : owners) m.log(log_level::err, fmt::format("    {}:{}\n", o->ip, o->port));
    ++found;
    if (!m.fixing) continue;
    result = fix_multiple_owners(m, slot, owners);
    if (!result) {
      m.log(log_level::err, fmt::format("Failed to fix multiple owners for slot {}\n", slot));
      break;
    }
    --found;
  }
  if (found == 0) m.log(log_level::ok, "[OK] No multiple owners found.\n");
}

}  // namespace

bool config_consistent(manager& m) {
  if (m.nodes.size() <= 1) return true;
  std::optional<std::string> first;
  for (const auto& n : m.nodes) {
    auto signature = config_signature(m, *n);
    if (!signature) return false;
    if (!first) {
      first = std::move(signature);
    } else if (*signature != *first) {
      return false;
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::vector<std::string>>> link_problems(manager& m) {
  std::vector<std::string> keys;  // the addresses, as found
  std::vector<std::pair<std::string, std::vector<std::string>>> found;
  for (const auto& n : m.nodes) {
    const reply r = m.command(*n, {"CLUSTER", "NODES"});
    if (r.error()) m.log_reply_error(*n, r.text);
    if (!r.ok()) continue;
    for_each_line(r.text, [&](std::string_view line) {
      const std::vector<std::string_view> w = words_of(line);
      if (w.size() < 8 || w[2].find("myself") != std::string_view::npos) return;
      const bool disconnected = w[2].find("disconnected") != std::string_view::npos ||
                                w[7].find("disconnected") != std::string_view::npos;
      if (!disconnected && w[2].find("handshake") == std::string_view::npos) return;
      const std::string addr(w[1]);
      keys.push_back(addr);
      auto it = std::find_if(found.begin(), found.end(), [&](auto& e) { return e.first == addr; });
      if (it == found.end()) it = found.insert(found.end(), {addr, {}});
      it->second.push_back(fmt::format("{}:{}", n->ip, n->port));
    });
  }
  // Listed in the order redis-cli's table of them gives.
  std::vector<std::pair<std::string, std::vector<std::string>>> ordered;
  for (const std::string& addr : dict_order(keys, dict_use::find_then_add)) {
    auto it = std::find_if(found.begin(), found.end(), [&](auto& e) { return e.first == addr; });
    ordered.push_back(std::move(*it));
  }
  return ordered;
}

void show_cluster_info(manager& m) {
  int masters = 0;
  long long keys = 0;
  for (const auto& n : m.nodes) {
    if (n->is_slave() || n->name.empty()) continue;
    int replicas = 0;
    for (const auto& other : m.nodes) {
      if (other != n && other->is_slave() && other->replicate == n->name) ++replicas;
    }
    const reply r = m.command(*n, {"DBSIZE"});
    long long dbsize = -1;
    if (r.ok() && r.type == resp3::type::number) dbsize = std::atoll(r.text.c_str());
    if (dbsize < 0) {
      m.log_reply_error(*n, r.error() ? r.text : std::string());
      return;
    }
    print(fmt::format("{}:{} ({}...) -> {} keys | {} slots | {} slaves.\n", n->ip, n->port,
                      n->name.substr(0, 8), dbsize, n->slots_count, replicas));
    ++masters;
    keys += dbsize;
  }
  m.log(log_level::ok, fmt::format("[OK] {} keys in {} masters.\n", keys, masters));
  // redis-cli computes the average in single precision.
  const float per_slot = static_cast<float>(keys) / static_cast<float>(slot_count);
  print(fmt::format("{:.2f} keys per slot on average.\n", static_cast<double>(per_slot)));
}

bool check_cluster(manager& m, bool quiet) {
  if (m.nodes.empty()) return false;
  const node& first = *m.nodes.front();
  m.log(log_level::info,
        fmt::format(">>> Performing Cluster Check (using node {}:{})\n", first.ip, first.port));
  bool result = true;
  if (!quiet) show_nodes(m);
  if (config_consistent(m)) {
    m.log(log_level::ok, "[OK] All nodes agree about slots configuration.\n");
  } else {
    m.on_error("[ERR] Nodes don't agree about configuration!");
    result = false;
  }
  m.log(log_level::info, ">>> Check for open slots...\n");
  std::vector<std::string> open;
  for (const auto& n : m.nodes) {
    report_open(m, *n, n->migrating, "migrating", open);
    report_open(m, *n, n->importing, "importing", open);
  }
  if (!open.empty()) {
    result = false;
    std::string text = "[WARNING] The following slots are open: ";
    const std::vector<std::string> listed = dict_order(open, dict_use::replace);
    for (std::size_t i = 0; i < listed.size(); ++i) {
      if (i > 0) text += ',';
      text += listed[i];
    }
    m.log(log_level::err, text + ".\n");
    if (m.fixing) {
      for (const std::string& slot : listed) {
        result = fix_open_slot(m, std::atoi(slot.c_str()));
        if (!result) break;
      }
    }
  }
  m.log(log_level::info, ">>> Check slots coverage...\n");
  std::bitset<slot_count> covered;
  for (const auto& n : m.nodes) covered |= n->slots;
  if (covered.all()) {
    m.log(log_level::ok, fmt::format("[OK] All {} slots covered.\n", slot_count));
  } else {
    m.on_error(fmt::format("[ERR] Not all {} slots are covered by nodes.\n", slot_count));
    result = false;
    if (m.fixing && fix_slots_coverage(m, covered) > 0) result = true;
  }
  if (m.cmd().search_multiple_owners) check_multiple_owners(m, result);
  return result;
}

}  // namespace respool::cli::cluster
