/// @file
/// @brief Internals of the adapters (respool/protocol/adapt.hpp): the cursor over a reply's nodes,
/// the checks every adapter makes, and the loops that read an aggregate's elements.
#pragma once

#include <respool/protocol/adapt_error.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

namespace respool {

template <class T, class = void>
struct adapter;  // respool/protocol/adapt.hpp says what it is

namespace detail {

// Walks a reply's flat node array.
struct cursor {
  std::span<const resp3::node> nodes;
  std::size_t pos = 0;

  [[nodiscard]] bool done() const noexcept { return pos >= nodes.size(); }
  [[nodiscard]] const resp3::node& current() const noexcept { return nodes[pos]; }
  // Moves past the current element and everything below it.
  void skip() noexcept { pos = resp3::subtree_end(nodes, pos); }
};

// Compiled helpers (src/protocol/adapt.cpp).
void set_error(adapt_error& err, error code, std::string message);
void set_mismatch(adapt_error& err, std::string_view expected, const resp3::node& got);
void set_server_error(adapt_error& err, const resp3::node& got);
void set_missing(adapt_error& err, std::string_view expected);
bool read_integer(std::string_view text, std::int64_t& out, adapt_error& err);
bool read_unsigned(std::string_view text, std::uint64_t& out, adapt_error& err);
bool read_double(std::string_view text, double& out, adapt_error& err);

// Checks the common cases of a leaf: there is a node, it is not an error, not a null.
inline bool leaf_ok(cursor& c, adapt_error& err, std::string_view expected) {
  if (c.done()) {
    set_missing(err, expected);
    return false;
  }
  const resp3::node& n = c.current();
  if (resp3::is_error(n.data_type)) {
    set_server_error(err, n);
    return false;
  }
  if (n.data_type == resp3::type::null) {
    set_error(err, error::unexpected_null,
              "expected " + std::string(expected) + ", got a null (adapt to std::optional)");
    return false;
  }
  return true;
}

// The leaf a number is read from: an integer, a big number or a string (and a double when
// `doubles`), or null after setting `err`.
inline const resp3::node* number_leaf(cursor& c, adapt_error& err, std::string_view expected,
                                      bool doubles) {
  if (!leaf_ok(c, err, expected)) return nullptr;
  const resp3::node& n = c.current();
  switch (n.data_type) {
    case resp3::type::number:
    case resp3::type::simple_string:
    case resp3::type::bulk_string:
    case resp3::type::big_number:
      return &n;
    case resp3::type::double_:
      if (doubles) return &n;
      break;
    default:
      break;
  }
  set_mismatch(err, expected, n);
  return nullptr;
}

// The same for an aggregate; returns the number of child nodes, or false.
inline bool aggregate_ok(cursor& c, adapt_error& err, std::string_view expected) {
  if (!leaf_ok(c, err, expected)) return false;
  const resp3::node& n = c.current();
  if (!resp3::is_aggregate(n.data_type) || n.data_type == resp3::type::streamed_string) {
    set_mismatch(err, expected, n);
    return false;
  }
  return true;
}

// The text of a leaf that reads as a string, or nullopt.
inline std::optional<std::string_view> leaf_text(const resp3::node& n) noexcept {
  switch (n.data_type) {
    case resp3::type::simple_string:
    case resp3::type::bulk_string:
    case resp3::type::number:
    case resp3::type::double_:
    case resp3::type::big_number:
      return n.value;
    case resp3::type::verbatim_string:
      return resp3::verbatim_text(n);
    default:
      return std::nullopt;
  }
}

template <class T>
concept pair_like = requires {
  std::tuple_size<T>::value;
}
&&std::tuple_size_v<T> == 2;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

void respool_from_bulk() = delete;  // only the user's overloads take part

template <class T>
concept has_from_bulk = requires(T& t, std::string_view s, std::error_code& ec) {
  respool_from_bulk(t, s, ec);
};

// Reads the elements of an aggregate into `add(element)`, each adapted as E.
template <class E, class Add>
void read_elements(cursor& c, adapt_error& err, std::string_view expected, Add&& add) {
  if (!aggregate_ok(c, err, expected)) return;
  const std::size_t n = resp3::child_count(c.current());
  ++c.pos;
  for (std::size_t i = 0; i < n && !err; ++i) {
    E element{};
    adapter<E>::read(c, element, err);
    if (!err) add(std::move(element));
  }
}

// Reads key/value pairs: from a map, or from a flat array of keys and values (RESP2).
template <class K, class V, class Add>
void read_pairs(cursor& c, adapt_error& err, std::string_view expected, Add&& add) {
  if (!aggregate_ok(c, err, expected)) return;
  const std::size_t n = resp3::child_count(c.current());
  if (n % 2 != 0) {
    set_error(err, error::wrong_aggregate_size,
              "expected " + std::string(expected) + ", got an aggregate of " + std::to_string(n) +
                  " elements (odd)");
    return;
  }
  ++c.pos;
  for (std::size_t i = 0; i < n && !err; i += 2) {
    K key{};
    V value{};
    adapter<K>::read(c, key, err);
    if (!err) adapter<V>::read(c, value, err);
    if (!err) add(std::move(key), std::move(value));
  }
}

}  // namespace detail
}  // namespace respool
