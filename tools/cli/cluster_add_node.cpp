// `--cluster add-node new_host:new_port existing_host:existing_port`: an empty cluster node
// joins the cluster (CLUSTER MEET), as a master that gets the cluster's functions, or with
// --cluster-slave as a replica of --cluster-master-id (or of the master with the fewest
// replicas).
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace respool::cli::cluster {
namespace {

using namespace std::chrono_literals;

// The master the new node is to replicate (null for a new master); false (reason printed)
// when --cluster-master-id names no node.
bool choose_master(manager& m, node*& master) {
  master = nullptr;
  if (!m.cmd().slave) return true;
  if (const auto& id = m.cmd().master_id) {
    master = m.by_name(*id);
    if (master == nullptr) {
      m.log(log_level::err, fmt::format("[ERR] No such master ID {}\n", *id));
      return false;
    }
    return true;
  }
  master = least_replicas(m);
  if (master == nullptr) return false;
  std::fputs(fmt::format("Automatically selected master {}:{}\n", master->ip, master->port).c_str(),
             stdout);
  return true;
}

// A cluster node that knows no other node and holds no key: the one to add. False (reason
// printed) otherwise.
bool usable_new_node(manager& m, node& n) {
  if (!m.connect(n)) {
    m.log(log_level::err, fmt::format("[ERR] Sorry, can't connect to node {}:{}\n", n.ip, n.port));
    return false;
  }
  std::string err;
  if (!is_cluster_node(m, n, err)) {
    log_not_cluster(m, n, err);
    return false;
  }
  err.clear();
  if (!load_info(m, n, false, err)) {
    if (!err.empty()) m.log_reply_error(n, err);
    return false;
  }
  err.clear();
  if (!is_empty_node(m, n, err)) {
    m.log(log_level::err,
          fmt::format("[ERR] Node {}:{} {}\n", n.ip, n.port,
                      !err.empty() ? err
                                   : "is not empty. Either the node already knows other nodes "
                                     "(check with CLUSTER NODES) or contains some key in "
                                     "database 0."));
    return false;
  }
  return true;
}

// The cluster's functions (FUNCTION DUMP), restored on the new node, which must have none. A
// server without functions is not an error: the step is skipped.
bool copy_functions(manager& m, node& from, node& to) {
  m.log(log_level::info, ">>> Getting functions from cluster\n");
  const reply dump = m.command(from, {"FUNCTION", "DUMP"});
  if (!dump.ok()) {
    m.log(log_level::info,
          fmt::format(">>> Failed retrieving Functions from the cluster, skip this step as Redis "
                      "version do not support function command (error = '{}')\n",
                      dump.error() ? dump.text : std::string("NULL reply")));
    return true;
  }
  m.log(log_level::info, fmt::format(">>> Send FUNCTION LIST to {}:{} to verify there is no "
                                     "functions in it\n",
                                     to.ip, to.port));
  const reply list = m.command(to, {"FUNCTION", "LIST"});
  if (!list.ok()) {
    m.log(log_level::err, fmt::format(">>> Failed on CLUSTER LIST (error = '{}')\r\n",
                                      list.error() ? list.text : std::string("NULL reply")));
    return false;
  }
  if (!list.items.empty() && list.items.front().size > 0) {
    m.log(log_level::err,
          ">>> New node already contains functions and can not be added to the cluster. Use "
          "FUNCTION FLUSH and try again.\r\n");
    return false;
  }
  m.log(log_level::info, fmt::format(">>> Send FUNCTION RESTORE to {}:{}\n", to.ip, to.port));
  const reply restored = m.command(to, {"FUNCTION", "RESTORE", dump.text});
  if (!restored.ok()) {
    m.log(log_level::err,
          fmt::format(">>> Failed loading functions to the new node (error = "
                      "'{}')\r\n",
                      restored.error() ? restored.text : std::string("NULL reply")));
    return false;
  }
  return true;
}

// CLUSTER MEET of the cluster's first node, sent to the new node.
bool meet_first(manager& m, node& n) {
  const node& first = *m.nodes.front();
  m.log(log_level::info, fmt::format(">>> Send CLUSTER MEET to node {}:{} to make it join the "
                                     "cluster.\n",
                                     n.ip, n.port));
  const auto first_ip = resolve(first.ip);
  if (!first_ip) {
    std::fprintf(stderr, "Invalid IP address or hostname specified: %s\n", first.ip.c_str());
    return false;
  }
  std::vector<std::string> argv{"CLUSTER", "MEET", *first_ip, std::to_string(first.port)};
  if (first.bus_port != 0 && first.bus_port != first.port + 10000) {
    argv.push_back(std::to_string(first.bus_port));
  }
  return checked(m, n, argv);
}

}  // namespace

bool add_node(manager& m, std::span<const std::string> args) {
  std::string ref_ip;
  std::string ip;
  int ref_port = 0;
  int port = 0;
  if (!host_of(args.subspan(1), true, ref_ip, ref_port) || !host_of(args, true, ip, port)) {
    log_invalid_host();
    return false;
  }
  m.log(log_level::info,
        fmt::format(">>> Adding node {}:{} to cluster {}:{}\n", ip, port, ref_ip, ref_port));
  if (!load_from_node(m, std::make_unique<node>(ref_ip, ref_port, 0))) return false;
  if (!check_cluster(m, false)) return false;
  node* master = nullptr;
  if (!choose_master(m, master)) return false;
  node& reference = *m.nodes.front();
  auto fresh = std::make_unique<node>(ip, port, 0);
  if (!usable_new_node(m, *fresh)) return false;
  node& added = *fresh;
  m.nodes.push_back(std::move(fresh));
  if (master == nullptr && !copy_functions(m, reference, added)) return false;
  if (!meet_first(m, added)) return false;
  if (master != nullptr) {
    std::this_thread::sleep_for(1s);
    if (!wait_for_join(m)) return false;
    m.log(log_level::info,
          fmt::format(">>> Configure node as replica of {}:{}.\n", master->ip, master->port));
    if (!checked(m, added, {"CLUSTER", "REPLICATE", master->name})) return false;
  }
  m.log(log_level::ok, "[OK] New node added correctly.\n");
  return true;
}

}  // namespace respool::cli::cluster
