// `--cluster create`: checks that every node is an empty cluster node, plans the layout
// (cluster_layout.cpp), asks for confirmation, then configures the nodes (slots, config
// epochs, CLUSTER MEET, replicas), waits until they agree and checks the result.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace respool::cli::cluster {
namespace {

using namespace std::chrono_literals;

// redis-cli waits for the nodes to agree for as long as it takes; respool-cli gives up after
// this long (a cluster of a few nodes on one network agrees within seconds).
constexpr auto join_bound = 120s;

bool add_empty_node(manager& m, const std::string& address) {
  std::string ip;
  int port = 0;
  if (!parse_address(address, ip, port, nullptr)) {
    std::fprintf(stderr, "Invalid address format: %s\n", address.c_str());
    return false;
  }
  auto n = std::make_unique<node>(ip, port, 0);
  if (!m.connect(*n)) return false;
  std::string err;
  if (!is_cluster_node(m, *n, err)) {
    log_not_cluster(m, *n, err);
    return false;
  }
  err.clear();
  if (!load_info(m, *n, false, err)) {
    if (!err.empty()) m.log_reply_error(*n, err);
    return false;
  }
  err.clear();
  if (!is_empty_node(m, *n, err)) {
    m.log(log_level::err,
          fmt::format("[ERR] Node {}:{} {}\n", n->ip, n->port,
                      !err.empty() ? err
                                   : "is not empty. Either the node already knows other nodes "
                                     "(check with CLUSTER NODES) or contains some key in "
                                     "database 0."));
    return false;
  }
  m.nodes.push_back(std::move(n));
  return true;
}

// CLUSTER ADDSLOTS with every slot of the node. False when it has none or the node refused
// (`err` then holds why).
bool add_slots(manager& m, node& n, std::string& err) {
  std::vector<std::string> argv{"CLUSTER", "ADDSLOTS"};
  for (int i = 0; i < slot_count; ++i) {
    if (n.slots.test(static_cast<std::size_t>(i))) argv.push_back(std::to_string(i));
  }
  if (argv.size() == 2) return false;
  const reply r = m.command(n, argv);
  if (r.error()) err = r.text;
  return r.ok();
}

// Sends what the node was given: its master (it stays to send when the master is not known
// yet), or its slots.
bool flush_config(manager& m, node& n, std::string& err) {
  if (!n.dirty) return false;
  bool ok = true;
  if (n.replicate) {
    const reply r = m.command(n, {"CLUSTER", "REPLICATE", *n.replicate});
    if (!r.ok()) {
      if (r.error()) err = r.text;
      return false;
    }
  } else if (!add_slots(m, n, err) || !err.empty()) {
    ok = false;
  }
  n.dirty = false;
  return ok;
}

void report_unreachable(manager& m) {
  const auto problems = link_problems(m);
  if (problems.empty()) return;
  print("\n");
  m.log(log_level::err, fmt::format("Warning: {} node(s) may be unreachable\n", problems.size()));
  for (const auto& [address, seen_by] : problems) {
    std::string ip;
    int port = 0;
    int bus_port = 0;
    if (parse_address(address, ip, port, &bus_port) && bus_port != 0) {
      m.log(log_level::err,
            fmt::format(" - The port {} of node {} may be unreachable from:\n", bus_port, ip));
    } else {
      m.log(log_level::err, fmt::format(" - Node {} may be unreachable from:\n", address));
    }
    for (const std::string& from : seen_by) m.log(log_level::err, fmt::format("   {}\n", from));
    m.log(log_level::err,
          "Cluster bus ports must be reachable by every node.\nRemember that cluster bus ports "
          "are different from standard instance ports.\n");
  }
}

}  // namespace

bool is_empty_node(manager& m, node& n, std::string& err) {
  const reply info = m.command(n, {"INFO"});
  if (!info.ok()) {
    if (info.error()) err = info.text;
    return false;
  }
  if (info.text.find("db0:") != std::string::npos) return false;
  const reply r = m.command(n, {"CLUSTER", "INFO"});
  if (!r.ok()) {
    if (r.error()) err = r.text;
    return false;
  }
  const std::string_view key = "cluster_known_nodes:";
  const std::size_t at = r.text.find(key);
  return at != std::string::npos && std::strtol(r.text.c_str() + at + key.size(), nullptr, 10) == 1;
}

