/// @file commands.hpp
/// @brief Typed commands: each knows how to encode itself and what its reply becomes.
///
/// @code
///     std::optional<std::string> v = redis.exec(respool::cmd::get("k"));
///     bool stored = redis.exec(respool::cmd::set("k", "v", {.ttl = 10s, .only = respool::set_if::absent}));
///     long long n = co_await client.async_exec(respool::cmd::incr_by("hits", 5), asio::use_awaitable);
/// @endcode
///
/// A command holds views of its arguments: a temporary string or container is refused at
/// compile time (borrowed.hpp).
#pragma once

#include <respool/adapt.hpp>
#include <respool/borrowed.hpp>
#include <respool/request.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

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

/// SET's condition.
enum class set_if : std::uint8_t {
  always,   ///< no condition
  absent,   ///< NX: only when the key does not exist
  present,  ///< XX: only when it does
};

/// SET's options: a time to live (zero: none), or keeping the current one, and a condition.
struct set_options {
  std::chrono::milliseconds ttl{0};
  bool keep_ttl = false;
  set_if only = set_if::always;
};

/// A stream entry: its ID and its field/value pairs, in order.
struct stream_entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  friend bool operator==(const stream_entry&, const stream_entry&) = default;
};

/// What TTL and PTTL say.
struct ttl_reply {
  enum state_t : std::uint8_t { expires, persistent, missing };
  state_t state = missing;
  std::chrono::milliseconds left{0};  ///< when `state == expires`
  friend bool operator==(const ttl_reply&, const ttl_reply&) = default;
};

namespace cmd {

namespace detail {

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

inline void encode_set(request& r, std::string_view key, std::string_view value,
                       const set_options& o, bool get) {
  arg_list<8> a;
  a.add(key);
  a.add(value);
  if (o.ttl.count() > 0) {
    a.add("PX");
    a.add_number(o.ttl.count());
  } else if (o.keep_ttl) {
    a.add("KEEPTTL");
  }
  if (o.only == set_if::absent) a.add("NX");
  if (o.only == set_if::present) a.add("XX");
  if (get) a.add("GET");
  r.push_range("SET", a.view());
}

// TTL/PTTL: -2 missing, -1 no expiry, else the time left in `unit`.
template <class Unit>
struct to_ttl {
  ttl_reply operator()(long long v) const {
    if (v == -2) return {ttl_reply::missing, {}};
    if (v == -1) return {ttl_reply::persistent, {}};
    return {ttl_reply::expires, std::chrono::duration_cast<std::chrono::milliseconds>(Unit(v))};
  }
};

struct is_ok {
  bool operator()(const std::optional<std::string>& s) const { return s.has_value(); }
};

}  // namespace detail

// Strings ------------------------------------------------------------------------------------

/// GET: the value, or nothing when the key does not exist.
[[nodiscard]] inline auto get(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("GET", key); });
}

/// SET with options: true when the value was stored, false when the condition kept it out.
[[nodiscard]] inline auto set(borrowed_string key, borrowed_string value, set_options o = {}) {
  return make_command<std::optional<std::string>>(
      [key, value, o](request& r) { detail::encode_set(r, key, value, o, false); },
      detail::is_ok{});
}

/// SET … GET: the previous value (nothing if there was none), whether or not it was replaced.
[[nodiscard]] inline auto set_get(borrowed_string key, borrowed_string value, set_options o = {}) {
  return make_command<std::optional<std::string>>(
      [key, value, o](request& r) { detail::encode_set(r, key, value, o, true); });
}

/// GETDEL: the value, deleted.
[[nodiscard]] inline auto get_del(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("GETDEL", key); });
}

/// GETEX with a new time to live (zero: PERSIST).
[[nodiscard]] inline auto get_ex(borrowed_string key, std::chrono::milliseconds ttl) {
  return make_command<std::optional<std::string>>([key, ttl](request& r) {
    if (ttl.count() > 0) {
      r.push("GETEX", key, "PX", static_cast<long long>(ttl.count()));
    } else {
      r.push("GETEX", key, "PERSIST");
    }
  });
}

/// MGET: one optional value per key, in order.
template <named_range Range>
[[nodiscard]] auto mget(Range&& keys) {
  return make_command<std::vector<std::optional<std::string>>>(
      [&keys](request& r) { r.push_range("MGET", keys); });
}

/// MSET of a range of key/value pairs.
template <named_range Range>
[[nodiscard]] auto mset(Range&& pairs) {
  return make_command<std::string>([&pairs](request& r) { r.push_range("MSET", pairs); },
                                   [](const std::string&) { return true; });
}

