/// @file
/// @brief respool-cli's cluster manager (`--cluster <command>`): redis-cli 7.0's model of a
/// cluster, rebuilt from each node's CLUSTER NODES, and the subcommands that read or shape it.
///
/// The model is redis-cli's: a list of nodes, the first being the one the user named, each with
/// its own connection (respool-cli's link), its slots, flags, master and open slots as the node
/// itself reports them. What the subcommands print, and in what order, is redis-cli's, byte for
/// byte; the code is our own.
#pragma once

#include "link.hpp"
#include "options.hpp"
#include <respool/protocol/resp3/type.hpp>

#include <bitset>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace respool::cli::cluster {

inline constexpr int slot_count = 16384;

/// What CLUSTER NODES says of a node, as bits (the words themselves are kept too).
enum node_flag : unsigned {
  flag_myself = 1U << 0,
  flag_slave = 1U << 1,
  flag_friend = 1U << 2,  ///< learnt from another node's CLUSTER NODES
  flag_noaddr = 1U << 3,
  flag_disconnected = 1U << 4,
  flag_fail = 1U << 5,
};

/// A reply, copied out of the connection's buffer. `received` is false when none came (the
/// connection failed, or the reply did not begin within the manager's bound).
struct reply {
  /// One node of the reply, in the parser's pre-order (the reply itself first, at depth 0).
  struct item {
    resp3::type type = resp3::type::null;
    unsigned depth = 0;
    std::size_t size = 0;  // an aggregate's element count
    std::string value;
  };
  bool received = false;
  resp3::type type = resp3::type::null;
  std::string text;  // a string's or an error's text, a number's digits
  std::vector<item> items;
  /// The values of the elements of a top-level array of plain values (GETKEYSINSLOT's keys).
  [[nodiscard]] std::vector<std::string> strings() const;
  [[nodiscard]] bool error() const noexcept { return received && resp3::is_error(type); }
  [[nodiscard]] bool ok() const noexcept { return received && !error(); }
};

/// An open slot: its number (as CLUSTER NODES writes it) and the other node's id.
using open_slot = std::pair<std::string, std::string>;

struct node {
  node(std::string ip_, int port_, int bus_port_);

  std::string name;  // the node id; empty until CLUSTER NODES was read
  std::string ip;
  int port = 0;
  int bus_port = 0;
  unsigned flags = 0;
  std::vector<std::string> flag_words;   // as CLUSTER NODES lists them ("myself", "master")
  std::optional<std::string> replicate;  // the master's id, for a replica
  bool dirty = false;                    // a configuration to send (create)
  std::bitset<slot_count> slots;
  int slots_count = 0;
  int replicas_count = 0;
  std::vector<open_slot> migrating;  // slot, destination
  std::vector<open_slot> importing;  // slot, source
  unsigned long long current_epoch = 0;
  long long ping_sent = 0;
  long long ping_recv = 0;
  std::vector<std::unique_ptr<node>> friends;  // the other nodes it knows (load_info)
  std::unique_ptr<link> conn;

  [[nodiscard]] bool is_slave() const noexcept { return (flags & flag_slave) != 0; }
  void reset_slots() noexcept {
    slots.reset();
    slots_count = 0;
  }
};

/// How a message is coloured (in this order in cluster_manager.cpp's table of colours).
enum class log_level { info, warn, err, ok };

/// The state of one run of the cluster manager.
class manager {
 public:
  explicit manager(const options& opts);

  [[nodiscard]] const options& opts() const noexcept { return opts_; }
  [[nodiscard]] const cluster_options& cmd() const noexcept { return opts_.cluster_manager; }
  /// How long a node may take to begin a reply (-t, or the manager's own bound).
  [[nodiscard]] std::chrono::milliseconds reply_bound() const noexcept { return reply_bound_; }

  /// Prints to stdout, in the level's colour when TERM names an xterm (as redis-cli decides).
  void log(log_level level, std::string_view text);
  /// "Node ip:port replied with error:\n<text>\n", as an error.
  void log_reply_error(const node& n, std::string_view text);
  /// Remembers a problem found by check and prints it (as an error).
  void on_error(std::string text);

  /// Connects (a connection already open is replaced), then AUTH when a password is set.
  /// False, with the reason printed, when that fails.
  bool connect(node& n);
  /// Sends a command to `n` and waits (bounded) for its reply.
  reply command(node& n, const std::vector<std::string>& argv);
  /// Sends a command and waits for its reply, left in n.conn->reply(); false when none came.
  bool exchange(node& n, std::span<const std::string> argv);

