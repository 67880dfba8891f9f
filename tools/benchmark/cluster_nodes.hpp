// --cluster: the masters the benchmark is told about by the node that -h/-p name, read as
// redis-benchmark reads them (CLUSTER NODES, in the order the node lists them), and each
// master's persistence settings for the report.
#pragma once

#include "report.hpp"
#include <respool/protocol/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace respool::benchmark {

/// A master that serves slots.
struct cluster_master {
  std::string id;  ///< the node id, empty when the line has none
  std::string host;
  int port = 0;
  std::uint16_t first_slot = 0;  ///< one slot it serves, to reach it with a key
  /// CONFIG GET save / appendonly on the master; empty when it refused.
  std::optional<server_settings> settings;
};

/// The masters with slots of a CLUSTER NODES reply, in its order. A node without an address
/// of its own (a node alone, "myself" with ":port") takes `queried_host`. A master with no
/// slots is skipped with "WARNING: Master node host:port has no slots, skipping..." in
/// `warnings`. False, with why, when a line lacks its flags or address.
bool parse_cluster_nodes(std::string_view text, std::string_view queried_host,
                         std::vector<cluster_master>& out, std::vector<std::string>& warnings,
                         std::string& why);

/// Asks `seed` for CLUSTER NODES and every master for its persistence settings, over
/// connections of their own (`seed`'s credentials and TLS). False, with the lines to print
/// on stderr in `why`, when the seed cannot be reached or refuses; a master whose CONFIG GET
/// fails only adds "WARNING: Could not fetch node CONFIG host:port" to `warnings`.
bool fetch_cluster_masters(const config& seed, std::vector<cluster_master>& out,
                           std::vector<std::string>& warnings, std::string& why);

/// The lines printed before the tests: "Cluster has N master nodes:", a blank line, one
/// "Master i: id host:port" line per master, a blank line.
[[nodiscard]] std::string cluster_banner(const std::vector<cluster_master>& masters);

}  // namespace respool::benchmark