/// INCR, INCRBY, DECR, DECRBY: the new value.
[[nodiscard]] inline auto incr(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("INCR", key); });
}
[[nodiscard]] inline auto incr_by(borrowed_string key, long long by) {
  return make_command<long long>([key, by](request& r) { r.push("INCRBY", key, by); });
}
[[nodiscard]] inline auto decr(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("DECR", key); });
}
[[nodiscard]] inline auto decr_by(borrowed_string key, long long by) {
  return make_command<long long>([key, by](request& r) { r.push("DECRBY", key, by); });
}
/// INCRBYFLOAT: the new value.
[[nodiscard]] inline auto incr_by_float(borrowed_string key, double by) {
  return make_command<double>([key, by](request& r) { r.push("INCRBYFLOAT", key, by); });
}

/// APPEND: the new length.
[[nodiscard]] inline auto append(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("APPEND", key, value); });
}

/// STRLEN.
[[nodiscard]] inline auto strlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("STRLEN", key); });
}

// Keys ---------------------------------------------------------------------------------------

/// DEL, UNLINK, EXISTS of one key or of a range of keys: how many.
[[nodiscard]] inline auto del(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("DEL", key); });
}
template <named_range Range>
[[nodiscard]] auto del_all(Range&& keys) {
  return make_command<long long>([&keys](request& r) { r.push_range("DEL", keys); });
}
[[nodiscard]] inline auto unlink(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("UNLINK", key); });
}
[[nodiscard]] inline auto exists(borrowed_string key) {
  return make_command<bool>([key](request& r) { r.push("EXISTS", key); });
}
template <named_range Range>
[[nodiscard]] auto exists_count(Range&& keys) {
  return make_command<long long>([&keys](request& r) { r.push_range("EXISTS", keys); });
}

/// PEXPIRE: true when the timeout was set.
[[nodiscard]] inline auto expire(borrowed_string key, std::chrono::milliseconds ttl) {
  return make_command<bool>(
      [key, ttl](request& r) { r.push("PEXPIRE", key, static_cast<long long>(ttl.count())); });
}

/// PERSIST: true when a timeout was removed.
[[nodiscard]] inline auto persist(borrowed_string key) {
  return make_command<bool>([key](request& r) { r.push("PERSIST", key); });
}

/// PTTL, as a ttl_reply (missing key, no expiry, or the time left).
[[nodiscard]] inline auto ttl(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("PTTL", key); },
                                 detail::to_ttl<std::chrono::milliseconds>{});
}

/// EXPIREAT (Unix time, seconds): true when the timeout was set.
[[nodiscard]] inline auto expire_at(borrowed_string key, std::chrono::sys_seconds when) {
  return make_command<bool>([key, when](request& r) {
    r.push("EXPIREAT", key, static_cast<long long>(when.time_since_epoch().count()));
  });
}

/// One SCAN step from `cursor` ("0" to start): the next cursor ("0" when done) and a batch of
/// keys. sync_client::scan() iterates for you; on the async client, loop until the cursor
/// comes back "0".
[[nodiscard]] inline auto scan(borrowed_string cursor, borrowed_string pattern = {},
                               long long count = 0) {
  return make_command<std::pair<std::string, std::vector<std::string>>>(
      [cursor, pattern, count](request& r) {
        detail::arg_list<8> a;
        a.add(cursor);
        if (!pattern.empty()) {
          a.add("MATCH");
          a.add(pattern);
        }
        if (count > 0) {
          a.add("COUNT");
          a.add_number(count);
        }
        r.push_range("SCAN", a.view());
      });
}

/// TYPE: "string", "list", "set", "zset", "hash", "stream", or "none".
[[nodiscard]] inline auto type(borrowed_string key) {
  return make_command<std::string>([key](request& r) { r.push("TYPE", key); });
}

// Hashes -------------------------------------------------------------------------------------

/// HSET of one field: true when the field is new.
[[nodiscard]] inline auto hset(borrowed_string key, borrowed_string field, borrowed_string value) {
  return make_command<long long>(
      [key, field, value](request& r) { r.push("HSET", key, field, value); },
      [](long long added) { return added == 1; });
}

/// HSET of a range of field/value pairs: how many fields are new.
template <named_range Range>
[[nodiscard]] auto hset_all(borrowed_string key, Range&& pairs) {
  return make_command<long long>([key, &pairs](request& r) { r.push_range("HSET", key, pairs); });
}

