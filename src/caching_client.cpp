#include <respool/caching_client.hpp>

namespace respool {

caching_client::caching_client(connection& conn, std::size_t max_entries)
    : conn_{&conn}, client_{conn}, max_entries_{max_entries == 0 ? 1 : max_entries} {
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
