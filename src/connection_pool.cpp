#include <respool/connection_pool.hpp>

#include <algorithm>

namespace respool {

connection_pool::connection_pool(pool_config cfg) : cfg_{std::move(cfg)} {
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
  if (expired) e.client.reset();  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(m_);
    --lent_;
    if (expired) {
      ++stats_.replaced;
    } else {
      idle_.push_back(std::move(e));
    }
  }
  cv_.notify_one();
}

connection_pool::stats connection_pool::statistics() const {
  std::lock_guard<std::mutex> lock(m_);
  return stats_;
}

std::size_t connection_pool::idle() const {
  std::lock_guard<std::mutex> lock(m_);
  return idle_.size();
}

}  // namespace respool
