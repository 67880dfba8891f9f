// `--cluster import host:port --cluster-from src_host:src_port`: the keys of database 0 of a
// server that is not a cluster node, each MIGRATEd (--cluster-copy, --cluster-replace) to the
// master that serves its slot.
#include "cluster_manager.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace respool::cli::cluster {
namespace {

using namespace std::chrono_literals;

// The source: connected (plain TCP, as redis-cli connects to it) and authenticated with
// --cluster-from-user / --cluster-from-pass. False, with the reason printed, otherwise.
bool connect_source(manager& m, node& src) {
  src.conn = std::make_unique<link>(tls_config{});
  std::string message;
  if (!src.conn->connect(endpoint{src.ip, src.port, {}}, message, 10s)) {
    while (!message.empty() && message.back() == '\n') message.pop_back();
    std::fprintf(stderr, "%s.\n", message.c_str());
    return false;
  }
  const auto& pass = m.cmd().from_pass;
  if (!pass) return true;
  std::vector<std::string> auth{"AUTH"};
  if (const auto& user = m.cmd().from_user) auth.push_back(*user);
  auth.push_back(*pass);
  const reply r = m.command(src, auth);
  if (!r.received) {
    std::fputs("\nI/O error\n", stderr);
    return false;
  }
  if (r.error()) {
    std::fprintf(stderr, "AUTH failed: %s\n", r.text.c_str());
    return false;
  }
  return true;
}

// The MIGRATE of one key, but the key: MIGRATE ip port <key> 0 timeout [AUTH...] [COPY]
// [REPLACE].
std::vector<std::string> migrate_command(manager& m, const node& target, const std::string& key) {
  std::vector<std::string> argv{"MIGRATE", target.ip, std::to_string(target.port),
                                key,       "0",       std::to_string(m.cmd().timeout)};
  if (const auto& password = m.opts().password) {
    if (const auto& user = m.opts().user) {
      argv.insert(argv.end(), {"AUTH2", *user, *password});
    } else {
      argv.insert(argv.end(), {"AUTH", *password});
    }
  }
  if (m.cmd().copy) argv.emplace_back("COPY");
  if (m.cmd().replace) argv.emplace_back("REPLACE");
  return argv;
}

// The source's reply to a command, or nullopt with the reason printed (its error, or that no
// reply came).
std::optional<reply> ask_source(manager& m, node& src, const std::vector<std::string>& argv) {
  reply r = m.command(src, argv);
  if (r.ok()) return r;
  if (r.error()) {
    m.log(log_level::err,
          fmt::format("Source {}:{} replied with error:\n{}\n", src.ip, src.port, r.text));
  } else {
    std::fprintf(stderr, "Error: no reply from %s:%d\n", src.ip.c_str(), src.port);
  }
  return std::nullopt;
}

// The keys of one SCAN reply, each migrated to the master of its slot. False when a MIGRATE
// fails.
bool migrate_keys(manager& m, node& src, const std::array<node*, slot_count>& owners,
                  const reply& scanned) {
  for (const reply::item& k : scanned.items) {
    if (k.depth != 2) continue;
    node* target = owners[respool::cluster::hash_slot(k.value)];
    if (target == nullptr) {
      std::fprintf(stderr, "*** No master serves the slot of %s\n", k.value.c_str());
      return false;
    }
    print(fmt::format("Migrating {} to {}:{}: ", k.value.c_str(), target->ip, target->port));
    if (!ask_source(m, src, migrate_command(m, *target, k.value))) return false;
    m.log(log_level::ok, "OK\n");
  }
  return true;
}

bool import_keys(manager& m, node& src) {
  const auto info = ask_source(m, src, {"INFO"});
  if (!info) return false;
  // As redis-cli reads it: a missing field counts as set.
  const std::size_t at = info->text.find("cluster_enabled:");
  if (at == std::string::npos || std::strtol(info->text.c_str() + at + 16, nullptr, 10) != 0) {
    m.log(log_level::err, "[ERR] The source node should not be a cluster node.\n");
    return false;
  }
  const auto size = ask_source(m, src, {"DBSIZE"});
  if (!size) return false;
  m.log(log_level::warn, fmt::format("*** Importing {} keys from DB 0\n",
                                     static_cast<int>(std::atoll(size->text.c_str()))));
  std::array<node*, slot_count> owners{};
  for (std::size_t slot = 0; slot < owners.size(); ++slot) {
    for (const auto& n : m.nodes) {
      if (n->is_slave() || n->slots_count == 0 || !n->slots.test(slot)) continue;
      owners[slot] = n.get();
      break;
    }
  }
  std::string cursor = "0";
  do {
    const auto scanned = ask_source(m, src, {"SCAN", cursor, "COUNT", "1000"});
    if (!scanned) return false;
    if (scanned->items.size() < 3 || !resp3::is_aggregate(scanned->type)) return false;
    cursor = scanned->items[1].value;
    if (!migrate_keys(m, src, owners, *scanned)) return false;
  } while (cursor != "0");
  return true;
}

}  // namespace

bool import_data(manager& m, std::span<const std::string> args) {
  std::string ip;
  std::string src_ip;
  int port = 0;
  int src_port = 0;
  if (!host_of(args, false, ip, port)) {
    log_invalid_host();
    return false;
  }
  const auto& from = m.cmd().from;
  if (!from) {
    std::fputs("[ERR] Option '--cluster-from' is required for subcommand 'import'.\n", stderr);
    return false;
  }
  if (!host_of(std::span(&*from, 1), true, src_ip, src_port)) {
    std::fputs(
        "[ERR] Invalid --cluster-from host. You need to pass a valid address (ie. "
        "120.0.0.1:7000).\n",
        stderr);
    return false;
  }
  m.log(log_level::info, fmt::format(">>> Importing data from {}:{} to cluster {}:{}\n", src_ip,
                                     src_port, ip, port));
  if (!load_from_node(m, std::make_unique<node>(ip, port, 0))) return false;
  if (!check_cluster(m, false)) return false;
  node src(src_ip, src_port, 0);
  return connect_source(m, src) && import_keys(m, src);
}

}  // namespace respool::cli::cluster
