#include "sync_driver.hpp"
#include <respool/client/sync_client.hpp>
#include <respool/io/connection.hpp>
#include <respool/io/detail/connection_logic.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
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

sync_client::~sync_client() {
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
  waiter w;
  asio::post(ex_, [this, &req, resp, &w] {
    conn_->launch_exec(
        req, resp,
        [this, &w](std::error_code ec, std::size_t) {
          std::string reason;
          // conn_ is null when the completion comes after the destructor let go of it.
          if (ec == error::not_connected && conn_) {
            reason = detail::describe_not_connected(conn_->get_config(), conn_->last_error());
          }
          w.finish(ec, std::move(reason));
        },
        {}, ex_);
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
