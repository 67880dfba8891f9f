// glibc lets a program replace malloc, free, calloc and realloc (all of them together); these
// count each call and forward it to glibc's own implementation.
#include "alloc_hook.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {
std::atomic<std::uint64_t> count{0};
inline void bump() noexcept { count.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

std::uint64_t respool::bench::allocations() noexcept {
  return count.load(std::memory_order_relaxed);
}

extern "C" {
void* malloc(std::size_t n) {
  bump();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  bump();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  bump();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(std::size_t alignment, std::size_t n) {
  bump();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  bump();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  bump();
  void* p = __libc_memalign(alignment, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}
