#include <respool/client/caching_client.hpp>

#include <stdexcept>

namespace respool {

caching_client::caching_client(connection& conn, std::size_t max_entries)
    : conn_{&conn},
      client_{conn},
      max_entries_{max_entries == 0 ? 1 : max_entries},
      // A custom setup replaces the one that would carry CLIENT TRACKING ON.
      tracked_by_setup_{conn.get_config().client_tracking && !conn.get_config().setup},
      epoch_{conn.stats().connects} {
  if (conn.get_config().protocol == 2) {
    throw std::invalid_argument(
        "respool::caching_client: client-side caching needs RESP3 invalidations, and the "
        "connection is configured for RESP2 (config::protocol = 2)");
  }
  conn_->on_invalidation([this](std::span<const std::string_view> keys) { invalidate(keys); });
}

caching_client::~caching_client() { conn_->on_invalidation({}); }

const std::optional<std::string>* caching_client::lookup(std::string_view key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);  // now the most recently used
  return &it->second->value;
}

std::uint64_t caching_client::begin_fetch(std::string_view key) {
  const std::uint64_t ticket = ++next_ticket_;
  pending_[std::string(key)] = ticket;
  return ticket;
}

void caching_client::end_fetch(const std::string& key, std::uint64_t ticket,
                               const std::optional<std::string>& value) {
  const auto p = pending_.find(key);
  // Invalidated (or flushed) while the GET was in flight, or a later GET of the same key is:
  // this value may be stale, or the later one will do.
  if (p == pending_.end() || p->second != ticket) return;
  pending_.erase(p);
  // After a fallback to RESP2 the server sends no invalidations: nothing read is tracked.
  if (conn_->protocol() != 3) return;
  if (index_.find(key) != index_.end()) return;
  lru_.push_front({key, value});
  index_.emplace(lru_.front().key, lru_.begin());
  if (index_.size() > max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

void caching_client::invalidate(std::span<const std::string_view> keys) {
  if (keys.empty()) {
    ++stats_.flushes;
    index_.clear();
    lru_.clear();
    const std::uint64_t connects = conn_->stats().connects;
    if (connects != epoch_) {
      // A new connection. Every value kept was read on an earlier one, whose invalidations
      // may have been missed: gone. The GETs in flight stay: those written on the old
      // connection fail with it (it was lost before this), and the others are served by the
      // new one, whose replies are routed after this call; their completions run on the
      // connection's executor as soon as the reply is read, so a value read on the old
      // connection cannot be kept after it.
      epoch_ = connects;
      return;
    }
    // The server flushed: a value in flight may have been read before the flush.
    pending_.clear();
    return;
  }
  for (const std::string_view key : keys) {
    if (const auto it = index_.find(key); it != index_.end()) {
      const auto node = it->second;
      index_.erase(it);  // first: its key views the list node's string
      lru_.erase(node);
      ++stats_.invalidations;
    }
    if (const auto p = pending_.find(std::string(key)); p != pending_.end()) pending_.erase(p);
  }
}

}  // namespace respool
