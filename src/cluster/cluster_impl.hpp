// The cluster connection's state: nodes and their connections, the slot owners, pooled
// operations, and the topology refresh. Not part of the public interface.
#pragma once

#include <respool/cluster/cluster_connection.hpp>
#include <respool/io/connection.hpp>
#include <respool/io/detail/push_channel.hpp>
#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/cluster/detail/redirect.hpp>
#include <respool/protocol/cluster/detail/reply_store.hpp>
#include <respool/protocol/cluster/detail/request_walker.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/generic_reply.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::detail {

using cluster_clock = std::chrono::steady_clock;

enum class pubsub_kind : std::uint8_t { channel, pattern, shard };

struct pubsub_call;

/// A (un)subscribing command for one node's pub/sub connection.
struct pubsub_command {
  pubsub_kind kind = pubsub_kind::channel;
  bool on = true;                  // subscribing
  std::uint16_t slot = 0;          // a shard channels' command: their one slot
  std::vector<std::string> names;  // the names its confirmations have not named yet
  pubsub_call* call = nullptr;     // an unsubscribing call waiting for it
};

/// One node of the cluster and its connection, made on first use.
struct cluster_node {
  std::string host;
  std::uint16_t port = 0;
  std::unique_ptr<connection> conn;
  bool retired = false;  // no longer in the topology: cancelled, freed when its run ends
  bool replica = false;  // a replica when last read: its connection sends READONLY

  // Subscriptions: a connection of their own, so that an error reply to one of them (which
  // has no reply slot of its own) is not taken for another request's reply. Its commands go
  // one at a time: what a refusal refers to is then never in doubt.
  std::unique_ptr<connection> pubsub;
  bool pubsub_ended = false;  // its run is over: a new one is made when needed
  bool pumping = false;       // an async_receive is pending on it
  generic_reply push{generic_reply::owning};
  std::deque<pubsub_command> pubsub_queue;  // the front is in flight when pubsub_sent
  bool pubsub_sent = false;
  request pubsub_req;
  std::unique_ptr<asio::steady_timer> pubsub_timer;  // bounds the wait for confirmations
  std::uint64_t pubsub_generation = 0;
};

/// A subscription the caller asked for, and where it is held.
struct cluster_subscription {
  std::string name;
  pubsub_kind kind = pubsub_kind::channel;
  cluster_node* at = nullptr;  // the node it is held (or being made) at
  bool confirmed = false;
  bool ever_confirmed = false;  // held once: making it again elsewhere counts as resubscribed
};

/// An async_pubsub call.
struct pubsub_call {
  stored_handler<std::error_code> handler;
  pubsub_kind kind = pubsub_kind::channel;
  bool on = true;
  std::vector<std::string> names;  // subscribing: the names to see confirmed
  std::size_t commands_left = 0;   // unsubscribing: its commands not yet answered
  std::unique_ptr<asio::steady_timer> timer;
  std::uint64_t generation = 0;
  bool active = false;
};

/// What happened to one command of a request.
enum class command_state : std::uint8_t {
  fresh,        // to be sent
  sent,         // in a request to a node
  held,         // its reply came before its turn: in the operation's reply store
  delivered,    // its reply went to the caller's response
  retry,        // to be sent again now (MOVED, ASK)
  retry_later,  // to be sent again after a backoff (TRYAGAIN, a node unreachable, ...)
  failed,       // no reply will come (connection lost, cancelled): the operation fails
  split,        // sent as parts (keys of several slots, or to every master): they make its reply
};

/// How the replies of a command's parts make its reply.
enum class combine_kind : std::uint8_t {
  none,
  by_key,  // MGET: the parts' elements, back in the order of the keys
  all_ok,  // MSET, FLUSHALL...: the first error, else the first reply
  one_ok,  // the first reply that is not an error, else the first error
  sum,     // DEL, EXISTS, DBSIZE...: the sum of the parts' numbers
  min,
  max,
  logical_and,  // SCRIPT EXISTS: element by element
  logical_or,
  concat,  // KEYS: the parts' elements one after the other
  scan,    // SCAN: the master's reply, its cursor made the cluster's
};

inline constexpr std::uint32_t no_parent = 0xffffffff;

/// Where the keyless commands of a request, and those the cluster cannot route, go.
inline constexpr std::uint16_t any_slot = 0xffff;

