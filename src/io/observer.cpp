#include <respool/io/observer.hpp>

#include <charconv>

namespace respool {

std::string_view request_name(const request& req) noexcept {
  const auto segs = req.segments();
  if (segs.empty()) return {};
  // The first command begins "*<n>\r\n$<length>\r\n", written as one run of scratch bytes;
  // its name follows in the same segment, or opens the next when it was referenced.
  const std::string_view head(segs[0].data, segs[0].size);
  const std::size_t dollar = head.find("\r\n$");
  if (dollar == std::string_view::npos) return {};
  const std::size_t end = head.find("\r\n", dollar + 3);
  if (end == std::string_view::npos) return {};
  std::size_t length = 0;
  const char* first = head.data() + dollar + 3;
  const auto [ptr, ec] = std::from_chars(first, head.data() + end, length);
  if (ec != std::errc{} || ptr != head.data() + end) return {};
  const std::string_view rest = head.substr(end + 2);
  if (rest.size() >= length) return rest.substr(0, length);
  if (rest.empty() && segs.size() > 1 && segs[1].size >= length) return {segs[1].data, length};
  return {};
}

}  // namespace respool
