/// @file
/// @brief The command encoder: RESP requests written into a pre-sized array of gather segments.
#pragma once

#include <respool/protocol/detail/encode.hpp>
#include <respool/protocol/detail/request_args.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/segment.hpp>

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace respool {

namespace detail {

struct request_access;

}  // namespace detail

/// The customisation point for user types: `respool::to_bulk(x)` calls the
/// `respool_to_bulk(const T&)` found by argument-dependent lookup in T's namespace. The hook
/// returns anything `request::push` takes (a view of `x`, a string, an integer, a double, a
/// byte array by value), and the result is encoded under the same lifetime rules as if the
/// caller had passed it: a returned view is referenced, a returned value is copied.
///
/// **Example**:
///
/// @code
///     namespace app {
///     enum class color { red, green };
///     std::string_view respool_to_bulk(color c) { return c == color::red ? "red" : "green"; }
///     }
///     req.push("SET", "paint", app::color::red);  // *3 $3 SET $5 paint $3 red
/// @endcode
inline constexpr detail::to_bulk_fn to_bulk{};

/// How a request stores its arguments.
struct request_config {
  /// Arguments this long or longer are referenced instead of copied. Chosen by measurement:
  /// bench/RESULTS.md ("copy threshold") has the figures and the command that produced them.
  static constexpr std::size_t default_copy_threshold = 8192;

  /// Arguments of at least this many bytes are referenced, shorter ones copied. 0 references
  /// every non-empty byte argument; `SIZE_MAX` copies everything.
  std::size_t copy_threshold = default_copy_threshold;
};

/**
 * One or more Redis commands (a pipeline), encoded as RESP into an array of gather segments.
 *
 * Each push() counts its arguments first, makes room for all of them at once (at most
 * `2 * nargs + 1` segments, and the scratch bytes its headers and small arguments need), then
 * fills the segments and the scratch area by a manually advanced index, never growing or
 * measuring them while it writes. Headers (`*3\r\n`, `$5\r\n`) and small arguments are
 * written into the scratch area; consecutive scratch bytes form one segment, so a pipeline of
 * small commands is a single segment. Arguments of `copy_threshold` bytes or more are
 * referenced in their own segment, never copied.
 *
 * **Lifetimes** (the rule of `asio::buffer`): an argument the caller owns, passed as an lvalue
 * or as a view (`std::string_view`, `std::span`, `const char*`), may be referenced: it must
 * stay alive and unchanged until the request has been written or flattened. A temporary
 * passed by value is never referenced: a `std::string` rvalue is copied when small and moved
 * into the request when large; other temporaries are copied. Numbers are formatted into the
 * scratch area.
 *
 * clear() keeps every buffer's capacity, so a request reused for commands of the same shape
 * allocates nothing. A request is not thread-safe.
 *
 * **Example**:
 *
 * @code
 *     respool::request req;
 *     req.push("SET", "key", value);       // value referenced if large, copied if small
 *     req.push("INCRBY", "counter", 42);
 *     req.push_range("HSET", "h", fields); // any range of pairs
 *     writev(fd, respool::as_iovec(req.segments().data()), int(req.segments().size()));
 * @endcode
 */
class request {
 public:
  /// request_config's default (see there).
  static constexpr std::size_t default_copy_threshold = request_config::default_copy_threshold;

  request() noexcept = default;
  explicit request(request_config cfg) noexcept
      : threshold_{cfg.copy_threshold != 0 ? cfg.copy_threshold : 1} {}
  request(const request& other);
  request(request&& other) noexcept;
  request& operator=(const request& other);
  request& operator=(request&& other) noexcept;
  ~request() = default;

  /// Appends the command `cmd args...`. Takes strings, string views, byte spans and ranges,
  /// integers, doubles, and user types with a `respool_to_bulk` hook (see `to_bulk`).
  template <class... Args>
  request& push(std::string_view cmd, Args&&... args) {
    count_push_answered(cmd);
    return push_sources(cmd, detail::bulk_source(std::forward<Args>(args))...);
  }

  /// Appends `cmd` followed by every element of `range`; a pair or tuple element contributes
  /// each of its members (`MSET` of a map, `HSET` field/value pairs, `ZADD` score/member).
  /// The range is traversed twice (sizing, then writing), so it must be a forward range.
  template <std::ranges::forward_range Range>
  request& push_range(std::string_view cmd, Range&& range) {
    count_push_answered(cmd);
    const detail::arg head[] = {detail::make_arg(cmd)};
    push_range_impl(head, std::forward<Range>(range));
    return *this;
  }

  /// Appends `cmd key` followed by every element of `range`, as push_range(cmd, range).
  template <class Key, std::ranges::forward_range Range>
  request& push_range(std::string_view cmd, Key&& key, Range&& range) {
    count_push_answered(cmd);
    // A temporary the hook returns lives until this function returns.
    auto&& key_source = detail::bulk_source(std::forward<Key>(key));
    const detail::arg head[] = {detail::make_arg(cmd),
                                detail::make_arg(std::forward<decltype(key_source)>(key_source))};
    push_range_impl(head, std::forward<Range>(range));
    return *this;
  }

  /// Makes room for `nargs` more arguments carrying `bytes` bytes in total, so that pushing
  /// them allocates nothing.
  void reserve(std::size_t nargs, std::size_t bytes);

  /// Appends `commands` commands that are already encoded as RESP in `bytes`, referencing the
  /// segments' bytes where they lie (they must outlive the request's use, as referenced
  /// arguments do). The bytes are not checked: they must hold exactly `commands` complete
  /// commands, of which `push_answered` are (P|S)(UN)SUBSCRIBEs. For forwarding part of
  /// another request (a cluster routes each command of a pipeline to its node) without copying.
  void append_encoded(std::span<const segment> bytes, std::size_t commands,
                      std::size_t push_answered = 0);

  /// Removes every command, keeping the capacity of every buffer.
  void clear() noexcept {
    seg_count_ = 0;
    pos_ = 0;
    run_start_ = 0;
    last_is_scratch_ = false;
    referenced_bytes_ = 0;
    commands_ = 0;
    push_answered_ = 0;
    if (!owned_.empty()) owned_.clear();
  }

  /// The encoded request as gather segments, in order; valid until the next non-const call.
  /// @warning Segments may point at the caller's arguments (see the lifetime rules above).
  [[nodiscard]] std::span<const segment> segments() const noexcept {
    return {segs_.get(), seg_count_};
  }

  /// Number of commands pushed since construction or the last clear().
  [[nodiscard]] std::size_t commands() const noexcept { return commands_; }

  /// Number of replies the server sends to this request: one per command, except for the
  /// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE commands, which RESP3 answers with push messages.
  [[nodiscard]] std::size_t expected_replies() const noexcept { return commands_ - push_answered_; }

  /// Total bytes of the encoded request (the sum of the segments' sizes).
  [[nodiscard]] std::size_t size_bytes() const noexcept { return pos_ + referenced_bytes_; }

  [[nodiscard]] bool empty() const noexcept { return commands_ == 0; }

  [[nodiscard]] std::size_t copy_threshold() const noexcept { return threshold_; }

  /// Marks the request as safe to run twice (`SET k v`, not `INCR k`): a connection with a
  /// retry policy (config::retry) then retries it after a lost connection, as it does requests
  /// of read-only commands. Kept by clear().
  void set_idempotent(bool yes = true) noexcept { idempotent_ = yes; }
  [[nodiscard]] bool idempotent() const noexcept { return idempotent_; }
  /// Tries in all for this request, overriding config::retry's (its delays stay): 1 never
  /// retries it, 0 (the default) follows the connection's policy. Kept by clear().
  void set_max_attempts(std::uint32_t n) noexcept { max_attempts_ = n; }
  [[nodiscard]] std::uint32_t max_attempts() const noexcept { return max_attempts_; }

  /// Capacities kept across clear(): segments, and bytes of scratch.
  [[nodiscard]] std::size_t segment_capacity() const noexcept { return seg_cap_; }
  [[nodiscard]] std::size_t scratch_capacity() const noexcept { return scratch_cap_; }

  /// Appends the encoded bytes, as one contiguous copy, to a resizable byte container
  /// (`std::string`, `std::vector<char>`), for transports that cannot gather.
  template <class Buffer>
  requires requires(Buffer& b, std::size_t n) {
    b.resize(n);
    { b.data() } -> std::convertible_to<char*>;
  }
  void flatten_into(Buffer& out) const {
    const std::size_t old = out.size();
    out.resize(old + size_bytes());
    copy_to(out.data() + old);
  }

  /// Copies the encoded bytes to the start of `out` and returns how many were written. When
  /// `out` is smaller than size_bytes(), nothing is written and `ec` is `not_enough_space`.
  std::size_t flatten_into(std::span<char> out, std::error_code& ec) const noexcept;

 private:
  friend struct detail::request_access;

  struct owned_string {
    std::string bytes;
    std::size_t segment;  // index of the segment that references `bytes`
  };

  template <class... Sources>
  request& push_sources(std::string_view cmd, Sources&&... sources) {
    return push_unrolled(std::make_index_sequence<1 + sizeof...(Sources)>{}, cmd,
                         std::forward<Sources>(sources)...);
  }

  // The fold expressions unroll the work per argument, so each argument's kind is a constant
  // the compiler folds away: no loop and no dispatch remain for the common case.
  template <std::size_t... I, class... Sources>
  request& push_unrolled(std::index_sequence<I...>, std::string_view cmd, Sources&&... sources) {
    constexpr std::size_t n = sizeof...(I);
    const detail::arg args[] = {detail::make_arg(cmd),
                                detail::make_arg(std::forward<Sources>(sources))...};
    const std::size_t bytes = (scratch_need(args[I]) + ...);
    if ((is_copied(args[I]) && ...) && seg_count_ < seg_cap_ &&
        scratch_cap_ - pos_ >= detail::command_header_max + bytes) {
      // The common case, inline: every argument is copied and the room is already there. The
      // state is read before the bytes are written, since stores through a char pointer could
      // alias it and would force it to be read again afterwards.
      char* const start = scratch_.get() + pos_;
      segment* const last = last_is_scratch_ ? &segs_[seg_count_ - 1] : nullptr;
      char* p = detail::put_header(start, '*', n);
      ((p = detail::put_copied(p, args[I])), ...);
      const auto written = static_cast<std::size_t>(p - start);
      // Each command ends with its scratch run closed (run_start_ == pos_), so the bytes just
      // written extend the last segment when it is a scratch run, else start a new one.
      if (last != nullptr) {
        last->size += written;
      } else {
        segs_[seg_count_++] = {start, written};
        last_is_scratch_ = true;
      }
      pos_ += written;
      run_start_ = pos_;
      ++commands_;
    } else {
      // A copy: taking the address of `args` itself would keep it in memory, where the byte
      // stores above could alias it, instead of in registers.
      const detail::arg spilled[] = {args[I]...};
      push_args(spilled, n, bytes);
    }
    return *this;
  }

  // Counts the commands whose confirmations come as push messages. Most commands are told
  // apart by their length alone.
  void count_push_answered(std::string_view cmd) noexcept {
    if (cmd.size() >= 9 && cmd.size() <= 12 && detail::is_push_answered(cmd)) ++push_answered_;
  }

  // True when the argument is written into the scratch area rather than referenced.
  [[nodiscard]] bool is_copied(const detail::arg& a) const noexcept {
    switch (a.kind) {
      case detail::arg_kind::view:
      case detail::arg_kind::owned:
        return a.size < threshold_;
      default:
        return true;
    }
  }

  // Turns the scratch bytes written since the last segment into a segment, or extends the
  // last segment when it is a scratch run that ends where they begin.
  void close_run() noexcept {
    const std::size_t n = pos_ - run_start_;
    if (n == 0) return;
    if (last_is_scratch_) {
      segs_[seg_count_ - 1].size += n;
    } else {
      segs_[seg_count_++] = {scratch_.get() + run_start_, n};
      last_is_scratch_ = true;
    }
    run_start_ = pos_;
  }

  template <std::size_t N, class Range>
  void push_range_impl(const detail::arg (&head)[N], Range&& range);

  // Scratch bytes one argument needs, at most: its header, its bytes when copied, its CRLF.
  // The header bound is "$NN\r\n" below 100 bytes and the size_t maximum above, where 18
  // spare bytes are small next to the argument.
  [[nodiscard]] std::size_t scratch_need(const detail::arg& a) const noexcept {
    const std::size_t header = a.size < 100 ? 5 : 1 + 20 + 2;
    switch (a.kind) {
      case detail::arg_kind::view:
      case detail::arg_kind::owned:
        return header + (a.size < threshold_ ? a.size : 0) + 2;
      case detail::arg_kind::copy:
        return header + a.size + 2;
      default:
        return 5 + 24 + 2;  // "$24\r\n", the longest number, "\r\n"
    }
  }

  // Compiled in src/protocol/request.cpp: sizing, writing, buffer management.
  struct state {
    std::size_t seg_count, pos, run_start, referenced_bytes, owned;
    bool last_is_scratch;
  };
  [[nodiscard]] state save() const noexcept {
    return {seg_count_, pos_, run_start_, referenced_bytes_, owned_.size(), last_is_scratch_};
  }
  [[noreturn]] void range_changed(const state& before);

  void push_args(const detail::arg* args, std::size_t n, std::size_t scratch_bytes);
  void begin_command(std::size_t nargs, std::size_t scratch_bytes);
  void append_args(const detail::arg* args, std::size_t n);
  void append_arg_checked(const detail::arg& a);
  void end_command() noexcept;
  void grow_segments(std::size_t needed);
  void grow_scratch(std::size_t needed);
  void append_referenced(const char* data, std::size_t size) noexcept;
  void append_owned(std::string& s);
  void copy_to(char* out) const noexcept;

  std::unique_ptr<segment[]> segs_;
  std::size_t seg_count_ = 0;
  std::size_t seg_cap_ = 0;
  std::unique_ptr<char[]> scratch_;
  std::size_t pos_ = 0;  // scratch bytes written
  std::size_t scratch_cap_ = 0;
  std::size_t run_start_ = 0;     // scratch offset where the bytes not yet in a segment begin
  bool last_is_scratch_ = false;  // the last segment ends at run_start_ and may be extended
  std::size_t referenced_bytes_ = 0;
  std::size_t commands_ = 0;
  std::size_t push_answered_ = 0;  // commands answered by push messages (expected_replies())
  std::size_t threshold_ = default_copy_threshold;
  std::uint32_t max_attempts_ = 0;
  bool idempotent_ = false;
  std::vector<owned_string> owned_;
};

/// Renders the commands of `req` one per line, each argument double-quoted with non-printable
/// bytes escaped (`"SET" "k" "\x00\r\n"`), for logs and test diagnostics.
[[nodiscard]] std::string to_string(const request& req);

template <std::size_t N, class Range>
void request::push_range_impl(const detail::arg (&head)[N], Range&& range) {
  using reference = std::ranges::range_reference_t<Range>;
  constexpr std::size_t arity = detail::element_arity<reference>();
  // Elements of a temporary container die with it, so they are copied, never referenced.
  constexpr bool owning = !std::is_lvalue_reference_v<Range> && !std::ranges::borrowed_range<Range>;

  // Pass 1: count the elements and the scratch bytes they need.
  std::size_t count = 0;
  std::size_t bytes = 0;
  bool all_copied = true;
  for (const detail::arg& a : head) bytes += scratch_need(a);
  for (auto&& element : range) {
    detail::for_each_arg<owning>(std::forward<decltype(element)>(element),
                                 [&](const detail::arg& a) {
                                   bytes += scratch_need(a);
                                   all_copied &= is_copied(a);
                                 });
    ++count;
  }

  // Pass 2: write into the room made for exactly that.
  const state before = save();
  begin_command(N + count * arity, bytes);
  append_args(head, N);
  std::size_t seen = 0;
  if constexpr (detail::element_is_stable<reference>()) {
    if (all_copied) {
      // The common case, inline: every element is copied into the room made above, with
      // each argument's kind a constant.
      char* const base = scratch_.get();
      char* p = base + pos_;
      for (auto&& element : range) {
        if (seen++ == count) break;
        detail::for_each_arg<owning>(element,
                                     [&](const detail::arg& a) { p = detail::put_copied(p, a); });
      }
      pos_ = static_cast<std::size_t>(p - base);
      if (seen < count) range_changed(before);
      end_command();
      return;
    }
    // Views into live elements: convert a batch onto the stack, then encode it in one call.
    constexpr std::size_t batch_size = 64;
    detail::arg batch[batch_size + arity];
    std::size_t n = 0;
    for (auto&& element : range) {
      if (seen++ == count) break;
      detail::for_each_arg<owning>(element, [&](const detail::arg& a) { batch[n++] = a; });
      if (n >= batch_size) {
        append_args(batch, n);
        n = 0;
      }
    }
    append_args(batch, n);
  } else {
    // Converting an element makes temporaries, whose sizes pass 1 could not pin down: each
    // argument is checked against the room left.
    for (auto&& element : range) {
      if (seen++ == count) break;
      detail::for_each_arg<owning>(std::forward<decltype(element)>(element),
                                   [&](const detail::arg& a) { append_arg_checked(a); });
    }
  }
  if (seen < count) range_changed(before);
  end_command();
}

}  // namespace respool
