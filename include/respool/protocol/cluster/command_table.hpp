/// @file
/// @brief Where a command's keys are, and how a cluster client should route it: a table of
/// Redis commands with their key specifications and routing tips, built in for Redis 7.0 and
/// updatable from the server's `COMMAND` reply, without any I/O.
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace respool::cluster {

/// Where a command goes (the `request_policy` tip of Redis 7). `default_`: to the shard of its
/// keys, or to any node when it has none.
enum class request_policy : std::uint8_t { default_, all_nodes, all_shards, multi_shard, special };

/// How the replies of a command sent to several nodes combine (the `response_policy` tip).
enum class response_policy : std::uint8_t {
  default_,
  one_succeeded,
  all_succeeded,
  agg_logical_and,
  agg_logical_or,
  agg_min,
  agg_max,
  agg_sum,
  special
};

/// One key specification, as COMMAND reports it (Redis 7 "key_specs"): where the search for
/// keys begins, and how the keys are found from there.
struct key_spec {
  enum class begin_kind : std::uint8_t { index, keyword, unknown };
  enum class find_kind : std::uint8_t { range, keynum, unknown };
  begin_kind begin = begin_kind::unknown;
  /// Begin index: an argument index (argv[0] is the command name).
  int index = 0;
  /// Begin keyword, e.g. "STREAMS", matched case-insensitively; the keys start after it.
  std::string_view keyword;
  /// Where the keyword search starts: from this index forward, or, when zero or negative,
  /// backward from argc + startfrom.
  int startfrom = 0;
  find_kind find = find_kind::unknown;
  /// Range: the last key relative to the first (>= 0), or counted from the end (-1: the last
  /// argument); with `limit` > 0 and a negative `lastkey`, the keys take 1/limit of the
  /// remaining arguments. Every `keystep`-th argument is a key.
  int lastkey = 0, keystep = 1, limit = 0;
  /// Keynum: the key count is argument begin + keynumidx, the first key begin + firstkey, and
  /// every `keynum_step`-th argument from there is a key.
  int keynumidx = 0, firstkey = 0, keynum_step = 1;
  /// The spec may not find every key (the server's INCOMPLETE flag): keys cannot be taken from
  /// the specs when it matches.
  bool incomplete = false;
};

/// What routing needs to know about one command (or subcommand, e.g. "object|encoding").
struct command_info {
  /// Lowercase; "container|sub" for a subcommand.
  std::string_view name;
  /// Bit set of command_flag.
  std::uint32_t flags = 0;
  request_policy request = request_policy::default_;
  response_policy response = response_policy::default_;
  /// The key specifications, in the server's order; empty for a keyless command.
  std::span<const key_spec> keys;
};

/// The bits of command_info::flags.
enum command_flag : std::uint32_t {
  readonly = 1,
  write = 2,
  /// The keys' positions depend on the arguments (a key count, a keyword). When the specs
  /// cannot say where they are (a spec is incomplete or unknown, as SORT's BY/GET and STORE
  /// are), `incomplete_keys` is set too and the server must be asked (COMMAND GETKEYS).
  movablekeys = 4,
  /// The command never takes keys (PING, INFO, SCRIPT LOAD...).
  no_keys_at_all = 8,
  pubsub = 16,
  blocking = 32,
  admin = 64,
  noscript = 128,
  /// Allowed while the server loads its data set (the server's "loading" flag).
  loading_ok = 256,
  /// A spec is flagged INCOMPLETE, or its begin search or find method is unknown; also a
  /// Redis 6 entry with movable keys (it has no specs to say where they are).
  incomplete_keys = 512,
};

/**
 * The commands a client knows: their flags, routing tips and key specifications.
 *
 * Built in are the commands of Redis 7.0 with what its `COMMAND` reply says about them;
 * overlay() updates the table from the reply of the server actually connected to (other
 * versions, modules). Lookups never allocate.
 *
 * @warning The views in the command_info entries (names, keywords, key specs) point into the
 * table or into static data: they are valid while the table is, and moving the table keeps
 * them valid. The table cannot be copied.
 */
class command_table {
 public:
  /// The built-in table: the commands of Redis 7.0.
  command_table();
  command_table(const command_table&) = delete;
  command_table& operator=(const command_table&) = delete;
  command_table(command_table&&) noexcept;
  command_table& operator=(command_table&&) noexcept;
  ~command_table();

  /**
   * Overlays the reply of `COMMAND` (RESP2 or RESP3). Redis 7 entries are [name, arity, flags,
   * first, last, step, ACL categories, tips, key specs, subcommands], subcommands being entries
   * too; older servers send only the first 6 (Redis 5) or 7 (Redis 6) fields, and the keys are
   * then the range first..last by step (a negative last counts from the end). An entry
   * replaces the one of the same name; a name the table does not know is added (a module's
   * command).
   *
   * On a malformed reply (wrong types, a field or a spec missing, an error reply) returns
   * false with `why` set, and leaves the table as it was. Never reads outside the reply.
   */
  bool overlay(resp3::reply_view command_reply, std::string& why);

  /// The entry of command argv[0] (matched case-insensitively), or of its subcommand
  /// "argv[0]|argv[1]" when the command has subcommands and argv[1] names one (otherwise the
  /// container's own entry). Null for an unknown command or an empty argv. Never allocates.
  [[nodiscard]] const command_info* find(std::span<const std::string_view> argv) const noexcept;

  /// The number of entries, subcommands included.
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The built-in entries (the commands of Redis 7.0 and their subcommands), in no particular
/// order.
[[nodiscard]] std::span<const command_info> builtin_commands() noexcept;

namespace detail {

// The argument indices a spec names: first, first + step, ... up to last.
struct key_range {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t step = 1;
};

enum class spec_match : std::uint8_t {
  keys,     // the spec names the keys in `key_range`
  none,     // the spec does not apply (its keyword is absent, or the key count is 0)
  invalid,  // the keys cannot be found from this spec
};

// Applies one spec to argv, as the server does when it looks for a command's keys.
spec_match match_key_spec(const key_spec& spec, std::span<const std::string_view> argv,
                          key_range& out) noexcept;

}  // namespace detail

/**
 * Calls `f(i)` with the argument index of every key of the command `argv` (argv[0] the name),
 * in the order of its specs and then of argv: for `MSET a 1 b 2`, 1 and 3; for
 * `EVAL s 2 a b x`, 3 and 4; for `XREAD COUNT 2 STREAMS a b 0 0`, 4 and 5.
 *
 * The specs are applied as the server applies them: a keyword that is absent (STORE, say)
 * gives no keys, and so does a key count of 0 (`EVAL s 0`). Specs flagged NOT_KEY (the shard
 * channels of SPUBLISH and SSUBSCRIBE) give keys too: they are routed by their slot.
 *
 * Returns false, without calling `f`, when the keys cannot be found from the specs: a spec is
 * unknown, or incomplete and matched; a key count is not a non-negative integer or exceeds the
 * arguments; an index is past the end; or the command has movable keys and no specs. The
 * caller then asks the server (COMMAND GETKEYS) or fails. Never allocates.
 */
template <class F>
bool for_each_key(const command_info& cmd, std::span<const std::string_view> argv, F&& f) {
  if (cmd.keys.empty()) return (cmd.flags & movablekeys) == 0;
  detail::key_range r;
  // A first pass checks every spec, so that f sees either all the keys or none.
  if (cmd.keys.size() > 1) {
    for (const key_spec& s : cmd.keys) {
      if (detail::match_key_spec(s, argv, r) == detail::spec_match::invalid) return false;
    }
  }
  for (const key_spec& s : cmd.keys) {
    const detail::spec_match m = detail::match_key_spec(s, argv, r);
    if (m == detail::spec_match::invalid) return false;
    if (m == detail::spec_match::none) continue;
    for (std::size_t i = r.first; i <= r.last; i += r.step) f(i);
  }
  return true;
}

}  // namespace respool::cluster
