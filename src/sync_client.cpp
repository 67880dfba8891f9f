#include <respool/detail/connection_logic.hpp>
#include <respool/sync_client.hpp>

#include <asio/post.hpp>

#include <limits>
#include <stdexcept>
#include <utility>

namespace respool {

sync_client::sync_client(config cfg)
    : owned_{std::make_unique<asio::io_context>(1)},
      work_{owned_->get_executor()},
      ex_{owned_->get_executor()},
      conn_{std::make_unique<connection>(ex_, std::move(cfg))} {
  conn_->async_run([](std::error_code) {});
  thread_ = std::thread([ctx = owned_.get()] { ctx->run(); });
}

sync_client::sync_client(asio::any_io_executor ex, config cfg)
    : ex_{std::move(ex)}, conn_{std::make_unique<connection>(ex_, std::move(cfg))} {
  asio::post(ex_, [c = conn_.get()] { c->async_run([](std::error_code) {}); });
}

sync_client::~sync_client() {
  // The connection is stopped and destroyed on its own executor; then the owned thread ends.
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
  if (owned_) {
    // The owned io_context runs out of work once the connection is gone.
    work_.reset();
    thread_.join();
  } else {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return done; });
  }
}

request& sync_client::thread_request() {
  thread_local request req{request::config{std::numeric_limits<std::size_t>::max()}};
  return req;
}

std::error_code sync_client::waiter::wait() {
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [&] { return done; });
  return ec;
}

void sync_client::waiter::finish(std::error_code e, std::string reason) {
  std::lock_guard<std::mutex> lock(m);
  ec = e;
  why = std::move(reason);
  done = true;
  cv.notify_one();
}

void sync_client::finish(waiter& w, std::error_code ec) const {
  std::string why;
  // conn_ is null when the completion comes after the destructor let go of the connection.
  if (ec == error::not_connected && conn_) {
    why = detail::describe_not_connected(conn_->get_config(), conn_->last_error());
  }
  w.finish(ec, std::move(why));
}

void sync_client::check_not_io_thread() const {
  const auto* io = ex_.target<asio::io_context::executor_type>();
  if (owned_ ? thread_.get_id() == std::this_thread::get_id()
             : io != nullptr && io->running_in_this_thread()) {
    throw std::logic_error("respool::sync_client: exec() called from the connection's thread");
  }
}

}  // namespace respool
