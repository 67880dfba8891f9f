// What the load generator keeps of a benchmark request's replies, and the adapter that fills
// it as the connection routes them.
#pragma once

#include <respool/protocol/adapt.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace respool::benchmark::detail {

using clock = std::chrono::steady_clock;

// The response of a benchmark request: nothing is kept but the number of replies, the time
// the first one arrived, and the first error reply's text.
struct reply_tally {
  clock::time_point first{};
  std::uint32_t replies = 0;
  std::uint32_t errors = 0;
  std::string first_error;
};

}  // namespace respool::benchmark::detail

// How a connection hands the replies of a request to a reply_tally: counted as they are
// routed, never copied. Error replies are counted, not turned into a failed request, so that
// the benchmark reports the server's own message.
template <>
class respool::response_adapter<respool::benchmark::detail::reply_tally> {
 public:
  explicit response_adapter(respool::benchmark::detail::reply_tally& t) noexcept : t_{t} {}

  void on_reply(std::size_t index, resp3::reply_view reply, adapt_error&) {
    if (index == 0) t_.first = respool::benchmark::detail::clock::now();
    ++t_.replies;
    if (!reply.empty() && resp3::is_error(reply[0].data_type) && t_.errors++ == 0) {
      t_.first_error.assign(reply[0].value);
    }
  }
  void on_done(std::size_t, adapt_error&) const noexcept {}

 private:
  respool::benchmark::detail::reply_tally& t_;
};
