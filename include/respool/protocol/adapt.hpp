/// @file
/// @brief Replies to C++ types: adapters that read a reply's nodes straight into the caller's
/// objects, with no intermediate tree.
#pragma once

#include <respool/protocol/adapt_error.hpp>
#include <respool/protocol/detail/adapt_support.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/generic_reply.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace respool {

/// How a reply element is read into a T. Specialise it, or give T a
/// `respool_from_bulk(T&, std::string_view, std::error_code&)` found by argument-dependent
/// lookup, to read user types from string replies.
template <class T, class>
struct adapter;  // first declared, with its default, in detail/adapt_support.hpp

/// Adapted to ignore: accepts any reply, but still reports an error reply.
struct ignore_t {};
inline constexpr ignore_t ignore{};

/// One command's outcome in a pipeline: its value, or its own error (another command's error
/// does not affect it).
template <class T>
class result {
 public:
  [[nodiscard]] bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value; throws the error when there is none.
  [[nodiscard]] T& value() & {
    if (error_) throw_adapt_error(error_);
    return value_;
  }
  [[nodiscard]] const T& value() const& {
    if (error_) throw_adapt_error(error_);
    return value_;
  }
  [[nodiscard]] const adapt_error& error() const noexcept { return error_; }

 private:
  friend struct adapter<result<T>>;  // fills value_ and error_ in place

  T value_{};
  adapt_error error_;
};

template <>
struct adapter<std::string> {
  static constexpr std::string_view expected = "a string";
  static void read(detail::cursor& c, std::string& out, adapt_error& err) {
    if (!detail::leaf_ok(c, err, expected)) return;
    const resp3::node& n = c.current();
    if (n.data_type == resp3::type::streamed_string) {
      out.clear();
      const std::size_t parts = n.aggregate_size;
      ++c.pos;
      for (std::size_t i = 0; i < parts; ++i, ++c.pos) out.append(c.current().value);
      return;
    }
    if (const auto text = detail::leaf_text(n)) {
      out.assign(*text);
      ++c.pos;
      return;
    }
    detail::set_mismatch(err, expected, n);
  }
};

/// A view of the reply's bytes. @warning Valid only while the buffer the reply was parsed from
/// is: for a connection, until the completion handler returns.
template <>
struct adapter<std::string_view> {
  static constexpr std::string_view expected = "a string (as a view)";
  static void read(detail::cursor& c, std::string_view& out, adapt_error& err) {
    if (!detail::leaf_ok(c, err, expected)) return;
    if (const auto text = detail::leaf_text(c.current())) {
      out = *text;
      ++c.pos;
      return;
    }
    detail::set_mismatch(err, expected, c.current());  // a streamed string has no single view
  }
};

template <std::integral T>
requires(!std::same_as<T, bool>) struct adapter<T> {
  static constexpr std::string_view expected = "an integer";
  static void read(detail::cursor& c, T& out, adapt_error& err) {
    const resp3::node* leaf = detail::number_leaf(c, err, expected, false);
    if (leaf == nullptr) return;
    const resp3::node& n = *leaf;
    // Read at full width, then checked against T's range.
    std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t> v = 0;
    if constexpr (std::is_signed_v<T>) {
      if (!detail::read_integer(n.value, v, err)) return;
    } else {
      if (!detail::read_unsigned(n.value, v, err)) return;
    }
    if (!std::in_range<T>(v)) {
      detail::set_error(err, error::integer_out_of_range,
                        std::string(n.value) + " does not fit the integer type");
      return;
    }
    out = static_cast<T>(v);
    ++c.pos;
  }
};

template <std::floating_point T>
struct adapter<T> {
  static constexpr std::string_view expected = "a double";
  static void read(detail::cursor& c, T& out, adapt_error& err) {
    const resp3::node* leaf = detail::number_leaf(c, err, expected, true);
    if (leaf == nullptr) return;
    const resp3::node& n = *leaf;
    double v = 0;
    if (!detail::read_double(n.value, v, err)) return;
    out = static_cast<T>(v);
    ++c.pos;
  }
};

/// Booleans: RESP3's #t/#f, and the integers RESP2 uses for them (0 is false, anything else
/// true, as for EXISTS and SISMEMBER).
template <>
struct adapter<bool> {
  static constexpr std::string_view expected = "a boolean";
  static void read(detail::cursor& c, bool& out, adapt_error& err) {
    if (!detail::leaf_ok(c, err, expected)) return;
    const resp3::node& n = c.current();
    if (n.data_type == resp3::type::boolean) {
      out = n.value == "t";
    } else if (n.data_type == resp3::type::number) {
      out = n.value != "0";
    } else {
      detail::set_mismatch(err, expected, n);
      return;
    }
    ++c.pos;
  }
};

template <class T>
struct adapter<std::optional<T>> {
  static constexpr std::string_view expected = adapter<T>::expected;
  static void read(detail::cursor& c, std::optional<T>& out, adapt_error& err) {
    if (!c.done() && c.current().data_type == resp3::type::null) {
      out.reset();
      ++c.pos;
      return;
    }
    adapter<T>::read(c, out.emplace(), err);
  }
};

