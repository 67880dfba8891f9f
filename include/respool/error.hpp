/// @file
/// @brief respool's error codes: one `std::error_category` for every failure the library reports.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>

namespace respool {

/// Every error respool reports, as a `std::error_code` in the "respool" category.
///
/// Enumerator names are API: they are never renamed, and new ones are added before `last_`.
enum class error : int {
  /// A caller-supplied output buffer is smaller than the bytes that had to be written into it.
  not_enough_space = 1,

  /// One past the last enumerator; not an error.
  last_
};

/// The category of every `respool::error`; its name is "respool".
[[nodiscard]] const std::error_category& error_category() noexcept;

/// Makes `e` an error code of respool's category (found by ADL by `std::error_code`'s constructor).
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace respool

template <>
struct std::is_error_code_enum<respool::error> : std::true_type {};
