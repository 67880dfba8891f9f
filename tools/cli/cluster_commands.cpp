// The cluster manager's subcommands: their table (arity, help text), the checks redis-cli makes
// before running one, and the subcommands that only read the cluster or send a command to each
// node (info, check, call, set-timeout, help); backup is in cluster_backup.cpp.
#include "cluster_manager.hpp"
#include "format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace respool::cli::cluster {
namespace {

constexpr std::string_view invalid_host_arg =
    "[ERR] Invalid arguments: you need to pass either a valid address (ie. 120.0.0.1:7000) or "
    "space separated IP and port (ie. 120.0.0.1 7000)\n";

constexpr std::string_view host_args =
    "<host:port> or <host> <port> - separated by either colon or space";

using handler = bool (*)(manager& m, std::span<const std::string> args);

struct subcommand {
  std::string_view name;
  int arity;               // n: exactly n arguments; -n: at least n
  std::string_view args;   // for the help
  std::string_view flags;  // the --cluster-* options it reads, for the help
  handler run;
};

bool run_info(manager& m, std::span<const std::string> args) {
  if (!load_cluster(m, args, false)) return false;
  show_cluster_info(m);
  return true;
}

bool run_check(manager& m, std::span<const std::string> args) {
  if (!load_cluster(m, args, false)) return false;
  show_cluster_info(m);
  return check_cluster(m, false);
}

bool run_create(manager& m, std::span<const std::string> args) { return create(m, args); }

bool run_fix(manager& m, std::span<const std::string> args) {
  m.fixing = true;
  return run_check(m, args);
}

// The command on each node (each master, or each replica), its reply printed raw after the
// node's address, as far as its first NUL byte (redis-cli prints it with "%s").
bool run_call(manager& m, std::span<const std::string> args) {
  if (!load_cluster(m, args, true)) return false;
  const std::span<const std::string> command = args.subspan(1);
  m.log(log_level::info, ">>> Calling");
  std::string line;
  for (const std::string& a : command) line += fmt::format(" {}", a);
  print(line + "\n");
  const cluster_options& c = m.cmd();
  for (const auto& n : m.nodes) {
    if (c.only_masters && n->replicate) continue;
    if (c.only_replicas && !n->replicate) continue;
    if (!n->conn && !m.connect(*n)) continue;
    if (!m.exchange(*n, command)) {
      print(fmt::format("{}:{}: Failed!\n", n->ip, n->port));
      continue;
    }
    std::string text;
    format_raw(text, n->conn->reply(), m.opts().element_delimiter);
    text.resize(std::min(text.size(), text.find('\0')));
    print(fmt::format("{}:{}: {}\n", n->ip, n->port, text));
  }
  return true;
}

bool run_set_timeout(manager& m, std::span<const std::string> args) {
  std::string ip;
  int port = 0;
  if (!host_of(args, true, ip, port)) {
    log_invalid_host();
    return false;
  }
  const int timeout = std::atoi(args[1].c_str());
  if (timeout < 100) {
    std::fputs("Setting a node timeout of less than 100 milliseconds is a bad idea.\n", stderr);
    return false;
  }
  if (!load_from_node(m, std::make_unique<node>(ip, port, 0))) return false;
  m.log(log_level::info, ">>> Reconfiguring node timeout in every cluster node...\n");
  int ok = 0;
  int failed = 0;
  for (const auto& n : m.nodes) {
    reply r = m.command(*n, {"CONFIG", "SET", "cluster-node-timeout", std::to_string(timeout)});
    if (r.ok()) r = m.command(*n, {"CONFIG", "REWRITE"});
    if (r.ok()) {
      m.log(log_level::warn, fmt::format("*** New timeout set for {}:{}\n", n->ip, n->port));
      ++ok;
    } else {
      m.log(log_level::err, fmt::format("ERR setting node-timeout for {}:{}: {}\n", n->ip, n->port,
                                        r.error() ? r.text : std::string()));
      ++failed;
    }
  }
  m.log(log_level::info, fmt::format(">>> New node timeout set. {} OK, {} ERR.\n", ok, failed));
  return true;
}

bool run_help(manager& m, std::span<const std::string> args);

const subcommand subcommands[] = {
    {"create", -2, "host1:port1 ... hostN:portN", "replicas <arg>", run_create},
    {"check", -1, host_args, "search-multiple-owners", run_check},
    {"info", -1, host_args, "", run_info},
    {"fix", -1, host_args, "search-multiple-owners,fix-with-unreachable-masters", run_fix},
    {"reshard", -1, host_args,
     "from <arg>,to <arg>,slots <arg>,yes,timeout <arg>,pipeline <arg>,replace", reshard},
    {"rebalance", -1, host_args,
     "weight <node1=w1...nodeN=wN>,use-empty-masters,timeout <arg>,simulate,pipeline <arg>,"
     "threshold <arg>,replace",
     rebalance},
    {"add-node", 2, "new_host:new_port existing_host:existing_port", "slave,master-id <arg>",
     add_node},
    {"del-node", 2, "host:port node_id", "", del_node},
    {"call", -2, "host:port command arg arg .. arg", "only-masters,only-replicas", run_call},
    {"set-timeout", 2, "host:port milliseconds", "", run_set_timeout},
    {"import", 1, "host:port",
     "from <arg>,from-user <arg>,from-pass <arg>,from-askpass,copy,replace", import_data},
    {"backup", 2, "host:port backup_directory", "", backup},
    {"help", 0, "", "", run_help},
};

// redis-cli's text, unchanged: it names no program, so there is nothing to say differently. As
// in redis-cli, `--cluster help` ends with exit status 1.
bool run_help(manager&, std::span<const std::string>) {
  constexpr std::size_t column = 15;
  std::string out = "Cluster Manager Commands:\n";
  for (const subcommand& c : subcommands) {
    out += fmt::format("  {:<{}}{}\n", c.name, column, c.args);
    for (std::string_view flags = c.flags; !flags.empty();) {
      const std::size_t comma = flags.find(',');
      out += fmt::format("{:{}}  --cluster-{}\n", "", column, flags.substr(0, comma));
      flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
    }
  }
  out +=
      "\nFor check, fix, reshard, del-node, set-timeout, info, rebalance, call, import, backup "
      "you can specify the host and port of any working node in the cluster.\n"
      "\nCluster Manager Options:\n"
      "  --cluster-yes  Automatic yes to cluster commands prompts\n\n";
  print(out);
  return false;
}

// -x / -X as redis-cli applies them to the subcommand: standard input as one more argument,
// or in place of the first argument equal to the tag.
bool take_stdin(cluster_options& c, std::string (*read_stdin)()) {
  if (c.stdin_last_arg) {
    c.args.push_back(read_stdin());
  } else if (c.stdin_tag) {
    std::string data = read_stdin();
    const auto it = std::find(c.args.begin(), c.args.end(), *c.stdin_tag);
    if (it == c.args.end()) {
      std::fputs("Using -X option but stdin tag not match.\n", stderr);
      return false;
    }
    *it = std::move(data);
  }
  return true;
}

}  // namespace

