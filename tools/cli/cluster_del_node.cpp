// `--cluster del-node host:port node_id`: a node without slots leaves the cluster. Its
// replicas are given the master with the fewest replicas, every other node forgets it, and it
// forgets the cluster (CLUSTER RESET SOFT).
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace respool::cli::cluster {
namespace {

bool same_id(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool del_node(manager& m, std::span<const std::string> args) {
  std::string ip;
  int port = 0;
  if (!host_of(args, true, ip, port)) {
    log_invalid_host();
    return false;
  }
  const std::string& id = args[1];
  m.log(log_level::info, fmt::format(">>> Removing node {} from cluster {}:{}\n", id, ip, port));
  if (!load_from_node(m, std::make_unique<node>(ip, port, 0))) return false;
  node* gone = m.by_name(id);
  if (gone == nullptr) {
    m.log(log_level::err, fmt::format("[ERR] No such node ID {}\n", id));
    return false;
  }
  if (gone->slots_count != 0) {
    m.log(log_level::err, fmt::format("[ERR] Node {}:{} is not empty! Reshard data away and try "
                                      "again.\n",
                                      gone->ip, gone->port));
    return false;
  }
  m.log(log_level::info, ">>> Sending CLUSTER FORGET messages to the cluster...\n");
  for (const auto& n : m.nodes) {
    if (n.get() == gone) continue;
    if (n->replicate && same_id(*n->replicate, id)) {
      node* master = least_replicas(m);
      if (master == nullptr) return false;
      m.log(log_level::info, fmt::format(">>> {}:{} as replica of {}:{}\n", n->ip, n->port,
                                         master->ip, master->port));
      if (!checked(m, *n, {"CLUSTER", "REPLICATE", master->name})) return false;
    }
    if (!checked(m, *n, {"CLUSTER", "FORGET", id})) return false;
  }
  m.log(log_level::info, ">>> Sending CLUSTER RESET SOFT to the deleted node.\n");
  return checked(m, *gone, {"CLUSTER", "RESET", "SOFT"});
}

}  // namespace respool::cli::cluster
