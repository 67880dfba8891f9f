// Counts calls to the global operator new in a test binary (alloc_counter.cpp replaces it).
#pragma once

#include <cstddef>

namespace respool::test {

/// Heap allocations made through operator new since the program started.
std::size_t allocations() noexcept;

/// Allocations made while an instance was alive.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_{allocations()} {}
  [[nodiscard]] std::size_t count() const noexcept { return allocations() - start_; }

 private:
  std::size_t start_;
};

}  // namespace respool::test
