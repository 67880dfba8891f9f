#include "cluster_nodes.hpp"

#include <respool/io/connection.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/request.hpp>

#include <asio/error.hpp>
#include <asio/io_context.hpp>

#include <charconv>
#include <chrono>
#include <map>
#include <tuple>
#include <utility>

namespace respool::benchmark {

namespace {

// The next space-separated field of `line`, consumed.
std::string_view next_field(std::string_view& line) {
  const std::size_t end = line.find(' ');
  const std::string_view field = line.substr(0, end);
  line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
  return field;
}

int leading_port(std::string_view s) {
  int port = 0;
  std::from_chars(s.data(), s.data() + s.size(), port);
  return port;
}

// The first slot of the slot fields ("0-5460", "5461", "[93->-id]" for a migration, which
// says nothing about ownership); false when there is none.
bool first_owned_slot(std::string_view slots, std::uint16_t& slot) {
  while (!slots.empty()) {
    const std::string_view field = next_field(slots);
    if (field.empty() || field[0] == '[') continue;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec == std::errc{} && value < 16384) {
      slot = static_cast<std::uint16_t>(value);
      return true;
    }
  }
  return false;
}

// One line of CLUSTER NODES; false with why when it is malformed. `keep` says whether it is a
// master with slots.
bool parse_line(std::string_view line, std::string_view queried_host, cluster_master& m, bool& keep,
                std::string& why) {
  keep = false;
  m.id = next_field(line);
  const std::string_view address = next_field(line);
  const std::string_view flags = next_field(line);
  const std::string_view master_id = next_field(line);
  if (flags.empty()) {
    why = "Invalid CLUSTER NODES reply: missing flags.";
    return false;
  }
  if (flags.find("slave") != std::string_view::npos || (!master_id.empty() && master_id != "-")) {
    return true;
  }
  const std::size_t colon = address.rfind(':');
  if (address.empty() || colon == std::string_view::npos) {
    why = "Invalid CLUSTER NODES reply: missing addr.";
    return false;
  }
  // "host:port@bus-port[,hostname]": the client port alone.
  m.host = colon == 0 ? std::string(queried_host) : std::string(address.substr(0, colon));
  m.port = leading_port(address.substr(colon + 1));
  for (int skipped = 0; skipped < 4; ++skipped) next_field(line);  // pings, epoch, link
  if (!first_owned_slot(line, m.first_slot)) {
    why = "WARNING: Master node " + m.host + ":" + std::to_string(m.port) +
          " has no slots, skipping...";
    return true;
  }
  keep = true;
  return true;
}

// Runs `req` on a connection of its own to `cfg`, adapting its replies into `resp`. Empty
// when it ran, else what to print: the connection's failure or the setup's refusal.
template <class Response>
std::string exec_alone(config cfg, const request& req, Response& resp) {
  cfg.reconnect.enabled = false;
  cfg.health_check_interval = std::chrono::milliseconds(0);
  cfg.fail_unwritten_when_down = true;
  if (cfg.request_timeout == std::chrono::milliseconds(0)) {
    cfg.request_timeout = std::chrono::seconds(10);
  }
  asio::io_context ioc;
  connection conn(ioc, cfg);
  std::error_code connect_ec, exec_ec;
  bool ran = false;
  conn.async_run([](std::error_code) {});
  // Sent once connected: with unwritten requests failed while down, a request made before the
  // connection is up would fail at once.
  conn.async_wait_connected([&](std::error_code ec) {
    connect_ec = ec;
    if (ec) return conn.cancel();
    conn.async_exec(req, resp, [&](std::error_code exec_error, std::size_t) {
      exec_ec = exec_error;
      ran = true;
      conn.cancel();
    });
  });
  ioc.run();
  const std::string where =
      cfg.unix_socket.empty() ? cfg.host + ":" + std::to_string(cfg.port) : cfg.unix_socket;
  if (connect_ec == error::setup_failed && !conn.setup_error().empty()) {
    return "Error from server: " + conn.setup_error();
  }
  if (connect_ec) return "Could not connect to Redis at " + where + ": " + connect_ec.message();
  if (!ran || exec_ec) {
    return "Could not connect to Redis at " + where + ": " + (ran ? exec_ec : connect_ec).message();
  }
  return {};
}

// CONFIG GET save / appendonly on one master; nothing when it fails.
std::optional<server_settings> master_settings(config cfg, const cluster_master& m) {
  cfg.host = m.host;
  cfg.port = static_cast<std::uint16_t>(m.port);
  cfg.unix_socket.clear();
  cfg.database = 0;
  using settings_map = std::map<std::string, std::string>;
  request req;
  req.push("CONFIG", "GET", "save");
  req.push("CONFIG", "GET", "appendonly");
  std::tuple<result<settings_map>, result<settings_map>> resp;
  if (!exec_alone(cfg, req, resp).empty()) return std::nullopt;
  const auto& [save, appendonly] = resp;
  if (!save || !appendonly) return std::nullopt;
  const auto s = save.value().find("save");
  const auto a = appendonly.value().find("appendonly");
  if (s == save.value().end() || a == appendonly.value().end()) return std::nullopt;
  return server_settings{s->second, a->second};
}

}  // namespace

