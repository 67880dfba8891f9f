/// @file commands/command.hpp
/// @brief The typed command itself, and what the command headers share: each command knows
/// how to encode itself and what its reply becomes.
#pragma once

#include <respool/protocol/adapt.hpp>
#include <respool/protocol/borrowed.hpp>
#include <respool/protocol/request.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace respool {

/// Returns its argument: the conversion of commands whose reply is already what they return.
struct as_is {
  template <class W>
  W operator()(W&& w) const {
    return std::forward<W>(w);
  }
};

/**
 * A command: `encode(request&)` appends it; its reply is adapted to `Wire`, then `convert`
 * turns that into what the caller receives (`result_type`).
 */
template <class Wire, class Encode, class Convert = as_is>
struct command {
  using wire_type = Wire;
  using result_type = std::decay_t<std::invoke_result_t<const Convert&, Wire&&>>;
  Encode encode;
  Convert convert{};
};

template <class Wire, class Encode, class Convert = as_is>
[[nodiscard]] command<Wire, Encode, Convert> make_command(Encode e, Convert c = {}) {
  return {std::move(e), std::move(c)};
}

/**
 * A range argument of a typed command: named (see named_range in borrowed.hpp), and not a
 * string itself, so that a command taking one key and the same command taking a range of keys
 * can share the command's name (`cmd::del(key)`, `cmd::del(keys)`).
 */
template <class R>
concept arg_range =
    named_range<R> && !std::is_convertible_v<const std::remove_reference_t<R>&, std::string_view>;

namespace cmd::detail {

/// `NAME key values...`, answered by a `Wire`: the range form of the commands that take one key
/// and many values (HSET, HDEL, LPUSH, RPUSH, SADD, PFADD).
template <class Wire, class Range>
[[nodiscard]] auto key_range_command(std::string_view name, borrowed_string key, Range& values) {
  return make_command<Wire>([name, key, &values](request& r) { r.push_range(name, key, values); });
}

}  // namespace cmd::detail

/// The condition of SET and ZADD.
enum class set_if : std::uint8_t {
  always,   ///< no condition
  absent,   ///< NX: only when the key does not exist
  present,  ///< XX: only when it does
};

namespace cmd::detail {

// Up to `N` arguments, numbers formatted in place: for commands whose options vary at run time.
template <std::size_t N>
class arg_list {
 public:
  void add(std::string_view s) noexcept { items_[n_++] = s; }
  void add_number(long long v) noexcept {
    char* const begin = digits_ + used_;
    const auto res = std::to_chars(begin, digits_ + sizeof digits_, v);
    used_ += static_cast<std::size_t>(res.ptr - begin);
    items_[n_++] = {begin, static_cast<std::size_t>(res.ptr - begin)};
  }
  [[nodiscard]] std::span<const std::string_view> view() const noexcept { return {items_, n_}; }

 private:
  std::string_view items_[N];
  std::size_t n_ = 0;
  char digits_[N * 21];
  std::size_t used_ = 0;
};

// A status reply (+OK) as `true`: a failure never reaches the conversion.
struct status_ok {
  bool operator()(const std::string&) const noexcept { return true; }
};

}  // namespace cmd::detail
}  // namespace respool
