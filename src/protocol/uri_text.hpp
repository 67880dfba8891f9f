// The text handling of connection URIs (config.cpp's parser): escapes, numbers, and the
// URI as error messages show it. Private to the library.
#pragma once

#include <string>
#include <string_view>

namespace respool::detail::uri {

/// Where a URI's authority ends: at its path or its query.
inline constexpr std::string_view authority_ends = "/?";

/// Text for an error message: one line whatever the input (control bytes escaped), quoted, and
/// cut after 200 bytes, since a URI may come from anywhere.
std::string quote(std::string_view text);

/// The URI as error messages show it: the password, if any, replaced by "***". Works on
/// malformed URIs too, finding the userinfo the way the parser does.
std::string redact(std::string_view uri);

/// Decodes %XX escapes into `out`; on a malformed escape returns false and sets `bad` to it.
bool percent_decode(std::string_view in, std::string& out, std::string_view& bad);

/// A non-empty run of decimal digits no larger than `max`; no sign, no spaces.
bool parse_decimal(std::string_view text, long max, long& value);

}  // namespace respool::detail::uri
