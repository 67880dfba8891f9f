// Heap allocations made by the respool-benchmark process, counted by its replacements of the
// global operator new (alloc_count.cpp, linked into the executable only).
#pragma once

#include <cstdint>

namespace respool::benchmark {

/// Calls of any form of operator new since the program started, on every thread.
std::uint64_t allocation_count() noexcept;

}  // namespace respool::benchmark
