// A connection to a deployment watched by Redis Sentinel (config::sentinel): before every
// connection attempt the sentinels say where the server is; the setup's ROLE checks that it is
// what was asked for (connection_logic.cpp); the master changing, as the sentinels announce it
// or as a READONLY reply shows it, closes the connection so that the next one goes to the new
// master.
#include "connection_impl.hpp"
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/type.hpp>

#include <fmt/format.h>

#include <memory>
#include <utility>

namespace respool::detail {

void connection_impl::locate_and_connect(std::uint64_t epoch) {
  // A weak reference: the sentinel's callbacks must not keep a dropped connection alive.
  sentinel_->async_locate(
      [weak = weak_from_this(), epoch](std::error_code ec, sentinel_address at) {
        const auto self = weak.lock();
        if (!self || epoch != self->epoch_) return;
        if (ec) return self->fail(ec);
        self->cfg_.host = std::move(at.host);
        self->cfg_.port = at.port;
        self->connect_transport(epoch);
      });
}

void connection_impl::start_sentinel_watch() {
  if (!sentinel_ || !cfg_.sentinel.watch) return;
  sentinel_->watch([weak = weak_from_this()](sentinel_address to) {
    if (const auto self = weak.lock()) self->on_master_switched(to);
  });
}

void connection_impl::on_master_switched(const sentinel_address& to) {
  if (!run_active_ || stopping_ || state_ == state::stopped) return;
  if (state_ == state::backing_off) {
    // Waiting after failed attempts (the old master, demoted, refused by ROLE): the new
    // master is there now, no need to wait any longer.
    log(log_level::info, fmt::format("{} failed over to {}:{}: connecting now",
                                     cfg_.sentinel.master_name, to.host, to.port));
    backoff_.reset();
    backoff_timer_.cancel();
    return do_connect();
  }
  const bool here = to.host == cfg_.host && to.port == cfg_.port;
  // A master connection elsewhere than the new master moves; a replica connection moves when
  // its replica is the new master.
  const bool move = cfg_.sentinel.role == sentinel_role::master ? !here : here;
  if (!move) return;
  log(log_level::warning,
      fmt::format("{} failed over from {}:{} to {}:{}", cfg_.sentinel.master_name, cfg_.host,
                  cfg_.port, to.host, to.port));
  if (obs_ != nullptr) {
    obs_->on_failover({to.host, to.port, make_error_code(error::master_changed)});
  }
  fail(error::master_changed);
}

bool connection_impl::is_readonly_error(resp3::reply_view reply) const noexcept {
  if (cfg_.sentinel.role != sentinel_role::master || state_ != state::running) return false;
  return !reply.empty() && resp3::is_error(reply.front().data_type) &&
         reply.front().value.starts_with("READONLY ");
}

}  // namespace respool::detail
