/// @file
/// @brief Replies kept until their turn: a cluster reads the replies of one pipeline from
/// several nodes at once, and gives them to the caller in the pipeline's order.
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace respool::cluster::detail {

/**
 * Copies of replies, by the index of their command. The memory is kept across clear(), so a
 * store reused for pipelines of the same shape allocates nothing.
 */
class reply_store {
 public:
  /// Keeps a copy of `reply` for command `index`.
  void put(std::size_t index, resp3::reply_view reply);
  /// The reply kept for `index`, valid until the next put() or clear(); empty when none.
  [[nodiscard]] resp3::reply_view get(std::size_t index);
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept;

 private:
  struct entry {
    std::size_t index;
    std::size_t first;  // into nodes_
    std::size_t count;
  };
  struct kept_node {
    resp3::node node;  // its value is empty: the bytes are in bytes_, which may move
    std::size_t offset;
    std::size_t size;
  };
  std::vector<entry> entries_;
  std::vector<kept_node> nodes_;
  std::string bytes_;
  std::vector<resp3::node> view_;  // the reply get() returns, pointing into bytes_
};

}  // namespace respool::cluster::detail
