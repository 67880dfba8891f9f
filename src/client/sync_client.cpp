#include "sync_driver.hpp"
#include <respool/client/sync_client.hpp>
#include <respool/cluster/cluster_connection.hpp>
#include <respool/io/connection.hpp>
#include <respool/io/detail/connection_logic.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace respool {

namespace {

// A caller blocked until its request completes.
struct waiter {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::error_code ec;
  std::string why;  // for error::not_connected: why there is no connection

  std::error_code wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return done; });
    return ec;
  }

  void finish(std::error_code e, std::string reason) {
    std::lock_guard<std::mutex> lock(m);
    ec = e;
    why = std::move(reason);
    done = true;
    cv.notify_one();
  }
};

// What error::not_connected says over a cluster: no node gave a topology or took the command
// in time; the seeds are where the search started.
std::string describe_cluster_not_connected(const cluster_config& cfg) {
  std::string out = "no connection to the cluster (seeds";
  for (const config& seed : cfg.seeds) {
    out += ' ';
    out += seed.host;
    out += ':';
    out += std::to_string(seed.port);
  }
  out += ')';
  return out;
}

}  // namespace

sync_client::sync_client(config cfg)
    : owned_{std::make_unique<asio::io_context>(1)},
      work_{asio::prefer(owned_->get_executor(), asio::execution::outstanding_work.tracked)},
      ex_{owned_->get_executor()},
      conn_{std::make_unique<connection>(ex_, std::move(cfg))} {
  conn_->async_run([](std::error_code) {});
  driver_ = std::make_unique<detail::sync_driver>(*owned_, *conn_);
}

sync_client::sync_client(asio::any_io_executor ex, config cfg)
    : ex_{std::move(ex)}, conn_{std::make_unique<connection>(ex_, std::move(cfg))} {
  asio::post(ex_, [c = conn_.get()] { c->async_run([](std::error_code) {}); });
}

sync_client::sync_client(cluster_config cfg)
    : owned_{std::make_unique<asio::io_context>(1)},
      work_{asio::prefer(owned_->get_executor(), asio::execution::outstanding_work.tracked)},
      ex_{owned_->get_executor()},
      cluster_{std::make_unique<cluster_connection>(ex_, std::move(cfg))} {
  cluster_->async_run([](std::error_code) {});
  // The calls hand their requests to this thread: a cluster has a connection per node, which
  // the leader/followers scheme of sync_driver (one connection, driven by its callers) does
  // not cover.
  io_thread_ = std::thread([io = owned_.get()] { io->run(); });
}

sync_client::~sync_client() {
  if (cluster_) {
    // Cancelled on its thread; once what the cancellation completes has run and the work guard
    // is gone, the io_context runs out of work and the thread ends.
    asio::post(ex_, [c = cluster_.get()] { c->cancel(); });
    work_ = asio::any_io_executor{};
    io_thread_.join();
    cluster_.reset();
    return;
  }
  if (driver_) {
    // This thread becomes the driver: it stops the connection and runs the io_context until
    // what the cancellation completes has run.
    driver_->close([this] {
      conn_->cancel();
      conn_.reset();
      work_ = asio::any_io_executor{};
    });
    return;
  }
  // The connection is stopped and destroyed on the borrowed executor.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  asio::post(ex_, [&] {
    conn_->cancel();
    conn_.reset();
    std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [&] { return done; });
}

request& sync_client::thread_request() {
  thread_local request req{request_config{std::numeric_limits<std::size_t>::max()}};
  return req;
}

std::error_code sync_client::submit(const request& req, detail::erased_response resp,
                                    std::string* why) {
  check_not_io_thread();
  if (driver_) {
    detail::sync_call call(req, resp);
    driver_->run(call);
    if (why != nullptr) *why = std::move(call.why);
    return call.ec;
  }
  return hand_over(req, resp, why);
}

std::error_code sync_client::hand_over(const request& req, detail::erased_response resp,
                                       std::string* why) {
  waiter w;
  asio::post(ex_, [this, &req, resp, &w] {
    auto done = [this, &w](std::error_code ec, std::size_t) {
      std::string reason;
      // conn_ is null when the completion comes after the destructor let go of it.
      if (ec == error::not_connected && conn_) {
        reason = detail::describe_not_connected(conn_->get_config(), conn_->last_error());
      } else if (ec == error::not_connected && cluster_) {
        reason = describe_cluster_not_connected(cluster_->get_config());
      }
      w.finish(ec, std::move(reason));
    };
    if (cluster_) {
      cluster_->launch_exec(req, resp, std::move(done), {}, ex_);
    } else {
      conn_->launch_exec(req, resp, std::move(done), {}, ex_);
    }
  });
  const std::error_code ec = w.wait();
  if (why != nullptr) *why = std::move(w.why);
  return ec;
}

void sync_client::check_not_io_thread() const {
  const auto* io = ex_.target<asio::io_context::executor_type>();
  if (io != nullptr && io->running_in_this_thread()) {
    throw std::logic_error("respool::sync_client: exec() called from the connection's thread");
  }
}

sync_client::scan_range sync_client::scan(std::string pattern, long long count) {
  // Over a cluster too: the cluster connection's SCAN goes over every master in turn.
  return scan_range(*this, std::move(pattern), count);
}

connection& sync_client::get_connection() {
  if (!conn_) throw std::logic_error("respool::sync_client: over a cluster, no connection");
  return *conn_;
}

cluster_connection& sync_client::get_cluster() {
  if (!cluster_) throw std::logic_error("respool::sync_client: on one server, not a cluster");
  return *cluster_;
}

void sync_client::scan_range::fetch_until_keys() {
  while (index_ >= batch_.size() && cursor_ != "0") {
    if (cursor_ == "start") cursor_ = "0";
    std::pair<std::string, std::vector<std::string>> reply;  // one reply: [cursor, keys]
    request req;
    if (pattern_.empty()) {
      req.push("SCAN", cursor_, "COUNT", count_);
    } else {
      req.push("SCAN", cursor_, "MATCH", pattern_, "COUNT", count_);
    }
    const std::error_code ec = client_->exec_request(req, reply);
    if (ec) throw std::system_error(ec, "SCAN");
    cursor_ = std::move(reply.first);
    batch_ = std::move(reply.second);
    index_ = 0;
  }
}

}  // namespace respool
