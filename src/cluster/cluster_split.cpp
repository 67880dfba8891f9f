// Commands that become several: a multi-key command whose keys are in several slots, split by
// slot (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH), and a keyless command sent to every master
// (DBSIZE, KEYS, FLUSHALL, SCRIPT LOAD...); their parts' replies make the command's reply.
#include "cluster_impl.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>

#include <algorithm>
#include <charconv>

namespace respool::detail {

namespace {

struct splittable {
  std::string_view name;  // as the command table spells it
  std::size_t step;       // arguments per key
  combine_kind combine;
};

constexpr splittable splittables[] = {
    {"mget", 1, combine_kind::by_key}, {"mset", 2, combine_kind::all_ok},
    {"del", 1, combine_kind::sum},     {"exists", 1, combine_kind::sum},
    {"unlink", 1, combine_kind::sum},  {"touch", 1, combine_kind::sum},
};

template <class Int>
bool to_number(std::string_view text, Int& out) noexcept {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

// Splits the command just read (in `argv`) by the slots of its keys: one part per slot, in
// the order the slots first appear, each with its keys in their order. Its arguments are
// referenced or copied as any argument is (request's copy threshold).
bool cluster_impl::split_keys(cluster_op& op, std::size_t k, const cluster::command_info& info) {
  const auto* kind = std::find_if(std::begin(splittables), std::end(splittables),
                                  [&](const splittable& s) { return s.name == info.name; });
  if (kind == std::end(splittables) || argv.size() < 1 + kind->step) return false;
  const std::size_t keys = (argv.size() - 1) / kind->step;
  if (keys * kind->step + 1 != argv.size()) return false;
  part_slots.clear();
  for (std::size_t i = 0; i < keys; ++i) {
    const std::uint16_t slot = cluster::hash_slot(argv[1 + i * kind->step]);
    if (std::find(part_slots.begin(), part_slots.end(), slot) == part_slots.end()) {
      part_slots.push_back(slot);
    }
  }
  cluster_command& whole = op.commands[k];
  whole.state = command_state::split;
  whole.combine = kind->combine;
  whole.parts = whole.parts_left = static_cast<std::uint32_t>(part_slots.size());
  whole.key_count = static_cast<std::uint32_t>(keys);
  for (const std::uint16_t slot : part_slots) {
    cluster_command& part = op.new_parts.emplace_back();
    part.slot = slot;
    part.parent = static_cast<std::uint32_t>(k);
    part.in_parts = true;
    part.read = whole.read;
    part.key_first = static_cast<std::uint32_t>(op.key_places.size());
    part_args.clear();
    for (std::size_t i = 0; i < keys; ++i) {
      const std::size_t at = 1 + i * kind->step;
      if (cluster::hash_slot(argv[at]) != slot) continue;
      part_args.insert(part_args.end(), argv.begin() + static_cast<std::ptrdiff_t>(at),
                       argv.begin() + static_cast<std::ptrdiff_t>(at + kind->step));
      op.key_places.push_back(static_cast<std::uint32_t>(i));
    }
    part.key_count = static_cast<std::uint32_t>(op.key_places.size() - part.key_first);
    op.parts.push_range(argv[0], part_args);
  }
  return true;
}

// SCAN over the whole cluster, one master after the other: the caller's cursor holds the
// index of the master in its low 10 bits and that master's own cursor above them; the
// reply's cursor is made the same way, and is 0 once the last master is done. A cursor that is
// not a number goes to any master as it is, for the server to refuse.
bool cluster_impl::split_scan(cluster_op& op, std::size_t k) {
  unsigned long long cursor = 0;
  if (argv.size() < 2) return false;
  const auto [end, ec] = std::from_chars(argv[1].data(), argv[1].data() + argv[1].size(), cursor);
  if (ec != std::errc{} || end != argv[1].data() + argv[1].size()) return false;
  cluster_command& whole = op.commands[k];
  whole.state = command_state::split;
  whole.combine = combine_kind::scan;
  whole.parts = whole.parts_left = 1;
  cluster_command& part = op.new_parts.emplace_back();
  part.parent = static_cast<std::uint32_t>(k);
  part.in_parts = true;
  part.scan_master = static_cast<std::uint16_t>(cursor & 1023);
  const std::string node_cursor = std::to_string(cursor >> 10);
  part_args.assign(argv.begin() + 1, argv.end());
  part_args[0] = node_cursor;
  op.parts.push_range(argv[0], part_args);  // short arguments: copied
  return true;
}

// The cluster's cursor in place of the master's in a SCAN part's reply, in op.combined.
void cluster_impl::scan_cursor(cluster_op& op, const cluster_command& part) {
  std::vector<resp3::node>& out = op.combined;
  unsigned long long cursor = 0;
  if (out.size() < 2 || out[0].aggregate_size != 2 || !to_number(out[1].value, cursor)) return;
  unsigned long long next = 0;
  if (cursor != 0) {
    next = cursor << 10 | part.scan_master;
  } else if (part.scan_master + 1u < scan_order.size()) {
    next = part.scan_master + 1u;  // the next master, from its start
  }
  op.combined_text = std::to_string(next);
  out[1].value = op.combined_text;
}

// Appends the parts made while reading the request, with where their bytes are in op.parts.
void cluster_impl::add_parts(cluster_op& op) {
  if (op.new_parts.empty()) return;
  cluster::detail::request_walker walker(op.parts.segments());
  cluster::detail::command_bytes where;
  for (cluster_command& part : op.new_parts) {
    walker.next(argv, where);
    part.bytes = where;
    // By index: the push below may move op.commands.
    const std::uint32_t parent = part.parent;
    if (op.commands[parent].parts_left == op.commands[parent].parts) {
      op.commands[parent].first_part = static_cast<std::uint32_t>(op.commands.size());
    }
    op.commands.push_back(part);
    // parts_left counts down as replies come; here it counts the parts placed.
    --op.commands[parent].parts_left;
  }
  for (std::size_t k = 0; k < op.originals; ++k) {
    cluster_command& c = op.commands[k];
    if (c.state == command_state::split) c.parts_left = c.parts;
  }
}

// Sends command `k` to every master, as is: one part per master.
void cluster_impl::fan_out(cluster_op& op, std::size_t k) {
  op.commands[k].state = command_state::split;
  op.commands[k].first_part = static_cast<std::uint32_t>(op.commands.size());
  std::uint32_t parts = 0;
  for (const cluster::shard& s : map.shards()) {
    const cluster::node_info& m = map.nodes()[s.master];
    if (s.ranges.empty() || !m.reachable || m.health == cluster::node_health::failed) continue;
    cluster_command part = op.commands[k];
    part.state = command_state::fresh;
    part.fanout = false;
    part.parent = static_cast<std::uint32_t>(k);
    part.fixed = &node_at(m.host, node_port(m));
    part.read = false;
    op.commands.push_back(part);
    ++parts;
  }
  op.commands[k].parts = op.commands[k].parts_left = parts;
  if (parts == 0) {
    // No master known: like a command whose slot has none, it waits for the topology.
    op.commands[k].state = command_state::retry_later;
    op.commands[k].fanout = true;
  }
}

void cluster_impl::mark_failed(cluster_op& op, std::size_t k) {
  cluster_command& c = op.commands[k];
  c.state = command_state::failed;
  if (c.parent != no_parent) op.commands[c.parent].state = command_state::failed;
}

void cluster_impl::combine_part(cluster_op& op, std::size_t k, resp3::reply_view reply) {
  cluster_command& part = op.commands[k];
  part.state = command_state::delivered;
  cluster_command& whole = op.commands[part.parent];
  if (whole.state != command_state::split) return;  // failed meanwhile
  op.part_replies.put(k, reply);
  if (--whole.parts_left == 0) combine(op, part.parent);
}

// The number a sum, min or max of the parts' numbers makes, into op.combined.
void cluster_impl::add_up(cluster_op& op, const cluster_command& whole) {
  long long total = 0;
  for (std::uint32_t i = 0; i < whole.parts; ++i) {
    long long n = 0;
    const resp3::reply_view r = op.part_replies.get(whole.first_part + i);
    if (r.empty() || !to_number(r.front().value, n)) n = 0;
    if (whole.combine == combine_kind::sum) {
      total += n;
    } else if (i == 0 || (whole.combine == combine_kind::min ? n < total : n > total)) {
      total = n;
    }
  }
  op.combined_text = std::to_string(total);
  op.combined.push_back(resp3::node{resp3::type::number, 0, 0, op.combined_text});
}

// Makes the reply of split command `k` from its parts' replies, kept in op.part_replies, and
// gives it to the caller.
void cluster_impl::combine(cluster_op& op, std::size_t k) {
  const cluster_command whole = op.commands[k];
  std::vector<resp3::node>& out = op.combined;
  out.clear();
  const auto part_reply = [&](std::uint32_t i) {
    return op.part_replies.get(whole.first_part + i);
  };
  const auto is_error = [](resp3::reply_view r) {
    return !r.empty() && resp3::is_error(r.front().data_type);
  };
  // An error of a part is the command's error, except where one success is enough.
  for (std::uint32_t i = 0; i < whole.parts && whole.combine != combine_kind::one_ok; ++i) {
    const resp3::reply_view r = part_reply(i);
    if (!is_error(r)) continue;
    out.assign(r.begin(), r.end());
    deliver(op, k, out);
    return;
  }
  switch (whole.combine) {
    case combine_kind::by_key: {
      out.resize(1 + whole.key_count);
      out[0] = resp3::node{resp3::type::array, 0, whole.key_count, {}};
      for (std::uint32_t i = 0; i < whole.parts; ++i) {
        const cluster_command& part = op.commands[whole.first_part + i];
        const resp3::reply_view r = part_reply(i);
        for (std::uint32_t j = 0; j < part.key_count && j + 1 < r.size(); ++j) {
          out[1 + op.key_places[part.key_first + j]] = r[1 + j];
        }
      }
      break;
    }
    case combine_kind::all_ok:
    case combine_kind::one_ok: {
      std::uint32_t pick = 0;
      while (pick < whole.parts && is_error(part_reply(pick))) ++pick;
      const resp3::reply_view r = part_reply(pick < whole.parts ? pick : 0);
      out.assign(r.begin(), r.end());
      break;
    }
    case combine_kind::sum:
    case combine_kind::min:
    case combine_kind::max:
      add_up(op, whole);
      break;
    case combine_kind::logical_and:
    case combine_kind::logical_or: {
      const resp3::reply_view first = part_reply(0);
      out.assign(first.begin(), first.end());
      const bool want = whole.combine == combine_kind::logical_or;
      for (std::uint32_t i = 1; i < whole.parts; ++i) {
        const resp3::reply_view r = part_reply(i);
        for (std::size_t j = 1; j < out.size() && j < r.size(); ++j) {
          if ((r[j].value == "1") == want) out[j].value = r[j].value;
        }
      }
      break;
    }
    case combine_kind::scan: {
      const resp3::reply_view r = part_reply(0);
      out.assign(r.begin(), r.end());
      scan_cursor(op, op.commands[whole.first_part]);
      break;
    }
    case combine_kind::concat:
    case combine_kind::none: {
      out.push_back(resp3::node{resp3::type::array, 0, 0, {}});
      for (std::uint32_t i = 0; i < whole.parts; ++i) {
        const resp3::reply_view r = part_reply(i);
        if (r.empty()) continue;
        out[0].aggregate_size += r.front().aggregate_size;
        out.insert(out.end(), r.begin() + 1, r.end());
      }
      break;
    }
  }
  deliver(op, k, out);
}

}  // namespace respool::detail
