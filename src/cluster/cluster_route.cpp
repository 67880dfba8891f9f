// Reading a request command by command and choosing each command's slot.
#include "cluster_impl.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/error.hpp>

namespace respool::detail {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

// A command whose keys are in several slots, or one the cluster cannot carry.
constexpr std::uint16_t cross_slot = 0xfffe;
constexpr std::uint16_t refused = 0xfffd;

std::uint16_t slot_of(const cluster::command_info* info,
                      std::span<const std::string_view> argv) noexcept {
  if (info == nullptr) return any_slot;  // the server says what it is, or MOVED
  if ((info->flags & cluster::pubsub) != 0 && argv[0].size() >= 9 && argv[0].size() <= 12 &&
      is_push_answered(argv[0])) {
    return refused;
  }
  std::uint16_t slot = any_slot;
  bool cross = false;
  const auto add = [&](std::size_t i) {
    const std::uint16_t s = cluster::hash_slot(argv[i]);
    if (slot == any_slot) {
      slot = s;
    } else if (s != slot) {
      cross = true;
    }
  };
  if (!cluster::for_each_key(*info, argv, add)) {
    // Not every key can be found from the specs (SORT's STORE, BY and GET; commands with
    // movable keys): the keys the complete specs do find decide. The server wants every key
    // of a command in one slot anyway, and answers CROSSSLOT otherwise, so asking it for the
    // keys first (COMMAND GETKEYS) would only add a round trip to each such command. With no
    // key found, any master takes it, and its MOVED says where it belongs.
    slot = any_slot;
    cross = false;
    cluster::detail::key_range r;
    for (const cluster::key_spec& spec : info->keys) {
      if (cluster::detail::match_key_spec(spec, argv, r) != cluster::detail::spec_match::keys) {
        continue;
      }
      for (std::size_t i = r.first; i <= r.last; i += r.step) add(i);
    }
  }
  return cross ? cross_slot : slot;
}

// How the replies of a keyless command sent to every master combine, from its response
// policy; `none` when it is not sent to every master.
combine_kind fan_out_kind(const cluster::command_info* info) noexcept {
  using cluster::request_policy;
  using cluster::response_policy;
  if (info == nullptr ||
      (info->request != request_policy::all_shards && info->request != request_policy::all_nodes)) {
    return combine_kind::none;
  }
  switch (info->response) {
    case response_policy::one_succeeded:
      return combine_kind::one_ok;
    case response_policy::all_succeeded:
      return combine_kind::all_ok;
    case response_policy::agg_logical_and:
      return combine_kind::logical_and;
    case response_policy::agg_logical_or:
      return combine_kind::logical_or;
    case response_policy::agg_min:
      return combine_kind::min;
    case response_policy::agg_max:
      return combine_kind::max;
    case response_policy::agg_sum:
      return combine_kind::sum;
    case response_policy::default_:
      return combine_kind::concat;
    case response_policy::special:
      return combine_kind::none;  // SCAN...: one node
  }
  return combine_kind::none;
}

}  // namespace

// Gives every command of a MULTI…EXEC block the slot of its keys; a block whose keys are in
// several slots fails whole, unsent.
void cluster_impl::route_transactions(cluster_op& op) {
  const std::size_t n = op.commands.size();
  for (std::size_t first = 0; first < n;) {
    if (!op.commands[first].in_transaction) {
      ++first;
      continue;
    }
    std::size_t end = first;
    std::uint16_t slot = any_slot;
    bool cross = false;
    for (; end < n && op.commands[end].in_transaction; ++end) {
      const std::uint16_t s = op.commands[end].slot;
      if (s == any_slot) continue;
      if (s >= cross_slot || (slot != any_slot && s != slot)) cross = true;
      if (slot == any_slot) slot = s;
      if (op.commands[end].block_end) {
        ++end;
        break;
      }
    }
    for (std::size_t k = first; k < end; ++k) {
      op.commands[k].slot = cross ? cross_slot : slot;
    }
    first = end;
  }
}

bool cluster_impl::route(cluster_op& op) {
  op.commands.clear();
  op.new_parts.clear();
  op.key_places.clear();
  op.parts.clear();
  cluster::detail::request_walker walker(op.req->segments());
  cluster::detail::command_bytes where;
  bool in_transaction = false;
  while (walker.next(argv, where)) {
    const std::size_t k = op.commands.size();
    cluster_command& c = op.commands.emplace_back();
    c.bytes = where;
    if (iequals(argv[0], "MULTI")) in_transaction = true;
    c.in_transaction = in_transaction;
    if (in_transaction && (iequals(argv[0], "EXEC") || iequals(argv[0], "DISCARD"))) {
      in_transaction = false;
      c.block_end = true;
    }
    const cluster::command_info* info = commands.find(argv);
    c.slot = slot_of(info, argv);
    if (c.in_transaction) continue;
    c.read = cfg.reads != read_policy::master && info != nullptr &&
             (info->flags & cluster::readonly) != 0;
    if (c.slot == cross_slot && split_keys(op, k, *info)) {
      op.commands[k].slot = any_slot;
    } else if (info != nullptr && info->name == "scan") {
      split_scan(op, k);
    } else if (c.slot == any_slot) {
      c.combine = fan_out_kind(info);
      c.fanout = c.combine != combine_kind::none;
    }
  }
  op.originals = op.commands.size();
  if (!walker.ok()) return false;
  route_transactions(op);
  // A keyless command goes with the command before it (WAIT after a write, PING in a
  // pipeline), else to any master.
  std::uint16_t last = any_slot;
  for (cluster_command& c : op.commands) {
    if (c.fanout || c.state == command_state::split) continue;
    if (c.slot == any_slot) {
      c.slot = last;
    } else if (c.slot < cluster::slot_count) {
      last = c.slot;
    }
  }
  for (std::size_t k = 0; k < op.commands.size(); ++k) {
    const std::uint16_t s = op.commands[k].slot;
    if (s == cross_slot) {
      deliver_error(op, k,
                    "CROSSSLOT Keys in request don't hash to the same slot (not sent: the "
                    "cluster connection routes each command by the slot of its keys)");
    } else if (s == refused) {
      deliver_error(op, k,
                    "ERR subscriptions are not sent through a cluster connection's requests: "
                    "use cluster_connection::async_pubsub or a subscriber");
    }
  }
  add_parts(op);
  return true;
}

}  // namespace respool::detail
