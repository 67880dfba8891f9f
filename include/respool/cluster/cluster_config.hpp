/// @file cluster_config.hpp
/// @brief How to reach a Redis Cluster: seed nodes, and the limits of redirection and retry.
#pragma once

#include <respool/protocol/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool {

/// Where the commands the server flags read-only (GET, MGET, HGETALL, EVAL_RO... not EVAL)
/// are sent.
enum class read_policy : std::uint8_t {
  master,          ///< to the slot's master, as every other command
  prefer_replica,  ///< to a replica of the slot's master (in turn), the master when none is up
  any,             ///< to the master and its replicas in turn
};

/**
 * The settings of a cluster_connection.
 *
 * Every node is connected to with the first seed's settings (credentials, TLS, timeouts,
 * protocol, health checks, limits), its host and port aside; the other seeds only add
 * addresses to ask for the topology.
 */
struct cluster_config {
  /// Nodes to ask for the topology (`CLUSTER SHARDS`, else `CLUSTER SLOTS`) when none known
  /// answers; at least one.
  std::vector<config> seeds;

  /// Where read-only commands go. A replica connection sends READONLY with its setup; what it
  /// answers may lag behind the master (replication is asynchronous).
  read_policy reads = read_policy::master;

  /// How many MOVED and ASK redirections one command may follow before it completes with an
  /// error naming the last node that answered and what it said.
  std::size_t max_redirects = 5;

  /// The least time between two reads of the topology: redirections, a lost node, an
  /// uncovered slot all ask for one, and many asking at once make one read.
  std::chrono::milliseconds min_refresh_interval{100};
  /// The topology is also read this often (each wait drawn from 80–100 % of it, so that many
  /// clients do not ask in step); zero: only when something asks for it.
  std::chrono::milliseconds refresh_interval{30000};

  /// The first wait before a command that was not run (`TRYAGAIN`, `CLUSTERDOWN`, `LOADING`,
  /// `MASTERDOWN`, `READONLY`, a node unreachable) is sent again; it doubles with each try up
  /// to max_retry_delay, each drawn from 50–100 % of its value.
  std::chrono::milliseconds retry_delay{10};
  std::chrono::milliseconds max_retry_delay{400};
  /// How long such a command keeps being retried when the seeds' config::request_timeout is
  /// zero (with a request timeout, until it expires).
  std::chrono::milliseconds retry_time{10000};

  /// How long a request waits for a node's connection (connecting or reconnecting) before it
  /// is routed again from a fresh topology: what stops requests from waiting on a dead master.
  std::chrono::milliseconds node_wait{1000};
};

/**
 * A cluster_config from a comma-separated list of seed URIs, each as parse_uri() reads it:
 * `redis://user:pass@10.0.0.1:6379,redis://10.0.0.2:6379`. An element without a scheme
 * (`10.0.0.2:6380`) takes the first one's scheme and credentials. Returns the error of
 * parse_uri() for a malformed element (error::invalid_uri for an empty list), saying why in
 * `why`; `out` keeps its other settings and gets the seeds.
 */
std::error_code cluster_config_from_uri(std::string_view uris, cluster_config& out,
                                        std::string* why = nullptr);

/// cluster_config_from_uri() on a default cluster_config; throws std::system_error on failure.
[[nodiscard]] cluster_config cluster_config_from_uri(std::string_view uris);

}  // namespace respool
