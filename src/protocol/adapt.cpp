#include <respool/protocol/adapt.hpp>

#include <charconv>
#include <cstdint>

namespace respool {

void throw_adapt_error(const adapt_error& e) { throw std::system_error(e.code, e.message); }

namespace detail {

namespace {
std::string with_article(std::string_view noun) {
  const bool vowel =
      !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}
}  // namespace

void set_error(adapt_error& err, error code, std::string message) {
  err.code = code;
  err.message = std::move(message);
}

void set_mismatch(adapt_error& err, std::string_view expected, const resp3::node& got) {
  set_error(err, error::unexpected_type,
            "expected " + std::string(expected) + ", got " +
                with_article(resp3::to_string(got.data_type)));
}

void set_server_error(adapt_error& err, const resp3::node& got) {
  // LOADING means the command was refused before it ran (a restarted server or a replica
  // loading its data), not that it failed: callers may send it again.
  const bool loading = got.value.starts_with("LOADING ");
  set_error(err, loading ? error::server_loading : error::server_error, std::string(got.value));
}

void set_missing(adapt_error& err, std::string_view expected) {
  set_error(err, error::unexpected_type, "expected " + std::string(expected) + ", got nothing");
}

bool read_integer(std::string_view text, std::int64_t& out, adapt_error& err) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ptr == text.data() + text.size() && !text.empty()) {
    if (r.ec == std::errc{}) return true;
    if (r.ec == std::errc::result_out_of_range) {
      set_error(err, error::integer_out_of_range,
                std::string(text) + " does not fit a 64-bit integer");
      return false;
    }
  }
  set_error(err, error::not_a_number, "expected an integer, got \"" + std::string(text) + "\"");
  return false;
}

bool read_unsigned(std::string_view text, std::uint64_t& out, adapt_error& err) {
  if (!text.empty() && text[0] == '-') {
    std::int64_t negative = 0;
    if (read_integer(text, negative, err)) {
      set_error(err, error::integer_out_of_range,
                std::string(text) + " does not fit an unsigned integer");
    }
    return false;
  }
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ptr == text.data() + text.size() && !text.empty()) {
    if (r.ec == std::errc{}) return true;
    if (r.ec == std::errc::result_out_of_range) {
      set_error(err, error::integer_out_of_range,
                std::string(text) + " does not fit a 64-bit unsigned integer");
      return false;
    }
  }
  set_error(err, error::not_a_number, "expected an integer, got \"" + std::string(text) + "\"");
  return false;
}

bool read_double(std::string_view text, double& out, adapt_error& err) {
  // Redis writes infinities as "inf", "-inf" and, in RESP2 scores, "+inf".
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (!text.empty() && r.ptr == text.data() + text.size() &&
      (r.ec == std::errc{} || r.ec == std::errc::result_out_of_range)) {
    return true;
  }
  set_error(err, error::not_a_number, "expected a double, got \"" + std::string(text) + "\"");
  return false;
}

}  // namespace detail

generic_reply::generic_reply(const generic_reply& other) : owning_{other.owning_} {
  assign(other.nodes());
}

generic_reply& generic_reply::operator=(const generic_reply& other) {
  if (this != &other) {
    owning_ = other.owning_;
    assign(other.nodes());
  }
  return *this;
}

generic_reply::generic_reply(generic_reply&& other) noexcept
    : owning_{other.owning_}, nodes_{std::move(other.nodes_)} {
  const char* old = other.bytes_.data();
  bytes_ = std::move(other.bytes_);
  repoint(old);
}

generic_reply& generic_reply::operator=(generic_reply&& other) noexcept {
  if (this != &other) {
    owning_ = other.owning_;
    nodes_ = std::move(other.nodes_);
    const char* old = other.bytes_.data();
    bytes_ = std::move(other.bytes_);
    repoint(old);
  }
  return *this;
}

// A moved std::string keeps its heap bytes where they were, but short strings live inside the
// object and move with it: views into them are re-pointed.
void generic_reply::repoint(const char* old_bytes) noexcept {
  if (!owning_ || old_bytes == bytes_.data()) return;
  for (resp3::node& n : nodes_) {
    if (!n.value.empty()) n.value = {bytes_.data() + (n.value.data() - old_bytes), n.value.size()};
  }
}

void generic_reply::assign(std::span<const resp3::node> nodes) {
  nodes_.assign(nodes.begin(), nodes.end());
  if (!owning_) return;
  std::size_t total = 0;
  for (const resp3::node& n : nodes_) total += n.value.size();
  bytes_.clear();
  bytes_.reserve(total);  // no reallocation below: the views taken stay valid
  for (resp3::node& n : nodes_) {
    if (n.value.empty()) continue;
    const std::size_t at = bytes_.size();
    bytes_.append(n.value);
    n.value = {bytes_.data() + at, n.value.size()};
  }
}

}  // namespace respool
