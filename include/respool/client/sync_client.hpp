/// @file sync_client.hpp
/// @brief A blocking facade over a connection or a Redis Cluster.
#pragma once

#include <respool/cluster/cluster_config.hpp>
#include <respool/io/detail/erased_response.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/commands.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/script.hpp>

#include <asio/any_io_executor.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

// Declared, not included: the owned io_context is kept behind a pointer, and its header (the
// scheduler, the reactor) is a large part of the time a file using the blocking API takes to
// compile (bench/RESULTS.md, "Build cost of an application file").
namespace asio {
class io_context;
}  // namespace asio

namespace respool {

class connection;
class cluster_connection;

namespace detail {

class sync_driver;

// A response that adapts into `value` and keeps the adapter's error, message included.
template <class T>
struct sync_capture {
  T* value;
  adapt_error* err;
};

}  // namespace detail

template <class T>
class response_adapter<detail::sync_capture<T>> {
 public:
  explicit response_adapter(detail::sync_capture<T>& c) noexcept : c_{c} {}
  void on_reply(std::size_t index, resp3::reply_view reply, adapt_error& err) {
    response_adapter<T>(*c_.value).on_reply(index, reply, err);
    if (err && !*c_.err) *c_.err = err;
  }
  void on_done(std::size_t replies, adapt_error& err) const {
    response_adapter<T>(*c_.value).on_done(replies, err);
    if (err && !*c_.err) *c_.err = err;
  }

 private:
  detail::sync_capture<T>& c_;
};

/**
 * Blocking calls on a connection that runs on an io_context thread.
 *
 * @code
 *     respool::sync_client redis(respool::config_from_uri("redis://localhost"));
 *     redis.exec<std::string>("SET", "k", "v");
 *     std::optional<std::string> v = redis.exec<std::optional<std::string>>("GET", "k");
 * @endcode
 *
 * Constructed with a config alone, it owns an io_context, and the calling threads run it
 * themselves: a call that finds nobody else at it writes its request, waits for the reply and
 * reads it on its own thread, as a blocking client does (no hand-off to another thread); calls
 * made meanwhile from other threads are queued, written together with the requests in flight,
 * and woken when their replies are in; the thread whose reply is in hands the driving to one
 * still waiting. Between calls (after 20 ms without one), a thread of the sync_client's own
 * drives the connection, so that health checks, reconnection and pushes go on; the next call
 * takes over from it. Handlers posted to the connection's executor run on whichever of these
 * threads drives at the time.
 *
 * With an executor, it borrows an io_context that the caller runs on other threads, and each
 * call is handed to it. Either way the connection reconnects by itself (config::reconnect).
 *
 * @par Over a cluster
 * Constructed with a cluster_config, it owns a cluster_connection, an io_context and a thread
 * that runs it; each call is handed to that thread (posted) and waits for its completion.
 * Every call works as on a connection (commands, pipelines and transactions are routed by
 * slot, scripts load on the node of their key) and fails with the same errors
 * (error::not_connected when no node answered in time, naming the seeds). The cost differs:
 * each call is a hand-off to another thread and back, and the post allocates, where a call on
 * an owned connection runs on its caller's thread and allocates nothing. scan() goes over
 * every master, one after the other. get_connection() needs one server and throws
 * std::logic_error; get_cluster() gives the cluster_connection.
 *
 * @code
 *     respool::sync_client redis(respool::cluster_config_from_uri("redis://10.0.0.1:7000"));
 *     redis.exec<std::string>("SET", "k", "v");  // on the master of k's slot
 * @endcode
 *
 * @par Thread safety
 * exec() may be called from any number of threads at once, except from a handler running on
 * the connection's io_context (that would wait for itself: it throws std::logic_error). Calls
 * from several threads are pipelined on the one connection.
 *
 * @par Allocations
 * Each calling thread encodes into a request of its own, kept between calls. With an owned
 * io_context, a call allocates nothing once the connection's buffers have grown to its
 * requests and replies (a TLS connection's writes are the exception: Asio allocates the
 * operation of a write started outside its handlers); with a borrowed one, handing the call to
 * the io_context's thread costs one allocation (Asio's post from a thread outside it).
 */
class sync_client {
 public:
  /// Owns an io_context, which the calling threads run; connects in the background.
  explicit sync_client(config cfg);
  /// Borrows `ex`'s io_context, which the caller runs.
  sync_client(asio::any_io_executor ex, config cfg);
  /// Owns a cluster_connection to the cluster of `cfg`, run by a thread of its own; reads the
  /// topology in the background.
  explicit sync_client(cluster_config cfg);
  /// Stops the connection and the sync_client's own thread. No call may be in progress.
  ~sync_client();
  sync_client(const sync_client&) = delete;
  sync_client& operator=(const sync_client&) = delete;