bool host_of(std::span<const std::string> args, bool single, std::string& ip, int& port) {
  if (args.empty()) return false;
  if (single || args.size() == 1) {
    if (!parse_address(args[0], ip, port, nullptr)) return false;
  } else {
    ip = args[0];
    port = std::atoi(args[1].c_str());
  }
  return port != 0;
}

void log_invalid_host() {
  std::fwrite(invalid_host_arg.data(), 1, invalid_host_arg.size(), stderr);
}

bool load_cluster(manager& m, std::span<const std::string> args, bool single) {
  std::string ip;
  int port = 0;
  if (!host_of(args, single, ip, port)) {
    log_invalid_host();
    return false;
  }
  return load_from_node(m, std::make_unique<node>(ip, port, 0));
}

int run(options& opts, std::string (*read_stdin)()) {
  cluster_options& c = opts.cluster_manager;
  if (!take_stdin(c, read_stdin)) return 1;
  const subcommand* found = nullptr;
  for (const subcommand& s : subcommands) {
    if (s.name == *c.command) found = &s;
  }
  if (found == nullptr) {
    std::fputs("Unknown --cluster subcommand\n", stderr);
    return 1;
  }
  const auto argc = static_cast<int>(c.args.size());
  if ((found->arity > 0 && argc != found->arity) || (found->arity < 0 && argc < -found->arity)) {
    std::fputs("[ERR] Wrong number of arguments for specified --cluster sub command\n", stderr);
    return 1;
  }
  manager m(opts);
  const bool ok = found->run(m, c.args);
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace respool::cli::cluster
