#include "cluster_harness.hpp"

#include "cluster_replies.hpp"
#include "server_process_posix.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include <signal.h>
#include <sys/wait.h>

namespace respool::test {

namespace {

using cluster_replies::bulk_array;
using cluster_replies::info_number;
using cluster_replies::parse_nodes;
using cluster_replies::slot_count;
using cluster_replies::to_number;

using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr auto start_timeout = 30s;
// redis-cli polls until the nodes have met; bound it in case they never do.
constexpr auto create_timeout = 30s;
constexpr auto failover_margin = 25s;
// The server abandons a manual failover after 5 s (CLUSTER_MF_TIMEOUT), plus a margin.
constexpr auto manual_failover_limit = 6s;
constexpr auto kill_margin = 5s;
constexpr auto move_settle_timeout = 10s;
constexpr auto poll_interval = 50ms;

// Appends only: GCC 12 at -O2 warns (-Wrestrict) on "literal" + std::string, wrongly.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out += ... += parts);
  return out;
}

std::string address_of(const server_process& node) {
  return cat("127.0.0.1:", std::to_string(node.port()));
}

std::string node_name(std::size_t i) { return cat("node ", std::to_string(i)); }

}  // namespace

std::unique_ptr<cluster_harness> cluster_harness::start(const cluster_options& options,
                                                        std::string& why) {
  if (options.masters < 3 || options.replicas_per_master < 0) {
    why = "cluster_options: redis-cli needs at least 3 masters and no negative replica count";
    return nullptr;
  }
  std::unique_ptr<cluster_harness> cluster(new cluster_harness(options));
  server_options node_options;
  node_options.bus_port = true;
  // A replica's first full sync would otherwise wait 5 s for more replicas to join it.
  node_options.extra = {"cluster-enabled yes", "cluster-config-file nodes.conf",
                        cat("cluster-node-timeout ", std::to_string(options.node_timeout_ms)),
                        "repl-diskless-sync-delay 0"};
  node_options.extra.insert(node_options.extra.end(), options.extra.begin(), options.extra.end());
  const int count = options.masters * (1 + options.replicas_per_master);
  for (int i = 0; i < count; ++i) {
    auto node = server_process::start(node_options, why);
    if (!node) {
      why = cat(node_name(static_cast<std::size_t>(i)), ": ", why);
      return nullptr;
    }
    cluster->nodes_.push_back(std::move(node));
  }
  if (options.create && !cluster->create(why)) return nullptr;
  for (std::size_t i = 0; i < cluster->size(); ++i) {
    cluster->ids_.push_back(cluster->text(i, {"CLUSTER", "MYID"}, why));
    if (cluster->ids_.back().empty()) return nullptr;
  }
  if (options.create && !cluster->wait_ok(start_timeout, why)) {
    why += "\n";
    why += cluster->logs_tail();
    return nullptr;
  }
  return cluster;
}

cluster_harness::~cluster_harness() = default;

bool cluster_harness::create(std::string& why) {
  const std::string cli = posix::find_in_path("redis-cli");
  if (cli.empty()) {
    why = "redis-cli not found in PATH (Debian package redis-tools)";
    return false;
  }
  std::vector<std::string> args = {"redis-cli", "--cluster", "create"};
  for (const auto& node : nodes_) args.push_back(address_of(*node));
  args.insert(args.end(), {"--cluster-replicas", std::to_string(options_.replicas_per_master),
                           "--cluster-yes"});
  const std::string log = nodes_.front()->dir() + "/cluster-create.log";
  const int pid = posix::spawn(cli, args, log, why);
  if (pid < 0) return false;
  const auto deadline = steady::now() + create_timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (steady::now() >= deadline) {
      ::kill(pid, SIGKILL);
      posix::wait_for(pid);
      why = "redis-cli --cluster create did not finish within 30 s; its output:\n";
      why += posix::tail(posix::read_file_from(log, 0));
      return false;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  if (status == 0) return true;
  why = "redis-cli --cluster create ";
  why += posix::describe_status(status);
  why += "; its output:\n";
  why += posix::tail(posix::read_file_from(log, 0));
  return false;
}

std::string cluster_harness::seeds() const {
  std::string out;
  for (const auto& node : nodes_) {
    if (!out.empty()) out += ',';
    out += address_of(*node);
  }
  return out;
}

std::string cluster_harness::seed() {
  for (std::size_t i = 0; i < size(); ++i) {
    if (alive(i)) return address_of(*nodes_[i]);
  }
  return {};
}

std::string cluster_harness::command(std::size_t i, const std::vector<std::string>& args,
                                     std::string& why) {
  return nodes_.at(i)->command(args, why);
}

std::string cluster_harness::text(std::size_t i, const std::vector<std::string>& args,
                                  std::string& why) {
  const std::string raw = command(i, args, why);
  if (raw.empty()) return {};
  const auto end = raw.find("\r\n");
  std::size_t size = 0;
  switch (raw[0]) {
    case '+':
    case ':':
      return raw.substr(1, end - 1);
    case '$':
      if (to_number(std::string_view(raw).substr(1, end - 1), size)) {
        return raw.substr(end + 2, size);
      }
      break;
    default:
      break;
  }
  why = cat(node_name(i), " answered ", raw);
  return {};
}

int cluster_harness::index_of_port(std::uint16_t port) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->port() == port) return static_cast<int>(i);
  }
  return -1;
}

