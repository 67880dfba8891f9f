#include <respool/connection.hpp>
#include <respool/detail/connection_logic.hpp>
#include <respool/detail/transport.hpp>
#include <respool/error.hpp>
#include <respool/pool.hpp>
#include <respool/resp3/reader.hpp>

#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

namespace respool {
namespace detail {

namespace {

// Asio gathers at most this many buffers per call (buffer_sequence_adapter).
constexpr std::size_t asio_gather_limit = 64;

}  // namespace

class connection_impl : public std::enable_shared_from_this<connection_impl> {
 public:
  enum class state : std::uint8_t { stopped, connecting, setting_up, running, backing_off };

  connection_impl(asio::any_io_executor ex, config cfg)
      : ex_{std::move(ex)},
        cfg_{std::move(cfg)},
        transport_{ex_},
        connect_timer_{ex_},
        health_timer_{ex_},
        deadline_timer_{ex_},
        backoff_timer_{ex_},
        reader_{reader_config(cfg_), &buffers_},
        exec_pool_{4096},
        health_{cfg_.health_check_interval, cfg_.health_check_timeout},
        backoff_{cfg_.reconnect},
        pushes_{cfg_.max_queued_pushes} {
    ping_req_.push("PING");
  }

  ~connection_impl() {
    // The connection object is gone, and no I/O callback holds this object (they keep it
    // alive): only operations whose handlers wait remain. They complete, posted.
    stop(asio::error::operation_aborted, true);
  }

  static resp3::reader_config reader_config(const config& cfg) {
    resp3::reader_config rc;
    rc.parser = cfg.parser;
    rc.buffer_size = cfg.read_buffer_size;
    return rc;
  }

  // ---------------------------------------------------------------------------------------
  // Operations started by the connection's front end.

  exec_op* acquire() {
    exec_op* op = exec_pool_.get().release();
    op->state.reset();
    op->state.owner = op;
    op->conn = this;
    ++op->generation;
    op->active = true;
    return op;
  }

  void start_exec(exec_op& op) {
    exec_state& st = op.state;
    st.complete = &exec_complete;
    st.release = &exec_release;
    // After its run ended nothing will connect it again (until async_run): fail at once.
    if ((cfg_.fail_unwritten_when_down && state_ != state::running) || run_ended_) {
      op.result = error::not_connected;
      push_done(op);
      deliver(true);
      return;
    }
    if (cfg_.request_timeout.count() > 0) {
      st.deadline = clock::now() + cfg_.request_timeout;
      arm_deadline(st.deadline);
    }
    const auto wait = connection_wait(cfg_);
    if (state_ != state::running && wait.count() > 0) {
      st.wait_deadline = clock::now() + wait;
      arm_deadline(st.wait_deadline);
    }
    mux_.enqueue(st);
    if (state_ == state::running) schedule_flush();
    deliver(true);
  }

