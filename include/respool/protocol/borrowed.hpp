/// @file borrowed.hpp
/// @brief The argument types of typed commands (commands.hpp), which keep views of what they
/// are given: a temporary that owns its bytes is refused at compile time.
///
/// A typed command is a value that may be stored and run later, so it cannot tell whether its
/// arguments are still alive when it runs. Copying them would cost an allocation per command
/// and argument, and allocation-free encoding is what respool is for, so commands borrow: a
/// string literal, a `std::string_view` or a named string is accepted, and a `std::string`
/// rvalue, which would be gone by the next statement, does not compile:
///
/// @code
///     std::string name = user_key(id);
///     redis.exec(respool::cmd::get(name));             // a named string: borrowed
///     redis.exec(respool::cmd::set("greeting", "hi"));  // literals live for ever
/// @endcode
///
/// `respool::cmd::get(user_key(id))` is the form refused. A command built and run in one
/// statement would have been safe, but a compiler cannot tell it from one kept for later.
#pragma once

#include <cstddef>
#include <ranges>
#include <string_view>
#include <type_traits>

namespace respool {

namespace detail {

// A range that owns its elements: passed as an rvalue, it dies at the end of the statement.
template <class T>
concept owning_rvalue =
    !std::is_reference_v<T> && std::ranges::range<T> && !std::ranges::borrowed_range<T>;

}  // namespace detail

/**
 * A string argument of a typed command: a view of bytes that must outlive the command. Made
 * implicitly from a literal, a `const char*`, a `std::string_view` or an lvalue string; a
 * temporary string is a compile-time error (see the file's comment).
 */
class borrowed_string {
 public:
  constexpr borrowed_string() noexcept = default;
  constexpr borrowed_string(const char* s) noexcept : view_{s} {}  // NOLINT: implicit on purpose
  constexpr borrowed_string(std::string_view s) noexcept : view_{s} {}  // NOLINT

  /// Anything else that converts to `std::string_view` and is an lvalue or a view.
  template <class T>
  requires std::is_convertible_v<const T&, std::string_view> &&
      (!std::is_convertible_v<const T&, const char*>)constexpr borrowed_string(const T& s) noexcept
      : view_{s} {}  // NOLINT

  /// A temporary string: refused, since the command would keep a view of freed memory.
  template <class T>
  requires detail::owning_rvalue<T> && std::is_convertible_v<const T&, std::string_view>
  borrowed_string(T&&)
  noexcept {  // NOLINT
    static_assert(std::is_reference_v<T>,
                  "respool: a typed command keeps a view of its string arguments, and this "
                  "temporary string dies before the command runs; name it in a variable first");
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept { return view_; }
  constexpr operator std::string_view() const noexcept { return view_; }  // NOLINT

  // Enough of a contiguous range for request::push to take it as it takes a string_view.
  [[nodiscard]] constexpr const char* data() const noexcept { return view_.data(); }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return view_.size(); }
  [[nodiscard]] constexpr bool empty() const noexcept { return view_.empty(); }
  [[nodiscard]] constexpr const char* begin() const noexcept { return view_.data(); }
  [[nodiscard]] constexpr const char* end() const noexcept { return view_.data() + view_.size(); }

 private:
  std::string_view view_;
};

/// A range argument of a typed command: the command keeps a reference to the range itself,
/// so it must be a named one (an lvalue), not a temporary container or view.
template <class R>
concept named_range = std::is_lvalue_reference_v<R> && std::ranges::range<R>;

}  // namespace respool