/// HSETNX: true when the field was set (it did not exist).
[[nodiscard]] inline auto hsetnx(borrowed_string key, borrowed_string field,
                                 borrowed_string value) {
  return make_command<bool>(
      [key, field, value](request& r) { r.push("HSETNX", key, field, value); });
}

/// HGET: the value, or nothing.
[[nodiscard]] inline auto hget(borrowed_string key, borrowed_string field) {
  return make_command<std::optional<std::string>>(
      [key, field](request& r) { r.push("HGET", key, field); });
}

/// HMGET: one optional value per field, in order.
template <named_range Range>
[[nodiscard]] auto hmget(borrowed_string key, Range&& fields) {
  return make_command<std::vector<std::optional<std::string>>>(
      [key, &fields](request& r) { r.push_range("HMGET", key, fields); });
}

/// HGETALL: every field and value (empty for a missing key).
[[nodiscard]] inline auto hgetall(borrowed_string key) {
  return make_command<std::unordered_map<std::string, std::string>>(
      [key](request& r) { r.push("HGETALL", key); });
}

/// HDEL of one field or of a range: how many were removed.
[[nodiscard]] inline auto hdel(borrowed_string key, borrowed_string field) {
  return make_command<long long>([key, field](request& r) { r.push("HDEL", key, field); });
}
template <named_range Range>
[[nodiscard]] auto hdel_all(borrowed_string key, Range&& fields) {
  return make_command<long long>([key, &fields](request& r) { r.push_range("HDEL", key, fields); });
}

/// HEXISTS.
[[nodiscard]] inline auto hexists(borrowed_string key, borrowed_string field) {
  return make_command<bool>([key, field](request& r) { r.push("HEXISTS", key, field); });
}

/// HINCRBY, HINCRBYFLOAT: the new value.
[[nodiscard]] inline auto hincr_by(borrowed_string key, borrowed_string field, long long by) {
  return make_command<long long>(
      [key, field, by](request& r) { r.push("HINCRBY", key, field, by); });
}
[[nodiscard]] inline auto hincr_by_float(borrowed_string key, borrowed_string field, double by) {
  return make_command<double>(
      [key, field, by](request& r) { r.push("HINCRBYFLOAT", key, field, by); });
}

/// HLEN, HKEYS, HVALS.
[[nodiscard]] inline auto hlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("HLEN", key); });
}
[[nodiscard]] inline auto hkeys(borrowed_string key) {
  return make_command<std::vector<std::string>>([key](request& r) { r.push("HKEYS", key); });
}
[[nodiscard]] inline auto hvals(borrowed_string key) {
  return make_command<std::vector<std::string>>([key](request& r) { r.push("HVALS", key); });
}

// Lists --------------------------------------------------------------------------------------

/// LPUSH, RPUSH of one value or of a range: the new length.
[[nodiscard]] inline auto lpush(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("LPUSH", key, value); });
}
[[nodiscard]] inline auto rpush(borrowed_string key, borrowed_string value) {
  return make_command<long long>([key, value](request& r) { r.push("RPUSH", key, value); });
}
template <named_range Range>
[[nodiscard]] auto lpush_all(borrowed_string key, Range&& values) {
  return make_command<long long>(
      [key, &values](request& r) { r.push_range("LPUSH", key, values); });
}
template <named_range Range>
[[nodiscard]] auto rpush_all(borrowed_string key, Range&& values) {
  return make_command<long long>(
      [key, &values](request& r) { r.push_range("RPUSH", key, values); });
}

/// LPOP, RPOP: the value, or nothing when the list is empty or missing.
[[nodiscard]] inline auto lpop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("LPOP", key); });
}
[[nodiscard]] inline auto rpop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("RPOP", key); });
}

/// LRANGE (inclusive indexes; negative ones count from the end).
[[nodiscard]] inline auto lrange(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::string>>(
      [key, start, stop](request& r) { r.push("LRANGE", key, start, stop); });
}

/// LLEN, LINDEX.
[[nodiscard]] inline auto llen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("LLEN", key); });
}
[[nodiscard]] inline auto lindex(borrowed_string key, long long index) {
  return make_command<std::optional<std::string>>(
      [key, index](request& r) { r.push("LINDEX", key, index); });
}

/// LREM: how many were removed. LTRIM: true.
[[nodiscard]] inline auto lrem(borrowed_string key, long long count, borrowed_string value) {
  return make_command<long long>(
      [key, count, value](request& r) { r.push("LREM", key, count, value); });
}
[[nodiscard]] inline auto ltrim(borrowed_string key, long long start, long long stop) {
  return make_command<std::string>(
      [key, start, stop](request& r) { r.push("LTRIM", key, start, stop); },
      [](const std::string&) { return true; });
}

