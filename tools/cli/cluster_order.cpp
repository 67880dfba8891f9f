// The order of redis-cli's hash tables. redis-cli keeps the open slots it finds (and the nodes
// that seem unreachable) in a hash table of Redis' dict.c and prints them in the table's
// order. That order is fixed: the keys are hashed with SipHash-1-2 under a key of zeros, the
// table starts with 4 buckets, doubles (to the next power of two above the number of keys)
// when it holds as many keys as buckets, and then moves one bucket to the new table on each
// later lookup or insertion; a key goes to the head of its bucket's chain. The model below
// follows those rules so that respool-cli lists the same keys in the same order.
#include "cluster_manager.hpp"

#include <cstdint>
#include <deque>

namespace respool::cli::cluster {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct sip_state {
  std::uint64_t v0 = 0x736f6d6570736575ULL;  // the key is zero: v_i are the constants
  std::uint64_t v1 = 0x646f72616e646f6dULL;
  std::uint64_t v2 = 0x6c7967656e657261ULL;
  std::uint64_t v3 = 0x7465646279746573ULL;

  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  // One compression round per 8-byte word (SipHash-1-2).
  void absorb(std::uint64_t m) {
    v3 ^= m;
    round();
    v0 ^= m;
  }
};

// SipHash-1-2 of `bytes` with a zero key.
std::uint64_t siphash12(std::string_view bytes) {
  sip_state s;
  const std::size_t whole = bytes.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) {
    std::uint64_t m = 0;
    for (int b = 7; b >= 0; --b) m = (m << 8) | static_cast<unsigned char>(bytes[i + b]);
    s.absorb(m);
  }
  std::uint64_t last = static_cast<std::uint64_t>(bytes.size()) << 56;
  for (std::size_t i = whole; i < bytes.size(); ++i) {
    last |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * (i - whole));
  }
  s.absorb(last);
  s.v2 ^= 0xff;
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// A chained hash table with dict.c's growth and incremental rehashing (no deletions).
class table_model {
 public:
  bool find(const std::string& key) {
    if (used_[0] + used_[1] == 0) return false;
    rehash_step();
    return contains(key);
  }

  // Adds the key unless present (then it keeps its place).
  void add(const std::string& key) {
    rehash_step();
    grow_if_needed();
    if (contains(key)) return;
    const int t = rehashing() ? 1 : 0;
    buckets_[t][index(key, t)].push_front(key);
    ++used_[t];
  }

  [[nodiscard]] std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (int t = 0; t < (rehashing() ? 2 : 1); ++t) {
      for (const auto& chain : buckets_[t]) out.insert(out.end(), chain.begin(), chain.end());
    }
    return out;
  }

 private:
  [[nodiscard]] bool rehashing() const noexcept { return rehash_index_ >= 0; }
  [[nodiscard]] std::size_t index(const std::string& key, int t) const {
    return static_cast<std::size_t>(siphash12(key) & (buckets_[t].size() - 1));
  }
  [[nodiscard]] bool contains(const std::string& key) const {
    for (int t = 0; t < (rehashing() ? 2 : 1); ++t) {
      if (buckets_[t].empty()) continue;
      for (const std::string& k : buckets_[t][index(key, t)]) {
        if (k == key) return true;
      }
    }
    return false;
  }
  void grow_if_needed() {
    if (rehashing()) return;
    if (buckets_[0].empty()) {
      buckets_[0].resize(4);
    } else if (used_[0] >= buckets_[0].size()) {
      std::size_t size = 4;
      while (size < used_[0] + 1) size *= 2;
      if (size == buckets_[0].size()) return;
      buckets_[1].assign(size, {});
      rehash_index_ = 0;
    }
  }
  // Moves one bucket (visiting at most 10 empty ones) to the new table.
  void rehash_step() {
    if (!rehashing()) return;
    int empty_visits = 10;
    if (used_[0] != 0) {
      auto i = static_cast<std::size_t>(rehash_index_);
      while (buckets_[0][i].empty()) {
        rehash_index_ = static_cast<long>(++i);
        if (--empty_visits == 0) return;
      }
      for (const std::string& k : buckets_[0][i]) {
        buckets_[1][index(k, 1)].push_front(k);
        --used_[0];
        ++used_[1];
      }
      buckets_[0][i].clear();
      rehash_index_ = static_cast<long>(i + 1);
    }
    if (used_[0] == 0) {
      buckets_[0] = std::move(buckets_[1]);
      buckets_[1].clear();
      used_[0] = used_[1];
      used_[1] = 0;
      rehash_index_ = -1;
    }
  }

  std::vector<std::deque<std::string>> buckets_[2];
  std::size_t used_[2] = {0, 0};
  long rehash_index_ = -1;
};

}  // namespace

std::vector<std::string> dict_order(const std::vector<std::string>& keys, dict_use use) {
  table_model table;
  for (const std::string& k : keys) {
    if (use == dict_use::find_then_add && table.find(k)) continue;
    table.add(k);
  }
  return table.keys();
}

}  // namespace respool::cli::cluster
