/// @file
/// @brief redis-cli's argument splitting (sdssplitargs) and its list of sensitive commands.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::cli {

/// Splits a line as redis-cli does: whitespace separates words; "..." understands \xHH,
/// \n \r \t \b \a and \<c>; '...' only \'; a quote anywhere in a word opens quoting; a closing
/// quote must be followed by whitespace or the end. nullopt for an unbalanced or badly closed
/// quote. "" is an empty word.
[[nodiscard]] std::optional<std::vector<std::string>> split_args(std::string_view line);

/// Commands never written to the history file: AUTH, ACL SETUSER, CONFIG SET of masterauth,
/// masteruser or requirepass, HELLO with AUTH, MIGRATE with AUTH or AUTH2.
[[nodiscard]] bool is_sensitive_command(std::span<const std::string> argv) noexcept;

}  // namespace respool::cli