bool wait_for_join(manager& m) {
  print("Waiting for the cluster to join\n");
  const int report_after = 20 + static_cast<int>(static_cast<float>(m.nodes.size()) * 0.15F);
  const auto deadline = std::chrono::steady_clock::now() + join_bound;
  for (int waited = 0; !config_consistent(m);) {
    print(".");
    std::this_thread::sleep_for(1s);
    if (++waited > report_after) {
      report_unreachable(m);
      waited = 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      print("\n");
      m.log(log_level::err,
            fmt::format("[ERR] The nodes do not agree about the slots after {} seconds.\n",
                        join_bound.count()));
      return false;
    }
  }
  print("\n");
  return true;
}

std::optional<std::string> resolve(const std::string& host) {
  ::addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ::addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = nullptr;
  if (found->ai_family == AF_INET) {
    addr = &reinterpret_cast<const ::sockaddr_in*>(found->ai_addr)->sin_addr;
  } else {
    addr = &reinterpret_cast<const ::sockaddr_in6*>(found->ai_addr)->sin6_addr;
  }
  const bool ok = ::inet_ntop(found->ai_family, addr, text, sizeof text) != nullptr;
  ::freeaddrinfo(found);
  if (!ok) return std::nullopt;
  return std::string(text);
}

namespace {

// Every node but the first meets the first.
bool meet(manager& m) {
  const node& first = *m.nodes.front();
  const auto first_ip = resolve(first.ip);
  if (!first_ip) {
    std::fprintf(stderr, "Invalid IP address or hostname specified: %s\n", first.ip.c_str());
    return false;
  }
  std::vector<std::string> argv{"cluster", "meet", *first_ip, std::to_string(first.port)};
  // The bus port only when it is not the usual one (CLUSTER MEET has taken it since 4.0).
  if (first.bus_port != 0 && first.bus_port != first.port + 10000) {
    argv.push_back(std::to_string(first.bus_port));
  }
  for (std::size_t i = 1; i < m.nodes.size(); ++i) {
    node& n = *m.nodes[i];
    const reply r = m.command(n, argv);
    if (r.error()) m.log_reply_error(n, r.text);
    if (!r.received) std::fputs("Failed to send CLUSTER MEET command.\n", stderr);
    if (!r.ok()) return false;
  }
  return true;
}

// Sends the planned configuration, joins the nodes, then checks what came out.
bool apply(manager& m) {
  for (const auto& n : m.nodes) {
    std::string err;
    // A replica's master is unknown to it until the nodes meet: it is sent again later.
    if (!flush_config(m, *n, err) && n->dirty && !n->replicate) {
      if (!err.empty()) m.log_reply_error(*n, err);
      return false;
    }
  }
  m.log(log_level::info, ">>> Nodes configuration updated\n");
  m.log(log_level::info, ">>> Assign a different config epoch to each node\n");
  int epoch = 1;
  for (const auto& n : m.nodes)
    m.command(*n, {"cluster", "set-config-epoch", std::to_string(epoch++)});
  m.log(log_level::info, ">>> Sending CLUSTER MEET messages to join the cluster\n");
  if (!meet(m)) return false;
  // Agreement right away would only be that of nodes without slots: give the join a second.
  std::this_thread::sleep_for(1s);
  if (!wait_for_join(m)) return false;
  for (const auto& n : m.nodes) {
    if (!n->dirty) continue;
    std::string err;
    if (!flush_config(m, *n, err) && !n->replicate) {
      if (!err.empty()) m.log_reply_error(*n, err);
      return false;
    }
  }
  std::unique_ptr<node> first = std::move(m.nodes.front());
  m.nodes.clear();
  if (!load_from_node(m, std::move(first))) return false;
  check_cluster(m, false);
  return true;
}

}  // namespace

bool create(manager& m, std::span<const std::string> addresses) {
  for (const std::string& address : addresses) {
    if (!add_empty_node(m, address)) return false;
  }
  const int count = static_cast<int>(m.nodes.size());
  const int replicas = m.cmd().replicas;
  // (A replica count of -1 would divide by zero: no masters then.)
  const int masters = replicas == -1 ? 0 : count / (replicas + 1);
  if (masters < 3) {
    m.log(log_level::err,
          fmt::format("*** ERROR: Invalid configuration for cluster creation.\n"
                      "*** Redis Cluster requires at least 3 master nodes.\n"
                      "*** This is not possible with {} nodes and {} replicas per node.",
                      count, replicas));
    m.log(log_level::err,
          fmt::format("\n*** At least {} nodes are required.\n", 3 * (replicas + 1)));
    return false;
  }
  m.log(log_level::info,
        fmt::format(">>> Performing hash slots allocation on {} nodes...\n", count));
  plan_layout(m, masters);
  show_nodes(m);
  if (!confirm(m, "Can I set the above configuration?")) return true;
  return apply(m);
}

}  // namespace respool::cli::cluster
