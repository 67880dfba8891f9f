/// @file
/// @brief Why adapting a reply to a C++ type failed.
#pragma once

#include <respool/protocol/error.hpp>

#include <string>
#include <system_error>

namespace respool {

/// Why adapting a reply failed: the code, and a message saying what was expected and what
/// came, or the server's own text for error replies.
struct adapt_error {
  std::error_code code;
  std::string message;

  explicit operator bool() const noexcept { return static_cast<bool>(code); }
  void clear() noexcept {
    code.clear();
    message.clear();
  }
};

/// Throws `e` as a std::system_error whose what() carries its message.
[[noreturn]] void throw_adapt_error(const adapt_error& e);

}  // namespace respool