struct cluster_command {
  cluster::detail::command_bytes bytes;
  std::uint16_t slot = any_slot;
  command_state state = command_state::fresh;
  std::uint8_t redirects = 0;
  bool in_transaction = false;
  bool block_end = false;             // the EXEC or DISCARD that ends a transaction
  cluster_node* ask = nullptr;        // the ASK target for its next send
  bool unreachable = false;           // last sent to a node that could not be reached
  bool no_node = false;               // waits for a topology that gives it a node it can reach,
  cluster_node* waited_on = nullptr;  // other than this one (null: its slot had no master)
  // Parts: a split command's parts follow the request's own commands in the operation.
  std::uint32_t parent = no_parent;  // a part: the command whose reply it makes
  std::uint32_t first_part = 0;      // a split command: its parts' indexes
  std::uint32_t parts = 0;           // ... how many there are
  std::uint32_t parts_left = 0;      // ... and how many replies are still to come
  std::uint32_t key_first = 0;       // an MGET part: its keys' places, in op.key_places
  std::uint32_t key_count = 0;       // (or, for the split MGET, its number of keys)
  combine_kind combine = combine_kind::none;
  bool in_parts = false;               // its bytes are in op.parts, not in the caller's request
  bool fanout = false;                 // sent to every master (its request policy)
  bool read = false;                   // read-only, and replicas may serve it (cfg.reads)
  cluster_node* fixed = nullptr;       // a fan-out part's node
  std::uint16_t scan_master = 0xffff;  // a SCAN part: the index in `scan_order` it goes to
};

struct cluster_op;

/// One request to one node: the whole request, or slices of it.
struct cluster_sub {
  cluster_op* op = nullptr;
  cluster_node* node = nullptr;
  request req;                          // slices of the operation's request (unless whole)
  std::vector<segment> slices;          // scratch for building req
  std::vector<std::uint32_t> commands;  // reply i (after ASKING's) → command index
  asio::cancellation_signal cancel;
  bool whole = false;   // the operation's own request, sent as it is
  bool asking = false;  // req starts with ASKING, whose reply is not the caller's
};

struct cluster_op {
  cluster_impl* owner = nullptr;
  const request* req = nullptr;
  erased_response user{};
  ignore_t ignored;  // the response of an async_exec without one
  stored_handler<std::error_code, std::size_t> handler;
  asio::cancellation_slot slot;
  std::vector<cluster_command> commands;
  std::size_t originals = 0;               // commands of the caller's request (the rest are parts)
  request parts;                           // the parts' own commands (MGET of some of the keys...)
  std::vector<cluster_command> new_parts;  // made while reading the request
  std::vector<std::uint32_t> key_places;   // MGET parts: where each key's value goes
  cluster::detail::reply_store part_replies;
  std::vector<resp3::node> combined;  // a split command's reply being made
  std::string combined_text;          // a number it holds
  cluster::detail::reply_store held;
  std::vector<cluster_sub*> subs;  // in flight
  std::size_t next = 0;            // the next command whose reply goes to the caller
  adapt_error error;
  std::error_code failure;
  std::size_t bytes = 0;
  cluster_clock::time_point deadline{};
  unsigned attempt = 0;  // backoff rounds
  std::string note;      // the text of a local error reply
  std::unique_ptr<asio::steady_timer> timer;
  std::uint64_t timer_generation = 0;
  bool timer_armed = false;
  bool cancelled = false;
  bool waiting = false;  // for the first topology
  bool active = false;
};

class cluster_impl : public std::enable_shared_from_this<cluster_impl> {
 public:
  cluster_impl(asio::any_io_executor ex, cluster_config cfg);

  asio::any_io_executor ex;
  cluster_config cfg;
  cluster_stats stats;
  cluster::slot_map map;
  cluster::command_table commands;
  bool table_read = false;  // COMMAND overlaid on the built-in table

  // Routing.
  // The master of each slot, as an index into `masters` (`no_master`: none known): 32 KiB
  // rather than a pointer per slot, so that lookups of scattered slots stay in the cache.
  static constexpr std::uint16_t no_master = 0xffff;
  std::array<std::uint16_t, cluster::slot_count> owner{};
  std::vector<cluster_node*> masters;
  std::vector<std::vector<cluster_node*>> replicas;  // of each of `masters`
  // The masters by the first slot they serve: SCAN's order, the same whichever node the
  // topology was read from.
  std::vector<cluster_node*> scan_order;
  std::size_t read_turn = 0;  // spreads reads over a master's replicas, a dispatch at a time
  cluster_node* reader(std::size_t master, std::uint16_t slot) const noexcept;
  void set_owner(std::uint16_t slot, cluster_node& n);
  cluster_node* any_master = nullptr;
  std::vector<std::unique_ptr<cluster_node>> nodes;
  std::vector<std::string_view> argv;  // scratch of the request walker

  // Operations.
  std::vector<std::unique_ptr<cluster_op>> ops;  // every operation made
  std::vector<cluster_op*> free_ops;
  std::vector<std::unique_ptr<cluster_sub>> subs_made;
  std::vector<cluster_sub*> free_subs;
  std::vector<cluster_op*> waiting;  // for the first topology

