/// @file commands/streams.hpp
/// @brief Typed commands on streams: XADD, XRANGE, XREAD, consumer groups.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace respool {

/// A stream entry: its ID and its field/value pairs, in order.
struct stream_entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  friend bool operator==(const stream_entry&, const stream_entry&) = default;
};

namespace cmd {

namespace detail {

using wire_entries =
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>;
// XREAD/XREADGROUP: per stream, its entries; nothing when BLOCK timed out.
using wire_streams = std::optional<std::vector<std::pair<std::string, wire_entries>>>;

inline std::vector<stream_entry> to_entries(wire_entries&& w) {
  std::vector<stream_entry> out;
  out.reserve(w.size());
  for (auto& [id, fields] : w) out.push_back({std::move(id), std::move(fields)});
  return out;
}

// The entries of the one stream read (none after a timeout).
struct first_stream {
  std::vector<stream_entry> operator()(wire_streams&& w) const {
    if (!w || w->empty()) return {};
    return to_entries(std::move(w->front().second));
  }
};

inline void push_read_options(arg_list<16>& a, long long count,
                              std::optional<std::chrono::milliseconds> block) {
  if (count > 0) {
    a.add("COUNT");
    a.add_number(count);
  }
  if (block) {
    a.add("BLOCK");
    a.add_number(block->count());
  }
}

}  // namespace detail

/// XADD key id field value...: the new entry's ID (`id` "*": let the server choose).
/// @see https://redis.io/commands/xadd/
template <arg_range Range>
[[nodiscard]] auto xadd(borrowed_string key, Range&& fields, borrowed_string id = "*") {
  return make_command<std::string>([key, &fields, id](request& r) {
    // XADD key id f v ...: the key, then the ID, then the pairs.
    std::vector<std::string_view> head{key, id};
    for (const auto& [f, v] : fields) {
      head.push_back(f);
      head.push_back(v);
    }
    r.push_range("XADD", head);
  });
}

/// XRANGE between two IDs ("-" and "+": everything), at most `count` entries (0: all).
/// @see https://redis.io/commands/xrange/
[[nodiscard]] inline auto xrange(borrowed_string key, borrowed_string start = "-",
                                 borrowed_string end = "+", long long count = 0) {
  return make_command<detail::wire_entries>(
      [key, start, end, count](request& r) {
        if (count > 0) {
          r.push("XRANGE", key, start, end, "COUNT", count);
        } else {
          r.push("XRANGE", key, start, end);
        }
      },
      [](detail::wire_entries&& w) { return detail::to_entries(std::move(w)); });
}

/// XLEN: how many entries.
/// @see https://redis.io/commands/xlen/
[[nodiscard]] inline auto xlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("XLEN", key); });
}

/// XREAD of one stream after `id` ("$": only new entries), waiting up to `block` when given:
/// the entries, none when the wait ended empty.
/// @see https://redis.io/commands/xread/
[[nodiscard]] inline auto xread(borrowed_string key, borrowed_string id, long long count = 0,
                                std::optional<std::chrono::milliseconds> block = {}) {
  return make_command<detail::wire_streams>(
      [key, id, count, block](request& r) {
        detail::arg_list<16> a;
        detail::push_read_options(a, count, block);
        a.add("STREAMS");
        a.add(key);
        a.add(id);
        r.push_range("XREAD", a.view());
      },
      detail::first_stream{});
}

/// XGROUP CREATE key group id [MKSTREAM]: true.
/// @see https://redis.io/commands/xgroup-create/
[[nodiscard]] inline auto xgroup_create(borrowed_string key, borrowed_string group,
                                        borrowed_string id = "$", bool mkstream = true) {
  return make_command<std::string>(
      [key, group, id, mkstream](request& r) {
        if (mkstream) {
          r.push("XGROUP", "CREATE", key, group, id, "MKSTREAM");
        } else {
          r.push("XGROUP", "CREATE", key, group, id);
        }
      },
      detail::status_ok{});
}

/// XREADGROUP GROUP group consumer of one stream (`id` ">": entries never delivered).
/// @see https://redis.io/commands/xreadgroup/
[[nodiscard]] inline auto xreadgroup(borrowed_string group, borrowed_string consumer,
                                     borrowed_string key, borrowed_string id = ">",
                                     long long count = 0,
                                     std::optional<std::chrono::milliseconds> block = {}) {
  return make_command<detail::wire_streams>(
      [group, consumer, key, id, count, block](request& r) {
        detail::arg_list<16> a;
        a.add("GROUP");
        a.add(group);
        a.add(consumer);
        detail::push_read_options(a, count, block);
        a.add("STREAMS");
        a.add(key);
        a.add(id);
        r.push_range("XREADGROUP", a.view());
      },
      detail::first_stream{});
}

/// XACK of one entry: how many were acknowledged.
/// @see https://redis.io/commands/xack/
[[nodiscard]] inline auto xack(borrowed_string key, borrowed_string group, borrowed_string id) {
  return make_command<long long>([key, group, id](request& r) { r.push("XACK", key, group, id); });
}

}  // namespace cmd
}  // namespace respool
