// What the connection tells its observer (config::observer) about requests. Each call site
// tests for an observer first, so that none costs nothing but that test.
#include "connection_impl.hpp"

namespace respool::detail {

request_event connection_impl::event_of(const exec_state& e) noexcept {
  return {e.id, e.req, e.req->commands(), e.req->size_bytes(),
          std::max<std::uint32_t>(e.attempts, 1)};
}

void connection_impl::observe_queued(exec_state& e) noexcept {
  e.id = ++last_id_;
  e.started = clock::now();
  obs_->on_queued(event_of(e));
}

void connection_impl::observe_batch() noexcept {
  for (const exec_state* e = mux_.front_batched(); e != nullptr; e = e->next) {
    if (e->id != 0) obs_->on_written(event_of(*e));
  }
}

void connection_impl::observe_completed(const exec_op& op) noexcept {
  const exec_state& e = op.state;
  completion_event done;
  done.request = event_of(e);
  done.duration = clock::now() - e.started;
  done.bytes_read = e.bytes;
  done.ec = op.result;
  obs_->on_completed(done);
}

endpoint_event connection_impl::endpoint(std::error_code reason) const noexcept {
  if (!cfg_.unix_socket.empty()) return {cfg_.unix_socket, 0, reason};
  return {cfg_.host, cfg_.port, reason};
}

}  // namespace respool::detail
