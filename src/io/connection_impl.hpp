// The implementation behind respool::connection. Private to the library.
//
// Its parts: the transport (resolve, connect, TLS, the byte stream), the multiplexer (requests
// and their replies), the batch writer (the write side), the reader (the read side), the push
// channel, and the completion queue. This class is the Asio loop that drives them: connect,
// set up, read and write, reconnect. connection.cpp holds the operations the front end starts
// and the failure paths; connection_io.cpp the connecting, reading and writing.
#pragma once

#include <respool/io/connection.hpp>
#include <respool/io/detail/batch_writer.hpp>
#include <respool/io/detail/connection_logic.hpp>
#include <respool/io/detail/erased_response.hpp>
#include <respool/io/detail/exec_op.hpp>
#include <respool/io/detail/multiplexer.hpp>
#include <respool/io/detail/push_channel.hpp>
#include <respool/io/detail/sentinel_client.hpp>
#include <respool/io/detail/transport.hpp>
#include <respool/io/observer.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/pool.hpp>
#include <respool/protocol/resp3/reader.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::detail {

/// A request the connection sends for itself (the setup, the health check's PING).
template <class Response>
struct internal_request {
  request req;
  Response response;
  exec_state state;

  void arm(void* owner, complete_fn complete) noexcept {
    state.reset();
    state.req = &req;
    state.response = &response;
    state.on_reply = &erased_adapter<Response>::on_reply;
    state.on_done = &erased_adapter<Response>::on_done;
    state.owner = owner;
    state.complete = complete;
  }
  [[nodiscard]] bool in_flight() const noexcept { return state.ph != exec_state::phase::idle; }
};

class connection_impl : public std::enable_shared_from_this<connection_impl> {
 public:
  enum class state : std::uint8_t { stopped, connecting, setting_up, running, backing_off };

  connection_impl(asio::any_io_executor ex, config cfg);
  ~connection_impl();
  connection_impl(const connection_impl&) = delete;
  connection_impl& operator=(const connection_impl&) = delete;

  exec_op* acquire();
  void start_exec(exec_op& op);
  void hold_writes();
  void release_writes();
  bool begin_owner_reads(std::chrono::milliseconds wait);
  void end_owner_reads();
  owned_read read_owned();
  void cancel_exec(exec_op& op, std::uint64_t generation, asio::cancellation_type type);
  stored_handler<std::error_code>& run_handler_slot() noexcept {
    return run_active_ ? rejected_run_ : run_handler_;
  }
  void start_run(asio::cancellation_slot slot);
  stored_handler<std::error_code>& receive_handler_slot() noexcept {
    return pushes_.handler_slot();
  }
  void start_receive(generic_reply& out, asio::cancellation_slot slot);
  stored_handler<std::error_code>& connected_handler_slot() noexcept;
  void start_wait_connected(asio::cancellation_slot slot);
  void cancel();
  void set_invalidation(std::function<void(std::span<const std::string_view>)> h) {
    invalidation_ = std::move(h);
  }

  [[nodiscard]] const asio::any_io_executor& executor() const noexcept { return ex_; }
  [[nodiscard]] const config& cfg() const noexcept { return cfg_; }
  [[nodiscard]] const connection_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool is_running() const noexcept { return state_ == state::running; }
  [[nodiscard]] int protocol() const noexcept { return protocol_; }
  [[nodiscard]] std::size_t queued_pushes() const noexcept { return pushes_.queued(); }
  [[nodiscard]] bool has_subscriptions() const noexcept { return !subscriptions_.empty(); }
  // The setup and the health check's PING are the connection's own.
  [[nodiscard]] std::size_t pending_requests() const noexcept {
    return mux_.in_flight() + retrying_.size() - (setup_.in_flight() ? 1 : 0) -
           (ping_.in_flight() ? 1 : 0);
  }
  [[nodiscard]] const std::string& setup_error() const noexcept { return setup_error_message_; }
  [[nodiscard]] std::error_code last_error() const noexcept { return last_error_; }

 private:
  // A constructor, not an aggregate: the slot emplaces with parentheses, which Clang 14 does
  // not accept for aggregates (P0960).
  struct run_canceller {
    explicit run_canceller(connection_impl* conn) noexcept : c{conn} {}
    connection_impl* c;
    void operator()(asio::cancellation_type) const { c->cancel(); }
  };
  struct connected_canceller {
    connected_canceller(connection_impl* conn, std::uint64_t gen) noexcept
        : c{conn}, generation{gen} {}
    connection_impl* c;
    std::uint64_t generation;
    void operator()(asio::cancellation_type) const;
  };

  void log(log_level level, std::string_view message) const {
    if (cfg_.logger) cfg_.logger(level, message);
  }
  void log_refused_subscription(resp3::reply_view reply) const;

  // The observer's events (connection_observe.cpp); called only when there is an observer.
  static request_event event_of(const exec_state& e) noexcept;
  void observe_queued(exec_state& e) noexcept;
  void observe_batch() noexcept;
  void observe_completed(const exec_op& op) noexcept;
  [[nodiscard]] endpoint_event endpoint(std::error_code reason) const noexcept;