  void cancel_exec(exec_op& op, std::uint64_t generation, asio::cancellation_type type) {
    if (op.generation != generation || !op.active || op.in_done) return;
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

  stored_handler<std::error_code>& run_handler_slot() {
    return run_active_ ? rejected_run_ : run_handler_;
  }

  void start_run(asio::cancellation_slot slot) {
    if (rejected_run_) {
      rejected_run_.post(asio::error::already_started);
      return;
    }
    run_active_ = true;
    run_ended_ = false;
    stopping_ = false;
    if (slot.is_connected()) {
      slot.template emplace<run_canceller>(this);
    }
    backoff_.reset();
    do_connect();
  }

  stored_handler<std::error_code>& receive_handler_slot() {
    return receive_out_ != nullptr ? rejected_receive_ : receive_handler_;
  }

  void start_receive(generic_reply& out, asio::cancellation_slot slot) {
    if (rejected_receive_) {
      rejected_receive_.post(asio::error::already_started);
      return;
    }
    receiver_seen_ = true;
    if (pushes_.size() != 0) {
      pushes_.pop(out);
      receive_handler_.post(std::error_code{});
      resume_reading();
      return;
    }
    receive_out_ = &out;
    ++receive_generation_;
    if (slot.is_connected()) slot.template emplace<receive_canceller>(this, receive_generation_);
  }

  void cancel() {
    stopping_ = true;
    stop(asio::error::operation_aborted, true);
  }

  [[nodiscard]] std::size_t queued_pushes() const noexcept { return pushes_.size(); }
  [[nodiscard]] bool has_subscriptions() const noexcept { return !subscriptions_.empty(); }
  // The setup and the health check's PING are the connection's own.
  [[nodiscard]] std::size_t pending_requests() const noexcept {
    return mux_.in_flight() - (setup_state_.ph != exec_state::phase::idle ? 1 : 0) -
           (ping_state_.ph != exec_state::phase::idle ? 1 : 0);
  }
  [[nodiscard]] const std::string& setup_error() const noexcept { return setup_error_message_; }
  [[nodiscard]] std::error_code last_error() const noexcept { return last_error_; }

  // ---------------------------------------------------------------------------------------

  asio::any_io_executor ex_;
  config cfg_;
  connection_stats stats_;
  int protocol_ = 3;
  state state_ = state::stopped;

 private:
  // Constructors, not aggregates: the slot emplaces with parentheses, which Clang 14 does not
  // accept for aggregates (P0960).
  struct run_canceller {
    explicit run_canceller(connection_impl* conn) noexcept : c{conn} {}
    connection_impl* c;
    void operator()(asio::cancellation_type) const { c->cancel(); }
  };
  struct receive_canceller {
    receive_canceller(connection_impl* conn, std::uint64_t gen) noexcept
        : c{conn}, generation{gen} {}
    connection_impl* c;
    std::uint64_t generation;
    void operator()(asio::cancellation_type) const {
      if (c->receive_out_ == nullptr || c->receive_generation_ != generation) return;
      c->receive_out_ = nullptr;
      c->receive_handler_.post(asio::error::operation_aborted);
    }
  };

  void log(log_level level, std::string_view message) const {
    if (cfg_.logger) cfg_.logger(level, message);
  }

  // ---------------------------------------------------------------------------------------
  // Completions. The multiplexer reports them while it works; they are delivered to their
  // handlers afterwards, once its state is consistent again.

  static void exec_complete(exec_state& e, std::error_code ec) noexcept {
    auto* op = static_cast<exec_op*>(e.owner);
    op->result = ec;
    op->conn->push_done(*op);
  }

  static void exec_release(exec_state& e) noexcept {
    auto* op = static_cast<exec_op*>(e.owner);
    if (!op->in_done) op->conn->recycle(*op);
    // Otherwise deliver() recycles it, now that the multiplexer has let go (phase idle).
  }

  void push_done(exec_op& op) noexcept {
    op.in_done = true;
    op.done_next = nullptr;
    if (done_tail_ != nullptr) {
      done_tail_->done_next = &op;
    } else {
      done_head_ = &op;
    }
    done_tail_ = &op;
  }

  void recycle(exec_op& op) noexcept {
    op.active = false;
    op.handler.reset();
    op.slot = {};
    exec_pool_.put(std::unique_ptr<exec_op>(&op));
  }

  // Delivers the completions reported so far: posted when called inside an initiation or
  // from cancel(), else dispatched (inline when the handler's executor is the current one).
  void deliver(bool post) {
    if (delivering_) return;  // the outer loop takes what a handler adds
    delivering_ = true;
    while (exec_op* op = done_head_) {
      done_head_ = op->done_next;
      if (done_head_ == nullptr) done_tail_ = nullptr;
      op->in_done = false;
      op->active = false;
      // The canceller running now must not be destroyed under its own feet; a stale one is
      // harmless, it checks the generation.
      if (!op->cancelling && op->slot.is_connected()) op->slot.clear();
      const std::error_code ec = op->result;
      const std::size_t bytes = op->state.bytes;
      const bool recyclable = op->state.ph == exec_state::phase::idle;
      if (post) {
        op->handler.post(ec, bytes);
      } else {
        op->handler.dispatch(ec, bytes);
      }
      if (recyclable) recycle(*op);
    }
    if (receive_ready_) {
      receive_ready_ = false;
      if (post) {
        receive_handler_.post(std::error_code{});
      } else {
        receive_handler_.dispatch(std::error_code{});
      }
    }
    delivering_ = false;
  }

  // ---------------------------------------------------------------------------------------
  // Connecting.

  void do_connect() {
    state_ = state::connecting;
    const std::uint64_t epoch = ++epoch_;
    if (cfg_.connect_timeout.count() > 0) {
      connect_timer_.expires_after(cfg_.connect_timeout);
      connect_timer_.async_wait([self = shared_from_this(), epoch](std::error_code ec) {
        if (ec || epoch != self->epoch_) return;
        if (self->state_ == state::connecting || self->state_ == state::setting_up) {
          self->fail(error::connect_timeout);
        }
      });
    }
    auto on_connect = [self = shared_from_this(), epoch](std::error_code ec) {
      if (epoch != self->epoch_) return;
      if (ec) return self->fail(ec);
      self->on_connected();
    };
    if (!cfg_.unix_socket.empty())
      return transport_.async_connect_unix(cfg_.unix_socket, on_connect);
    transport_.async_connect_tcp(cfg_.host, cfg_.port, on_connect);
  }

  void on_connected() {
    if (cfg_.unix_socket.empty()) {
      transport_.set_no_delay();
      transport_.set_keepalive();
    }
    if (!cfg_.tls.enabled) {
      if (cfg_.direct_writev) transport_.make_direct();
      return begin_setup();
    }
    if (const std::error_code tls_ec = start_tls()) return fail(tls_ec);
    const std::uint64_t epoch = epoch_;
    transport_.async_handshake([self = shared_from_this(), epoch](std::error_code ec) {
      if (epoch != self->epoch_) return;
      if (ec) return self->fail(ec);
      self->begin_setup();
    });
  }

  std::error_code start_tls() {
    const tls_config& tls = cfg_.tls;
    std::error_code ec;
    if (!tls_ctx_) {
      tls_ctx_ = make_tls_context(
          {tls.verify_peer, tls.ca_file, tls.ca_dir, tls.cert_file, tls.key_file, {}, {}}, ec);
    }
    if (ec) {
      log(log_level::error, fmt::format("TLS configuration failed: {}", ec.message()));
      return ec;
    }
    const std::string& name = tls.server_name.empty() ? cfg_.host : tls.server_name;
    return transport_.start_tls(*tls_ctx_, name, tls.verify_peer ? name : std::string{});
  }

  // ---------------------------------------------------------------------------------------
  // Setup: one round trip (HELLO with AUTH and SETNAME, SELECT, resubscriptions).

  void build_setup() {
    detail::build_setup(cfg_, protocol_, subscriptions_, setup_req_);
    setup_resp_.clear();
    setup_state_.reset();
    setup_state_.req = &setup_req_;
    setup_state_.response = &setup_resp_;
    setup_state_.on_reply = &erased_adapter<generic_response>::on_reply;
    setup_state_.on_done = &erased_adapter<generic_response>::on_done;
    setup_state_.owner = this;
    setup_state_.complete = [](exec_state& e, std::error_code ec) noexcept {
      auto* self = static_cast<connection_impl*>(e.owner);
      self->setup_done_ = true;
      self->setup_ec_ = ec;
    };
    setup_done_ = false;
  }

  void begin_setup() {
    state_ = state::setting_up;
    reader_.reset();
    last_read_ = clock::now();
    if (!cfg_.setup && cfg_.protocol == 2) protocol_ = 2;
    if (!cfg_.setup && cfg_.protocol != 2) protocol_ = 3;
    build_setup();
    if (setup_req_.commands() == 0) return on_established();
    mux_.enqueue_front(setup_state_);
    start_read();
    start_write();
  }

  // Called after the replies in the read buffer have been routed, when the setup has
  // completed.
  void on_setup_done() {
    setup_done_ = false;
    // Any other error: the connection is failing.
    if (setup_ec_ && setup_ec_ != error::server_error && setup_ec_ != error::server_loading) return;
    setup_error_message_.clear();
    const setup_outcome outcome = evaluate_setup(setup_resp_, cfg_.setup.has_value(), protocol_);
    protocol_ = outcome.protocol;
    switch (outcome.verdict) {
      case setup_outcome::fall_back_to_resp2:
        log(log_level::info, "the server refused HELLO 3: falling back to RESP2");
        build_setup();
        if (setup_req_.commands() == 0) return on_established();
        mux_.enqueue_front(setup_state_);
        return start_write();
      case setup_outcome::refused:
        log(log_level::error,
            fmt::format("the server refused the connection setup: {}", outcome.message));
        setup_error_message_ = outcome.message;
        if (cfg_.reconnect.retry_setup_errors) return fail(error::setup_failed);
        return stop(error::setup_failed, false);
      case setup_outcome::loading:
        // Not up until the server can serve: a new attempt after the backoff, while the
        // requests keep waiting.
        log(log_level::info, fmt::format("the server is not ready: {}", outcome.message));
        return fail(error::server_loading);
      case setup_outcome::established:
        return on_established();
    }
  }

  void on_established() {
    state_ = state::running;
    ++stats_.connects;
    mux_.connection_up();
    // Invalidations may have been missed while there was no connection.
    if (invalidation_) invalidation_({});
    backoff_.reset();
    log(log_level::info,
        cfg_.unix_socket.empty()
            ? fmt::format("connected to {}:{} (RESP{})", cfg_.host, cfg_.port, protocol_)
            : fmt::format("connected to {} (RESP{})", cfg_.unix_socket, protocol_));
    connect_timer_.cancel();
    start_health();
    start_read();
    start_write();
  }

  // ---------------------------------------------------------------------------------------
  // Writing.

  void schedule_flush() {
    if (writing_) return;
    if (in_callback_) {
      // Issued from a handler run by the read or write loop: written when it returns, without
      // a trip through the scheduler.
      flush_wanted_ = true;
      return;
    }
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(ex_, [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->start_write();
    });
  }

  void start_write() {
    if (writing_) return;
    if (state_ == state::setting_up) {
      // Only the setup goes out before the connection is established.
      if (mux_.front_queued() != &setup_state_) return;
    } else if (state_ != state::running) {
      return;
    }
    const auto segs = mux_.prepare_write(state_ == state::setting_up ? 1 : 0);
    if (segs.empty()) return;
    writing_ = true;
    write_detached_ = false;
    ++stats_.write_batches;
    cursor_ = segment_cursor(segs);
    continue_write();
  }

  void continue_write() {
    if (transport_.is_direct()) return continue_direct_write();
    const std::size_t n = cursor_.fill(std::span<segment>(iov_.data(), asio_gather_limit));
    for (std::size_t i = 0; i < n; ++i) bufs_[i] = asio::const_buffer(iov_[i].data, iov_[i].size);
    const std::span<const asio::const_buffer> bufs(bufs_.data(), n);
    transport_.async_write_some(
        bufs, [self = shared_from_this(), epoch = epoch_](std::error_code ec, std::size_t bytes) {
          if (epoch != self->epoch_) return;
          if (ec) return self->fail(ec);
          ++self->stats_.writes;
          self->cursor_.consume(bytes);
          if (self->cursor_.done()) return self->write_done();
          self->continue_write();
        });
  }

  // writev() on the non-blocking socket while it takes bytes, then a wait for writability.
  void continue_direct_write() {
    for (;;) {
      const std::size_t n = cursor_.fill(iov_);
      std::size_t written = 0;
      const std::error_code ec =
          transport_.writev(std::span<const segment>(iov_.data(), n), written);
      if (ec == asio::error::would_block) break;
      if (ec) return fail(ec);
      ++stats_.writes;
      cursor_.consume(written);
      if (cursor_.done()) return write_done();
    }
    transport_.async_wait_writable([self = shared_from_this(), epoch = epoch_](std::error_code ec) {
      if (epoch != self->epoch_) return;
      if (ec) return self->fail(ec);
      self->continue_write();
    });
  }

  // A stalled write (the server stopped reading) must not hold back a request that times out
  // or is cancelled: what is left of the batch is copied, so that the requests' own bytes are
  // no longer needed. Only on the direct path, where no write is in flight between calls; an
  // Asio or TLS write in flight still reads them, and those requests complete after it.
  void detach_write() {
    if (!writing_ || !transport_.is_direct() || write_detached_) return;
    write_detached_ = true;
    write_copy_.clear();
    while (!cursor_.done()) {
      const std::size_t n = cursor_.fill(iov_);
      std::size_t bytes = 0;
      for (std::size_t i = 0; i < n; ++i) {
        write_copy_.append(iov_[i].data, iov_[i].size);
        bytes += iov_[i].size;
      }
      cursor_.consume(bytes);
    }
    copy_segment_ = {write_copy_.data(), write_copy_.size()};
    cursor_ = segment_cursor(std::span<const segment>(&copy_segment_, 1));
    mux_.detach_batch();
  }

  void write_done() {
    writing_ = false;
    const std::uint64_t epoch = epoch_;
    mux_.commit_write();
    deliver_in_callback();
    if (epoch != epoch_) return;
    flush_wanted_ = false;
    if (mux_.has_queued()) start_write();
  }

  // deliver() from the read or write loop: requests the handlers issue are written by the
  // caller afterwards (flush_wanted_).
  void deliver_in_callback() {
    const bool outer = !in_callback_;
    in_callback_ = true;
    deliver(false);
    if (outer) in_callback_ = false;
  }

  // ---------------------------------------------------------------------------------------
  // Reading.

  void start_read() {
    if (read_in_flight_ || reading_paused_) return;
    if (state_ != state::running && state_ != state::setting_up) return;
    const std::uint64_t epoch = epoch_;
    read_in_flight_ = true;
    if (transport_.is_direct()) {
      // Wait for readability, then recv() on the non-blocking socket: an idle connection costs
      // no speculative read that finds nothing.
      transport_.async_wait_readable([self = shared_from_this(), epoch](std::error_code ec) {
        if (epoch != self->epoch_) return;
        self->read_in_flight_ = false;
        if (ec) return self->fail(ec);
        self->direct_read();
      });
      return;
    }
    const std::span<char> buf = reader_.prepare();
    transport_.async_read_some(
        asio::buffer(buf.data(), buf.size()),
        [self = shared_from_this(), epoch](std::error_code ec, std::size_t n) {
          if (epoch != self->epoch_) return;
          self->read_in_flight_ = false;
          if (ec) return self->fail(ec);
          self->reader_.commit(n);
          ++self->stats_.reads;
          self->last_read_ = clock::now();
          if (self->handle_replies()) self->start_read();
        });
  }

  // Reads what the socket holds, while reads fill the buffer (more is likely waiting).
  void direct_read() {
    for (;;) {
      const std::span<char> buf = reader_.prepare();
      std::size_t n = 0;
      const std::error_code ec = transport_.recv(buf, n);
      if (ec == asio::error::would_block) break;
      if (ec) return fail(ec);
      reader_.commit(n);
      ++stats_.reads;
      last_read_ = clock::now();
      if (!handle_replies()) return;
      if (n < buf.size()) break;
    }
    start_read();
  }

  // Routes the replies that have arrived, delivers the completions, and writes what their
  // handlers queued. False when reading must stop (the connection failed, or reading paused
  // until a receiver takes a push).
  bool handle_replies() {
    const std::uint64_t epoch = epoch_;
    std::error_code ec;
    while (reader_.next(ec)) {
      const resp3::reply_view reply = reader_.reply();
      if (pushes_.full() && receiver_seen_ && receive_out_ == nullptr &&
          mux_.routes_to_push(reply)) {
        reading_paused_ = true;  // resumed when a receiver takes a push
        break;
      }
      ++stats_.replies;
      if (mux_.on_reply(reply, reader_.reply_parser().consumed()) == routed::push) {
        on_push(reply);
      }
      reader_.consume();
    }
    if (ec) {
      fail(ec);  // a protocol error: nothing after it can be trusted
      return false;
    }
    if (setup_done_) on_setup_done();
    if (epoch != epoch_) return false;
    deliver_in_callback();
    if (epoch != epoch_) return false;
    if (flush_wanted_) {
      flush_wanted_ = false;
      start_write();
      if (epoch != epoch_) return false;
    }
    return !reading_paused_;
  }

  void resume_reading() {
    if (!reading_paused_) return;
    reading_paused_ = false;
    asio::post(ex_, [self = shared_from_this(), epoch = epoch_] {
      if (epoch != self->epoch_) return;
      if (self->handle_replies()) self->start_read();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Push messages.

  void on_push(resp3::reply_view reply) {
    ++stats_.pushes;
    if (invalidation_ && read_invalidation(reply, invalidated_keys_)) {
      return invalidation_(invalidated_keys_);
    }
    subscriptions_.observe(reply);
    if (receive_out_ != nullptr) {
      push_queue::copy(reply, *receive_out_);
      receive_out_ = nullptr;
      receive_ready_ = true;
      return;
    }
    if (!pushes_.push(reply)) {
      ++stats_.pushes_dropped;
      log(log_level::warning,
          "push message dropped: the push queue is full and nothing has ever received one");
    }
  }

 public:
  void set_invalidation(std::function<void(std::span<const std::string_view>)> h) {
    invalidation_ = std::move(h);
  }

 private:
  // ---------------------------------------------------------------------------------------
  // Health checks and deadlines.

  void start_health() {
    if (!health_.enabled()) return;
    health_.reset();
    arm_health();
  }

  void arm_health() {
    health_timer_.expires_after(health_.tick_period());
    const std::uint64_t epoch = epoch_;
    health_timer_.async_wait([self = shared_from_this(), epoch](std::error_code ec) {
      if (ec || epoch != self->epoch_) return;
      self->on_health_tick();
    });
  }

  void on_health_tick() {
    switch (health_.tick(clock::now(), last_read_, reading_paused_)) {
      case health_check::action::dead:
        log(log_level::warning, "health check failed: no answer to PING");
        return fail(error::health_check_failed);
      case health_check::action::send_ping:
        ping_state_.reset();
        ping_state_.req = &ping_req_;
        ping_state_.response = &ignored_response;
        ping_state_.on_reply = &erased_adapter<ignore_t>::on_reply;
        ping_state_.on_done = &erased_adapter<ignore_t>::on_done;
        ping_state_.owner = this;
        ping_state_.complete = [](exec_state& e, std::error_code) noexcept {
          static_cast<connection_impl*>(e.owner)->health_.answered();
        };
        ++stats_.health_checks;
        mux_.enqueue(ping_state_);
        schedule_flush();
        break;
      case health_check::action::none:
        break;
    }
    arm_health();
  }

  void arm_deadline(clock::time_point t) {
    if (t >= deadline_armed_) return;
    deadline_armed_ = t;
    deadline_timer_.expires_at(t);
    deadline_timer_.async_wait([self = shared_from_this(), t](std::error_code ec) {
      if (ec || self->deadline_armed_ != t) return;  // re-armed earlier, or stopped
      self->deadline_armed_ = clock::time_point::max();
      self->detach_write();
      self->mux_.expire(clock::now());
      self->deliver(false);
      const auto next = self->mux_.earliest_deadline();
      if (next != clock::time_point::max()) self->arm_deadline(next);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Failure, reconnection and stopping.

  // Closes the transport; every I/O callback of this connection attempt becomes stale.
  void close_transport() {
    ++epoch_;
    transport_.close();
    connect_timer_.cancel();
    health_timer_.cancel();
    writing_ = false;
    flush_wanted_ = false;
    read_in_flight_ = false;
    reading_paused_ = false;
    health_.reset();
    setup_done_ = false;
    reader_.reset();
  }

  // The connection (or the attempt) failed with `ec`: fail what was written, then reconnect
  // or stop.
  void fail(std::error_code ec) {
    const bool established = state_ == state::running;
    ++(established ? stats_.disconnects : stats_.connect_failures);
    last_error_ = ec;
    log(established ? log_level::warning : log_level::error,
        fmt::format("{}: {}", established ? "connection lost" : "connecting failed", ec.message()));
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
    const auto delay = next_backoff();
    log(log_level::info, fmt::format("reconnecting in {} ms", delay.count()));
    backoff_timer_.expires_after(delay);
    backoff_timer_.async_wait([self = shared_from_this()](std::error_code wait_ec) {
      if (wait_ec || self->stopping_ || !self->run_active_) return;
      self->do_connect();
    });
  }

  std::chrono::milliseconds next_backoff() { return backoff_.next(jitter_unit()); }

  // Stops for good: closes, fails everything, completes async_run with `ec`.
  void stop(std::error_code ec, bool post) {
    const bool was_running = state_ == state::running;
    if (ec != asio::error::operation_aborted) last_error_ = ec;
    close_transport();
    if (was_running) ++stats_.disconnects;
    state_ = state::stopped;
    backoff_timer_.cancel();
    deadline_timer_.cancel();
    deadline_armed_ = clock::time_point::max();
    // Cancelled: operation_aborted. Ended by itself: its own error for a refused setup, else
    // not_connected.
    std::error_code unwritten = make_error_code(error::not_connected);
    if (ec == asio::error::operation_aborted || ec == error::setup_failed) unwritten = ec;
    mux_.fail_all(error::connection_lost, unwritten);
    if (receive_out_ != nullptr) {
      receive_out_ = nullptr;
      receive_handler_.post(asio::error::operation_aborted);
    }
    deliver(post);
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

  // ---------------------------------------------------------------------------------------
  // State.

  std::error_code last_error_;  // what ended the last attempt or connection
  transport transport_;
  std::unique_ptr<asio::ssl::context> tls_ctx_;

  asio::steady_timer connect_timer_;
  asio::steady_timer health_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer backoff_timer_;

  buffer_pool buffers_;
  resp3::reader reader_;
  multiplexer mux_;
  pool<exec_op> exec_pool_;

  std::uint64_t epoch_ = 0;
  bool run_active_ = false;
  bool run_ended_ = false;  // async_run was called, and its run has ended
  bool stopping_ = false;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool read_in_flight_ = false;
  bool reading_paused_ = false;
  bool delivering_ = false;
  bool in_callback_ = false;  // in the read or write loop's delivery (schedule_flush())
  bool flush_wanted_ = false;

  segment_cursor cursor_;
  std::string write_copy_;  // what was left of a detached write (detach_write())
  bool write_detached_ = false;
  segment copy_segment_;
  std::array<segment, max_gather_segments> iov_{};
  std::array<asio::const_buffer, asio_gather_limit> bufs_{};

  exec_op* done_head_ = nullptr;
  exec_op* done_tail_ = nullptr;

  stored_handler<std::error_code> run_handler_;
  stored_handler<std::error_code> rejected_run_;

  request setup_req_;
  generic_response setup_resp_;
  exec_state setup_state_;
  bool setup_done_ = false;
  std::error_code setup_ec_;
  std::string setup_error_message_;

  request ping_req_;
  exec_state ping_state_;
  clock::time_point last_read_;

  clock::time_point deadline_armed_ = clock::time_point::max();

  health_check health_;
  backoff backoff_;
  push_queue pushes_;
  subscriptions subscriptions_;

  stored_handler<std::error_code> receive_handler_;
  stored_handler<std::error_code> rejected_receive_;
  generic_reply* receive_out_ = nullptr;
  std::uint64_t receive_generation_ = 0;
  bool receive_ready_ = false;
  bool receiver_seen_ = false;

  std::function<void(std::span<const std::string_view>)> invalidation_;
  std::vector<std::string_view> invalidated_keys_;
};

exec_op* acquire_exec(connection_impl& c) { return c.acquire(); }
void start_exec(connection_impl& c, exec_op& op) { c.start_exec(op); }
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

}  // namespace detail

connection::connection(executor_type ex, config cfg)
    : impl_{std::make_shared<detail::connection_impl>(std::move(ex), std::move(cfg))} {}

connection::connection(asio::io_context& ioc, config cfg)
    : connection(ioc.get_executor(), std::move(cfg)) {}

connection::~connection() {
  // I/O callbacks still queued hold the implementation; stopping makes them stale.
  impl_->cancel();
}

connection::executor_type connection::get_executor() const noexcept { return impl_->ex_; }
const config& connection::get_config() const noexcept { return impl_->cfg_; }
void connection::cancel() { impl_->cancel(); }
bool connection::is_connected() const noexcept {
  return impl_->state_ == detail::connection_impl::state::running;
}
int connection::protocol() const noexcept { return impl_->protocol_; }
std::size_t connection::queued_pushes() const noexcept { return impl_->queued_pushes(); }
std::size_t connection::pending_requests() const noexcept { return impl_->pending_requests(); }
bool connection::has_subscriptions() const noexcept { return impl_->has_subscriptions(); }
const std::string& connection::setup_error() const noexcept { return impl_->setup_error(); }
std::error_code connection::last_error() const noexcept { return impl_->last_error(); }
const connection_stats& connection::stats() const noexcept { return impl_->stats_; }
void connection::on_invalidation(std::function<void(std::span<const std::string_view>)> handler) {
  impl_->set_invalidation(std::move(handler));
}

}  // namespace respool