template <>
struct adapter<ignore_t> {
  static constexpr std::string_view expected = "anything";
  static void read(detail::cursor& c, ignore_t&, adapt_error& err) {
    if (c.done()) {
      detail::set_missing(err, expected);
      return;
    }
    if (resp3::is_error(c.current().data_type)) {
      detail::set_server_error(err, c.current());
      return;
    }
    c.skip();
  }
};

template <>
struct adapter<generic_reply> {
  static constexpr std::string_view expected = "a reply";
  static void read(detail::cursor& c, generic_reply& out, adapt_error& err) {
    if (c.done()) {
      detail::set_missing(err, expected);
      return;
    }
    const std::size_t first = c.pos;
    c.skip();
    out.assign(c.nodes.subspan(first, c.pos - first));
  }
};

/// A command's own error stays in its result; the adaptation goes on.
template <class T>
struct adapter<result<T>> {
  static constexpr std::string_view expected = adapter<T>::expected;
  static void read(detail::cursor& c, result<T>& out, adapt_error&) {
    out.error_.clear();  // a result read again (a reused response, a retried request)
    if (c.done()) {
      adapt_error missing;
      detail::set_missing(missing, expected);
      out.error_ = std::move(missing);
      return;
    }
    const std::size_t first = c.pos;
    adapt_error own;
    adapter<T>::read(c, out.value_, own);
    if (own) {
      out.error_ = std::move(own);
      c.pos = first;
      c.skip();
    }
  }
};

template <class T, class A>
struct adapter<std::vector<T, A>> {
  static constexpr std::string_view expected = "an aggregate";
  static void read(detail::cursor& c, std::vector<T, A>& out, adapt_error& err) {
    out.clear();
    if constexpr (detail::pair_like<T>) {
      // Pairs: a map's, a flat array's consecutive elements (ZRANGE WITHSCORES in RESP2), or
      // an array of two-element arrays (the same in RESP3).
      using K = std::remove_cv_t<std::tuple_element_t<0, T>>;
      using V = std::tuple_element_t<1, T>;
      const bool nested = !c.done() && c.current().data_type == resp3::type::array &&
                          c.pos + 1 < c.nodes.size() &&
                          c.nodes[c.pos + 1].depth > c.current().depth &&
                          resp3::is_aggregate(c.nodes[c.pos + 1].data_type);
      if (nested) {
        detail::read_elements<T>(c, err, expected, [&](T&& e) { out.push_back(std::move(e)); });
      } else {
        detail::read_pairs<K, V>(
            c, err, expected, [&](K&& k, V&& v) { out.emplace_back(std::move(k), std::move(v)); });
      }
    } else {
      if (!c.done() && !err) {
        const resp3::node& n = c.current();
        if (resp3::is_aggregate(n.data_type)) out.reserve(resp3::child_count(n));
      }
      detail::read_elements<T>(c, err, expected, [&](T&& e) { out.push_back(std::move(e)); });
    }
  }
};

template <class K, class V, class C, class A>
struct adapter<std::map<K, V, C, A>> {
  static constexpr std::string_view expected = "a map";
  static void read(detail::cursor& c, std::map<K, V, C, A>& out, adapt_error& err) {
    out.clear();
    detail::read_pairs<K, V>(
        c, err, expected, [&](K&& k, V&& v) { out.insert_or_assign(std::move(k), std::move(v)); });
  }
};

template <class K, class V, class H, class E, class A>
struct adapter<std::unordered_map<K, V, H, E, A>> {
  static constexpr std::string_view expected = "a map";
  static void read(detail::cursor& c, std::unordered_map<K, V, H, E, A>& out, adapt_error& err) {
    out.clear();
    detail::read_pairs<K, V>(
        c, err, expected, [&](K&& k, V&& v) { out.insert_or_assign(std::move(k), std::move(v)); });
  }
};

template <class T, class C, class A>
struct adapter<std::set<T, C, A>> {
  static constexpr std::string_view expected = "a set";
  static void read(detail::cursor& c, std::set<T, C, A>& out, adapt_error& err) {
    out.clear();
    detail::read_elements<T>(c, err, expected, [&](T&& e) { out.insert(std::move(e)); });
  }
};

template <class T, class H, class E, class A>
struct adapter<std::unordered_set<T, H, E, A>> {
  static constexpr std::string_view expected = "a set";
  static void read(detail::cursor& c, std::unordered_set<T, H, E, A>& out, adapt_error& err) {
    out.clear();
    detail::read_elements<T>(c, err, expected, [&](T&& e) { out.insert(std::move(e)); });
  }
};

/// A fixed-size aggregate: pair, tuple or array, from an aggregate of exactly that many
/// elements (a map of one pair counts as two: its key and value).
template <class T>
requires(requires { std::tuple_size<T>::value; } &&
         !detail::is_optional<T>::value) struct adapter<T> {
  static constexpr std::string_view expected = "a fixed-size aggregate";
  static void read(detail::cursor& c, T& out, adapt_error& err) {
    if (!detail::aggregate_ok(c, err, expected)) return;
    constexpr std::size_t size = std::tuple_size_v<T>;
    const std::size_t n = resp3::child_count(c.current());
    if (n != size) {
      detail::set_error(err, error::wrong_aggregate_size,
                        "expected an aggregate of " + std::to_string(size) + " elements, got " +
                            std::to_string(n));
      return;
    }
    ++c.pos;
    std::apply(
        [&](auto&... members) {
          ((err ? void() : adapter<std::remove_cvref_t<decltype(members)>>::read(c, members, err)),
           ...);
        },
        out);
  }
};

