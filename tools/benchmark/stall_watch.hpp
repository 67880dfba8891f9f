// The benchmark's guard against a server that keeps the connection up but stops answering:
// a count of completed requests that has not moved for too long. It only reads counters the
// clients keep anyway; nothing is sent to the server for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace respool::benchmark {

class stall_watch {
 public:
  using clock = std::chrono::steady_clock;

  /// Watches from `start`, with the count at 0. A `limit` of zero or less never reports a
  /// stall.
  stall_watch(std::chrono::milliseconds limit, clock::time_point start) noexcept
      : limit_{limit}, since_{start} {}

  /// Takes the current count at `now`; true once it has stayed the same for `limit` since it
  /// last changed (or since the start).
  [[nodiscard]] bool stalled(std::uint64_t count, clock::time_point now) noexcept;

 private:
  std::chrono::milliseconds limit_;
  std::uint64_t count_ = 0;
  clock::time_point since_;
};

/// What a stall is reported as: "no reply from the server for 10 seconds with requests
/// outstanding" (fractions of a second as "1.5 seconds").
[[nodiscard]] std::string stall_message(std::chrono::milliseconds limit);

}  // namespace respool::benchmark
