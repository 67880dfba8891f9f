/// @file
/// @brief A reply kept as it came, as nodes, with or without its own copy of the bytes.
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <span>
#include <string>
#include <vector>

namespace respool {

/**
 * A reply as it came: its nodes, in pre-order. By default the values still point into the
 * read buffer (valid while it is); constructed with `owning`, it copies the bytes and keeps
 * them, so it can outlive the buffer.
 */
class generic_reply {
 public:
  enum ownership { viewing, owning };

  explicit generic_reply(ownership own = viewing) : owning_{own == owning} {}
  generic_reply(const generic_reply& other);
  generic_reply& operator=(const generic_reply& other);
  generic_reply(generic_reply&& other) noexcept;
  generic_reply& operator=(generic_reply&& other) noexcept;

  /// Replaces the content with `nodes` (copying their bytes when owning).
  void assign(std::span<const resp3::node> nodes);

  [[nodiscard]] std::span<const resp3::node> nodes() const noexcept {
    return {nodes_.data(), nodes_.size()};
  }
  [[nodiscard]] bool owns_bytes() const noexcept { return owning_; }
  [[nodiscard]] bool empty() const noexcept { return nodes_.empty(); }

 private:
  void repoint(const char* old_bytes) noexcept;

  bool owning_;
  std::vector<resp3::node> nodes_;
  std::string bytes_;  // when owning: the values, which nodes_ point into
};

/// Every reply of a pipeline as it came, whatever their number.
using generic_response = std::vector<generic_reply>;

}  // namespace respool