  // Completions (connection.cpp).
  static void exec_complete(exec_state& e, std::error_code ec) noexcept;
  static void exec_release(exec_state& e) noexcept;
  void recycle(exec_op& op) noexcept;
  void deliver(bool post);
  void deliver_one(exec_op& op, bool post);
  void deliver_in_callback();
  void complete_wait_connected(std::error_code ec, bool post);

  // Retrying (connection_retry.cpp): requests waiting to be sent again (config::retry).
  bool retry_later(exec_op& op, std::error_code ec) noexcept;
  [[nodiscard]] bool safe_to_repeat(const exec_state& e);
  void arm_retry();
  void on_retry_timer();
  bool cancel_retry(exec_op& op, std::error_code ec);
  void fail_retries();
  void enqueue(exec_op& op);

  // Sentinel (connection_sentinel.cpp): where to connect, and following failovers.
  void locate_and_connect(std::uint64_t epoch);
  void start_sentinel_watch();
  void on_master_switched(const sentinel_address& to);
  [[nodiscard]] bool is_readonly_error(resp3::reply_view reply) const noexcept;

  // Connecting and the setup (connection_io.cpp).
  void do_connect();
  void connect_transport(std::uint64_t epoch);
  void on_connected();
  std::error_code start_tls();
  void build_setup();
  void begin_setup();
  void on_setup_done();
  void on_established();

  // Writing (connection_io.cpp).
  void schedule_flush();
  void start_write();
  void continue_write();
  void continue_direct_write();
  void detach_write();
  void write_done();

  // Reading and pushes (connection_io.cpp).
  void start_read();
  bool on_read(std::size_t n);
  bool handle_replies();
  void resume_reading();
  void on_push(resp3::reply_view reply);

  // Health checks and deadlines (connection_io.cpp).
  void start_health();
  void arm_health();
  void on_health_tick();
  clock::time_point expected_silence(clock::time_point now);
  void send_ping();
  void arm_deadline(clock::time_point t);
  void on_deadline();

  // Failure, reconnection and stopping (connection.cpp).
  void close_transport();
  void fail(std::error_code ec);
  void reconnect_later();
  void stop(std::error_code ec, bool post);

  asio::any_io_executor ex_;
  config cfg_;
  connection_stats stats_;
  int protocol_ = 3;
  state state_ = state::stopped;
  std::error_code last_error_;  // what ended the last attempt or connection

  transport transport_;
  std::unique_ptr<asio::ssl::context> tls_ctx_;
  asio::steady_timer connect_timer_;
  asio::steady_timer health_timer_;
  asio::steady_timer deadline_timer_;
  asio::steady_timer backoff_timer_;
  asio::steady_timer retry_timer_;

  buffer_pool buffers_;
  resp3::reader reader_;
  multiplexer mux_;
  batch_writer writer_;
  pool<exec_op> exec_pool_;
  completion_queue completions_;
  push_channel pushes_;

  std::uint64_t epoch_ = 0;  // the connection attempt: I/O callbacks of older ones are stale
  bool run_active_ = false;
  bool run_ended_ = false;  // async_run was called, and its run has ended
  bool stopping_ = false;
  bool flush_posted_ = false;
  bool read_in_flight_ = false;
  bool reading_paused_ = false;
  bool owner_reads_ = false;     // the driving thread reads (begin_owner_reads())
  bool read_cancelled_ = false;  // Asio's read was cancelled for owner reads
  asio::cancellation_signal read_cancel_;
  bool in_callback_ = false;  // in the read or write loop's delivery (schedule_flush())
  bool flush_wanted_ = false;

  stored_handler<std::error_code> run_handler_;
  stored_handler<std::error_code> rejected_run_;
  stored_handler<std::error_code> connected_handler_;
  stored_handler<std::error_code> rejected_connected_;
  bool connected_waiting_ = false;
  std::uint64_t connected_generation_ = 0;  // tells a stale canceller from the current one

  internal_request<generic_response> setup_;
  bool setup_done_ = false;
  std::error_code setup_ec_;
  std::string setup_error_message_;

  internal_request<ignore_t> ping_;
  clock::time_point last_read_;
  // expected_silence()'s finding, for the oldest request waiting while nothing was read.
  struct quiet_finding {
    clock::time_point read{};           // last_read_ when it was made
    const exec_state* front = nullptr;  // the request it was made for
    clock::time_point until = clock::time_point::min();
  } quiet_;
  clock::time_point deadline_armed_ = clock::time_point::max();
  health_check health_;
  backoff backoff_;
  subscriptions subscriptions_;

  connection_observer* obs_ = nullptr;  // config::observer's, or null
  std::uint64_t last_id_ = 0;           // the last request number given out (observer)

  std::vector<exec_op*> retrying_;  // waiting for their next try, in no order
  clock::time_point retry_armed_ = clock::time_point::max();
  std::vector<std::string_view> argv_;  // read_only_request()'s scratch

  std::shared_ptr<sentinel_client> sentinel_;  // with config::sentinel
  bool readonly_seen_ = false;  // a master, found through sentinels, answered READONLY

  std::function<void(std::span<const std::string_view>)> invalidation_;
  std::vector<std::string_view> invalidated_keys_;
};

}  // namespace respool::detail
