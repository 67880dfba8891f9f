/// @file
/// @brief The incremental RESP2/RESP3 reply parser: bytes in, flat arrays of nodes out.
#pragma once

#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/node.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool::resp3 {

/// Limits against hostile or broken servers. Each has its own error when crossed, and none is
/// ever used to allocate: memory grows with what has arrived, not with what was announced.
struct parser_config {
  static constexpr std::size_t default_max_bulk_length = std::size_t{512} << 20;  // Redis's own
  static constexpr std::size_t default_max_depth = 128;
  static constexpr std::uint32_t default_max_aggregate_size = 0xffffffff;
  static constexpr std::size_t default_max_reply_bytes = std::size_t{1} << 30;
  static constexpr std::size_t default_max_nodes = std::size_t{1} << 24;
  /// 64 KiB: the lines Redis sends are status words, error messages (it cuts the arguments it
  /// echoes at 128 bytes), numbers of at most 20 digits and doubles of at most 24
  /// characters; 64 KiB is also Redis's own limit for a request line it reads (inline
  /// commands). An error or simple string made by a script or a module may be longer: raise
  /// the limit for those.
  static constexpr std::size_t default_max_line_length = std::size_t{64} << 10;

  /// Longest bulk string, bulk error or verbatim string (error::bulk_too_long).
  std::size_t max_bulk_length = default_max_bulk_length;
  /// Deepest nesting of aggregates; at most 65535 (error::nesting_too_deep).
  std::size_t max_depth = default_max_depth;
  /// Most elements (pairs, for maps) an aggregate may declare or stream
  /// (error::aggregate_too_large). An aggregate that declares more elements than max_nodes
  /// (or max_reply_bytes) leaves room for fails on its header too (error::aggregate_cannot_fit).
  std::uint32_t max_aggregate_size = default_max_aggregate_size;
  /// Most bytes one reply may take on the wire, attributes included (error::reply_too_large).
  std::size_t max_reply_bytes = default_max_reply_bytes;
  /// Most nodes one reply may have, attributes included (error::too_many_nodes); bounds the
  /// node arrays, which a stream of tiny elements would otherwise make 8 times larger than
  /// the bytes received.
  std::size_t max_nodes = default_max_nodes;
  /// Longest line: the content of a simple string, simple error, number, double, big number
  /// or boolean, or the digits of a length or count, without its type byte and \r\n
  /// (error::line_too_long). Bounds what a line that never ends can make the reader buffer.
  std::size_t max_line_length = default_max_line_length;
};

/**
 * Parses RESP2 and RESP3 replies, one at a time, incrementally.
 *
 * parse() is given the bytes of the reply in progress, from its first byte: all that has
 * arrived so far. When they are not a whole reply yet, it returns false and remembers how far
 * it got; call it again, from the same first byte, when more have arrived (the bytes may have
 * moved in between: the parser keeps offsets, not pointers). Any split of the stream gives the
 * same nodes, and no byte is examined twice, so feeding a reply one byte at a time costs what
 * feeding it whole does. When parse() returns true, reply() is the reply, consumed() is its
 * length, and the next call starts the next reply.
 *
 * Attributes (`|`) are delivered apart from the reply they annotate, by attributes(), in the
 * order they came. An attribute that annotates an element of another attribute appears just
 * before that element, at its depth, and is not counted in the enclosing attribute's size (as
 * it would be placed, and not counted, among the elements of a reply). An attribute must be
 * followed by the element it annotates: one that ends a streamed aggregate is an error.
 *
 * Errors are sticky: after one, parse() fails with the same error until reset().
 *
 * **Example**:
 *
 * @code
 *     respool::resp3::parser p;
 *     std::error_code ec;
 *     std::string_view in = "*2\r\n$3\r\nfoo\r\n:42\r\n";
 *     if (p.parse(in, ec)) {
 *       for (const auto& n : p.reply()) print(n);   // array(2), bulk "foo", number "42"
 *       in.remove_prefix(p.consumed());
 *     }
 * @endcode
 */
class parser {
 public:
  explicit parser(const parser_config& cfg = {});

  /// Parses the reply that starts at `data[0]`. Returns true when it is complete; false when
  /// more bytes are needed (`ec` clear) or on a protocol error or exceeded limit (`ec` set).
  bool parse(std::string_view data, std::error_code& ec);

