#include "stall_watch.hpp"

namespace respool::benchmark {

bool stall_watch::stalled(std::uint64_t count, clock::time_point now) noexcept {
  if (limit_ <= std::chrono::milliseconds::zero()) return false;
  if (count != count_) {
    count_ = count;
    since_ = now;
    return false;
  }
  return now - since_ >= limit_;
}

std::string stall_message(std::chrono::milliseconds limit) {
  const auto ms = limit.count();
  std::string seconds = std::to_string(ms / 1000);
  if (const auto fraction = ms % 1000; fraction != 0) {
    std::string digits = std::to_string(1000 + fraction).substr(1);  // "005" for 5 ms
    while (digits.back() == '0') digits.pop_back();
    seconds += "." + digits;
  }
  const char* unit = ms == 1000 ? " second" : " seconds";
  return "no reply from the server for " + seconds + unit + " with requests outstanding";
}

}  // namespace respool::benchmark
