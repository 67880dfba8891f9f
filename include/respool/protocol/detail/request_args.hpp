/// @file
/// @brief Internals of request: which C++ types are arguments, how each becomes an argument
/// record, and how the elements of a range are taken apart.
#pragma once

#include <respool/protocol/detail/encode.hpp>

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace respool::detail {

template <class T>
concept byte_like = std::same_as<T, char> || std::same_as<T, unsigned char> ||
    std::same_as<T, signed char> || std::same_as<T, std::byte> || std::same_as<T, char8_t>;

/// Contiguous, sized ranges of bytes: strings, string views, spans, vectors and arrays of bytes.
template <class R>
concept byte_range = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
    byte_like<std::remove_cv_t<std::ranges::range_value_t<R>>>;

template <class T>
struct is_std_string : std::false_type {};
template <class Traits, class Alloc>
struct is_std_string<std::basic_string<char, Traits, Alloc>> : std::true_type {};

template <class T>
concept number = (std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                  !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
                  !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>) ||
                 std::same_as<T, float> || std::same_as<T, double>;

/// A char array: a string literal, or a fixed buffer.
template <class T>
inline constexpr bool is_char_array =
    std::conjunction_v<std::is_array<T>,
                       std::is_same<std::remove_cv_t<std::remove_extent_t<T>>, char>>;

template <class T>
concept char_array = is_char_array<T>;

/// Types the encoder takes as they are (after removing references and cv-qualifiers).
template <class T>
concept direct_arg = number<T> || byte_range<T> || char_array<T> || std::same_as<T, const char*> ||
    std::same_as<T, char*>;

/// A reference (of any category) to a type the encoder takes as it is.
template <class T>
concept direct_arg_ref = direct_arg<std::remove_cvref_t<T>>;

// Poison pill: only the user's own overloads, found by argument-dependent lookup, take part.
void respool_to_bulk() = delete;

template <class T>
concept has_to_bulk = requires(const T& value) {
  respool_to_bulk(value);
};

struct to_bulk_fn {
  template <has_to_bulk T>
  decltype(auto) operator()(const T& value) const {
    return respool_to_bulk(value);
  }
};

/// What a user type becomes: the hook's result when there is a hook, else the value itself.
template <class T>
decltype(auto) bulk_source(T&& value) {
  using U = std::remove_cvref_t<T>;
  if constexpr (direct_arg<U>) {
    return std::forward<T>(value);
  } else if constexpr (has_to_bulk<U>) {
    return to_bulk_fn{}(value);
  } else {
    static_assert(direct_arg<U>,
                  "respool: this type cannot be a Redis argument. Pass a string, string_view, "
                  "byte span, integer or double, or declare `respool_to_bulk(const T&)` "
                  "returning one of them in T's namespace.");
    return std::forward<T>(value);
  }
}

template <direct_arg_ref T>
arg make_arg(T&& value) noexcept {
  using U = std::remove_cvref_t<T>;
  // Every branch sets every member, and nothing else: a value-initialised record would cost
  // stores the compiler cannot always drop.
  if constexpr (std::same_as<U, float> || std::same_as<U, double>) {
    return {nullptr, 0, nullptr, std::bit_cast<std::uint64_t>(static_cast<double>(value)),
            arg_kind::floating};
  } else if constexpr (number<U> && std::is_signed_v<U>) {
    return {nullptr, 0, nullptr, std::bit_cast<std::uint64_t>(static_cast<std::int64_t>(value)),
            arg_kind::signed_};
  } else if constexpr (number<U>) {
    return {nullptr, 0, nullptr, static_cast<std::uint64_t>(value), arg_kind::unsigned_};
  } else if constexpr (std::same_as<U, const char*> || std::same_as<U, char*>) {
    // A null C string is a caller bug; it encodes as an empty argument rather than crashing.
    if (value == nullptr) return {"", 0, nullptr, 0, arg_kind::view};
    return {value, std::strlen(value), nullptr, 0, arg_kind::view};
  } else if constexpr (char_array<U>) {
    // A char array: a literal ends at its terminating NUL, a buffer at its last byte.
    return {value, ::strnlen(value, std::extent_v<U>), nullptr, 0, arg_kind::view};
  } else {
    const auto* data = reinterpret_cast<const char*>(std::ranges::data(value));
    const std::size_t size = std::ranges::size(value) * sizeof(std::ranges::range_value_t<U>);
    if constexpr (std::is_lvalue_reference_v<T> || std::ranges::borrowed_range<U>) {
      return {data, size, nullptr, 0, arg_kind::view};
    } else if constexpr (is_std_string<U>::value && !std::is_const_v<std::remove_reference_t<T>>) {
      return {data, size, &value, 0, arg_kind::owned};
    } else {
      return {data, size, nullptr, 0, arg_kind::copy};
    }
  }
}

/// The same argument, copied even when large: for bytes that die before the request is sent.
inline arg forced_copy(arg a) noexcept {
  if (a.kind == arg_kind::owned || a.kind == arg_kind::view) a.kind = arg_kind::copy;
  return a;
}

/// Number of RESP arguments an element of a range contributes: 1 for an argument, N for a
/// pair or tuple of N arguments (a field and its value, a score and its member).
template <class E>
consteval std::size_t element_arity() {
  using U = std::remove_cvref_t<E>;
  if constexpr (direct_arg<U> || has_to_bulk<U>) {
    return 1;
  } else if constexpr (requires { std::tuple_size<U>::value; }) {
    return std::tuple_size_v<U>;
  } else {
    static_assert(direct_arg<U>,
                  "respool: a range element must be an argument or a pair/tuple of arguments");
    return 1;
  }
}

/// True when converting an element makes no temporary, so its arguments may be batched.
template <class E>
consteval bool element_is_stable();

template <class E, std::size_t... I>
consteval bool members_are_stable(std::index_sequence<I...>) {
  return (element_is_stable<decltype(std::get<I>(std::declval<E>()))>() && ...);
}

template <class E>
consteval bool element_is_stable() {
  using U = std::remove_cvref_t<E>;
  if constexpr (direct_arg<U>) {
    return std::is_lvalue_reference_v<E>;
  } else if constexpr (has_to_bulk<U>) {
    return std::is_lvalue_reference_v<decltype(to_bulk_fn{}(std::declval<const U&>()))>;
  } else if constexpr (std::is_lvalue_reference_v<E>) {
    return members_are_stable<E>(std::make_index_sequence<std::tuple_size_v<U>>{});
  } else {
    return false;
  }
}

/// Calls `fn` with each argument of one element of a range, inside the full-expression that
/// converted it, so that a temporary returned by a respool_to_bulk hook is still alive during
/// the call. With `Copy`, the arguments are copied even when large: the elements of a
/// temporary container die with it.
template <bool Copy, class E, class Fn>
RESPOOL_ALWAYS_INLINE void for_each_arg(E&& element, Fn&& fn) {
  auto fix = [](arg a) noexcept { return Copy ? forced_copy(a) : a; };
  if constexpr (direct_arg<std::remove_cvref_t<E>> || has_to_bulk<std::remove_cvref_t<E>>) {
    fn(fix(make_arg(bulk_source(std::forward<E>(element)))));
  } else {
    std::apply(
        [&](auto&&... members) {
          (fn(fix(make_arg(bulk_source(std::forward<decltype(members)>(members))))), ...);
        },
        std::forward<E>(element));
  }
}

}  // namespace respool::detail
