/// @file
/// @brief One node of a parsed reply: replies are flat arrays of nodes, not trees.
#pragma once

#include <respool/protocol/resp3/type.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace respool::resp3 {

/**
 * One element of a reply, in pre-order: an aggregate's node is followed by its children, each
 * one level deeper. `[*2 [$3 foo] [:1]]` is three nodes: array (depth 0, size 2), bulk string
 * "foo" (depth 1), number "1" (depth 1).
 *
 * @warning `value` points into the buffer the reply was parsed from: it is valid while that
 * buffer is (for a reader, until the reply is consumed).
 */
struct node {
  /// The RESP type.
  type data_type = type::null;
  /// Nesting level: 0 for the reply itself.
  std::uint16_t depth = 0;
  /// Aggregates: the number of elements (array, set, push), of key/value pairs (map,
  /// attribute) or of parts (streamed string). 0 for other types.
  std::uint32_t aggregate_size = 0;
  /// The payload of a non-aggregate, without its type byte, length and CRLF: the text of a
  /// simple string or error, the digits of a number, the bytes of a bulk string, "t"/"f" for a
  /// boolean. Empty for aggregates and nulls.
  std::string_view value;

  friend bool operator==(const node&, const node&) = default;
};

/// The 3-byte format of a verbatim string ("txt", "mkd").
[[nodiscard]] constexpr std::string_view verbatim_format(const node& n) noexcept {
  return n.value.substr(0, 3);
}

/// The text of a verbatim string, after its format and ':'.
[[nodiscard]] constexpr std::string_view verbatim_text(const node& n) noexcept {
  return n.value.size() >= 4 ? n.value.substr(4) : std::string_view{};
}

/// A reply: the nodes of one top-level element, in pre-order.
using reply_view = std::span<const node>;

/// The number of child subtrees that follow an aggregate's node: its elements, twice as many
/// for a map or an attribute (a key and a value per pair); 0 for other types.
[[nodiscard]] constexpr std::size_t child_count(const node& n) noexcept {
  const std::size_t size = n.aggregate_size;
  return is_map_like(n.data_type) ? 2 * size : size;
}

/// The index just past the subtree rooted at `nodes[i]`: the node, and, for an aggregate,
/// each of its children's subtrees. Stops at the end of `nodes` when a subtree is cut short.
[[nodiscard]] constexpr std::size_t subtree_end(std::span<const node> nodes,
                                                std::size_t i) noexcept {
  std::size_t pending = 1;  // subtrees still to pass over
  while (pending > 0 && i < nodes.size()) {
    --pending;
    pending += child_count(nodes[i++]);
  }
  return i;
}

/// Calls `f(j)` with the index `j` of each child of the aggregate `nodes[i]`, in order, and
/// returns the index just past its subtree.
template <class F>
constexpr std::size_t for_each_child(std::span<const node> nodes, std::size_t i, F&& f) {
  const std::size_t count = child_count(nodes[i]);
  std::size_t j = i + 1;
  for (std::size_t k = 0; k < count && j < nodes.size(); ++k) {
    f(j);
    j = subtree_end(nodes, j);
  }
  return j;
}

}  // namespace respool::resp3