/// BLPOP, BRPOP on one key: the popped value, or nothing once `timeout` has passed (zero: wait
/// for ever). The connection's request timeout, if any, must be longer than `timeout`, and
/// the health check's timeout too: the server sends nothing while the command blocks.
[[nodiscard]] inline auto blpop(borrowed_string key, std::chrono::milliseconds timeout) {
  return make_command<std::optional<std::pair<std::string, std::string>>>(
      [key, timeout](request& r) {
        r.push("BLPOP", key, static_cast<double>(timeout.count()) / 1000.0);
      },
      [](std::optional<std::pair<std::string, std::string>>&& kv) {
        return kv ? std::optional<std::string>(std::move(kv->second)) : std::nullopt;
      });
}
[[nodiscard]] inline auto brpop(borrowed_string key, std::chrono::milliseconds timeout) {
  return make_command<std::optional<std::pair<std::string, std::string>>>(
      [key, timeout](request& r) {
        r.push("BRPOP", key, static_cast<double>(timeout.count()) / 1000.0);
      },
      [](std::optional<std::pair<std::string, std::string>>&& kv) {
        return kv ? std::optional<std::string>(std::move(kv->second)) : std::nullopt;
      });
}

// Sets ---------------------------------------------------------------------------------------

/// SADD, SREM of one member or of a range: how many were added or removed.
[[nodiscard]] inline auto sadd(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("SADD", key, member); });
}
template <named_range Range>
[[nodiscard]] auto sadd_all(borrowed_string key, Range&& members) {
  return make_command<long long>(
      [key, &members](request& r) { r.push_range("SADD", key, members); });
}
[[nodiscard]] inline auto srem(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("SREM", key, member); });
}

/// SISMEMBER, SCARD, SMEMBERS, SPOP.
[[nodiscard]] inline auto sismember(borrowed_string key, borrowed_string member) {
  return make_command<bool>([key, member](request& r) { r.push("SISMEMBER", key, member); });
}
[[nodiscard]] inline auto scard(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("SCARD", key); });
}
[[nodiscard]] inline auto smembers(borrowed_string key) {
  return make_command<std::unordered_set<std::string>>(
      [key](request& r) { r.push("SMEMBERS", key); });
}
[[nodiscard]] inline auto spop(borrowed_string key) {
  return make_command<std::optional<std::string>>([key](request& r) { r.push("SPOP", key); });
}

/// SINTER, SUNION, SDIFF of a range of keys.
template <named_range Range>
[[nodiscard]] auto sinter(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SINTER", keys); });
}
template <named_range Range>
[[nodiscard]] auto sunion(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SUNION", keys); });
}
template <named_range Range>
[[nodiscard]] auto sdiff(Range&& keys) {
  return make_command<std::unordered_set<std::string>>(
      [&keys](request& r) { r.push_range("SDIFF", keys); });
}

// Sorted sets --------------------------------------------------------------------------------

/// ZADD's options.
struct zadd_options {
  set_if only = set_if::always;  ///< NX (absent) or XX (present)
  enum class compare : std::uint8_t { any, greater, less } update = compare::any;  ///< GT, LT
  bool changed = false;  ///< CH: count updated members as well as new ones
};

namespace detail {
inline void encode_zadd_options(arg_list<8>& a, const zadd_options& o) {
  if (o.only == set_if::absent) a.add("NX");
  if (o.only == set_if::present) a.add("XX");
  if (o.update == zadd_options::compare::greater) a.add("GT");
  if (o.update == zadd_options::compare::less) a.add("LT");
  if (o.changed) a.add("CH");
}
}  // namespace detail

/// ZADD of one member: true when it was added (or, with `changed`, added or updated).
[[nodiscard]] inline auto zadd(borrowed_string key, double score, borrowed_string member,
                               zadd_options o = {}) {
  return make_command<long long>(
      [key, score, member, o](request& r) {
        detail::arg_list<8> a;
        a.add(key);
        detail::encode_zadd_options(a, o);
        char buf[32];
        const auto res = std::to_chars(buf, buf + sizeof buf, score);
        a.add({buf, static_cast<std::size_t>(res.ptr - buf)});
        a.add(member);
        r.push_range("ZADD", a.view());
      },
      [](long long n) { return n == 1; });
}

