/// @file script.hpp
/// @brief A Lua script known by its SHA1, run with EVALSHA and loaded on demand.
#pragma once

#include <respool/protocol/adapt.hpp>
#include <respool/protocol/request.hpp>

#include <span>
#include <string>
#include <string_view>

namespace respool {

/**
 * A Lua script and its SHA1. Run it with sync_client::eval() or client::async_eval():
 * EVALSHA first, and, when the server does not know the script (NOSCRIPT: a restart, SCRIPT
 * FLUSH, a new server), EVAL of the source once, which also caches it for the next EVALSHA.
 */
class script {
 public:
  class attempts;

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

/**
 * The attempts of one run of a script, free of I/O: the clients send what it says. The first
 * is EVALSHA; when the server answers NOSCRIPT, one more, EVAL of the source. A client encodes
 * each attempt with `encode(req, keys, args, attempts.by_source())`, sends it, and sends again
 * while `attempts.retry(error)` says so.
 */
class script::attempts {
 public:
  /// Whether the attempt to send is EVAL of the source (else EVALSHA).
  [[nodiscard]] bool by_source() const noexcept { return by_source_; }

  /// Takes the outcome of the attempt sent (`e` empty: it succeeded, or failed without a reply
  /// from the server); true when one more is due, by source. Once at most.
  [[nodiscard]] bool retry(const adapt_error& e) noexcept;

 private:
  bool by_source_ = false;
};

}  // namespace respool
