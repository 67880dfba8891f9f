#include <respool/client/connection_pool.hpp>
#include <respool/io/connection.hpp>

#include <asio/post.hpp>

#include <algorithm>
#include <string>

namespace respool {

namespace {

// One connection's UNWATCH on its way back, shared with the completion, which may run after
// give_back() stopped waiting for it.
struct unwatch_probe {
  request req;
  std::string reply;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool clean = false;

  void finish(bool is_clean) {
    std::lock_guard<std::mutex> lock(m);
    clean = is_clean;
    done = true;
    cv.notify_one();
  }
};

}  // namespace

connection_pool::connection_pool(connection_pool_config cfg) : cfg_{std::move(cfg)} {
  cfg_.size = std::max<std::size_t>(cfg_.size, 1);
  idle_.reserve(cfg_.size);
  work_.emplace(ioc_.get_executor());
  const std::size_t n = std::max<std::size_t>(cfg_.io_threads, 1);
  for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

connection_pool::~connection_pool() {
  std::vector<entry> closing;
  {
    std::lock_guard<std::mutex> lock(m_);
    closing.swap(idle_);
  }
  closing.clear();  // each sync_client stops its connection on the pool's io_context
  work_.reset();
  for (auto& t : threads_) t.join();
}

std::unique_ptr<sync_client> connection_pool::make_client() {
  return std::make_unique<sync_client>(ioc_.get_executor(), cfg_.connection);
}

bool connection_pool::usable(entry& e, std::chrono::steady_clock::time_point now) {
  const auto idle_for = now - e.last_used;
  if (cfg_.max_idle.count() > 0 && idle_for >= cfg_.max_idle) return false;
  if (cfg_.check_after_idle.count() > 0 && idle_for >= cfg_.check_after_idle) {
    std::error_code ec;
    e.client->exec<std::string>(ec, "PING");
    if (ec) return false;
  }
  return true;
}

// A lease may end in the middle of anything: between WATCH and EXEC, inside MULTI, after a
// SUBSCRIBE, or after a call that timed out while the server still works on it. WATCH is the
// common case and UNWATCH undoes it in one round trip, so it is sent here, on return, rather
// than pipelined before the next borrower's first command: only the reply tells whether the
// connection was inside MULTI (UNWATCH is then QUEUED, and so would the next borrower's
// commands be), and that must be known before anyone borrows it. Everything that UNWATCH
// cannot undo, or that would delay its reply (MULTI, subscriptions, a request outstanding),
// closes the connection instead: its session is not worth repairing, and a fresh one is
// clean by construction. A connection that is down needs nothing: its next session is new.
bool connection_pool::reset_session(sync_client& c) {
  auto probe = std::make_shared<unwatch_probe>();
  probe->req.push("UNWATCH");
  connection& conn = c.get_connection();
  asio::post(ioc_, [&conn, probe] {
    if (conn.pending_requests() != 0 || conn.has_subscriptions()) return probe->finish(false);
    if (!conn.is_connected()) return probe->finish(true);
    conn.async_exec(probe->req, probe->reply, [&conn, probe](std::error_code ec, std::size_t) {
      // On error the connection may be gone already: it is looked at only after a reply.
      // Subscriptions are looked at again: a SUBSCRIBE's confirmation comes before this reply.
      probe->finish(!ec && probe->reply == "OK" && !conn.has_subscriptions() &&
                    conn.pending_requests() == 0);
    });
  });
  std::unique_lock<std::mutex> lock(probe->m);
  return probe->cv.wait_for(lock, cfg_.reset_timeout, [&] { return probe->done; }) && probe->clean;
}

connection_pool::lease connection_pool::acquire() {
  std::error_code ec;
  lease l = acquire(ec);
  if (ec) throw std::system_error(ec);
  return l;
}

connection_pool::lease connection_pool::acquire(std::error_code& ec) {
  ec.clear();
  const auto deadline = std::chrono::steady_clock::now() + cfg_.wait_timeout;
  for (;;) {
    std::optional<entry> taken;
    bool make = false;
    {
      std::unique_lock<std::mutex> lock(m_);
      const bool ready = cv_.wait_until(
          lock, deadline, [&] { return !idle_.empty() || lent_ + idle_.size() < cfg_.size; });
      if (!ready) {
        ++stats_.timeouts;
        ec = error::pool_timeout;
        return {};
      }
      ++lent_;
      if (!idle_.empty()) {
        taken.emplace(std::move(idle_.back()));
        idle_.pop_back();
      } else {
        make = true;
        ++stats_.created;
      }
    }
    // Outside the lock: checks and connects are I/O.
    const auto now = std::chrono::steady_clock::now();
    if (make) return lease(this, entry{make_client(), now, now});
    if (usable(*taken, now)) return lease(this, std::move(*taken));
    taken.reset();  // closed here, outside the lock; its slot is free again
    {
      std::lock_guard<std::mutex> lock(m_);
      --lent_;
      ++stats_.replaced;
    }
    cv_.notify_one();
  }
}

void connection_pool::give_back(entry e) noexcept {
  const auto now = std::chrono::steady_clock::now();
  e.last_used = now;
  const bool expired = cfg_.max_lifetime.count() > 0 && now - e.created >= cfg_.max_lifetime;
  bool clean = false;
  if (!expired) {
    try {
      clean = reset_session(*e.client);
    } catch (...) {
      clean = false;  // out of memory: the connection's state is unknown
    }
  }
  if (expired || !clean) e.client.reset();  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(m_);
    --lent_;
    if (expired) {
      ++stats_.replaced;
    } else if (!clean) {
      ++stats_.discarded;
    } else {
      idle_.push_back(std::move(e));
    }
  }
  cv_.notify_one();
}

connection_pool_stats connection_pool::stats() const {
  std::lock_guard<std::mutex> lock(m_);
  return stats_;
}

std::size_t connection_pool::idle() const {
  std::lock_guard<std::mutex> lock(m_);
  return idle_.size();
}

}  // namespace respool