std::vector<int> cluster_harness::owners_seen_by(std::size_t i, std::string& why) {
  const std::string nodes = text(i, {"CLUSTER", "NODES"}, why);
  if (nodes.empty()) return {};
  const auto lines = parse_nodes(nodes);
  if (!lines) {
    why = cat(node_name(i), ": unexpected CLUSTER NODES reply: ", nodes);
    return {};
  }
  std::vector<int> owners(slot_count, -1);
  for (const auto& line : *lines) {
    const int owner = index_of_port(line.port);
    for (const auto& [first, last] : line.slots) {
      std::fill(owners.begin() + static_cast<std::ptrdiff_t>(first),
                owners.begin() + static_cast<std::ptrdiff_t>(last) + 1, owner);
    }
  }
  return owners;
}

bool cluster_harness::says_master(std::size_t i, std::string* master_id) {
  std::string why;
  const auto lines = parse_nodes(text(i, {"CLUSTER", "NODES"}, why));
  if (!lines) return false;
  for (const auto& line : *lines) {
    if (!line.myself) continue;
    if (master_id != nullptr) *master_id = line.master_id;
    return line.master;
  }
  return false;
}

std::vector<int> cluster_harness::slot_owners() {
  for (std::size_t i = 0; i < size(); ++i) {
    if (!alive(i)) continue;
    std::string why;
    return owners_seen_by(i, why);
  }
  return {};
}

int cluster_harness::master_of_slot(std::uint16_t slot) {
  const auto owners = slot_owners();
  return slot < owners.size() ? owners[slot] : -1;
}

std::vector<std::size_t> cluster_harness::masters() {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < size(); ++i) {
    if (alive(i) && says_master(i, nullptr)) out.push_back(i);
  }
  return out;
}

std::vector<std::size_t> cluster_harness::replicas_of(std::size_t master) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < size(); ++i) {
    std::string master_id;
    if (i != master && alive(i) && !says_master(i, &master_id) && master_id == ids_.at(master)) {
      out.push_back(i);
    }
  }
  return out;
}

// One look at every live node; true when all is well, else why not.
bool cluster_harness::agree(std::string& why) {
  std::vector<bool> live(size());
  for (std::size_t i = 0; i < size(); ++i) live[i] = alive(i);
  std::vector<int> seen;
  std::size_t seen_by = 0;
  for (std::size_t i = 0; i < size(); ++i) {
    if (!live[i]) continue;
    const std::string name = node_name(i);
    const std::string info = text(i, {"CLUSTER", "INFO"}, why);
    if (info.find("cluster_state:ok") == std::string::npos) {
      if (!info.empty()) why = cat(name, " says cluster_state is not ok");
      return false;
    }
    auto owners = owners_seen_by(i, why);
    if (owners.empty()) return false;
    for (std::size_t slot = 0; slot < slot_count; ++slot) {
      if (owners[slot] < 0 || !live[static_cast<std::size_t>(owners[slot])]) {
        why = cat(name, " sees no live owner of slot ", std::to_string(slot));
        return false;
      }
    }
    if (seen.empty()) {
      seen = std::move(owners);
      seen_by = i;
    } else if (owners != seen) {
      why = cat(name, " and ", node_name(seen_by), " disagree on slot owners");
      return false;
    }
    // A replica that has not synced yet could not take over from its master.
    std::string master_id;
    if (!says_master(i, &master_id) &&
        text(i, {"INFO", "replication"}, why).find("master_link_status:up") == std::string::npos) {
      why = cat(name, " is a replica without a live link to its master");
      return false;
    }
  }
  return true;
}