  /// The nodes of the reply parse() completed, in pre-order.
  /// @warning Views point into the `data` of that parse() call.
  [[nodiscard]] reply_view reply() const noexcept { return {nodes_.data(), nodes_.size()}; }

  /// The attribute nodes that came with that reply (each attribute, then its pairs), if any.
  [[nodiscard]] std::span<const node> attributes() const noexcept {
    return {attr_nodes_.data(), attr_nodes_.size()};
  }

  /// Bytes the completed reply took.
  [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

  /// After parse() returned false without an error: at least how many more bytes it needs
  /// (the rest of a bulk string, or 1).
  [[nodiscard]] std::size_t bytes_needed() const noexcept { return needed_; }

  /// True between the first bytes of a reply and its completion.
  [[nodiscard]] bool in_progress() const noexcept { return !complete_ && pos_ != 0; }

  /// The sticky error, if any.
  [[nodiscard]] std::error_code error() const noexcept { return error_; }

  /// Forgets the reply in progress and any error.
  void reset() noexcept;

  [[nodiscard]] const parser_config& config() const noexcept { return cfg_; }

 private:
  // A node while its reply is incomplete: offsets into the reply, not pointers.
  struct raw_node {
    type data_type;
    std::uint16_t depth;
    std::uint32_t aggregate_size;
    std::size_t offset;
    std::size_t length;
  };

  // An aggregate whose elements are still arriving.
  struct frame {
    std::uint64_t count;  // elements still expected, or, when streamed, elements seen so far
    std::size_t node;     // index of the aggregate's node, to fill in a streamed size
    type kind;
    bool streamed;
  };

  enum class step { done, more, failed };

  // What reading one item (a line, or a bulk payload) leads to: read the next item, the reply
  // is complete, more bytes are needed (needed_ says how many), or error_ is set.
  enum class flow { next, complete, more, failed };

  // One line: its type byte, its content and where the next item starts.
  struct line_item {
    char kind;
    std::size_t content;
    std::string_view text;
    std::size_t next;
  };

  void start_reply() noexcept;
  bool fail(respool::error e, std::error_code& ec) noexcept;
  bool failed(std::error_code& ec) const noexcept;  // reports the error already recorded
  flow stop(respool::error e) noexcept;             // records e, for the item readers
  // The hot helpers are inline; they are used, and defined, in parser.cpp only.
  inline step line_end(const char* base, std::size_t limit, std::size_t& cr) noexcept;
  inline bool emit(type t, std::size_t offset, std::size_t length, std::uint32_t size = 0);
  bool push_frame(type t, std::uint64_t count, bool streamed);
  [[nodiscard]] bool could_fit(type t, std::uint64_t count, std::size_t next) const noexcept;
  inline bool element_done(bool was_attribute) noexcept;
  void finish(const char* base);

  // One reader per shape of item on the wire; each returns what comes next.
  inline flow read_item(const char* base, std::size_t limit);
  inline flow read_payload(const char* base, std::size_t limit);
  inline flow simple_line(type t, line_item l);
  flow checked_line(line_item l);
  inline flow blob_header(line_item l);
  flow stream_part_end();
  inline flow aggregate_header(line_item l);
  flow empty_aggregate(type t);
  flow aggregate_end(line_item l);
  flow null_element();

  parser_config cfg_;
  std::unique_ptr<frame[]> stack_;  // max_depth frames, allocated once
  std::size_t depth_ = 0;           // frames in use
  std::size_t attr_depth_ = 0;      // frames that belong to attributes: their nodes go apart
  bool after_attribute_ = false;    // an attribute has just ended: an element must follow

  std::vector<raw_node> raw_;
  std::vector<raw_node> attr_raw_;
  std::vector<node> nodes_;
  std::vector<node> attr_nodes_;

  std::size_t pos_ = 0;        // start of the next item (its type byte)
  std::size_t line_scan_ = 0;  // where the search for the current line's end resumes
  bool pending_ = false;       // waiting for the payload of a bulk whose header was read
  type pending_type_ = type::bulk_string;
  std::size_t pending_offset_ = 0;  // its payload's offset and length
  std::size_t pending_length_ = 0;
  bool complete_ = false;
  std::size_t consumed_ = 0;
  std::size_t needed_ = 1;
  std::error_code error_;
};

}  // namespace respool::resp3
