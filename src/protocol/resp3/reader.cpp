#include <respool/protocol/resp3/reader.hpp>

#include <algorithm>
#include <cstring>
#include <new>

#if defined(__linux__)
#  include <sys/mman.h>
#  include <unistd.h>
#  define RESPOOL_HAS_MREMAP 1
#endif

namespace respool::resp3 {

namespace {

std::size_t round_to_pages(std::size_t n) noexcept {
#ifdef RESPOOL_HAS_MREMAP
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
#else
  return n;
#endif
}

}  // namespace

reader::reader(const reader_config& cfg, buffer_pool* pool)
    : cfg_{cfg},
      parser_{cfg.parser},
      ordinary_{pool != nullptr
                    ? pool->acquire(cfg.buffer_size)
                    : buffer_pool::lease{nullptr, std::make_unique<byte_buffer>(cfg.buffer_size)}} {
  cfg_.min_read = std::max<std::size_t>(cfg_.min_read, 1);
  use_ordinary();
}

reader::~reader() { release_mapped(); }

void reader::use_ordinary() noexcept {
  data_ = ordinary_->data();
  capacity_ = ordinary_->capacity();
}

void reader::consume() noexcept {
  begin_ += pending_consume_;
  pending_consume_ = 0;
}

void reader::commit(std::size_t n) noexcept { end_ += std::min(n, capacity_ - end_); }

bool reader::next(std::error_code& ec) {
  consume();
  if (parser_.parse({data_ + begin_, end_ - begin_}, ec)) {
    pending_consume_ = parser_.consumed();
    return true;
  }
  return false;
}

std::span<char> reader::prepare() {
  consume();
  const std::size_t kept = end_ - begin_;
  // What the reply in progress needs, as far as is known: the bytes kept, and what the element
  // being read still lacks. It decides where the bytes go; it never sizes an allocation.
  const std::size_t known =
      kept + (parser_.in_progress() ? parser_.bytes_needed() : std::size_t{1});
  const std::size_t ordinary_capacity = ordinary_->capacity();

  if (mapped_ != nullptr && known + cfg_.min_read <= ordinary_capacity) {
    // The large reply is gone: back to the ordinary buffer, with what is left of the stream.
    std::memcpy(ordinary_->data(), data_ + begin_, kept);
    stats_.bytes_moved += kept;
    release_mapped();
    use_ordinary();
    begin_ = 0;
    end_ = kept;
  }
  if (kept == 0) begin_ = end_ = 0;
  if (capacity_ - end_ >= cfg_.min_read) return {data_ + end_, capacity_ - end_};

  // Grows with what has arrived: twice the capacity at most, never what a header announced,
  // and never past one reply's worth.
  const std::size_t ceiling = kept + cfg_.parser.max_reply_bytes + cfg_.min_read;
  const std::size_t grown = std::min(std::max(2 * capacity_, kept + cfg_.min_read), ceiling);
  if (mapped_ == nullptr) {
    if (known + cfg_.min_read <= capacity_) {
      // The reply fits once the consumed bytes before it are gone.
      std::memmove(data_, data_ + begin_, kept);
      stats_.bytes_moved += kept;
      begin_ = 0;
      end_ = kept;
    } else {
      move_to_mapped(grown);
    }
  } else {
    grow_mapped(std::max(grown, end_ + cfg_.min_read));
  }
  return {data_ + end_, capacity_ - end_};
}

void reader::move_to_mapped(std::size_t capacity) {
  capacity = round_to_pages(capacity);
  const std::size_t kept = end_ - begin_;
#ifdef RESPOOL_HAS_MREMAP
  void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc{};
  auto* mapped = static_cast<char*>(p);
#else
  auto* mapped = new char[capacity];
#endif
  std::memcpy(mapped, data_ + begin_, kept);
  stats_.bytes_moved += kept;
  ++stats_.maps;
  mapped_ = data_ = mapped;
  capacity_ = capacity;
  begin_ = 0;
  end_ = kept;
}

void reader::grow_mapped(std::size_t capacity) {
  capacity = round_to_pages(capacity);
#ifdef RESPOOL_HAS_MREMAP
  // The kernel moves the pages, not the bytes.
  void* p = ::mremap(mapped_, capacity_, capacity, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc{};
  mapped_ = data_ = static_cast<char*>(p);
  ++stats_.remaps;
#else
  auto* grown = new char[capacity];
  std::memcpy(grown, data_ + begin_, end_ - begin_);
  stats_.bytes_moved += end_ - begin_;
  delete[] mapped_;
  mapped_ = data_ = grown;
  end_ -= begin_;
  begin_ = 0;
#endif
  capacity_ = capacity;
}

void reader::release_mapped() noexcept {
  if (mapped_ == nullptr) return;
#ifdef RESPOOL_HAS_MREMAP
  ::munmap(mapped_, capacity_);
#else
  delete[] mapped_;
#endif
  mapped_ = nullptr;
}

void reader::reset() noexcept {
  parser_.reset();
  release_mapped();
  use_ordinary();
  begin_ = end_ = pending_consume_ = 0;
}

}  // namespace respool::resp3