/// ZSCORE: the member's score, or nothing.
[[nodiscard]] inline auto zscore(borrowed_string key, borrowed_string member) {
  return make_command<std::optional<double>>(
      [key, member](request& r) { r.push("ZSCORE", key, member); });
}

/// ZINCRBY: the new score.
[[nodiscard]] inline auto zincr_by(borrowed_string key, double by, borrowed_string member) {
  return make_command<double>(
      [key, by, member](request& r) { r.push("ZINCRBY", key, by, member); });
}

/// ZCARD, ZREM, ZRANK (nothing for a missing member).
[[nodiscard]] inline auto zcard(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("ZCARD", key); });
}
[[nodiscard]] inline auto zrem(borrowed_string key, borrowed_string member) {
  return make_command<long long>([key, member](request& r) { r.push("ZREM", key, member); });
}
[[nodiscard]] inline auto zrank(borrowed_string key, borrowed_string member) {
  return make_command<std::optional<long long>>(
      [key, member](request& r) { r.push("ZRANK", key, member); });
}

/// ZRANGE by rank (inclusive; negative counts from the end), members only or with scores.
[[nodiscard]] inline auto zrange(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::string>>(
      [key, start, stop](request& r) { r.push("ZRANGE", key, start, stop); });
}
[[nodiscard]] inline auto zrange_with_scores(borrowed_string key, long long start, long long stop) {
  return make_command<std::vector<std::pair<std::string, double>>>(
      [key, start, stop](request& r) { r.push("ZRANGE", key, start, stop, "WITHSCORES"); });
}

/// ZRANGE … BYSCORE between `min` and `max` (inclusive), with scores.
[[nodiscard]] inline auto zrange_by_score(borrowed_string key, double min, double max) {
  return make_command<std::vector<std::pair<std::string, double>>>(
      [key, min, max](request& r) { r.push("ZRANGE", key, min, max, "BYSCORE", "WITHSCORES"); });
}

// Streams ------------------------------------------------------------------------------------

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
template <named_range Range>
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

/// XLEN.
[[nodiscard]] inline auto xlen(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("XLEN", key); });
}

/// XREAD of one stream after `id` ("$": only new entries), waiting up to `block` when given:
/// the entries, none when the wait ended empty.
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
      [](const std::string&) { return true; });
}

/// XREADGROUP GROUP group consumer of one stream (`id` ">": entries never delivered).
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
[[nodiscard]] inline auto xack(borrowed_string key, borrowed_string group, borrowed_string id) {
  return make_command<long long>([key, group, id](request& r) { r.push("XACK", key, group, id); });
}

// HyperLogLog --------------------------------------------------------------------------------

/// PFADD of a range of elements: true when the estimate changed.
template <named_range Range>
[[nodiscard]] auto pfadd(borrowed_string key, Range&& elements) {
  return make_command<bool>([key, &elements](request& r) { r.push_range("PFADD", key, elements); });
}

/// PFCOUNT of one key.
[[nodiscard]] inline auto pfcount(borrowed_string key) {
  return make_command<long long>([key](request& r) { r.push("PFCOUNT", key); });
}

/// PFMERGE into `dest` of a range of keys.
template <named_range Range>
[[nodiscard]] auto pfmerge(borrowed_string dest, Range&& sources) {
  return make_command<std::string>(
      [dest, &sources](request& r) { r.push_range("PFMERGE", dest, sources); },
      [](const std::string&) { return true; });
}

// Geo ----------------------------------------------------------------------------------------

/// GEOADD of one member: how many were added.
[[nodiscard]] inline auto geoadd(borrowed_string key, double longitude, double latitude,
                                 borrowed_string member) {
  return make_command<long long>([key, longitude, latitude, member](request& r) {
    r.push("GEOADD", key, longitude, latitude, member);
  });
}

/// GEODIST in metres: nothing when a member is missing.
[[nodiscard]] inline auto geodist(borrowed_string key, borrowed_string a, borrowed_string b) {
  return make_command<std::optional<double>>(
      [key, a, b](request& r) { r.push("GEODIST", key, a, b, "m"); });
}

/// GEOSEARCH FROMLONLAT … BYRADIUS r m ASC: the members within `radius_m` metres, nearest first.
[[nodiscard]] inline auto geosearch_radius(borrowed_string key, double longitude, double latitude,
                                           double radius_m) {
  return make_command<std::vector<std::string>>([key, longitude, latitude, radius_m](request& r) {
    r.push("GEOSEARCH", key, "FROMLONLAT", longitude, latitude, "BYRADIUS", radius_m, "m", "ASC");
  });
}

