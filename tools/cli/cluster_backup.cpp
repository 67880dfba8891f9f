// `--cluster backup host:port dir`: the cluster checked, each master's RDB fetched through the
// replication protocol (as --rdb fetches one) into dir/redis-node-<ip>-<port>-<id>.rdb, and
// the nodes described in dir/nodes.json.
#include "cluster_manager.hpp"
#include "modes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace respool::cli::cluster {
namespace {

// `dir`, then `file` in it (a '/' between them unless `dir` ends with one).
std::string path_in(std::string dir, std::string_view file) {
  if (dir.empty() || dir.back() != '/') dir += '/';
  dir += file;
  return dir;
}

// `"slot": "node id"` for each open slot, comma-separated.
std::string open_slots_json(const std::vector<open_slot>& slots) {
  std::string out;
  for (const auto& [slot, other] : slots) {
    if (!out.empty()) out += ',';
    out += fmt::format("\"{}\": \"{}\"", slot, other);
  }
  return out;
}

// The node as an object of nodes.json; `errors`, when not 0, is the number of problems the
// check found (written into every node).
std::string node_json(const node& n, std::size_t errors) {
  std::string slots = slots_text(n.slots);
  std::replace(slots.begin(), slots.end(), '-', ',');
  const std::string master = n.replicate ? fmt::format("\"{}\"", *n.replicate) : "null";
  std::string out = fmt::format(
      "  {{\n"
      "    \"name\": \"{}\",\n"
      "    \"host\": \"{}\",\n"
      "    \"port\": {},\n"
      "    \"replicate\": {},\n"
      "    \"slots\": [{}],\n"
      "    \"slots_count\": {},\n"
      "    \"flags\": \"{}\",\n"
      "    \"current_epoch\": {}",
      n.name, n.ip, n.port, master, slots, n.slots_count, flags_text(n), n.current_epoch);
  if (errors > 0) out += fmt::format(",\n    \"cluster_errors\": {}", errors);
  if (const std::string m = open_slots_json(n.migrating); !m.empty()) {
    out += fmt::format(",\n    \"migrating\": {{{}}}", m);
  }
  if (const std::string i = open_slots_json(n.importing); !i.empty()) {
    out += fmt::format(",\n    \"importing\": {{{}}}", i);
  }
  out += "\n  }";
  return out;
}

// The master's RDB into the backup directory. False (the reason said) when it failed.
bool save_rdb(manager& m, node& n, const std::string& dir) {
  m.log(log_level::info, fmt::format(">>> Node {}:{} -> Saving RDB...\n", n.ip, n.port));
  std::fflush(stdout);
  if (!n.conn && !m.connect(n)) return false;
  const std::string file =
      path_in(dir, fmt::format("redis-node-{}-{}-{}.rdb", n.ip, n.port, n.name));
  return fetch_rdb(*n.conn, m.reply_bound(), file) == 0;
}

}  // namespace

bool backup(manager& m, std::span<const std::string> args) {
  std::string ip;
  int port = 0;
  if (!host_of(args, true, ip, port)) {
    log_invalid_host();
    return false;
  }
  if (!load_from_node(m, std::make_unique<node>(ip, port, 0))) return false;
  const bool no_issues = check_cluster(m, false);
  const std::size_t errors = no_issues ? 0 : m.errors.size();
  const std::string& dir = args[1];
  std::string json = "[\n";
  for (std::size_t i = 0; i < m.nodes.size(); ++i) {
    node& n = *m.nodes[i];
    if (i > 0) json += ",\n";
    json += node_json(n, errors);
    // As redis-cli, a failed transfer ends the backup at once.
    if (!n.replicate && !save_rdb(m, n, dir)) return false;
  }
  json += "\n]";
  const std::string json_path = path_in(dir, "nodes.json");
  std::fflush(stdout);
  m.log(log_level::info, fmt::format("Saving cluster configuration to: {}\n", json_path));
  std::FILE* out = std::fopen(json_path.c_str(), "w+");
  if (out == nullptr) {
    m.log(log_level::err, fmt::format("Could not save nodes to: {}\n", json_path));
    m.log(log_level::ok, "[ERR] Failed to back cluster!\n");
    return false;
  }
  std::fputs(json.c_str(), out);
  std::fclose(out);
  if (!no_issues) {
    m.log(log_level::warn,
          "*** Cluster seems to have some problems, please be aware of it if you're going to "
          "restore this backup.\n");
  }
  m.log(log_level::ok, fmt::format("[OK] Backup created into: {}\n", dir));
  return true;
}

}  // namespace respool::cli::cluster
