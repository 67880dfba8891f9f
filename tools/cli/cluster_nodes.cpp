// The cluster manager's model, read from CLUSTER NODES the way redis-cli reads it: the lines
// are cut at '\n' (a last line without one is not read), the first eight fields at single
// spaces, and what follows the eighth is the slot list.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace respool::cli::cluster {
namespace {

int to_int(std::string_view s) { return std::atoi(std::string(s).c_str()); }
long long to_ll(std::string_view s) { return std::atoll(std::string(s).c_str()); }

// The fields of one CLUSTER NODES line that redis-cli reads. A field is present once a space
// followed it; the eighth field's remainder is the slot list.
struct line_fields {
  std::optional<std::string_view> name, addr, flags, master_id, ping_sent, ping_recv, epoch;
  bool has_slots = false;  // eight fields were cut off
  std::string_view slots;
};

line_fields split_line(std::string_view line) {
  line_fields f;
  std::optional<std::string_view>* fields[] = {&f.name,      &f.addr,      &f.flags, &f.master_id,
                                               &f.ping_sent, &f.ping_recv, &f.epoch};
  int i = 0;
  for (std::size_t space; (space = line.find(' ')) != std::string_view::npos;) {
    const std::string_view token = line.substr(0, space);
    line.remove_prefix(space + 1);
    if (i < 7) *fields[i] = token;  // the eighth, the link's state, is not used
    if (++i == 8) break;
  }
  if (i == 8) {
    f.has_slots = true;
    f.slots = line;
  }
  return f;
}

// "[slot->-id]" (migrating) or "[slot-<-id]" (importing); the brackets are optional in what
// redis-cli accepts after the first.
void read_open_slot(node& n, std::string_view def) {
  for (const auto& [marker, list] : {std::pair{std::string_view("->-"), &n.migrating},
                                     std::pair{std::string_view("-<-"), &n.importing}}) {
    const std::size_t at = def.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view other = def.substr(at + 3);
    other = other.substr(0, other.find(']'));
    list->emplace_back(std::string(def.substr(0, at)), std::string(other));
    return;
  }
}

// The slot list of the node's own line: "0-5460 5461 [5462->-<id>] ...".
void read_slots(node& n, std::string_view list) {
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    const std::string_view def = list.substr(0, space);
    list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
    if (def.starts_with('[')) {
      read_open_slot(n, def.substr(1));
    } else if (const std::size_t dash = def.find('-'); dash != std::string_view::npos) {
      int first = to_int(def.substr(0, dash));
      const int last = to_int(def.substr(dash + 1));
      n.slots_count += last - first + 1;
      for (; first <= last; ++first) {
        if (first >= 0 && first < slot_count) n.slots.set(static_cast<std::size_t>(first));
      }
    } else if (!def.empty()) {
      const int slot = to_int(def);
      if (slot >= 0 && slot < slot_count) n.slots.set(static_cast<std::size_t>(slot));
      ++n.slots_count;
    }
  }
}

// The flags word ("myself,master"): kept as words, and as bits for those redis-cli tests.
void read_flags(node& n, std::string_view words, const line_fields& f) {
  n.flag_words.clear();
  while (!words.empty()) {
    const std::size_t comma = words.find(',');
    const std::string_view word = words.substr(0, comma);
    words = comma == std::string_view::npos ? std::string_view{} : words.substr(comma + 1);
    if (word == "noaddr") {
      n.flags |= flag_noaddr;
    } else if (word == "disconnected") {
      n.flags |= flag_disconnected;
    } else if (word == "fail") {
      n.flags |= flag_fail;
    } else if (word == "slave") {
      n.flags |= flag_slave;
      if (f.master_id) n.replicate = std::string(*f.master_id);
    }
    n.flag_words.emplace_back(word);
  }
}

void read_node_line(node& current, const line_fields& f) {
  if (f.name) current.name = std::string(*f.name);
  read_flags(current, *f.flags, f);
  if (f.epoch) current.current_epoch = static_cast<unsigned long long>(to_ll(*f.epoch));
  if (f.ping_sent) current.ping_sent = to_ll(*f.ping_sent);
  if (f.ping_recv) current.ping_recv = to_ll(*f.ping_recv);
}

}  // namespace

std::string flags_text(const node& n) {
  std::string out;
  for (const std::string& w : n.flag_words) {
    if (w == "myself") continue;
    if (!out.empty()) out += ',';
    out += w;
  }
  return out;
}

bool parse_address(std::string_view addr, std::string& ip, int& port, int* bus_port) {
  if (const std::size_t at = addr.rfind('@'); at != std::string_view::npos) {
    if (bus_port != nullptr) *bus_port = to_int(addr.substr(at + 1));
    addr = addr.substr(0, at);
  }
  const std::size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return false;
  ip = std::string(addr.substr(0, colon));
  port = to_int(addr.substr(colon + 1));
  return true;
}

bool is_cluster_node(manager& m, node& n, std::string& err) {
  const reply r = m.command(n, {"INFO"});
  if (!r.ok()) {
    if (r.error()) err = r.text;
    return false;
  }
  // As redis-cli reads an INFO field: the text after "name:" up to '\r' or ','.
  const std::string_view key = "cluster_enabled";
  const std::size_t at = r.text.find(key);
  if (at == std::string::npos || at + key.size() >= r.text.size()) return false;
  // redis-cli keeps the value as an int.
  return static_cast<int>(std::strtol(r.text.c_str() + at + key.size() + 1, nullptr, 10)) != 0;
}