  /// The node named `id` (compared in lower case), or null.
  node* by_name(std::string_view id);

  std::vector<std::unique_ptr<node>> nodes;
  std::vector<std::string> errors;
  int unreachable_masters = 0;
  bool fixing = false;  // `fix`: check repairs what it finds

 private:
  const options& opts_;
  bool color_ = false;
  std::chrono::milliseconds reply_bound_;
};

// cluster_nodes.cpp: the model, from CLUSTER NODES.

/// "ip:port[@bus_port]" (the last ':' splits; port and bus port read with atoi). False when
/// there is no ':'.
bool parse_address(std::string_view addr, std::string& ip, int& port, int* bus_port);
/// INFO's cluster_enabled is 1. `err` gets an error reply's text.
bool is_cluster_node(manager& m, node& n, std::string& err);
/// "[ERR] Node ip:port <err>", or "... is not configured as a cluster node." without `err`.
void log_not_cluster(manager& m, const node& n, const std::string& err);
/// Reads the node's CLUSTER NODES: its own line (id, flags, master, slots, open slots), and
/// with `get_friends` the other nodes into n.friends. False on an error (text in `err`) or a
/// reply it cannot read.
bool load_info(manager& m, node& n, bool get_friends, std::string& err);
/// Replaces m.nodes with `first` and the reachable nodes it knows, each read from its own
/// CLUSTER NODES, and counts each master's replicas. False, with the reason printed, when
/// `first` cannot be read.
bool load_from_node(manager& m, std::unique_ptr<node> first);
/// "[0-5460],[5462]" (redis-cli's slot list).
std::string slots_text(const std::bitset<slot_count>& slots);
/// The node's flags as CLUSTER NODES lists them, "myself" aside, comma-separated.
std::string flags_text(const node& n);
/// A node as redis-cli prints it ("M: <id> <ip>:<port>\n   slots:...").
std::string describe(const node& n, int indent = 0);
/// Each node of the model, described, one after another.
void show_nodes(manager& m);

// cluster_check.cpp: what `check` and `info` report.

/// Every node sees the same owners for the same slots (nodes without any slot aside).
bool config_consistent(manager& m);
/// For each node some node's CLUSTER NODES calls disconnected or in handshake: that node's
/// address and the addresses of the nodes that say so, in the order found.
std::vector<std::pair<std::string, std::vector<std::string>>> link_problems(manager& m);
/// The keys and slots of each master ("ip:port (id...) -> N keys | N slots | N slaves.").
void show_cluster_info(manager& m);
/// The cluster check; false when it found a problem.
bool check_cluster(manager& m, bool quiet);

// cluster_order.cpp

/// How redis-cli fills one of its hash tables (dict.c) with the keys: replacing each (a key
/// seen again keeps its place), or looking each up and adding it when missing.
enum class dict_use { replace, find_then_add };
/// The distinct keys in the order redis-cli walks its hash table of them, which is the order
/// it prints them in (the open slots of check, the unreachable nodes while waiting for the
/// cluster to join): redis-cli hashes with SipHash-1-2 under a key of zeros, so the order is
/// the same from run to run.
std::vector<std::string> dict_order(const std::vector<std::string>& keys, dict_use use);

// cluster_create.cpp

/// `--cluster create host1:port1 ... hostN:portN` (--cluster-replicas, --cluster-yes).
bool create(manager& m, std::span<const std::string> addresses);
/// No key in database 0 and no other node known. `err` gets an error reply's text.
bool is_empty_node(manager& m, node& n, std::string& err);
/// A dot per second until the nodes agree on the slots, with the links that seem broken every
/// 20 or so seconds. False when they still disagree after a bound of two minutes.
bool wait_for_join(manager& m);
/// Writes `text` to standard output, flushed (so that it keeps its place among the lines the
/// manager's log writes).
void print(std::string_view text);
/// The first address `host` resolves to, as text (CLUSTER MEET wants an address).
std::optional<std::string> resolve(const std::string& host);

// cluster_slots.cpp: what the subcommands that move slots share.

