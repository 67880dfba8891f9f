// A request's way through the cluster: sent to the nodes of its commands, replies given back
// in order, redirections followed, commands that did not run sent again.
#include "cluster_impl.hpp"
#include <respool/io/observer.hpp>
#include <respool/protocol/error.hpp>

#include <asio/error.hpp>

#include <algorithm>

namespace respool::detail {

namespace {

void sub_reply(void* p, std::size_t index, resp3::reply_view reply, adapt_error&) {
  auto& sub = *static_cast<cluster_sub*>(p);
  if (sub.asking) {
    if (index == 0) return;  // ASKING's +OK
    --index;
  }
  const std::size_t k = sub.whole ? index : sub.commands[index];
  sub.op->owner->on_reply(*sub.op, sub, k, reply);
}

void sub_done(void*, std::size_t, adapt_error&) {}

// Completes a node's part of a request where the node's connection completes it: it only
// hands the outcome back to the cluster, on the cluster's executor.
struct sub_handler {
  using inline_completion = void;
  cluster_sub* sub;
  void operator()(std::error_code ec, std::size_t bytes) const {
    sub->op->owner->on_sub_done(*sub, ec, bytes);
  }
};

// A request's commands never written are routed again; those written are lost with it.
bool not_written(std::error_code ec, const cluster_op& op) noexcept {
  return ec == error::not_connected || (ec == asio::error::operation_aborted && !op.cancelled);
}

}  // namespace

cluster_sub& cluster_impl::acquire_sub(cluster_op& op, cluster_node& node) {
  cluster_sub* sub = nullptr;
  if (free_subs.empty()) {
    sub = subs_made.emplace_back(std::make_unique<cluster_sub>()).get();
  } else {
    sub = free_subs.back();
    free_subs.pop_back();
  }
  sub->op = &op;
  sub->node = &node;
  sub->commands.clear();
  sub->slices.clear();
  sub->whole = false;
  sub->asking = false;
  op.subs.push_back(sub);
  return *sub;
}

void cluster_impl::send(cluster_sub& sub) {
  const request* r = sub.op->req;
  if (!sub.whole) {
    sub.req.clear();
    if (sub.asking) sub.req.push("ASKING");
    sub.req.append_encoded(sub.slices, sub.commands.size());
    r = &sub.req;
  }
  connection& conn = connect(*sub.node);
  conn.launch_exec(*r, erased_response{&sub, &sub_reply, &sub_done}, sub_handler{&sub},
                   sub.cancel.slot(), ex);
}

// The node a command goes to now, or null when its slot has no master known.
cluster_node* cluster_impl::target_of(const cluster_command& c) const noexcept {
  if (c.ask != nullptr) return c.ask;
  if (c.fixed != nullptr) return c.fixed;
  if (c.scan_master != 0xffff) {
    return c.scan_master < scan_order.size() ? scan_order[c.scan_master] : nullptr;
  }
  if (c.slot == any_slot) return any_master;
  const std::uint16_t i = owner[c.slot];
  if (i == no_master) return nullptr;
  return c.read ? reader(i, c.slot) : masters[i];
}

// Where a read of `slot`, whose master is masters[m], goes by the read policy.
cluster_node* cluster_impl::reader(std::size_t m, std::uint16_t slot) const noexcept {
  const std::vector<cluster_node*>& reps = replicas[m];
  if (reps.empty()) return masters[m];
  const std::size_t turn = read_turn + slot;
  if (cfg.reads == read_policy::any) {
    cluster_node* n =
        turn % (reps.size() + 1) == 0 ? masters[m] : reps[turn % (reps.size() + 1) - 1];
    return reachable(*n) ? n : masters[m];
  }
  for (std::size_t k = 0; k < reps.size(); ++k) {
    cluster_node* r = reps[(turn + k) % reps.size()];
    if (reachable(*r)) return r;
  }
  return masters[m];
}

// Adds command `k`, if it is to be sent, to the part of this round for its node.
void cluster_impl::place(cluster_op& op, std::size_t k, std::size_t first_new) {
  cluster_command& c = op.commands[k];
  if (c.state != command_state::fresh && c.state != command_state::retry) return;
  cluster_node* target = target_of(c);
  if (target == nullptr || !reachable(*target)) {
    // No master known for the slot, or its connection lost: not sent to wait there, but
    // routed again after a backoff, from a fresh topology.
    c.state = command_state::retry_later;
    c.unreachable = target != nullptr;
    c.no_node = true;
    c.waited_on = target;
    want_refresh();
    return;
  }
  cluster_sub* sub = nullptr;
  for (std::size_t i = first_new; sub == nullptr && c.ask == nullptr && i < op.subs.size(); ++i) {
    if (op.subs[i]->node == target && !op.subs[i]->asking) sub = op.subs[i];
  }
  if (sub == nullptr) {
    sub = &acquire_sub(op, *target);
    sub->asking = c.ask != nullptr;
  }
  c.ask = nullptr;
  c.state = command_state::sent;
  sub->commands.push_back(static_cast<std::uint32_t>(k));
  cluster::detail::slice_segments(c.in_parts ? op.parts.segments() : op.req->segments(), c.bytes,
                                  sub->slices);
}

void cluster_impl::dispatch(cluster_op& op) {
  const std::size_t n = op.commands.size();
  ++read_turn;
  // The common case: every command to one node, sent as the caller's request itself.
  if (op.subs.empty() && op.next == 0 && op.held.empty()) {
    cluster_node* only = n != 0 ? target_of(op.commands[0]) : nullptr;
    bool whole = only != nullptr && reachable(*only);
    for (std::size_t k = 0; whole && k < n; ++k) {
      const cluster_command& c = op.commands[k];
      whole = c.state == command_state::fresh && !c.fanout && target_of(c) == only;
    }
    if (whole) {
      cluster_sub& sub = acquire_sub(op, *only);
      sub.whole = true;
      for (cluster_command& c : op.commands) c.state = command_state::sent;
      send(sub);
      return;
    }
  }
  const std::size_t first_new = op.subs.size();
  // In the request's order, a split command's parts where it stood: each node receives its
  // commands in the order the caller wrote them.
  for (std::size_t k = 0; k < op.originals; ++k) {
    const command_state st = op.commands[k].state;
    if (op.commands[k].fanout && (st == command_state::fresh || st == command_state::retry)) {
      fan_out(op, k);
    }
    const cluster_command& c = op.commands[k];
    if (c.state != command_state::split) {
      place(op, k, first_new);
      continue;
    }
    for (std::size_t p = c.first_part; p < c.first_part + c.parts; ++p) place(op, p, first_new);
  }
  if (op.subs.size() - first_new > 1) ++stats.split;
  // Sending may complete a part at once (a node connection that is gone), which changes
  // op.subs: send from a copy of the new parts.
  round.assign(op.subs.begin() + static_cast<std::ptrdiff_t>(first_new), op.subs.end());
  for (cluster_sub* sub : round) send(*sub);
  if (op.subs.empty()) proceed(op);
}

void cluster_impl::on_reply(cluster_op& op, cluster_sub& sub, std::size_t k,
                            resp3::reply_view reply) {
  using cluster::detail::redirect_kind;
  const cluster::detail::redirect r = cluster::detail::read_redirect(reply);
  cluster_command& c = op.commands[k];
  if (r.kind == redirect_kind::none || c.in_transaction || op.cancelled || stopped) {
    if (r.kind != redirect_kind::none && r.kind != redirect_kind::try_later) want_refresh();
    deliver(op, k, reply);
    return;
  }
  if (r.kind == redirect_kind::try_later || r.kind == redirect_kind::wrong_role) {
    // Not run: sent again after a backoff. The reason is kept for the error that ends the
    // retries, if they run out of time.
    c.state = command_state::retry_later;
    c.unreachable = false;
    c.no_node = false;
    op.note.assign(r.text);
    ++stats.retries;
    if (r.kind == redirect_kind::wrong_role || r.text.starts_with("CLUSTERDOWN")) want_refresh();
    return;
  }
  const std::string_view host = r.host.empty() ? std::string_view(sub.node->host) : r.host;
  cluster_node& to = node_at(host, r.port);
  if (++c.redirects > cfg.max_redirects) {
    std::string text(r.text);
    text.append(" (respool: gave up after ");
    text.append(std::to_string(cfg.max_redirects));
    text.append(" redirections; the last from ");
    text.append(sub.node->host);
    text.push_back(':');
    text.append(std::to_string(sub.node->port));
    text.push_back(')');
    deliver_error(op, k, text);
    return;
  }
  if (r.kind == redirect_kind::moved) {
    ++stats.moved;
    // A command sent to any master (its keys unknown here) is MOVED to where the map already
    // says its slot is: nothing to read again then.
    const bool known = owner[r.slot] != no_master && masters[owner[r.slot]] == &to;
    set_owner(r.slot, to);
    if (!known) want_refresh();
    // Now its slot is known: resent there, not to any master again.
    if (c.slot == any_slot) c.slot = r.slot;
  } else {
    ++stats.asked;
    c.ask = &to;
  }
  if (connection_observer* obs = cfg.seeds.front().observer.get(); obs != nullptr) {
    obs->on_redirect({r.kind == redirect_kind::ask, r.slot, to.host, to.port});
  }
  c.state = command_state::retry;
}

void cluster_impl::on_sub_done(cluster_sub& sub, std::error_code ec, std::size_t bytes) {
  cluster_op& op = *sub.op;
  op.bytes += bytes;
  const auto settle = [&](std::size_t k) {
    cluster_command& c = op.commands[k];
    if (c.state != command_state::sent) return;  // its reply came
    if (not_written(ec, op) && !stopped) {
      c.state = command_state::retry_later;
      c.unreachable = true;
      c.no_node = true;
      c.waited_on = sub.node;
      want_refresh();
    } else {
      mark_failed(op, k);
      if (!op.failure) op.failure = ec ? ec : make_error_code(error::connection_lost);
    }
  };
  if (sub.whole) {
    for (std::size_t k = 0; k < op.commands.size(); ++k) settle(k);
  } else {
    for (std::uint32_t k : sub.commands) settle(k);
  }
  op.subs.erase(std::find(op.subs.begin(), op.subs.end(), &sub));
  sub.op = nullptr;
  free_subs.push_back(&sub);
  drain(op);
  if (op.subs.empty()) proceed(op);
}

cluster_clock::duration cluster_impl::backoff(unsigned attempt) {
  auto delay = cfg.retry_delay;
  for (unsigned i = 0; i < attempt && delay < cfg.max_retry_delay; ++i) delay *= 2;
  delay = std::min(delay, cfg.max_retry_delay);
  std::uniform_int_distribution<long long> half(delay.count() / 2, delay.count());
  return std::chrono::milliseconds(half(rng));
}

void cluster_impl::proceed(cluster_op& op) {
  bool now = false;
  bool later = false;
  for (std::size_t k = 0; k < op.commands.size(); ++k) {
    cluster_command& c = op.commands[k];
    if (op.cancelled || stopped) {
      if (c.state == command_state::fresh || c.state == command_state::retry ||
          c.state == command_state::retry_later) {
        mark_failed(op, k);
        if (!op.failure) op.failure = asio::error::operation_aborted;
      }
      continue;
    }
    now |= c.state == command_state::retry;
    later |= c.state == command_state::retry_later;
  }
  drain(op);
  if (later) {
    const auto wait = backoff(op.attempt++);
    if (cluster_clock::now() + wait < op.deadline) {
      arm_timer(op, cluster_clock::now() + wait);
      return;
    }
    give_up(op);
  }
  if (now) {
    dispatch(op);
    return;
  }
  finish(op);
}

// The time for retries is over: each command still waiting completes with why it waited.
void cluster_impl::give_up(cluster_op& op) {
  for (std::size_t k = 0; k < op.commands.size(); ++k) {
    cluster_command& c = op.commands[k];
    if (c.state != command_state::retry_later) continue;
    if (c.unreachable || op.note.empty()) {
      mark_failed(op, k);
      if (!op.failure) op.failure = error::not_connected;
    } else {
      std::string text = op.note;
      text.append(" (respool: still so when the request's time ran out)");
      deliver_error(op, k, text);
    }
  }
  drain(op);
}

void cluster_impl::deliver(cluster_op& op, std::size_t k, resp3::reply_view reply) {
  if (op.commands[k].parent != no_parent) {
    combine_part(op, k, reply);
    return;
  }
  if (k != op.next) {
    op.held.put(k, reply);
    op.commands[k].state = command_state::held;
    return;
  }
  op.user.on_reply(op.user.response, k, reply, op.error);
  op.commands[k].state = command_state::delivered;
  ++op.next;
  drain(op);
}

void cluster_impl::deliver_error(cluster_op& op, std::size_t k, std::string_view text) {
  const resp3::node n{resp3::type::simple_error, 0, 0, text};
  deliver(op, k, resp3::reply_view(&n, 1));
}

void cluster_impl::drain(cluster_op& op) {
  while (op.next < op.originals) {
    cluster_command& c = op.commands[op.next];
    if (c.state == command_state::held) {
      op.user.on_reply(op.user.response, op.next, op.held.get(op.next), op.error);
      c.state = command_state::delivered;
    } else if (c.state != command_state::failed) {
      break;
    }
    ++op.next;
  }
  if (op.next == op.originals) op.held.clear();
}

void cluster_impl::finish(cluster_op& op) {
  if (!op.failure) op.user.on_done(op.user.response, op.originals, op.error);
  const std::error_code ec = op.failure ? op.failure : op.error.code;
  if (op.slot.is_connected()) op.slot.clear();
  op.held.clear();
  op.part_replies.clear();
  op.active = false;
  const std::size_t bytes = op.bytes;
  op.handler.dispatch(ec, bytes);
  free_ops.push_back(&op);
}

void cluster_impl::cancel_op(cluster_op& op, asio::cancellation_type type) {
  if (!op.active) return;
  op.cancelled = true;
  round.assign(op.subs.begin(), op.subs.end());
  for (cluster_sub* sub : round) sub->cancel.emit(type);
  // A backoff or a wait for the topology ends now, and its handler completes the rest.
  if (op.timer_armed) {
    op.timer->cancel();
  } else if (op.subs.empty()) {
    proceed(op);
  }
}

void cluster_impl::arm_timer(cluster_op& op, cluster_clock::time_point at) {
  if (!op.timer) op.timer = std::make_unique<asio::steady_timer>(ex);
  op.timer_armed = true;
  op.timer->expires_at(at);
  op.timer->async_wait(
      [self = shared_from_this(), &op, gen = ++op.timer_generation](std::error_code) {
        // A timer disarmed on purpose (the topology came) has nothing more to do.
        if (op.timer_armed && op.timer_generation == gen) self->on_timer(op);
      });
}

// A backoff is over, or a request waited for the first topology until its deadline (or was
// cancelled meanwhile).
void cluster_impl::on_timer(cluster_op& op) {
  op.timer_armed = false;
  const bool go_on = !op.cancelled && !stopped;
  if (op.waiting) {
    waiting.erase(std::find(waiting.begin(), waiting.end(), &op));
    op.waiting = false;
    for (std::size_t k = 0; k < op.commands.size(); ++k) {
      if (go_on && op.commands[k].state == command_state::fresh) mark_failed(op, k);
    }
    if (go_on && !op.failure) op.failure = error::not_connected;
  } else if (go_on) {
    for (cluster_command& c : op.commands) {
      if (c.state == command_state::retry_later) c.state = command_state::retry;
    }
  }
  if (op.subs.empty()) proceed(op);
}

// A new topology: requests backing off because their command had no node it could reach go
// now if it gives one, rather than at the end of their backoff. True while some still wait,
// so that the topology is read again (at most every min_refresh_interval) until it does.
bool cluster_impl::wake_waiting_for_nodes() {
  bool still_waiting = false;
  // By index: a request completed here may start another, which may add to `ops`.
  for (std::size_t i = 0; i < ops.size(); ++i) {
    cluster_op& op = *ops[i];
    if (!op.active || !op.timer_armed || op.waiting || op.cancelled) continue;
    bool waits = false;
    bool can_go = false;
    for (const cluster_command& c : op.commands) {
      if (c.state != command_state::retry_later || !c.no_node) continue;
      waits = true;
      const cluster_node* target = target_of(c);
      can_go |= target != nullptr && target != c.waited_on && reachable(*target);
    }
    if (can_go) {
      op.timer->cancel();  // its handler sees timer_armed false, and does nothing
      on_timer(op);
    } else {
      still_waiting |= waits;
    }
  }
  return still_waiting;
}

}  // namespace respool::detail
