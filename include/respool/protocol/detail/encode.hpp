/// @file
/// @brief Internals of the encoder: the argument record and the RESP byte writers, shared by
/// the inline fast path in request.hpp and the compiled encoder in src/protocol/request.cpp.
#pragma once

#include <respool/protocol/detail/inline.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace respool::detail {

/// How the encoder treats one argument; see the lifetime rules on `request`.
enum class arg_kind : unsigned char {
  view,     ///< bytes the caller keeps alive: copied when small, referenced when large
  copy,     ///< bytes that die with the call (a temporary): always copied
  owned,    ///< a `std::string` rvalue: copied when small, moved into the request when large
  signed_,  ///< an integer, formatted in decimal
  unsigned_,
  floating  ///< a double, formatted as the shortest decimal that reads back the same value
};

/// One argument, converted by the header-only front end and consumed by the encoder.
/// A plain struct, not a union: the compiler keeps an array of them in registers only then.
/// Trivial, so that arrays of them cost nothing until filled; make_arg() sets every member.
struct arg {
  const char* data;  ///< the bytes (for `owned`, the string's bytes)
  std::size_t size;
  std::string* str;      ///< `owned`: the string to move from
  std::uint64_t number;  ///< numbers: the value's bits (int64, uint64 or double)
  arg_kind kind;
};

/// Scratch bytes a command's "*<nargs>\r\n" needs at most: the digits of a size_t, the CRLF.
inline constexpr std::size_t command_header_max = 1 + 20 + 2;

RESPOOL_ALWAYS_INLINE char* put_crlf(char* p) noexcept {
  std::memcpy(p, "\r\n", 2);  // NOLINT(bugprone-not-null-terminated-result): protocol bytes
  return p + 2;
}

inline constexpr char two_digits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/// Writes "<type><n>\r\n" in decimal; returns the end. Needs 23 bytes of room at most.
char* put_header_slow(char* p, char type, std::size_t n) noexcept;

/// Writes "<type><n>\r\n". Lengths below 100, the common case, skip the general conversion.
RESPOOL_ALWAYS_INLINE char* put_header(char* p, char type, std::size_t n) noexcept {
  if (n < 10) {
    p[0] = type;
    p[1] = static_cast<char>('0' + n);
    return put_crlf(p + 2);
  }
  if (n < 100) {
    p[0] = type;
    std::memcpy(p + 1, two_digits + 2 * n, 2);
    return put_crlf(p + 3);
  }
  return put_header_slow(p, type, n);
}

// When the length is a constant (a literal argument), GCC 12 checks the branches for other
// lengths against the literal's size as well, and reports reads that can never happen.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Warray-bounds"
#  pragma GCC diagnostic ignored "-Wstringop-overread"
#endif

/// memcpy for the short arguments most commands carry: fixed-size, possibly overlapping moves
/// the compiler turns into a few loads and stores, instead of a call.
RESPOOL_ALWAYS_INLINE void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (n <= 16) {
    if (n >= 8) {
      std::uint64_t a, b;
      std::memcpy(&a, src, 8);
      std::memcpy(&b, src + n - 8, 8);
      std::memcpy(dst, &a, 8);
      std::memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
      std::uint32_t a, b;
      std::memcpy(&a, src, 4);
      std::memcpy(&b, src + n - 4, 4);
      std::memcpy(dst, &a, 4);
      std::memcpy(dst + n - 4, &b, 4);
    } else if (n != 0) {
      dst[0] = src[0];
      dst[n / 2] = src[n / 2];
      dst[n - 1] = src[n - 1];
    }
  } else if (n <= 32) {
    char a[16], b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
  } else {
    std::memcpy(dst, src, n);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif

/// "$<len>\r\n<bytes>\r\n", copied.
RESPOOL_ALWAYS_INLINE char* put_bulk(char* p, const char* data, std::size_t size) noexcept {
  p = put_header(p, '$', size);
  copy_bytes(p, data, size);
  return put_crlf(p + size);
}

/// A number argument (its kind and bits), formatted and written as a bulk string. Needs 31
/// bytes of room at most. Takes values, not the record: a reference would keep the caller's
/// argument array in memory.
char* put_number(char* p, arg_kind kind, std::uint64_t bits) noexcept;

/// An argument written into the scratch area (a byte argument below the threshold, or a number).
RESPOOL_ALWAYS_INLINE char* put_copied(char* p, const arg& a) noexcept {
  switch (a.kind) {
    case arg_kind::view:
    case arg_kind::copy:
    case arg_kind::owned:
      return put_bulk(p, a.data, a.size);
    default:
      return put_number(p, a.kind, a.number);
  }
}

/// True for SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE forms, in any case:
/// the commands a RESP3 server answers with push messages instead of replies.
bool is_push_answered(std::string_view cmd) noexcept;

}  // namespace respool::detail