bool cluster_harness::wait_ok(std::chrono::milliseconds limit, std::string& why) {
  const auto deadline = steady::now() + limit;
  std::string last;
  while (!agree(last)) {
    if (steady::now() >= deadline) {
      why = cat("cluster not ok after ", std::to_string(limit.count()), " ms: ", last);
      return false;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return true;
}

bool cluster_harness::wait_replicas_online(std::chrono::milliseconds limit, std::string& why) {
  // Each master takes the keys of its slots and answers MOVED for the others.
  for (const std::size_t m : masters()) {
    for (int i = 0; i < 30; ++i) command(m, {"SET", "warm:" + std::to_string(i), "1"}, why);
  }
  const auto until = steady::now() + limit;
  while (steady::now() < until) {
    bool online = true;
    for (std::size_t n = 0; online && n < size(); ++n) {
      if (!alive(n)) continue;
      const std::string shards = command(n, {"CLUSTER", "SHARDS"}, why);
      online = !shards.empty() && shards.find("loading") == std::string::npos;
    }
    if (online) return true;
    std::this_thread::sleep_for(50ms);
  }
  why = "a replica is still \"loading\" in some node's CLUSTER SHARDS";
  return false;
}

bool cluster_harness::wait_replicated(std::size_t master, std::chrono::milliseconds limit,
                                      std::string& why) {
  const auto deadline = steady::now() + limit;
  const auto target = info_number(text(master, {"INFO", "replication"}, why), "master_repl_offset");
  if (!target) return false;
  const auto replicas = replicas_of(master);
  if (replicas.empty()) {
    why = cat(node_name(master), " has no live replica");
    return false;
  }
  for (const auto replica : replicas) {
    for (;;) {
      const auto done =
          info_number(text(replica, {"INFO", "replication"}, why), "slave_repl_offset");
      if (done && *done >= *target) break;
      if (steady::now() >= deadline) {
        why = cat(node_name(replica), " has not reached replication offset ",
                  std::to_string(*target), " of ", node_name(master));
        return false;
      }
      std::this_thread::sleep_for(poll_interval);
    }
  }
  return true;
}

bool cluster_harness::failover(std::size_t replica, std::string& why) {
  const auto limit = ms(options_.node_timeout_ms) + failover_margin;
  const auto deadline = steady::now() + limit;
  // A manual failover that does not complete within the server's own limit (5 s) is
  // abandoned by the replica, which stays a replica; on a loaded machine that happens, so
  // the request is made again until the harness's deadline.
  auto asked = steady::time_point{};
  while (!says_master(replica, nullptr)) {
    const auto now = steady::now();
    if (now >= deadline) {
      why = cat(node_name(replica), " is still a replica after ", std::to_string(limit.count()),
                " ms");
      return false;
    }
    if (now - asked >= manual_failover_limit) {
      if (text(replica, {"CLUSTER", "FAILOVER"}, why) != "OK") {
        why = cat("CLUSTER FAILOVER on ", node_name(replica), ": ", why);
        return false;
      }
      asked = now;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return wait_ok(std::max(ms(0), std::chrono::duration_cast<ms>(deadline - steady::now())), why);
}

bool cluster_harness::kill(std::size_t i, std::string& why) {
  nodes_.at(i)->kill_hard();
  return wait_ok(ms(options_.node_timeout_ms) + kill_margin, why);
}

bool cluster_harness::move_slots(std::uint16_t first, std::uint16_t last, std::size_t to,
                                 std::string& why) {
  if (first > last || last >= slot_count || to >= size()) {
    why = "move_slots: no such slot range or node";
    return false;
  }
  for (std::size_t slot = first; slot <= last; ++slot) {
    if (!move_one(static_cast<std::uint16_t>(slot), to, why)) {
      why = cat("moving slot ", std::to_string(slot), ": ", why);
      return false;
    }
  }
  return wait_ok(move_settle_timeout, why);
}

bool cluster_harness::move_one(std::uint16_t slot, std::size_t to, std::string& why) {
  const int owner = master_of_slot(slot);
  if (owner < 0) {
    why = "no node owns it";
    return false;
  }
  const auto from = static_cast<std::size_t>(owner);
  if (from == to) return true;
  const std::string number = std::to_string(slot);
  auto set_slot = [&](std::size_t i, const std::string& how, const std::string& id) {
    if (text(i, {"CLUSTER", "SETSLOT", number, how, id}, why) == "OK") return true;
    why = cat("SETSLOT ", how, " on ", node_name(i), ": ", why);
    return false;
  };
  if (!set_slot(to, "IMPORTING", ids_[from]) || !set_slot(from, "MIGRATING", ids_[to]) ||
      !migrate_keys(slot, from, to, why)) {
    return false;
  }
  // The new owner first, so that the old one's redirections never point back at itself.
  if (!set_slot(to, "NODE", ids_[to]) || !set_slot(from, "NODE", ids_[to])) return false;
  for (const auto other : masters()) {
    if (other != to && other != from && !set_slot(other, "NODE", ids_[to])) return false;
  }
  return true;
}

bool cluster_harness::migrate_keys(std::uint16_t slot, std::size_t from, std::size_t to,
                                   std::string& why) {
  const std::string port = std::to_string(nodes_[to]->port());
  for (;;) {
    const std::string raw =
        command(from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"}, why);
    const auto keys = bulk_array(raw);
    if (!keys) {
      if (!raw.empty()) why = cat("GETKEYSINSLOT answered ", raw);
      return false;
    }
    if (keys->empty()) return true;
    std::vector<std::string> args = {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS"};
    args.insert(args.end(), keys->begin(), keys->end());
    const std::string reply = command(from, args, why);
    // NOKEY: a client deleted the keys since GETKEYSINSLOT listed them.
    if (reply != "+OK\r\n" && reply != "+NOKEY\r\n") {
      if (!reply.empty()) why = cat("MIGRATE answered ", reply);
      return false;
    }
  }
}

std::string cluster_harness::logs_tail() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    out += cat("--- ", node_name(i), " (", address_of(*nodes_[i]), "):\n");
    out += posix::tail(posix::read_file_from(nodes_[i]->log_file(), 0), 5);
    out += "\n";
  }
  return out;
}

}  // namespace respool::test
