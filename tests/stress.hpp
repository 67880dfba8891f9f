#pragma once

// How many rounds a stress loop runs. The full count in ordinary builds; a quarter under
// AddressSanitizer + UBSan, where each round costs several times as much and the point is
// what the sanitizers see in the code the rounds go through, which a quarter of them covers.

namespace respool::test {

#ifdef RESPOOL_TEST_SANITIZED
inline constexpr int stress_divisor = 4;
#else
inline constexpr int stress_divisor = 1;
#endif

/// `full` rounds, or a quarter of them (at least one) in a sanitized build.
constexpr int stress_rounds(int full) {
  return full / stress_divisor > 0 ? full / stress_divisor : 1;
}

}  // namespace respool::test
