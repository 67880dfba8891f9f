#include "connection_impl.hpp"
#include <respool/io/connection.hpp>
#include <respool/protocol/error.hpp>

#include <asio/error.hpp>
#include <fmt/format.h>

namespace respool {
namespace detail {

namespace {

resp3::reader_config reader_config(const config& cfg) {
  resp3::reader_config rc;
  rc.parser = cfg.parser;
  rc.buffer_size = cfg.read_buffer_size;
  return rc;
}

}  // namespace

connection_impl::connection_impl(asio::any_io_executor ex, config cfg)
    : ex_{std::move(ex)},
      cfg_{std::move(cfg)},
      transport_{ex_},
      connect_timer_{ex_},
      health_timer_{ex_},
      deadline_timer_{ex_},
      backoff_timer_{ex_},
      retry_timer_{ex_},
      reader_{reader_config(cfg_), &buffers_},
      exec_pool_{4096},
      pushes_{cfg_.max_queued_pushes},
      health_{cfg_.health_check_interval, cfg_.health_check_timeout},
      backoff_{cfg_.reconnect},
      obs_{cfg_.observer.get()} {
  ping_.req.push("PING");
  if (cfg_.sentinel.enabled()) {
    sentinel_ = std::make_shared<sentinel_client>(ex_, cfg_.sentinel, cfg_.logger);
  }
}

connection_impl::~connection_impl() {
  // The connection object is gone, and no I/O callback holds this object (they keep it
  // alive): only operations whose handlers wait remain. They complete, posted.
  stop(asio::error::operation_aborted, true);
}

exec_op* connection_impl::acquire() {
  exec_op* op = exec_pool_.get().release();
  op->state.reset();
  op->state.owner = op;
  op->conn = this;
  ++op->generation;
  op->active = true;
  op->retrying = false;
  return op;
}

void connection_impl::start_exec(exec_op& op) {
  exec_state& st = op.state;
  st.complete = &exec_complete;
  st.release = &exec_release;
  if (obs_ != nullptr) observe_queued(st);
  // After its run ended nothing will connect it again (until async_run): fail at once.
  if ((cfg_.fail_unwritten_when_down && state_ != state::running) || run_ended_) {
    op.result = error::not_connected;
    completions_.push(op);
    deliver(true);
    return;
  }
  if (cfg_.request_timeout.count() > 0) {
    st.deadline = clock::now() + cfg_.request_timeout;
    arm_deadline(st.deadline);
  }
  enqueue(op);
  deliver(true);
}

// One try of `op`: queued for the next write, or for the next connection.
void connection_impl::enqueue(exec_op& op) {
  exec_state& st = op.state;
  ++st.attempts;
  const auto wait = connection_wait(cfg_);
  if (state_ != state::running && wait.count() > 0) {
    st.wait_deadline = clock::now() + wait;
    arm_deadline(st.wait_deadline);
  }
  mux_.enqueue(st);
  if (state_ == state::running) schedule_flush();
}

void connection_impl::cancel_exec(exec_op& op, std::uint64_t generation,
                                  asio::cancellation_type type) {
  if (op.generation != generation || !op.active || op.in_done) return;
  if (op.retrying) {
    // Between two tries nothing is written: any cancellation ends it.
    cancel_retry(op, asio::error::operation_aborted);
    deliver(true);
    return;
  }
  const bool written =
      op.state.ph == exec_state::phase::written || op.state.ph == exec_state::phase::batched;
  if (written && (type & asio::cancellation_type::terminal) == asio::cancellation_type::none) {
    return;  // it may have run: only terminal cancellation gives up on its replies
  }
  op.cancelling = true;
  if (op.state.ph == exec_state::phase::batched) detach_write();
  mux_.abandon(op.state, asio::error::operation_aborted);
  deliver(true);
  op.cancelling = false;
}

void connection_impl::start_run(asio::cancellation_slot slot) {
  if (rejected_run_) {
    rejected_run_.post(asio::error::already_started);
    return;
  }
  run_active_ = true;
  run_ended_ = false;
  stopping_ = false;
  if (slot.is_connected()) slot.template emplace<run_canceller>(this);
  backoff_.reset();
  start_sentinel_watch();
  do_connect();
}

void connection_impl::start_receive(generic_reply& out, asio::cancellation_slot slot) {
  if (pushes_.start(out, slot)) resume_reading();
}

stored_handler<std::error_code>& connection_impl::connected_handler_slot() noexcept {
  return connected_waiting_ ? rejected_connected_ : connected_handler_;
}

void connection_impl::start_wait_connected(asio::cancellation_slot slot) {
  if (rejected_connected_) {
    rejected_connected_.post(asio::error::already_started);
    return;
  }
  if (state_ == state::running) {
    connected_handler_.post(std::error_code{});
    return;
  }
  connected_waiting_ = true;
  // After its run ended nothing will connect it again (until async_run).
  if (run_ended_) return complete_wait_connected(error::not_connected, true);
  ++connected_generation_;
  if (slot.is_connected()) slot.template emplace<connected_canceller>(this, connected_generation_);
}

void connection_impl::connected_canceller::operator()(asio::cancellation_type) const {
  if (generation != c->connected_generation_) return;
  c->complete_wait_connected(asio::error::operation_aborted, true);
}

void connection_impl::complete_wait_connected(std::error_code ec, bool post) {
  if (!connected_waiting_) return;
  connected_waiting_ = false;
  if (post) {
    connected_handler_.post(ec);
  } else {
    connected_handler_.dispatch(ec);
  }
}

void connection_impl::cancel() {
  stopping_ = true;
  stop(asio::error::operation_aborted, true);
}

void connection_impl::exec_complete(exec_state& e, std::error_code ec) noexcept {
  auto* op = static_cast<exec_op*>(e.owner);
  if (op->conn->retry_later(*op, ec)) return;
  op->result = ec;
  op->conn->completions_.push(*op);
}

void connection_impl::exec_release(exec_state& e) noexcept {
  auto* op = static_cast<exec_op*>(e.owner);
  if (!op->in_done) op->conn->recycle(*op);
  // Otherwise deliver() recycles it, now that the multiplexer has let go (phase idle).
}

void connection_impl::recycle(exec_op& op) noexcept {
  op.active = false;
  op.handler.reset();
  op.slot = {};
  exec_pool_.put(std::unique_ptr<exec_op>(&op));
}

// Delivers the completions reported so far: posted when called inside an initiation or from
// cancel(), else dispatched (inline when the handler's executor is the current one).
void connection_impl::deliver(bool post) {
  if (!completions_.begin_delivery()) return;  // the outer loop takes what a handler adds
  while (exec_op* op = completions_.pop()) deliver_one(*op, post);
  pushes_.deliver(post);
  completions_.end_delivery();
}

void connection_impl::deliver_one(exec_op& op, bool post) {
  op.active = false;
  // The canceller running now must not be destroyed under its own feet; a stale one is
  // harmless, it checks the generation.
  if (!op.cancelling && op.slot.is_connected()) op.slot.clear();
  const std::error_code ec = op.result;
  const std::size_t bytes = op.state.bytes;
  if (obs_ != nullptr && op.state.id != 0) observe_completed(op);
  const bool recyclable = op.state.ph == exec_state::phase::idle;
  if (post) {
    op.handler.post(ec, bytes);
  } else {
    op.handler.dispatch(ec, bytes);
  }
  if (recyclable) recycle(op);
}

// deliver() from the read or write loop: requests the handlers issue are written by the
// caller afterwards (flush_wanted_).
void connection_impl::deliver_in_callback() {
  const bool outer = !in_callback_;
  in_callback_ = true;
  deliver(false);
  if (outer) in_callback_ = false;
}

// Requests started from now on are written by release_writes() (schedule_flush() sees the
// same state as inside the read loop's delivery).
void connection_impl::hold_writes() { in_callback_ = true; }

void connection_impl::release_writes() {
  in_callback_ = false;
  if (!flush_wanted_) return;
  flush_wanted_ = false;
  start_write();
}

// Closes the transport; every I/O callback of this connection attempt becomes stale.
void connection_impl::close_transport() {
  ++epoch_;
  transport_.close();
  connect_timer_.cancel();
  health_timer_.cancel();
  writer_.finish();
  flush_wanted_ = false;
  read_in_flight_ = false;
  reading_paused_ = false;
  owner_reads_ = false;  // the new socket starts non-blocking, read by Asio
  read_cancelled_ = false;
  health_.reset();
  setup_done_ = false;
  reader_.reset();
}

// The connection (or the attempt) failed with `ec`: fail what was written, then reconnect or
// stop.
void connection_impl::fail(std::error_code ec) {
  const bool established = state_ == state::running;
  ++(established ? stats_.disconnects : stats_.connect_failures);
  last_error_ = ec;
  log(established ? log_level::warning : log_level::error,
      fmt::format("{}: {}", established ? "connection lost" : "connecting failed", ec.message()));
  if (established && obs_ != nullptr) obs_->on_disconnected(endpoint(ec));
  close_transport();
  state_ = state::backing_off;
  // A protocol error is what the written requests hear; any other failure is a lost
  // connection, whatever its cause.
  mux_.fail_all(
      is_protocol_error(ec) ? ec : make_error_code(error::connection_lost),
      cfg_.fail_unwritten_when_down ? make_error_code(error::not_connected) : std::error_code{});
  // What stays queued waits for the next connection, for a while.
  if (const auto wait = connection_wait(cfg_); wait.count() > 0 && mux_.has_queued()) {
    const auto until = clock::now() + wait;
    mux_.wait_for_connection(until);
    arm_deadline(until);
  }
  deliver(false);
  if (stopping_ || !run_active_) return;
  if (!cfg_.reconnect.enabled) return stop(ec, false);
  if (sentinel_) {
    // A new master is up already: no backoff beyond the first step. Any other failure of a
    // server the sentinels named: the next sentinel is asked first next time.
    if (ec == error::master_changed) {
      backoff_.reset();
    } else {
      sentinel_->distrust();
    }
  }
  reconnect_later();
}

void connection_impl::reconnect_later() {
  const auto delay = backoff_.next(jitter_unit());
  log(log_level::info, fmt::format("reconnecting in {} ms", delay.count()));
  backoff_timer_.expires_after(delay);
  // The epoch tells this wait from an attempt started meanwhile (a failover announced).
  backoff_timer_.async_wait([self = shared_from_this(), epoch = epoch_](std::error_code wait_ec) {
    if (wait_ec || epoch != self->epoch_ || self->stopping_ || !self->run_active_) return;
    self->do_connect();
  });
}

// Stops for good: closes, fails everything, completes async_run with `ec`.
void connection_impl::stop(std::error_code ec, bool post) {
  const bool was_running = state_ == state::running;
  if (ec != asio::error::operation_aborted) last_error_ = ec;
  close_transport();
  if (was_running) ++stats_.disconnects;
  if (was_running && obs_ != nullptr) obs_->on_disconnected(endpoint(ec));
  state_ = state::stopped;
  backoff_timer_.cancel();
  if (sentinel_) sentinel_->cancel();
  deadline_timer_.cancel();
  deadline_armed_ = clock::time_point::max();
  // Cancelled: operation_aborted. Ended by itself: its own error for a refused setup, else
  // not_connected.
  std::error_code unwritten = make_error_code(error::not_connected);
  if (ec == asio::error::operation_aborted || ec == error::setup_failed) unwritten = ec;
  mux_.fail_all(error::connection_lost, unwritten);
  fail_retries();
  pushes_.abort();
  deliver(post);
  complete_wait_connected(ec, post);
  if (run_active_) {
    run_active_ = false;
    run_ended_ = true;
    if (post) {
      run_handler_.post(ec);
    } else {
      run_handler_.dispatch(ec);
    }
  }
}

exec_op* acquire_exec(connection_impl& c) { return c.acquire(); }
void start_exec(connection_impl& c, exec_op& op) { c.start_exec(op); }
void hold_writes(connection_impl& c) { c.hold_writes(); }
void release_writes(connection_impl& c) { c.release_writes(); }
bool begin_owner_reads(connection_impl& c, std::chrono::milliseconds wait) {
  return c.begin_owner_reads(wait);
}
void end_owner_reads(connection_impl& c) { c.end_owner_reads(); }
owned_read read_owned(connection_impl& c) { return c.read_owned(); }
void cancel_exec(connection_impl& c, exec_op& op, std::uint64_t generation,
                 asio::cancellation_type type) {
  c.cancel_exec(op, generation, type);
}
stored_handler<std::error_code>& run_handler(connection_impl& c) { return c.run_handler_slot(); }
void start_run(connection_impl& c, asio::cancellation_slot slot) { c.start_run(slot); }
stored_handler<std::error_code>& receive_handler(connection_impl& c) {
  return c.receive_handler_slot();
}
void start_receive(connection_impl& c, generic_reply& out, asio::cancellation_slot slot) {
  c.start_receive(out, slot);
}
stored_handler<std::error_code>& connected_handler(connection_impl& c) {
  return c.connected_handler_slot();
}
void start_wait_connected(connection_impl& c, asio::cancellation_slot slot) {
  c.start_wait_connected(slot);
}

}  // namespace detail

connection::connection(executor_type ex, config cfg)
    : impl_{std::make_shared<detail::connection_impl>(std::move(ex), std::move(cfg))} {}

connection::connection(asio::io_context& ioc, config cfg)
    : connection(ioc.get_executor(), std::move(cfg)) {}

connection::~connection() {
  // I/O callbacks still queued hold the implementation; stopping makes them stale.
  impl_->cancel();
}

connection::executor_type connection::get_executor() const noexcept { return impl_->executor(); }
const config& connection::get_config() const noexcept { return impl_->cfg(); }
void connection::cancel() { impl_->cancel(); }
bool connection::is_connected() const noexcept { return impl_->is_running(); }
int connection::protocol() const noexcept { return impl_->protocol(); }
std::size_t connection::queued_pushes() const noexcept { return impl_->queued_pushes(); }
std::size_t connection::pending_requests() const noexcept { return impl_->pending_requests(); }
bool connection::has_subscriptions() const noexcept { return impl_->has_subscriptions(); }
const std::string& connection::setup_error() const noexcept { return impl_->setup_error(); }
std::error_code connection::last_error() const noexcept { return impl_->last_error(); }
const connection_stats& connection::stats() const noexcept { return impl_->stats(); }
void connection::on_invalidation(std::function<void(std::span<const std::string_view>)> handler) {
  impl_->set_invalidation(std::move(handler));
}

}  // namespace respool
