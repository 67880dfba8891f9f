// Subscriptions over a cluster. Each one is held at the node that serves it (a shard
// channel's slot master; one master for channels and patterns), on that node's pub/sub
// connection, and is made again elsewhere when the cluster changes under it: the node says
// `sunsubscribe` (its slot moved), a new topology names another master, or the node is lost.
#include "cluster_impl.hpp"
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/error.hpp>

#include <asio/error.hpp>

#include <algorithm>

namespace respool::detail {

namespace {

struct pubsub_command_name {
  std::string_view text;
  pubsub_kind kind;
  bool on;
};

constexpr pubsub_command_name pubsub_commands[] = {
    {"SUBSCRIBE", pubsub_kind::channel, true},  {"UNSUBSCRIBE", pubsub_kind::channel, false},
    {"PSUBSCRIBE", pubsub_kind::pattern, true}, {"PUNSUBSCRIBE", pubsub_kind::pattern, false},
    {"SSUBSCRIBE", pubsub_kind::shard, true},   {"SUNSUBSCRIBE", pubsub_kind::shard, false},
};

const pubsub_command_name* find_command(std::string_view text) noexcept {
  for (const pubsub_command_name& c : pubsub_commands) {
    if (ascii::iequals(text, c.text)) return &c;
  }
  return nullptr;
}

std::string_view command_text(pubsub_kind kind, bool on) noexcept {
  for (const pubsub_command_name& c : pubsub_commands) {
    if (c.kind == kind && c.on == on) return c.text;
  }
  return {};
}

cluster_subscription* find_subscription(std::vector<cluster_subscription>& subs,
                                        std::string_view name, pubsub_kind kind) noexcept {
  for (cluster_subscription& s : subs) {
    if (s.kind == kind && s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

pubsub_call& acquire_pubsub_call(cluster_impl& c) {
  for (const auto& call : c.calls) {
    if (!call->active) {
      call->active = true;
      return *call;
    }
  }
  pubsub_call& call = *c.calls.emplace_back(std::make_unique<pubsub_call>());
  call.timer = std::make_unique<asio::steady_timer>(c.ex);
  call.active = true;
  return call;
}

stored_handler<std::error_code>& pubsub_call_handler(pubsub_call& call) { return call.handler; }

void start_pubsub_call(cluster_impl& c, pubsub_call& call, std::string_view command,
                       std::span<const std::string_view> names) {
  c.start_call(call, command, names);
}

stored_handler<std::error_code>& cluster_receive_handler(cluster_impl& c) {
  return c.messages.handler_slot();
}

void start_cluster_receive(cluster_impl& c, generic_reply& out, asio::cancellation_slot slot) {
  c.messages.start(out, slot);
  if (c.stopped) c.messages.abort();
}

// ---------------------------------------------------------------------------------------------
// Calls

void cluster_impl::start_call(pubsub_call& call, std::string_view command,
                              std::span<const std::string_view> names) {
  const pubsub_command_name* cmd = find_command(command);
  std::error_code refused;
  if (stopped) {
    refused = asio::error::operation_aborted;
  } else if (cmd == nullptr || (cmd->on && names.empty())) {
    refused = std::make_error_code(std::errc::invalid_argument);
  } else if (cfg.seeds.front().protocol == 2) {
    // RESP2 answers subscriptions with arrays, and a subscribed connection takes no PING.
    refused = error::resp3_required;
  }
  call.names.clear();
  call.commands_left = 0;
  ++call.generation;
  if (refused) return finish_call(call, refused);
  call.kind = cmd->kind;
  call.on = cmd->on;
  if (call.on) return subscribe(call, names);
  unsubscribe(call, names);
}

void cluster_impl::subscribe(pubsub_call& call, std::span<const std::string_view> names) {
  for (const std::string_view name : names) {
    call.names.emplace_back(name);
    if (find_subscription(subscriptions, name, call.kind) == nullptr) {
      subscriptions.push_back(cluster_subscription{std::string(name), call.kind});
    }
  }
  const config& seed = cfg.seeds.front();
  call.timer->expires_after(seed.request_timeout.count() > 0 ? seed.request_timeout
                                                             : cfg.retry_time);
  call.timer->async_wait(
      [self = shared_from_this(), c = &call, generation = call.generation](std::error_code ec) {
        if (ec || !c->active || c->generation != generation) return;
        self->on_call_timeout(*c);
      });
  reconcile_subscriptions();
  check_calls();  // all of them held already
}

void cluster_impl::unsubscribe(pubsub_call& call, std::span<const std::string_view> names) {
  const auto chosen = [&](const cluster_subscription& s) {
    return s.kind == call.kind &&
           (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end());
  };
  for (const cluster_subscription& s : subscriptions) {
    if (chosen(s) && s.at != nullptr) queue_pubsub(*s.at, s.kind, false, s.name, &call);
  }
  std::erase_if(subscriptions, chosen);
  if (call.commands_left == 0) return finish_call(call, {});
  for (const auto& n : nodes) send_pubsub(*n);
}

void cluster_impl::finish_call(pubsub_call& call, std::error_code ec) {
  call.active = false;
  ++call.generation;
  call.names.clear();
  call.timer->cancel();
  call.handler.post(ec);
}

// Names not confirmed in time are given up: held nowhere, sent nowhere.
void cluster_impl::on_call_timeout(pubsub_call& call) {
  for (const std::string& name : call.names) {
    cluster_subscription* s = find_subscription(subscriptions, name, call.kind);
    if (s == nullptr || s->confirmed) continue;
    if (s->at != nullptr) queue_pubsub(*s->at, s->kind, false, s->name, nullptr);
    s->name.clear();  // marks it for removal
  }
  std::erase_if(subscriptions, [](const cluster_subscription& s) { return s.name.empty(); });
  for (const auto& n : nodes) send_pubsub(*n);
  finish_call(call, error::request_timeout);
}

void cluster_impl::check_calls() {
  for (const auto& call : calls) {
    if (!call->active || !call->on || call->names.empty()) continue;
    const bool held = std::all_of(call->names.begin(), call->names.end(), [&](const auto& name) {
      const cluster_subscription* s = find_subscription(subscriptions, name, call->kind);
      return s != nullptr && s->confirmed;
    });
    if (held) finish_call(*call, {});
  }
}

// Subscribing calls waiting for a name that was given up fail with `ec`.
void cluster_impl::fail_calls_missing(std::error_code ec) {
  for (const auto& call : calls) {
    if (!call->active || !call->on) continue;
    const bool missing = std::any_of(call->names.begin(), call->names.end(), [&](const auto& n) {
      return find_subscription(subscriptions, n, call->kind) == nullptr;
    });
    if (missing) finish_call(*call, ec);
  }
}

// ---------------------------------------------------------------------------------------------
// Where subscriptions belong

cluster_node* cluster_impl::subscription_target(const cluster_subscription& s) const noexcept {
  if (s.kind == pubsub_kind::shard) {
    const std::uint16_t i = owner[cluster::hash_slot(s.name)];
    return i == no_master ? nullptr : masters[i];
  }
  // Channels and patterns stay where they are while that node is a master that answers, and
  // go together to one otherwise: one connection holds them all.
  const auto serving = [&](const cluster_node* n) {
    return n != nullptr && !n->retired && reachable(*n) &&
           std::find(masters.begin(), masters.end(), n) != masters.end();
  };
  if (serving(s.at)) return s.at;
  for (const cluster_subscription& other : subscriptions) {
    if (other.kind != pubsub_kind::shard && serving(other.at)) return other.at;
  }
  for (cluster_node* n : scan_order) {
    if (serving(n)) return n;
  }
  return nullptr;
}

void cluster_impl::reconcile_subscriptions() {
  if (stopped || subscriptions.empty()) return;
  bool unplaced = false;
  for (cluster_subscription& s : subscriptions) {
    cluster_node* target = subscription_target(s);
    if (target == nullptr) {
      unplaced = true;
      continue;
    }
    if (s.at == target) continue;
    if (s.at != nullptr && !s.at->retired) {
      queue_pubsub(*s.at, s.kind, false, s.name, nullptr);  // no message twice
    }
    if (s.ever_confirmed) ++stats.resubscribed;
    s.at = target;
    s.confirmed = false;
    queue_pubsub(*target, s.kind, true, s.name, nullptr);
  }
  for (const auto& n : nodes) send_pubsub(*n);
  if (unplaced) want_refresh();
}

// ---------------------------------------------------------------------------------------------
// A node's pub/sub connection

void cluster_impl::queue_pubsub(cluster_node& n, pubsub_kind kind, bool on, std::string_view name,
                                pubsub_call* call) {
  // SSUBSCRIBE and SUNSUBSCRIBE take channels of one slot only.
  const std::uint16_t slot = kind == pubsub_kind::shard ? cluster::hash_slot(name) : 0;
  auto& queue = n.pubsub_queue;
  const bool back_unsent = !queue.empty() && !(queue.size() == 1 && n.pubsub_sent);
  if (back_unsent) {
    pubsub_command& last = queue.back();
    if (last.kind == kind && last.on == on && last.slot == slot && last.call == call) {
      last.names.emplace_back(name);
      return;
    }
  }
  queue.push_back(pubsub_command{kind, on, slot, {std::string(name)}, call});
  if (call != nullptr) ++call->commands_left;
}

connection& cluster_impl::pubsub_connection(cluster_node& n) {
  if (n.pubsub && n.pubsub_ended && !n.pumping) n.pubsub.reset();
  if (!n.pubsub) {
    config c = node_config(n);
    c.readonly = false;
    c.client_tracking = false;
    n.pubsub = std::make_unique<connection>(ex, std::move(c));
    n.pubsub_ended = false;
    if (!n.pubsub_timer) n.pubsub_timer = std::make_unique<asio::steady_timer>(ex);
    n.pubsub->async_run([np = &n](std::error_code) { np->pubsub_ended = true; });
    pump(n);
  }
  return *n.pubsub;
}

void cluster_impl::pump(cluster_node& n) {
  if (n.pumping || !n.pubsub || stopped) return;
  n.pumping = true;
  n.pubsub->async_receive(n.push, [self = shared_from_this(), np = &n](std::error_code ec) {
    np->pumping = false;
    if (ec || self->stopped) return;
    self->on_push(*np);
    self->pump(*np);
  });
}

// One command at a time: a refusal (an error reply, which has no place among the replies of
// a command answered by pushes) then refers to it, and to nothing else.
void cluster_impl::send_pubsub(cluster_node& n) {
  if (n.pubsub_sent || n.pubsub_queue.empty() || n.retired || stopped) return;
  const pubsub_command& c = n.pubsub_queue.front();
  argv.assign(c.names.begin(), c.names.end());
  n.pubsub_req.clear();
  n.pubsub_req.push_range(command_text(c.kind, c.on), argv);
  n.pubsub_sent = true;
  const std::uint64_t generation = ++n.pubsub_generation;
  const auto settle_unanswered = [self = shared_from_this(), np = &n, generation] {
    if (self->stopped || np->pubsub_generation != generation || !np->pubsub_sent) return;
    self->settle_pubsub(*np, false);
  };
  // Done once written (pushes answer it): an error here means it was not.
  pubsub_connection(n).async_exec(n.pubsub_req,
                                  [settle_unanswered](std::error_code ec, std::size_t) {
                                    if (ec) settle_unanswered();
                                  });
  // Written, and the connection lost before the answer: the confirmations never come.
  n.pubsub_timer->expires_after(2 * cfg.node_wait);
  n.pubsub_timer->async_wait([settle_unanswered](std::error_code ec) {
    if (!ec) settle_unanswered();
  });
}

// The command in flight is done with; `unanswered`: its names not confirmed are made again
// after the next topology.
void cluster_impl::settle_pubsub(cluster_node& n, bool unanswered) {
  pubsub_command c = std::move(n.pubsub_queue.front());
  n.pubsub_queue.pop_front();
  n.pubsub_sent = false;
  ++n.pubsub_generation;
  n.pubsub_timer->cancel();
  if (c.on && unanswered) {
    for (const std::string& name : c.names) {
      cluster_subscription* s = find_subscription(subscriptions, name, c.kind);
      if (s != nullptr && s->at == &n && !s->confirmed) s->at = nullptr;
    }
    want_refresh();
  }
  if (c.call != nullptr && --c.call->commands_left == 0 && c.call->active) {
    finish_call(*c.call, {});
  }
  send_pubsub(n);
}

// ---------------------------------------------------------------------------------------------
// What a node's pub/sub connection receives

void cluster_impl::on_push(cluster_node& n) {
  const auto nodes_read = n.push.nodes();
  if (nodes_read.empty()) return;
  if (resp3::is_error(nodes_read.front().data_type)) return on_refusal(n);
  if (nodes_read.front().data_type != resp3::type::push || nodes_read.size() < 3) return;
  const std::string_view kind = nodes_read[1].value;
  if (kind == "message" || kind == "pmessage" || kind == "smessage") return deliver_message(n);
  // [subscribe|unsubscribe|..., name, count]; a null name: nothing was subscribed.
  if (nodes_read[2].data_type == resp3::type::null) return;
  if (const pubsub_command_name* c = find_command(kind)) {
    on_confirmation(n, c->kind, c->on, nodes_read[2].value);
  }
}

void cluster_impl::on_confirmation(cluster_node& n, pubsub_kind kind, bool on,
                                   std::string_view name) {
  bool answered = false;  // by the command in flight
  if (n.pubsub_sent) {
    pubsub_command& c = n.pubsub_queue.front();
    const auto it = std::find(c.names.begin(), c.names.end(), name);
    if (c.kind == kind && c.on == on && it != c.names.end()) {
      c.names.erase(it);
      answered = true;
    }
  }
  cluster_subscription* s = find_subscription(subscriptions, name, kind);
  if (on && s != nullptr && s->at == &n) {
    s->confirmed = true;
    s->ever_confirmed = true;
  } else if (on) {
    // Held here but wanted elsewhere, or no longer (a late confirmation, or one restored by
    // the connection after a reconnection): let it go, or its messages would come twice.
    queue_pubsub(n, kind, false, name, nullptr);
  } else if (!answered && s != nullptr && s->at == &n) {
    // The node let it go by itself: the slot it lives in moved away.
    s->at = nullptr;
    s->confirmed = false;
    want_refresh();
  }
  if (answered && n.pubsub_queue.front().names.empty()) {
    settle_pubsub(n, false);
  } else {
    send_pubsub(n);
  }
  if (on) check_calls();
}

// An error reply on a pub/sub connection: the answer to the command in flight, if any (a
// subscription the connection restores by itself after a reconnection is refused the same
// way, and is taken care of by the next topology).
void cluster_impl::on_refusal(cluster_node& n) {
  if (!n.pubsub_sent) return;
  const pubsub_command& c = n.pubsub_queue.front();
  const auto r = cluster::detail::read_redirect(n.push.nodes());
  if (c.on && r.kind == cluster::detail::redirect_kind::none) {
    // Not a matter of where (NOPERM, a wrong name...): trying again would not help.
    for (const std::string& name : c.names) {
      cluster_subscription* s = find_subscription(subscriptions, name, c.kind);
      if (s != nullptr && s->at == &n && !s->confirmed) s->name.clear();
    }
    std::erase_if(subscriptions, [](const cluster_subscription& s) { return s.name.empty(); });
    settle_pubsub(n, false);
    return fail_calls_missing(error::server_error);
  }
  settle_pubsub(n, true);  // MOVED, CLUSTERDOWN...: made again after the next topology
}

void cluster_impl::deliver_message(cluster_node& n) {
  switch (messages.offer(n.push.nodes())) {
    case push_channel::outcome::delivered:
      messages.deliver(true);
      break;
    case push_channel::outcome::queued:
      break;
    case push_channel::outcome::dropped:
      ++stats.messages_dropped;
      break;
  }
}

// A node gone from the topology: what it held is made again elsewhere.
void cluster_impl::drop_node_subscriptions(cluster_node& n) {
  while (!n.pubsub_queue.empty()) {
    n.pubsub_sent = true;  // settle the front, sent or not
    settle_pubsub(n, true);
  }
  for (cluster_subscription& s : subscriptions) {
    if (s.at == &n) {
      s.at = nullptr;
      s.confirmed = false;
    }
  }
  if (n.pubsub) n.pubsub->cancel();
}

void cluster_impl::stop_pubsub() {
  for (const auto& n : nodes) {
    n->pubsub_queue.clear();
    n->pubsub_sent = false;
    if (n->pubsub_timer) n->pubsub_timer->cancel();
    if (n->pubsub) n->pubsub->cancel();
  }
  for (const auto& call : calls) {
    if (call->active) finish_call(*call, asio::error::operation_aborted);
  }
  messages.abort();
}

}  // namespace respool::detail
