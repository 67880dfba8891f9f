#include "cluster_impl.hpp"
#include <respool/protocol/error.hpp>

#include <asio/error.hpp>

namespace respool {

namespace detail {

namespace {

struct op_canceller {
  op_canceller(cluster_impl* i, cluster_op* o) noexcept : impl{i}, op{o} {}
  cluster_impl* impl;
  cluster_op* op;
  void operator()(asio::cancellation_type type) const { impl->cancel_op(*op, type); }
};

}  // namespace

cluster_op& acquire_cluster_op(cluster_impl& c) {
  cluster_op* op = nullptr;
  if (c.free_ops.empty()) {
    op = c.ops.emplace_back(std::make_unique<cluster_op>()).get();
    op->owner = &c;
  } else {
    op = c.free_ops.back();
    c.free_ops.pop_back();
  }
  op->active = true;
  return *op;
}

stored_handler<std::error_code, std::size_t>& cluster_op_handler(cluster_op& op) {
  return op.handler;
}

void start_cluster_exec(cluster_impl& c, cluster_op& op, const request& req, erased_response resp,
                        asio::cancellation_slot slot) {
  op.req = &req;
  op.user = resp;
  if (op.user.response == nullptr) op.user.response = &op.ignored;
  op.next = 0;
  op.error.clear();
  op.failure.clear();
  op.bytes = 0;
  op.attempt = 0;
  op.note.clear();
  op.cancelled = false;
  op.slot = slot;
  const config& seed = c.cfg.seeds.front();
  op.deadline = cluster_clock::now() +
                (seed.request_timeout.count() > 0 ? seed.request_timeout : c.cfg.retry_time);
  if (op.slot.is_connected()) op.slot.template emplace<op_canceller>(&c, &op);
  c.start(op);
}

stored_handler<std::error_code>& cluster_run_handler(cluster_impl& c) { return c.run_handler; }

void start_cluster_run(cluster_impl& c, asio::cancellation_slot slot) { c.run(slot); }

void cluster_impl::start(cluster_op& op) {
  if (!route(op)) {
    op.failure = error::malformed_request;
    for (cluster_command& cmd : op.commands) cmd.state = command_state::failed;
    proceed(op);
    return;
  }
  if (stopped) {
    proceed(op);  // nothing runs after cancel()
    return;
  }
  if (map.nodes().empty()) {
    // No topology yet: wait for the first, up to the request's time.
    op.waiting = true;
    waiting.push_back(&op);
    arm_timer(op, op.deadline);
    want_refresh();
    return;
  }
  dispatch(op);
}

}  // namespace detail

cluster_connection::cluster_connection(executor_type ex, cluster_config cfg)
    : impl_{std::make_shared<detail::cluster_impl>(std::move(ex), std::move(cfg))} {}

cluster_connection::cluster_connection(asio::io_context& ioc, cluster_config cfg)
    : cluster_connection(ioc.get_executor(), std::move(cfg)) {}

cluster_connection::~cluster_connection() { impl_->stop(); }

cluster_connection::executor_type cluster_connection::get_executor() const noexcept {
  return impl_->ex;
}

const cluster_config& cluster_connection::get_config() const noexcept { return impl_->cfg; }

void cluster_connection::cancel() { impl_->stop(); }

const cluster::slot_map& cluster_connection::topology() const noexcept { return impl_->map; }

const cluster_stats& cluster_connection::stats() const noexcept { return impl_->stats; }

}  // namespace respool