bool parse_cluster_nodes(std::string_view text, std::string_view queried_host,
                         std::vector<cluster_master>& out, std::vector<std::string>& warnings,
                         std::string& why) {
  out.clear();
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    // As redis-benchmark, only lines ended by a newline count.
    if (end == std::string_view::npos) break;
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    cluster_master m;
    bool keep = false;
    std::string said;
    if (!parse_line(line, queried_host, m, keep, said)) {
      why = std::move(said);
      return false;
    }
    if (!said.empty()) warnings.push_back(std::move(said));
    if (keep) out.push_back(std::move(m));
  }
  return true;
}

bool fetch_cluster_masters(const config& seed, std::vector<cluster_master>& out,
                           std::vector<std::string>& warnings, std::string& why) {
  config cfg = seed;
  // Cluster nodes have database 0 only.
  cfg.database = 0;
  request req;
  req.push("CLUSTER", "NODES");
  result<std::string> nodes;
  const std::string where =
      cfg.unix_socket.empty() ? cfg.host + ":" + std::to_string(cfg.port) : cfg.unix_socket;
  if (std::string failed = exec_alone(cfg, req, nodes); !failed.empty()) {
    why = std::move(failed);
    return false;
  }
  if (!nodes) {
    why = "Cluster node " + where + " replied with error:\n" + nodes.error().message +
          "\nFailed to fetch cluster configuration from " + where;
    return false;
  }
  std::string malformed;
  if (!parse_cluster_nodes(nodes.value(), cfg.host, out, warnings, malformed)) {
    why = malformed + "\nFailed to fetch cluster configuration from " + where;
    return false;
  }
  if (out.size() <= 1) {
    why = "Invalid cluster: " + std::to_string(out.size()) + " node(s).";
    return false;
  }
  for (cluster_master& m : out) {
    m.settings = master_settings(cfg, m);
    if (!m.settings) {
      warnings.push_back("WARNING: Could not fetch node CONFIG " + m.host + ":" +
                         std::to_string(m.port));
    }
  }
  return true;
}

std::string cluster_banner(const std::vector<cluster_master>& masters) {
  std::string out = "Cluster has ";
  out += std::to_string(masters.size());
  out += " master nodes:\n\n";
  for (std::size_t i = 0; i < masters.size(); ++i) {
    out += "Master ";
    out += std::to_string(i);
    out += ": ";
    if (!masters[i].id.empty()) {
      out += masters[i].id;
      out += ' ';
    }
    out += masters[i].host;
    out += ':';
    out += std::to_string(masters[i].port);
    out += '\n';
  }
  out += '\n';
  return out;
}

}  // namespace respool::benchmark