/// How move_slot works and what it says (redis-cli's options of the same names).
enum move_option : unsigned {
  move_verbose = 1U << 0,  ///< a dot per key moved
  move_cold = 1U << 1,     ///< keys only: no SETSLOT before or after
  move_update = 1U << 2,   ///< the model's slots follow the move
  move_quiet = 1U << 3,    ///< no "Moving slot ..." line
};
/// A command whose reply is only checked; an error reply is printed ("Node ... replied with
/// error:"), or kept in `err` when it is given.
bool checked(manager& m, node& n, const std::vector<std::string>& argv, std::string* err = nullptr);
/// CLUSTER SETSLOT <slot> <status> <other's id> on `n`. An error goes to `err` when given,
/// printed otherwise.
bool set_slot(manager& m, node& n, const node& other, int slot, std::string_view status,
              std::string* err);
/// CLUSTER SETSLOT <slot> STABLE.
bool clear_slot_status(manager& m, node& n, int slot);
/// CLUSTER DELSLOTS <slot>; with `ignore_unassigned`, a refusal for a slot the node sees
/// without owner is not a failure.
bool del_slot(manager& m, node& n, int slot, bool ignore_unassigned);
/// CLUSTER COUNTKEYSINSLOT; -1 when the node did not tell.
long long count_keys_in_slot(manager& m, node& n, int slot);
/// In one transaction: DELSLOTS, ADDSLOTS, SETSLOT STABLE (with `clear`) and BUMPEPOCH.
bool set_slot_owner(manager& m, node& owner, int slot, bool clear);
/// The master of `nodes` with the most keys in the slot (the first on a tie), or null.
node* most_keys_in_slot(manager& m, const std::vector<node*>& nodes, int slot);
/// The first master with the fewest replicas.
node* least_replicas(manager& m);
/// A master drawn at random.
node* random_master(manager& m);
/// Moves a slot with its keys from `source` to `target` (see move_option): IMPORTING on the
/// target, MIGRATING on the source, MIGRATE in batches of --cluster-pipeline keys, then the
/// target, the source and the other masters are told the slot's new owner.
bool move_slot(manager& m, node& source, node& target, int slot, unsigned options,
               std::string* err);
/// The question, then "yes" from standard input; --cluster-yes answers it unless `ignore_yes`.
bool confirm(manager& m, std::string_view question, bool ignore_yes = false);

// The subcommands that reshape a cluster, each in its own file (cluster_<name>.cpp).

bool reshard(manager& m, std::span<const std::string> args);
/// Which slots to take from which source to move `slots` slots: from each source (the one with
/// the most slots first) its share, in slot order.
std::vector<std::pair<node*, int>> reshard_table(std::vector<node*> sources, int slots);
bool rebalance(manager& m, std::span<const std::string> args);
bool add_node(manager& m, std::span<const std::string> args);
bool del_node(manager& m, std::span<const std::string> args);
bool import_data(manager& m, std::span<const std::string> args);
/// `backup host:port dir`: nodes.json and each master's RDB, written into `dir`.
bool backup(manager& m, std::span<const std::string> args);
/// A slot left open (migrating or importing somewhere), repaired by check under `fix`.
bool fix_open_slot(manager& m, int slot);
/// The slots no node serves, given to a node (check under `fix`); how many were fixed, -1 on a
/// failure.
int fix_slots_coverage(manager& m, const std::bitset<slot_count>& covered);
/// A slot that several masters claim, given to one (check under `fix`).
bool fix_multiple_owners(manager& m, int slot, const std::vector<node*>& owners);
/// "ip:port" alone (`single`, or a single argument), or "ip" "port" (the first two arguments).
/// False when neither gives an address and a port other than 0.
bool host_of(std::span<const std::string> args, bool single, std::string& ip, int& port);
/// redis-cli's message for arguments that name no node, on stderr.
void log_invalid_host();
/// The cluster, read from the node the arguments name ("ip:port", or "ip" "port" unless
/// `single`). False, with the reason printed, when they name no node or it cannot be read.
bool load_cluster(manager& m, std::span<const std::string> args, bool single);

// cluster_layout.cpp: where create puts the slots and the replicas.

/// The nodes of m.nodes grouped by IP address (in order of first appearance), each group in
/// list order.
std::vector<std::vector<node*>> nodes_by_ip(manager& m);
/// Gives the first `masters` nodes of the interleaved order their slot ranges, the others a
/// master each (printing redis-cli's lines), then improves the replicas' anti-affinity.
void plan_layout(manager& m, int masters);

/// Runs the cluster manager subcommand of `opts` (after reading standard input for -x / -X
/// with `read_stdin`); the exit status.
int run(options& opts, std::string (*read_stdin)());

}  // namespace respool::cli::cluster
