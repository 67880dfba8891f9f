// Counts heap allocations in the benchmark binary. alloc_hook.cpp replaces malloc and its
// siblings (which operator new, hiredis and everything else call) with counting forwarders.
#pragma once

#include <cstdint>

namespace respool::bench {

/// Allocations (malloc, calloc, realloc, aligned forms) since the program started.
std::uint64_t allocations() noexcept;

}  // namespace respool::bench
