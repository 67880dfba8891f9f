/// @file
/// @brief Object and byte-buffer pools: get/put over a fixed free array with an explicit top.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>

namespace respool {

/// How a pool recycles a `T`. Specialise it, or pass another policy to `pool`, to change it.
template <class T>
struct pool_traits {
  /// Brings an object given back by put() to its empty state, keeping its capacity. Returns
  /// false when the object should be destroyed instead of cached (it grew too large, say).
  static bool recycle(T& obj) noexcept {
    if constexpr (requires { obj.clear(); }) obj.clear();
    return true;
  }
};

/// A pool's counters since construction, for tests and benchmarks.
struct pool_stats {
  std::size_t created = 0;  ///< objects made because none was cached
  std::size_t reused = 0;   ///< get() calls served from the cache
  std::size_t dropped = 0;  ///< objects destroyed by put() (pool full, or refused by recycle)
};

/**
 * A cache of reusable objects (the idea of lua-tablepool): get() hands out a cached object, or
 * a new one when none is cached; put() takes it back, cleared but with its capacity kept.
 *
 * The cached objects sit in a free array sized once, at construction, to `max_cached`; `top`
 * is the explicit index of the first free slot, so neither get() nor put() measures or grows
 * anything. When the array is full, put() destroys the object: the cap bounds the memory a
 * pool keeps.
 *
 * A pool belongs to one thread (one executor) and takes no lock. It must outlive the leases it
 * hands out.
 *
 * **Example**:
 *
 * @code
 *     respool::pool<respool::request> requests(64);
 *     {
 *       auto req = requests.acquire();   // a lease: returns to the pool at scope exit
 *       req->push("PING");
 *     }
 * @endcode
 */
template <class T, class Traits = pool_traits<T>>
class pool {
 public:
  /// Owns one object and gives it back to its pool when destroyed, also during unwinding.
  class lease {
   public:
    lease() noexcept = default;
    lease(pool* owner, std::unique_ptr<T> obj) noexcept : owner_{owner}, obj_{std::move(obj)} {}
    lease(lease&& other) noexcept
        : owner_{std::exchange(other.owner_, nullptr)}, obj_{std::move(other.obj_)} {}
    lease& operator=(lease&& other) noexcept {
      if (this != &other) {
        reset();
        owner_ = std::exchange(other.owner_, nullptr);
        obj_ = std::move(other.obj_);
      }
      return *this;
    }
    ~lease() { reset(); }

    [[nodiscard]] T* get() const noexcept { return obj_.get(); }
    [[nodiscard]] T& operator*() const noexcept { return *obj_; }
    [[nodiscard]] T* operator->() const noexcept { return obj_.get(); }
    explicit operator bool() const noexcept { return obj_ != nullptr; }

    /// Gives the object back to the pool now (or destroys it when the lease has no pool).
    void reset() noexcept {
      if (obj_ != nullptr && owner_ != nullptr) {
        owner_->put(std::move(obj_));
      }
      obj_.reset();
      owner_ = nullptr;
    }

    /// Takes the object out of the pool's care: it will not be returned.
    [[nodiscard]] std::unique_ptr<T> release() noexcept {
      owner_ = nullptr;
      return std::move(obj_);
    }

   private:
    pool* owner_ = nullptr;
    std::unique_ptr<T> obj_;
  };

  explicit pool(std::size_t max_cached)
      : free_{std::make_unique<std::unique_ptr<T>[]>(max_cached)}, cap_{max_cached} {}
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;
  ~pool() = default;

  /// A cached object, or a new `T(args...)` when none is cached (`args` are used only then).
  template <class... Args>
  [[nodiscard]] std::unique_ptr<T> get(Args&&... args) {
    if (top_ != 0) {
      ++stats_.reused;
      return std::move(free_[--top_]);
    }
    ++stats_.created;
    return std::make_unique<T>(std::forward<Args>(args)...);
  }

  /// Takes an object back: recycled into the free array, or destroyed when the array is full
  /// or the traits refuse it.
  void put(std::unique_ptr<T> obj) noexcept {
    if (obj == nullptr) return;
    if (top_ == cap_ || !Traits::recycle(*obj)) {
      ++stats_.dropped;
      return;  // `obj` is destroyed here
    }
    free_[top_++] = std::move(obj);
  }

