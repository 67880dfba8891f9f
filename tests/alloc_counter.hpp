// Counts calls to the global operator new in a test binary (alloc_counter.cpp replaces it).
#pragma once

#include <cstddef>

namespace respool::test {

/// Heap allocations made through operator new since the program started.
std::size_t allocations() noexcept;

/// Bytes requested from operator new since the program started.
std::size_t allocated_bytes() noexcept;

/// Allocations, and bytes allocated, while an instance was alive.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_{allocations()}, start_bytes_{allocated_bytes()} {}
  [[nodiscard]] std::size_t count() const noexcept { return allocations() - start_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return allocated_bytes() - start_bytes_; }

 private:
  std::size_t start_;
  std::size_t start_bytes_;
};

}  // namespace respool::test