// Pipelines and transactions ----------------------------------------------------------------

namespace detail {

template <std::size_t N, class T, class... Ts>
struct repeat_ignore {
  using type = typename repeat_ignore<N - 1, T, ignore_t, Ts...>::type;
};
template <class T, class... Ts>
struct repeat_ignore<0, T, Ts...> {
  using type = std::tuple<Ts..., T>;
};

template <class... Cmds, std::size_t... I>
auto convert_all(const std::tuple<Cmds...>& cmds, std::tuple<typename Cmds::wire_type...>&& wires,
                 std::index_sequence<I...>) {
  return std::tuple<typename Cmds::result_type...>(
      std::get<I>(cmds).convert(std::move(std::get<I>(wires)))...);
}

}  // namespace detail

/// Several commands in one request, one round trip: the result is a tuple of their results.
/// A failing command fails the whole call (use a result<T> wire type to keep going).
template <class... Cmds>
[[nodiscard]] auto pipeline(Cmds... cmds) {
  using wire = std::tuple<typename Cmds::wire_type...>;
  std::tuple<Cmds...> all(std::move(cmds)...);
  auto encode = [all](request& r) {
    std::apply([&](const auto&... c) { (c.encode(r), ...); }, all);
  };
  auto convert = [all](wire&& w) {
    return detail::convert_all(all, std::move(w), std::index_sequence_for<Cmds...>{});
  };
  return make_command<wire>(std::move(encode), std::move(convert));
}

/// MULTI, the commands, EXEC: their results, or nothing when EXEC was aborted (a WATCHed key
/// changed). A command the server refuses to queue fails the call with its message
/// (EXECABORT); one that fails while EXEC runs fails it too, with that command's error.
template <class... Cmds>
[[nodiscard]] auto transaction(Cmds... cmds) {
  using exec_reply = std::optional<std::tuple<typename Cmds::wire_type...>>;
  // MULTI's +OK and each command's +QUEUED are ignored (an error among them still fails).
  using wire = typename detail::repeat_ignore<sizeof...(Cmds) + 1, exec_reply>::type;
  std::tuple<Cmds...> all(std::move(cmds)...);
  auto encode = [all](request& r) {
    r.push("MULTI");
    std::apply([&](const auto&... c) { (c.encode(r), ...); }, all);
    r.push("EXEC");
  };
  auto convert = [all](wire&& w) {
    using result = std::tuple<typename Cmds::result_type...>;
    exec_reply& exec = std::get<sizeof...(Cmds) + 1>(w);
    if (!exec) return std::optional<result>{};
    return std::optional<result>(
        detail::convert_all(all, std::move(*exec), std::index_sequence_for<Cmds...>{}));
  };
  return make_command<wire>(std::move(encode), std::move(convert));
}

// Functions ----------------------------------------------------------------------------------

/// FCALL of a library function with keys and arguments; its reply adapted to T.
template <class T, named_range Keys, named_range Args>
[[nodiscard]] auto fcall(borrowed_string function, Keys&& keys, Args&& args) {
  return make_command<T>([function, &keys, &args](request& r) {
    std::vector<std::string_view> all{function};
    const std::string count = std::to_string(std::size(keys));
    all.push_back(count);
    for (const auto& k : keys) all.push_back(k);
    for (const auto& a : args) all.push_back(a);
    r.push_range("FCALL", all);
  });
}

// Server -------------------------------------------------------------------------------------

/// PING: "PONG".
[[nodiscard]] inline auto ping() {
  return make_command<std::string>([](request& r) { r.push("PING"); });
}

/// INFO of one section ("server", "memory", …; empty: the default sections), as the text
/// the server sends.
[[nodiscard]] inline auto info(borrowed_string section = {}) {
  return make_command<std::string>([section](request& r) {
    if (section.empty()) {
      r.push("INFO");
    } else {
      r.push("INFO", section);
    }
  });
}

/// FLUSHDB (ASYNC when asked): true.
[[nodiscard]] inline auto flushdb(bool async = false) {
  return make_command<std::string>(
      [async](request& r) {
        if (async) {
          r.push("FLUSHDB", "ASYNC");
        } else {
          r.push("FLUSHDB");
        }
      },
      [](const std::string&) { return true; });
}

/// DBSIZE.
[[nodiscard]] inline auto dbsize() {
  return make_command<long long>([](request& r) { r.push("DBSIZE"); });
}

}  // namespace cmd
}  // namespace respool
