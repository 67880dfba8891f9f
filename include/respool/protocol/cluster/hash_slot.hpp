/// @file
/// @brief Redis Cluster's key → hash slot function: CRC16-XMODEM of the key or its {hash tag}.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace respool::cluster {

/// The number of hash slots of a Redis Cluster; slots are 0 to 16383.
inline constexpr std::uint16_t slot_count = 16384;

namespace detail {

// Advances a CRC16-XMODEM state over one zero byte: shifts it through the polynomial 0x1021
// (x^16 + x^12 + x^5 + 1) eight times, most significant bit first.
constexpr std::uint16_t crc16_shift_byte(unsigned crc) noexcept {
  for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000u) ? (crc << 1) ^ 0x1021u : crc << 1;
  return static_cast<std::uint16_t>(crc & 0xffffu);
}

// Tables for eight bytes at a time ("slicing by 8"), computed at compile time. Row 0 is the
// classic 256-entry table: the CRC of byte value v followed by one zero byte. Row k is row 0
// advanced over k more zero bytes, so that the CRC of eight bytes is the XOR of one lookup per
// byte, in a row chosen by its distance from the end: eight independent loads instead of a
// chain of eight dependent ones.
using crc16_tables_t = std::array<std::array<std::uint16_t, 256>, 8>;

constexpr crc16_tables_t make_crc16_tables() noexcept {
  crc16_tables_t t{};
  for (unsigned v = 0; v < 256; ++v) t[0][v] = crc16_shift_byte(v << 8);
  for (std::size_t k = 1; k < t.size(); ++k) {
    for (unsigned v = 0; v < 256; ++v) {
      const unsigned prev = t[k - 1][v];
      t[k][v] = static_cast<std::uint16_t>(((prev << 8) ^ t[0][prev >> 8]) & 0xffffu);
    }
  }
  return t;
}

inline constexpr crc16_tables_t crc16_tables = make_crc16_tables();

constexpr unsigned byte_at(std::string_view s, std::size_t i) noexcept {
  return static_cast<unsigned char>(s[i]);
}

}  // namespace detail

/// CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection, no final XOR) of `data`:
/// the checksum Redis Cluster hashes keys with. crc16("123456789") is 0x31C3.
[[nodiscard]] constexpr std::uint16_t crc16(std::string_view data) noexcept {
  const auto& t = detail::crc16_tables;
  unsigned crc = 0;
  std::size_t i = 0;
  // Eight bytes at a time: the state is XORed into the first two, and each byte's lookup row
  // is how many bytes follow it.
  for (; i + 8 <= data.size(); i += 8) {
    crc = t[7][detail::byte_at(data, i) ^ (crc >> 8)] ^
          t[6][detail::byte_at(data, i + 1) ^ (crc & 0xffu)] ^ t[5][detail::byte_at(data, i + 2)] ^
          t[4][detail::byte_at(data, i + 3)] ^ t[3][detail::byte_at(data, i + 4)] ^
          t[2][detail::byte_at(data, i + 5)] ^ t[1][detail::byte_at(data, i + 6)] ^
          t[0][detail::byte_at(data, i + 7)];
  }
  // The rest one byte at a time, with the classic table.
  for (; i < data.size(); ++i) {
    crc = ((crc << 8) ^ t[0][(crc >> 8) ^ detail::byte_at(data, i)]) & 0xffffu;
  }
  return static_cast<std::uint16_t>(crc);
}

/// The part of `key` that is hashed, by the server's rule: when the key has a '{' and, after
/// it, a '}' with at least one byte between them, the bytes between the first '{' and the
/// first '}' that follows it (the hash tag); otherwise the whole key. So "{user}.a" and
/// "{user}.b" share a slot, while "foo{}{bar}" is hashed whole (its first tag is empty).
[[nodiscard]] constexpr std::string_view hash_tag(std::string_view key) noexcept {
  const std::size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const std::size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

/// The hash slot (0 to 16383) of `key`: crc16 of its hash tag, or of the whole key when it has
/// none, modulo 16384 (the server's `CLUSTER KEYSLOT`).
[[nodiscard]] constexpr std::uint16_t hash_slot(std::string_view key) noexcept {
  return static_cast<std::uint16_t>(crc16(hash_tag(key)) & (slot_count - 1));
}

}  // namespace respool::cluster