/// User types read from a string reply through their respool_from_bulk hook.
template <class T>
requires detail::has_from_bulk<T>
struct adapter<T> {
  static constexpr std::string_view expected = "a string";
  static void read(detail::cursor& c, T& out, adapt_error& err) {
    if (!detail::leaf_ok(c, err, expected)) return;
    const auto text = detail::leaf_text(c.current());
    if (!text) {
      detail::set_mismatch(err, expected, c.current());
      return;
    }
    std::error_code ec;
    respool_from_bulk(out, *text, ec);
    if (ec) {
      detail::set_error(err, error::unexpected_type, ec.message());
      err.code = ec;
      return;
    }
    ++c.pos;
  }
};

/// Adapts one reply to `out`. On failure returns false and says why in `err`; `out` may then be
/// partly filled.
template <class T>
bool adapt(resp3::reply_view reply, T& out, adapt_error& err) {
  err.clear();
  detail::cursor c{reply};
  adapter<T>::read(c, out, err);
  if (!err && !c.done()) {
    detail::set_error(err, error::unexpected_type, "the reply has more elements than were read");
  }
  return !err;
}

/// Adapts one reply to `out`; throws std::system_error (code and message) on failure.
template <class T>
void adapt(resp3::reply_view reply, T& out) {
  adapt_error err;
  if (!adapt(reply, out, err)) throw_adapt_error(err);
}

/**
 * Adapts the replies of a request, one per command, as they arrive (this is what a connection
 * drives):
 *
 * - `std::tuple<Ts...>`: reply i into element i; the command count must be sizeof...(Ts). Use
 *   `result<T>` elements to keep each command's error to itself.
 * - `generic_response`: every reply as it came.
 * - `ignore_t`: nothing kept; the first error reply is still reported.
 * - any other T: exactly one reply.
 */
template <class Response>
class response_adapter {
 public:
  explicit response_adapter(Response& r) noexcept : response_{r} {}

  /// Adapts reply number `index`. The first failure is kept in `err`; later replies are
  /// then skipped, not adapted.
  void on_reply(std::size_t index, resp3::reply_view reply, adapt_error& err) {
    if (err) return;
    if constexpr (is_tuple<Response>::value) {
      if (index >= std::tuple_size_v<Response>) {
        count_error(err, index + 1);
        return;
      }
      read_element(index, reply, err, std::make_index_sequence<std::tuple_size_v<Response>>{});
    } else if constexpr (std::is_same_v<Response, generic_response>) {
      // The read buffer moves on after each reply: a pipeline's replies keep their bytes.
      if (index == 0) response_.clear();
      adapt(reply, response_.emplace_back(generic_reply::owning), err);
    } else if constexpr (std::is_same_v<Response, ignore_t>) {
      ignore_t i;
      adapt(reply, i, err);
    } else {
      if (index != 0) {
        count_error(err, index + 1);
        return;
      }
      adapt(reply, response_, err);
    }
  }

  /// Checks the number of replies once they have all arrived.
  void on_done(std::size_t replies, adapt_error& err) const {
    if (err) return;
    if constexpr (is_tuple<Response>::value) {
      if (replies != std::tuple_size_v<Response>) count_error(err, replies);
    } else if constexpr (!std::is_same_v<Response, generic_response> &&
                         !std::is_same_v<Response, ignore_t>) {
      if (replies != 1) count_error(err, replies);
    }
  }

 private:
  template <class T>
  struct is_tuple : std::false_type {};
  template <class... Ts>
  struct is_tuple<std::tuple<Ts...>> : std::true_type {};

  template <std::size_t... I>
  void read_element(std::size_t index, resp3::reply_view reply, adapt_error& err,
                    std::index_sequence<I...>) {
    ((index == I ? void(adapt(reply, std::get<I>(response_), err)) : void()), ...);
  }

  static void count_error(adapt_error& err, std::size_t got) {
    detail::set_error(
        err, error::wrong_reply_count,
        "expected " + std::to_string(expected_replies()) + " replies, got " + std::to_string(got));
  }

  static constexpr std::size_t expected_replies() {
    if constexpr (is_tuple<Response>::value) {
      return std::tuple_size_v<Response>;
    } else {
      return 1;
    }
  }

  Response& response_;
};

/// Adapts the replies of a whole pipeline at once (see response_adapter).
template <class Response>
bool adapt_replies(std::span<const resp3::reply_view> replies, Response& out, adapt_error& err) {
  err.clear();
  response_adapter<Response> a(out);
  for (std::size_t i = 0; i < replies.size(); ++i) a.on_reply(i, replies[i], err);
  a.on_done(replies.size(), err);
  return !err;
}

}  // namespace respool
