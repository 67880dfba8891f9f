// What the multiplexer's tests share: a request in flight with a record of its completion,
// and replies fed from literal RESP bytes.
#pragma once

#include <respool/io/detail/multiplexer.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::test {

using detail::exec_state;
using detail::multiplexer;
using detail::routed;

// A request in flight with a generic response, and a record of its completion.
struct op {
  request req;
  respool::generic_response resp;
  exec_state st;
  int completions = 0;
  int releases = 0;
  std::error_code ec;

  op() {
    st.req = &req;
    st.response = &resp;
    st.owner = this;
    st.on_reply = [](void* r, std::size_t i, respool::resp3::reply_view reply,
                     respool::adapt_error& err) {
      respool::response_adapter<respool::generic_response>(
          *static_cast<respool::generic_response*>(r))
          .on_reply(i, reply, err);
    };
    st.on_done = [](void* r, std::size_t n, respool::adapt_error& err) {
      respool::response_adapter<respool::generic_response>(
          *static_cast<respool::generic_response*>(r))
          .on_done(n, err);
    };
    st.complete = [](exec_state& e, std::error_code result) noexcept {
      auto* self = static_cast<op*>(e.owner);
      ++self->completions;
      self->ec = result;
    };
    st.release = [](exec_state& e) noexcept { ++static_cast<op*>(e.owner)->releases; };
  }
};

// Feeds `bytes` (whole replies) to the multiplexer; returns the routing of each.
inline std::vector<routed> feed(multiplexer& m, std::string_view bytes) {
  respool::resp3::parser p;
  std::vector<routed> out;
  std::error_code ec;
  while (!bytes.empty() && p.parse(bytes, ec)) {
    out.push_back(m.on_reply(p.reply(), p.consumed()));
    bytes.remove_prefix(p.consumed());
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(bytes.empty());
  return out;
}

inline std::string concat(std::span<const respool::segment> segs) {
  std::string s;
  for (const auto& seg : segs) s.append(seg.data, seg.size);
  return s;
}

}  // namespace respool::test