  /// Runs `cmd args...` and adapts the reply to T; throws std::system_error on failure (with
  /// the server's message for an error reply). With no connection up, the call waits for one
  /// up to config::wait_for_connection (by default the connect timeout), then throws
  /// error::not_connected, its what() naming the server and the last connection error (e.g.
  /// "no connection to 127.0.0.1:6379 (last error: Connection refused): ...").
  template <class T, class... Args>
  T exec(std::string_view cmd, Args&&... args) {
    T value{};
    adapt_error err;
    std::error_code ec = run(value, err, cmd, std::forward<Args>(args)...);
    if (err) throw_adapt_error(err);
    if (ec) throw std::system_error(ec);
    return value;
  }

  /// exec() without exceptions: the error goes to `ec` (and its message to `diag`, when
  /// given), the value is default constructed on failure.
  template <class T, class... Args>
  T exec(std::error_code& ec, std::string_view cmd, Args&&... args) {
    T value{};
    adapt_error err;
    ec = run(value, err, cmd, std::forward<Args>(args)...);
    if (err) ec = err.code;
    return value;
  }

  /// Runs `cmd` followed by every element of `range` (as request::push_range).
  template <class T, class Range>
  T exec_range(std::string_view cmd, const Range& range) {
    T value{};
    adapt_error err;
    const std::error_code ec =
        run_encoded(value, err, [&](request& req) { req.push_range(cmd, range); });
    if (err) throw_adapt_error(err);
    if (ec) throw std::system_error(ec);
    return value;
  }

  /// Runs a typed command (commands.hpp); throws std::system_error on failure.
  template <class W, class E, class C>
  typename command<W, E, C>::result_type exec(const command<W, E, C>& cmd) {
    W wire{};
    adapt_error err;
    const std::error_code ec = run_encoded(wire, err, cmd.encode);
    if (err) throw_adapt_error(err);
    if (ec) throw std::system_error(ec);
    return cmd.convert(std::move(wire));
  }

  /// A typed command without exceptions; the result is default constructed on failure.
  template <class W, class E, class C>
  typename command<W, E, C>::result_type exec(std::error_code& ec, const command<W, E, C>& cmd) {
    W wire{};
    adapt_error err;
    ec = run_encoded(wire, err, cmd.encode);
    if (err) ec = err.code;
    if (ec) return {};
    return cmd.convert(std::move(wire));
  }

  /// Runs `s` with EVALSHA, falling back to EVAL once when the server does not know it; the
  /// reply is adapted to T. Throws std::system_error on failure (with the server's message).
  template <class T>
  T eval(const script& s, std::span<const std::string_view> keys = {},
         std::span<const std::string_view> args = {}) {
    T value{};
    adapt_error err;
    const std::error_code ec = run_eval(value, err, s, keys, args);
    if (err) throw_adapt_error(err);
    if (ec) throw std::system_error(ec);
    return value;
  }

  /// eval() without exceptions; the value is default constructed on failure.
  template <class T>
  T eval(std::error_code& ec, const script& s, std::span<const std::string_view> keys = {},
         std::span<const std::string_view> args = {}) {
    T value{};
    adapt_error err;
    ec = run_eval(value, err, s, keys, args);
    if (err) ec = err.code;
    if (ec) return T{};
    return value;
  }

  /// Sends a prepared request and adapts its replies into `resp` (as connection::async_exec).
  template <class Response>
  std::error_code exec_request(const request& req, Response& resp) {
    return submit(req, detail::erased_response::of(resp), nullptr);
  }

  class scan_range;
  /// SCAN as a range of keys, fetched `count` at a time as the iteration goes (MATCH
  /// `pattern`, none when empty). As with SCAN itself, a key may come more than once, and keys
  /// added or removed meanwhile may or may not come. A failing SCAN throws std::system_error.
  /// Over a cluster, throws std::logic_error: SCAN reads one node's keys.
  [[nodiscard]] scan_range scan(std::string pattern = {}, long long count = 100);