  /// get(), wrapped in a lease that puts the object back when it goes out of scope.
  template <class... Args>
  [[nodiscard]] lease acquire(Args&&... args) {
    return lease{this, get(std::forward<Args>(args)...)};
  }

  /// Objects cached now (the `top` index).
  [[nodiscard]] std::size_t cached() const noexcept { return top_; }
  /// The most objects the pool keeps.
  [[nodiscard]] std::size_t max_cached() const noexcept { return cap_; }
  [[nodiscard]] const pool_stats& stats() const noexcept { return stats_; }

 private:
  std::unique_ptr<std::unique_ptr<T>[]> free_;  // slots [0, top_) hold cached objects
  std::size_t top_ = 0;
  std::size_t cap_;
  pool_stats stats_;
};

/// A fixed-capacity byte buffer with a fill level, as handed out by `buffer_pool`.
/// Its bytes are not initialised; clear() empties it and keeps the memory.
class byte_buffer {
 public:
  explicit byte_buffer(std::size_t capacity)
      : data_{std::make_unique_for_overwrite<char[]>(capacity)}, capacity_{capacity} {}

  [[nodiscard]] char* data() noexcept { return data_.get(); }
  [[nodiscard]] const char* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// The bytes after the fill level, where the next read can land.
  [[nodiscard]] std::span<char> free_space() noexcept {
    return {data_.get() + size_, capacity_ - size_};
  }
  /// Marks `n` more bytes as filled; `n` must not exceed free_space().size().
  void commit(std::size_t n) noexcept {
    assert(n <= capacity_ - size_);
    size_ += n;
  }
  void clear() noexcept { size_ = 0; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

/// buffer_pool's size classes.
struct buffer_pool_config {
  /// Capacities of the classes, ascending.
  std::array<std::size_t, 4> class_sizes{4096, 16384, 65536, 262144};
  /// Buffers each class keeps at most.
  std::size_t max_cached_per_class = 8;
};

/**
 * Byte buffers in a few size classes, each class a `pool<byte_buffer>`.
 *
 * acquire(n) returns a buffer of the smallest class that holds `n` bytes. A request larger than
 * the largest class gets a buffer of exactly `n` bytes that is released, not cached, when its
 * lease ends: one huge reply does not pin its memory for the life of the connection.
 */
class buffer_pool {
 public:
  static constexpr std::size_t class_count =
      std::tuple_size_v<decltype(buffer_pool_config::class_sizes)>;
  using lease = pool<byte_buffer>::lease;

  buffer_pool() : buffer_pool(buffer_pool_config{}) {}
  explicit buffer_pool(const buffer_pool_config& cfg)
      : sizes_{cfg.class_sizes},
        classes_{pool<byte_buffer>{cfg.max_cached_per_class},
                 pool<byte_buffer>{cfg.max_cached_per_class},
                 pool<byte_buffer>{cfg.max_cached_per_class},
                 pool<byte_buffer>{cfg.max_cached_per_class}} {
    assert(std::is_sorted(sizes_.begin(), sizes_.end()));
  }

  /// An empty buffer with room for at least `min_capacity` bytes.
  [[nodiscard]] lease acquire(std::size_t min_capacity) {
    for (std::size_t i = 0; i < class_count; ++i) {
      if (min_capacity <= sizes_[i]) return classes_[i].acquire(sizes_[i]);
    }
    return lease{nullptr, std::make_unique<byte_buffer>(min_capacity)};
  }

  /// Buffers cached now, over every class.
  [[nodiscard]] std::size_t cached() const noexcept {
    std::size_t n = 0;
    for (const auto& c : classes_) n += c.cached();
    return n;
  }
  /// Bytes held by the cached buffers.
  [[nodiscard]] std::size_t cached_bytes() const noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < class_count; ++i) n += classes_[i].cached() * sizes_[i];
    return n;
  }
  [[nodiscard]] std::size_t class_size(std::size_t i) const noexcept { return sizes_[i]; }

 private:
  std::array<std::size_t, class_count> sizes_;
  std::array<pool<byte_buffer>, class_count> classes_;
};

}  // namespace respool