void log_not_cluster(manager& m, const node& n, const std::string& err) {
  m.log(log_level::err, fmt::format("[ERR] Node {}:{} {}\n", n.ip, n.port,
                                    err.empty() ? "is not configured as a cluster node." : err));
}

bool load_info(manager& m, node& n, bool get_friends, std::string& err) {
  const reply r = m.command(n, {"CLUSTER", "NODES"});
  if (!r.ok()) {
    if (r.error()) err = r.text;
    return false;
  }
  std::string_view lines = r.text;
  for (std::size_t nl; (nl = lines.find('\n')) != std::string_view::npos;) {
    const line_fields f = split_line(lines.substr(0, nl));
    lines.remove_prefix(nl + 1);
    if (!f.flags) return false;
    std::string ip;
    int port = 0;
    int bus_port = 0;
    if (!f.addr || !parse_address(*f.addr, ip, port, &bus_port)) {
      std::fputs("Error: invalid CLUSTER NODES reply\n", stderr);
      return false;
    }
    const bool myself = f.flags->find("myself") != std::string_view::npos;
    node* current = nullptr;
    if (myself) {
      n.bus_port = bus_port;
      n.flags |= flag_myself;
      current = &n;
      n.reset_slots();
      if (f.has_slots) read_slots(n, f.slots);
      n.dirty = false;
    } else if (!get_friends) {
      // Only the node's own line is wanted (when it was read before, the reading stops).
      if ((n.flags & flag_myself) == 0) continue;
      break;
    } else {
      auto other = std::make_unique<node>(ip, port, bus_port);
      other->flags |= flag_friend;
      current = other.get();
      n.friends.push_back(std::move(other));
    }
    read_node_line(*current, f);
    if (!get_friends && myself) break;
  }
  return true;
}

bool load_from_node(manager& m, std::unique_ptr<node> first) {
  node& n = *first;
  if (!n.conn && !m.connect(n)) return false;
  std::string err;
  if (!is_cluster_node(m, n, err)) {
    log_not_cluster(m, n, err);
    return false;
  }
  err.clear();
  if (!load_info(m, n, true, err)) {
    if (!err.empty()) m.log_reply_error(n, err);
    return false;
  }
  std::vector<std::unique_ptr<node>> friends = std::move(n.friends);
  m.nodes.clear();
  m.nodes.push_back(std::move(first));
  for (auto& f : friends) {
    bool usable = false;
    // A node without a port (noaddr) or that cannot be reached is left out.
    if (f->port != 0 && (f->conn || m.connect(*f))) {
      err.clear();
      if (load_info(m, *f, false, err)) {
        usable = (f->flags & (flag_noaddr | flag_disconnected | flag_fail)) == 0;
      } else {
        m.log(log_level::err,
              fmt::format("[ERR] Unable to load info for node {}:{}\n", f->ip, f->port));
      }
    }
    if (usable) {
      m.nodes.push_back(std::move(f));
    } else if (!f->is_slave()) {
      ++m.unreachable_masters;
    }
  }
  for (const auto& r : m.nodes) {
    if (!r->replicate) continue;
    if (node* master = m.by_name(*r->replicate)) {
      ++master->replicas_count;
    } else {
      m.log(log_level::warn,
            fmt::format("*** WARNING: {}:{} claims to be slave of unknown node ID {}.\n", r->ip,
                        r->port, *r->replicate));
    }
  }
  return true;
}

std::string slots_text(const std::bitset<slot_count>& slots) {
  std::string out;
  int first = -1;
  auto close_range = [&](int last) {
    out += first == last ? std::string("]") : fmt::format("-{}]", last);
  };
  for (int i = 0; i < slot_count; ++i) {
    if (slots.test(static_cast<std::size_t>(i))) {
      if (first < 0) {
        if (!out.empty()) out += ',';
        out += fmt::format("[{}", i);
        first = i;
      }
    } else if (first >= 0) {
      close_range(i - 1);
      first = -1;
    }
  }
  if (first >= 0) close_range(slot_count - 1);
  return out;
}

std::string describe(const node& n, int indent) {
  const std::string spaces(static_cast<std::size_t>(indent), ' ');
  std::string out = spaces;
  if (n.dirty && n.replicate) {
    out += fmt::format("S: {} {}:{}", n.name, n.ip, n.port);
  } else {
    out += fmt::format("{}: {} {}:{}\n{}   slots:{} ({} slots) {}", n.is_slave() ? 'S' : 'M',
                       n.name, n.ip, n.port, spaces, slots_text(n.slots),
                       static_cast<unsigned>(n.slots_count), flags_text(n));
  }
  if (n.replicate) {
    out += fmt::format("\n{}   replicates {}", spaces, *n.replicate);
  } else if (n.replicas_count != 0) {
    out += fmt::format("\n{}   {} additional replica(s)", spaces,
                       static_cast<unsigned>(n.replicas_count));
  }
  return out;
}

void show_nodes(manager& m) {
  for (const auto& n : m.nodes) {
    const std::string text = describe(*n, 0) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

}  // namespace respool::cli::cluster