  /// True when the sync_client was constructed with a cluster_config.
  [[nodiscard]] bool on_cluster() const noexcept { return cluster_ != nullptr; }

  /// The connection; use it only from its executor. Throws std::logic_error over a cluster.
  [[nodiscard]] connection& get_connection();

  /// The cluster_connection; use it only from its executor. Throws std::logic_error when the
  /// sync_client was made on one server.
  [[nodiscard]] cluster_connection& get_cluster();

 private:
  template <class T, class... Args>
  std::error_code run(T& value, adapt_error& err, std::string_view cmd, Args&&... args) {
    return run_encoded(value, err,
                       [&](request& req) { req.push(cmd, std::forward<Args>(args)...); });
  }

  template <class T, class Encode>
  std::error_code run_encoded(T& value, adapt_error& err, const Encode& encode) {
    request& req = thread_request();
    req.clear();
    encode(req);
    // The adapter's error, with its message, is kept for the caller (the completion only
    // carries the code).
    detail::sync_capture<T> cap{&value, &err};
    std::string why;
    const std::error_code ec = submit(req, detail::erased_response::of(cap), &why);
    if (ec == error::not_connected && !err) {
      detail::set_error(err, error::not_connected, std::move(why));
    }
    return ec;
  }

  // EVALSHA, then EVAL of the source when script::attempts says so. The error left in `err`
  // is the last attempt's.
  template <class T>
  std::error_code run_eval(T& value, adapt_error& err, const script& s,
                           std::span<const std::string_view> keys,
                           std::span<const std::string_view> args) {
    script::attempts run;
    std::error_code ec;
    do {
      value = T{};
      err.clear();
      ec = run_encoded(value, err,
                       [&](request& req) { s.encode(req, keys, args, run.by_source()); });
    } while (run.retry(err));
    return ec;
  }

  // Hands the request to the connection's executor and waits for its completion; with
  // error::not_connected, `why` (when given) says why there was no connection.
  std::error_code submit(const request& req, detail::erased_response resp, std::string* why);
  // submit() by a post to the executor, for a borrowed io_context and for a cluster.
  std::error_code hand_over(const request& req, detail::erased_response resp, std::string* why);
  static request& thread_request();
  void check_not_io_thread() const;

  std::unique_ptr<asio::io_context> owned_;
  // Keeps the owned thread running after the connection's run ended (say, reconnection off
  // and the server gone), so that later calls still complete; the destructor lets go.
  asio::any_io_executor work_;  // the owned context's, tracking outstanding work
  asio::any_io_executor ex_;
  std::unique_ptr<connection> conn_;
  std::unique_ptr<detail::sync_driver> driver_;  // with an owned io_context
  // Over a cluster, instead of conn_ and driver_: the cluster and the thread running owned_.
  std::unique_ptr<cluster_connection> cluster_;
  std::thread io_thread_;
};

/// The keys of a SCAN, fetched lazily: an input range (iterate it once).
class sync_client::scan_range {
 public:
  class iterator {
   public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using reference = const std::string&;
    using pointer = const std::string*;
    using iterator_category = std::input_iterator_tag;

    iterator() = default;
    reference operator*() const { return range_->batch_[range_->index_]; }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      range_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.at_end() == b.at_end();
    }

   private:
    friend class scan_range;
    explicit iterator(scan_range* r) : range_{r} {}
    [[nodiscard]] bool at_end() const noexcept { return range_ == nullptr || range_->done(); }
    scan_range* range_ = nullptr;
  };

  [[nodiscard]] iterator begin() {
    if (!started_) {
      started_ = true;
      fetch_until_keys();
    }
    return iterator(this);
  }
  [[nodiscard]] iterator end() { return iterator(); }

 private:
  friend class sync_client;
  scan_range(sync_client& c, std::string pattern, long long count)
      : client_{&c}, pattern_{std::move(pattern)}, count_{count} {}

  [[nodiscard]] bool done() const noexcept { return index_ >= batch_.size() && cursor_ == "0"; }

  void advance() {
    ++index_;
    if (index_ >= batch_.size()) fetch_until_keys();
  }

  // Fetches batches until one has keys or the cursor is back at 0.
  void fetch_until_keys();

  sync_client* client_;
  std::string pattern_;
  long long count_;
  std::string cursor_ = "start";
  std::vector<std::string> batch_;
  std::size_t index_ = 0;
  bool started_ = false;
};

}  // namespace respool