  // The run and the topology.
  stored_handler<std::error_code> run_handler;
  bool running = false;
  bool stopped = false;
  cluster::detail::refresh_gate gate;
  asio::steady_timer refresh_timer;
  asio::steady_timer periodic_timer;
  request shards_req;
  request slots_req;
  request command_req;
  cluster::slot_map next_map;
  std::string refresh_why;
  std::size_t refresh_candidate = 0;
  std::vector<std::pair<std::string, std::uint16_t>> candidates;
  std::minstd_rand rng;

  cluster_node& node_at(std::string_view host, std::uint16_t port);
  config node_config(const cluster_node& n) const;  // the first seed's, at n's address
  connection& connect(cluster_node& n);
  bool reachable(const cluster_node& n) const noexcept;
  void retire_absent_nodes();

  // cluster_topology.cpp
  void want_refresh();
  void start_refresh();
  void refresh_from(std::size_t candidate, bool slots);
  void refresh_done(bool ok);
  void install_map(cluster_node& from);
  std::uint16_t node_port(const cluster::node_info& n) const noexcept;
  void run(asio::cancellation_slot slot);
  void arm_periodic();
  void stop();

  // cluster_exec.cpp
  void start(cluster_op& op);
  void dispatch(cluster_op& op);
  void place(cluster_op& op, std::size_t k, std::size_t first_new);
  void on_reply(cluster_op& op, cluster_sub& sub, std::size_t index, resp3::reply_view reply);
  void on_sub_done(cluster_sub& sub, std::error_code ec, std::size_t bytes);
  void proceed(cluster_op& op);
  void finish(cluster_op& op);
  void deliver(cluster_op& op, std::size_t index, resp3::reply_view reply);
  void deliver_error(cluster_op& op, std::size_t index, std::string_view text);
  void drain(cluster_op& op);
  void cancel_op(cluster_op& op, asio::cancellation_type type);
  cluster_sub& acquire_sub(cluster_op& op, cluster_node& node);
  void send(cluster_sub& sub);
  bool route(cluster_op& op);
  void route_transactions(cluster_op& op);
  bool split_keys(cluster_op& op, std::size_t k, const cluster::command_info& info);
  bool split_scan(cluster_op& op, std::size_t k);
  void scan_cursor(cluster_op& op, const cluster_command& part);
  void add_parts(cluster_op& op);
  void fan_out(cluster_op& op, std::size_t k);
  void combine_part(cluster_op& op, std::size_t k, resp3::reply_view reply);
  void combine(cluster_op& op, std::size_t k);
  void add_up(cluster_op& op, const cluster_command& whole);
  void mark_failed(cluster_op& op, std::size_t k);
  std::vector<std::string_view> part_args;  // scratch of split_keys
  std::vector<std::uint16_t> part_slots;
  cluster_clock::duration backoff(unsigned attempt);
  void give_up(cluster_op& op);
  void arm_timer(cluster_op& op, cluster_clock::time_point at);
  void on_timer(cluster_op& op);
  bool wake_waiting_for_nodes();
  cluster_node* target_of(const cluster_command& c) const noexcept;
  std::vector<cluster_sub*> round;  // the parts a dispatch sends

  // cluster_pubsub.cpp
  std::vector<cluster_subscription> subscriptions;
  std::vector<std::unique_ptr<pubsub_call>> calls;
  push_channel messages;  // the subscriptions' messages, for async_receive
  void start_call(pubsub_call& call, std::string_view command,
                  std::span<const std::string_view> names);
  void subscribe(pubsub_call& call, std::span<const std::string_view> names);
  void unsubscribe(pubsub_call& call, std::span<const std::string_view> names);
  void finish_call(pubsub_call& call, std::error_code ec);
  void on_call_timeout(pubsub_call& call);
  void check_calls();
  cluster_node* subscription_target(const cluster_subscription& s) const noexcept;
  void reconcile_subscriptions();
  void queue_pubsub(cluster_node& n, pubsub_kind kind, bool on, std::string_view name,
                    pubsub_call* call);
  connection& pubsub_connection(cluster_node& n);
  void pump(cluster_node& n);
  void on_push(cluster_node& n);
  void on_confirmation(cluster_node& n, pubsub_kind kind, bool on, std::string_view name);
  void on_refusal(cluster_node& n);
  void send_pubsub(cluster_node& n);
  void settle_pubsub(cluster_node& n, bool answered);
  void deliver_message(cluster_node& n);
  void drop_node_subscriptions(cluster_node& n);
  void fail_calls_missing(std::error_code ec);
  void stop_pubsub();
};

}  // namespace respool::detail
