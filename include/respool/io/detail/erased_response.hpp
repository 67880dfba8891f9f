/// @file erased_response.hpp
/// @brief A response as a connection holds it: its address and the two functions that adapt
/// replies into it. No Asio here, so the blocking API can use it without Asio's headers.
#pragma once

#include <respool/io/detail/multiplexer.hpp>
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace respool::detail {

/// The functions a connection calls for a response of type `Response` (see exec_state).
template <class Response>
struct erased_adapter {
  static void on_reply(void* r, std::size_t index, resp3::reply_view reply, adapt_error& err);
  static void on_done(void* r, std::size_t replies, adapt_error& err);
};

template <class Response>
void erased_adapter<Response>::on_reply(void* r, std::size_t index, resp3::reply_view reply,
                                        adapt_error& err) {
  response_adapter<Response>(*static_cast<Response*>(r)).on_reply(index, reply, err);
}

template <class Response>
void erased_adapter<Response>::on_done(void* r, std::size_t replies, adapt_error& err) {
  response_adapter<Response>(*static_cast<Response*>(r)).on_done(replies, err);
}

// The common response types are adapted by code compiled once, in the library
// (src/protocol/adapt.cpp), rather than in every file that runs a request with them.
extern template struct erased_adapter<ignore_t>;
extern template struct erased_adapter<generic_response>;
extern template struct erased_adapter<generic_reply>;
extern template struct erased_adapter<std::string>;
extern template struct erased_adapter<std::optional<std::string>>;
extern template struct erased_adapter<long long>;
extern template struct erased_adapter<bool>;
extern template struct erased_adapter<double>;
extern template struct erased_adapter<std::vector<std::string>>;
extern template struct erased_adapter<std::vector<std::optional<std::string>>>;

/// A response with its type erased: what exec_state keeps of it.
struct erased_response {
  void* response;
  reply_fn on_reply;
  done_fn on_done;

  template <class Response>
  static erased_response of(Response& r) noexcept {
    return {&r, &erased_adapter<Response>::on_reply, &erased_adapter<Response>::on_done};
  }
  /// The replies ignored (an error reply is still reported): the operation provides the
  /// ignore_t the adapter is given.
  static erased_response ignored() noexcept {
    return {nullptr, &erased_adapter<ignore_t>::on_reply, &erased_adapter<ignore_t>::on_done};
  }
};

}  // namespace respool::detail
