#include "connection_impl.hpp"
#include <respool/io/detail/read_loop.hpp>
#include <respool/protocol/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <fmt/format.h>

#include <utility>

namespace respool::detail {

void connection_impl::do_connect() {
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
  if (sentinel_) return locate_and_connect(epoch);
  connect_transport(epoch);
}

void connection_impl::connect_transport(std::uint64_t epoch) {
  auto on_connect = [self = shared_from_this(), epoch](std::error_code ec) {
    if (epoch != self->epoch_) return;
    if (ec) return self->fail(ec);
    self->on_connected();
  };
  if (!cfg_.unix_socket.empty()) return transport_.async_connect_unix(cfg_.unix_socket, on_connect);
  transport_.async_connect_tcp(cfg_.host, cfg_.port, on_connect);
}

void connection_impl::on_connected() {
  if (cfg_.unix_socket.empty()) {
    transport_.set_no_delay();
    // A peer that vanished is noticed within half a minute even while the health check waits
    // for a command that blocks forever (as hiredis and redis-cli set it).
    static constexpr keepalive_timing keepalive{15, 5, 3};
    transport_.set_keepalive(&keepalive);
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

std::error_code connection_impl::start_tls() {
  const tls_config& tls = cfg_.tls;
  std::error_code ec;
  if (!tls_ctx_) {
    tls_ctx_ = make_tls_context(tls, ec);
  }
  if (ec) {
    log(log_level::error, fmt::format("TLS configuration failed: {}", ec.message()));
    return ec;
  }
  const std::string& name = tls.server_name.empty() ? cfg_.host : tls.server_name;
  // SNI carries host names only.
  return transport_.start_tls(*tls_ctx_, is_ip_address(name) ? std::string{} : name,
                              tls.verify_peer ? name : std::string{});
}

void connection_impl::build_setup() {
  detail::build_setup(cfg_, protocol_, subscriptions_, setup_.req);
  setup_.response.clear();
  setup_.arm(this, [](exec_state& e, std::error_code ec) noexcept {
    auto* self = static_cast<connection_impl*>(e.owner);
    self->setup_done_ = true;
    self->setup_ec_ = ec;
  });
  setup_done_ = false;
}

void connection_impl::begin_setup() {
  state_ = state::setting_up;
  reader_.reset();
  last_read_ = clock::now();
  if (!cfg_.setup && cfg_.protocol == 2) protocol_ = 2;
  if (!cfg_.setup && cfg_.protocol != 2) protocol_ = 3;
  build_setup();
  if (setup_.req.commands() == 0) return on_established();
  mux_.enqueue_front(setup_.state);
  start_read();
  start_write();
}

// Called after the replies in the read buffer have been routed, when the setup has
// completed.
void connection_impl::on_setup_done() {
  setup_done_ = false;
  // Any other error: the connection is failing.
  if (setup_ec_ && setup_ec_ != error::server_error && setup_ec_ != error::server_loading) return;
  setup_error_message_.clear();
  setup_outcome outcome = evaluate_setup(setup_.response, cfg_.setup.has_value(), protocol_);
  if (cfg_.sentinel.enabled()) evaluate_role(setup_.response, cfg_.sentinel.role, outcome);
  protocol_ = outcome.protocol;
  switch (outcome.verdict) {
    case setup_outcome::fall_back_to_resp2:
      log(log_level::info, "the server refused HELLO 3: falling back to RESP2");
      build_setup();
      if (setup_.req.commands() == 0) return on_established();
      mux_.enqueue_front(setup_.state);
      return start_write();
    case setup_outcome::refused:
      log(log_level::error,
          fmt::format("the server refused the connection setup: {}", outcome.message));
      setup_error_message_ = outcome.message;
      if (cfg_.reconnect.retry_setup_errors) return fail(error::setup_failed);
      return stop(error::setup_failed, false);
    case setup_outcome::wrong_role:
      // The sentinels are asked again after the backoff.
      log(log_level::warning, fmt::format("{}:{} is not the server asked for: {}", cfg_.host,
                                          cfg_.port, outcome.message));
      return fail(error::wrong_role);
    case setup_outcome::loading:
      // Not up until the server can serve: a new attempt after the backoff, while the
      // requests keep waiting.
      log(log_level::info, fmt::format("the server is not ready: {}", outcome.message));
      return fail(error::server_loading);
    case setup_outcome::established:
      return on_established();
  }
}

void connection_impl::on_established() {
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
  if (obs_ != nullptr) obs_->on_connected(endpoint({}));
  start_health();
  start_read();
  start_write();
  complete_wait_connected({}, true);
}

void connection_impl::schedule_flush() {
  if (writer_.busy()) return;
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

void connection_impl::start_write() {
  if (writer_.busy()) return;
  if (state_ == state::setting_up) {
    // Only the setup goes out before the connection is established.
    if (mux_.front_queued() != &setup_.state) return;
  } else if (state_ != state::running) {
    return;
  }
  const auto segs = mux_.prepare_write(state_ == state::setting_up ? 1 : 0);
  if (segs.empty()) return;
  ++stats_.write_batches;
  if (obs_ != nullptr) observe_batch();
  writer_.start(segs);
  continue_write();
}

void connection_impl::continue_write() {
  if (transport_.is_direct()) return continue_direct_write();
  transport_.async_write_some(writer_.next_buffers(), [self = shared_from_this(), epoch = epoch_](
                                                          std::error_code ec, std::size_t bytes) {
    if (epoch != self->epoch_) return;
    if (ec) return self->fail(ec);
    ++self->stats_.writes;
    if (self->writer_.consume(bytes)) return self->write_done();
    self->continue_write();
  });
}

// writev() on the non-blocking socket while it takes bytes, then a wait for writability.
void connection_impl::continue_direct_write() {
  for (;;) {
    std::size_t written = 0;
    const std::error_code ec = transport_.writev(writer_.next_segments(), written);
    if (ec == asio::error::would_block) break;
    if (ec) return fail(ec);
    ++stats_.writes;
    if (writer_.consume(written)) return write_done();
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
void connection_impl::detach_write() {
  if (transport_.is_direct() && writer_.detach()) mux_.detach_batch();
}

void connection_impl::write_done() {
  writer_.finish();
  const std::uint64_t epoch = epoch_;
  mux_.commit_write();
  deliver_in_callback();
  if (epoch != epoch_) return;
  flush_wanted_ = false;
  if (mux_.has_queued()) start_write();
}

void connection_impl::start_read() {
  if (read_in_flight_ || reading_paused_ || owner_reads_) return;
  if (state_ != state::running && state_ != state::setting_up) return;
  const std::uint64_t epoch = epoch_;
  read_in_flight_ = true;
  // On every path an Asio read: its reactor skips the speculative recv() after a read that
  // left the socket empty, so waiting costs no system call beyond the wait itself (a wait for
  // readability would re-arm the descriptor with epoll_ctl every time).
  const std::span<char> buf = reader_.prepare();
  transport_.async_read_some(
      asio::buffer(buf.data(), buf.size()),
      asio::bind_cancellation_slot(read_cancel_.slot(), [self = shared_from_this(), epoch](
                                                            std::error_code ec, std::size_t n) {
        if (epoch != self->epoch_) return;
        self->read_in_flight_ = false;
        const bool cancelled = std::exchange(self->read_cancelled_, false);
        // Taken back for owner reads; if they ended meanwhile, Asio reads again.
        if (ec == asio::error::operation_aborted && cancelled) return self->start_read();
        if (ec) return self->fail(ec);
        if (self->on_read(n)) self->start_read();
      }));
}

// The thread that drives the io_context reads the replies itself, blocking in recv() (see
// sync_client): Asio's read, if one waits, is cancelled, and none starts until
// end_owner_reads(). Only on the direct path of an established connection. A read Asio had
// already done (its completion queued) is handled first: read_owned() waits for it.
bool connection_impl::begin_owner_reads(std::chrono::milliseconds wait) {
  if (owner_reads_) return true;
  if (state_ != state::running || reading_paused_) return false;
  if (!transport_.block_in_recv(true, wait)) return false;
  owner_reads_ = true;
  if (read_in_flight_ && !read_cancelled_) {
    read_cancelled_ = true;
    read_cancel_.emit(asio::cancellation_type::total);
  }
  return true;
}

void connection_impl::end_owner_reads() {
  if (!owner_reads_) return;
  owner_reads_ = false;
  if (!transport_.block_in_recv(false, {})) return fail(asio::error::operation_not_supported);
  start_read();
}

// One owner read: what arrived, up to the wait given to begin_owner_reads(), handled as Asio's
// read would. While a write waits for room in the socket, only what has arrived is read (the
// server may be answering the first requests of a long batch): `unavailable` then, as when
// Asio's cancelled read has not completed yet, reading is paused (a full push queue), or the
// connection is not up, says that the reactor is needed.
owned_read connection_impl::read_owned() {
  if (!owner_reads_ || read_in_flight_ || state_ != state::running || reading_paused_) {
    return owned_read::unavailable;
  }
  const bool wait = !writer_.busy();
  const std::span<char> buf = reader_.prepare();
  std::size_t n = 0;
  const std::error_code ec = transport_.recv(buf, n, wait);
  if (ec == asio::error::would_block) return wait ? owned_read::timeout : owned_read::unavailable;
  if (ec) {
    fail(ec);
    return owned_read::data;
  }
  on_read(n);
  return owned_read::data;
}

// `n` bytes arrived in the reader's buffer. False when reading must stop (handle_replies()).
bool connection_impl::on_read(std::size_t n) {
  reader_.commit(n);
  ++stats_.reads;
  last_read_ = clock::now();
  return handle_replies();
}

// Routes the replies that have arrived, delivers the completions, and writes what their
// handlers queued. False when reading must stop (the connection failed, or reading paused
// until a receiver takes a push).
bool connection_impl::handle_replies() {
  const std::uint64_t epoch = epoch_;
  const std::error_code ec = for_each_reply(reader_, [this](resp3::reply_view reply) {
    if (pushes_.must_pause() && mux_.routes_to_push(reply)) {
      reading_paused_ = true;  // resumed when a receiver takes a push
      return false;
    }
    ++stats_.replies;
    if (sentinel_ && is_readonly_error(reply)) readonly_seen_ = true;
    switch (mux_.on_reply(reply, reader_.reply_parser().consumed())) {
      case routed::refused:
        log_refused_subscription(reply);
        [[fallthrough]];
      case routed::push:
        on_push(reply);
        break;
      case routed::response:
      case routed::absorbed:
        break;
    }
    reader_.consume();
    return true;
  });
  if (ec) {
    fail(ec);  // a protocol error: nothing after it can be trusted
    return false;
  }
  if (setup_done_) on_setup_done();
  if (epoch != epoch_) return false;
  deliver_in_callback();
  if (epoch != epoch_) return false;
  if (std::exchange(readonly_seen_, false)) {
    // A master found through sentinels that no longer is one (its READONLY reply went to
    // its request): the sentinels are asked again.
    fail(error::master_changed);
    return false;
  }
  if (flush_wanted_) {
    flush_wanted_ = false;
    start_write();
    if (epoch != epoch_) return false;
  }
  return !reading_paused_;
}

void connection_impl::resume_reading() {
  if (!reading_paused_) return;
  reading_paused_ = false;
  asio::post(ex_, [self = shared_from_this(), epoch = epoch_] {
    if (epoch != self->epoch_) return;
    if (self->handle_replies()) self->start_read();
  });
}

// A (P|S)(UN)SUBSCRIBE refused by the server, whose request had already completed: the
// receiver gets the error as a push message; the log says what it is.
void connection_impl::log_refused_subscription(resp3::reply_view reply) const {
  if (!cfg_.logger) return;
  std::string message = "subscription command refused by the server: ";
  message.append(reply.front().value);
  log(log_level::warning, message);
}

void connection_impl::on_push(resp3::reply_view reply) {
  ++stats_.pushes;
  if (invalidation_ && read_invalidation(reply, invalidated_keys_)) {
    return invalidation_(invalidated_keys_);
  }
  subscriptions_.observe(reply);
  if (pushes_.offer(reply) == push_channel::outcome::dropped) {
    ++stats_.pushes_dropped;
    if (obs_ != nullptr) obs_->on_push_dropped(pushes_.queued());
    log(log_level::warning,
        "push message dropped: the push queue is full and nothing has ever received one");
  }
}

void connection_impl::start_health() {
  if (!health_.enabled()) return;
  health_.reset();
  arm_health();
}

void connection_impl::arm_health() {
  health_timer_.expires_after(health_.tick_period());
  const std::uint64_t epoch = epoch_;
  health_timer_.async_wait([self = shared_from_this(), epoch](std::error_code ec) {
    if (ec || epoch != self->epoch_) return;
    self->on_health_tick();
  });
}

void connection_impl::on_health_tick() {
  const clock::time_point now = clock::now();
  switch (health_.tick(now, last_read_, reading_paused_, expected_silence(now))) {
    case health_check::action::dead:
      log(log_level::warning, "health check failed: no answer to PING");
      return fail(error::health_check_failed);
    case health_check::action::send_ping:
      send_ping();
      break;
    case health_check::action::none:
      break;
  }
  arm_health();
}

// Until when the server may rightly send nothing: while the oldest request waiting for its
// replies holds a blocking command (BLPOP, XREAD BLOCK, WAIT…), up to its timeout, counted from
// when this first found the silence (after the request was written: never too early). Looked
// for once per silence of a health-check interval, so that a long pipeline whose replies keep
// coming is not read again and again.
clock::time_point connection_impl::expected_silence(clock::time_point now) {
  if (now - last_read_ < health_.interval()) return clock::time_point::min();
  const exec_state* front = mux_.front_written();
  if (quiet_.read == last_read_ && quiet_.front == front) return quiet_.until;
  quiet_ = {last_read_, front, clock::time_point::min()};
  // An abandoned request's own request object may be gone.
  if (front == nullptr || front->abandoned || front->req == nullptr) return quiet_.until;
  if (const auto t = longest_block(*front->req, argv_)) {
    const bool forever = *t == blocks_forever || *t >= clock::time_point::max() - now;
    quiet_.until = forever ? clock::time_point::max() : now + *t;
  }
  return quiet_.until;
}

void connection_impl::send_ping() {
  ping_.arm(this, [](exec_state& e, std::error_code) noexcept {
    static_cast<connection_impl*>(e.owner)->health_.answered();
  });
  ++stats_.health_checks;
  mux_.enqueue(ping_.state);
  schedule_flush();
}

void connection_impl::arm_deadline(clock::time_point t) {
  if (t >= deadline_armed_) return;
  deadline_armed_ = t;
  deadline_timer_.expires_at(t);
  deadline_timer_.async_wait([self = shared_from_this(), t](std::error_code ec) {
    if (ec || self->deadline_armed_ != t) return;  // re-armed earlier, or stopped
    self->on_deadline();
  });
}

// Requests whose time is up complete with their error.
void connection_impl::on_deadline() {
  deadline_armed_ = clock::time_point::max();
  detach_write();
  mux_.expire(clock::now());
  deliver(false);
  const auto next = mux_.earliest_deadline();
  if (next != clock::time_point::max()) arm_deadline(next);
}

}  // namespace respool::detail
