/// @file script.hpp
/// @brief A Lua script known by its SHA1, run with EVALSHA and loaded on demand.
#pragma once

#include <respool/request.hpp>

#include <span>
#include <string>
#include <string_view>

namespace respool {

/**
 * A Lua script and its SHA1. Run it with sync_client::eval(): EVALSHA first, and, when the
 * server does not know the script (NOSCRIPT: a restart, SCRIPT FLUSH, a new server), EVAL of
 * the source once, which also caches it for the next EVALSHA.
 */
class script {
 public:
  explicit script(std::string source);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// The lower-case hex SHA1 of the source, as SCRIPT LOAD returns it.
  [[nodiscard]] const std::string& sha1() const noexcept { return sha1_; }

  /// Appends `EVALSHA sha1 numkeys keys... args...` (or EVAL with the source).
  void encode(request& req, std::span<const std::string_view> keys,
              std::span<const std::string_view> args, bool by_source) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace respool
