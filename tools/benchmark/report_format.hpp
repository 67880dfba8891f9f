// What the report formats (report.cpp, report_svg.cpp) share: printf onto a string, and
// nanoseconds in milliseconds.
#pragma once

#include <cstdint>
#include <string>

namespace respool::benchmark {

/// printf onto the end of `out`.
[[gnu::format(printf, 2, 3)]] void appendf(std::string& out, const char* format, ...);

inline constexpr double ns_per_ms = 1e6;

inline double ms(std::uint64_t ns) { return static_cast<double>(ns) / ns_per_ms; }

}  // namespace respool::benchmark
