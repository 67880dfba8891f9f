#include <respool/protocol/cluster/detail/redirect.hpp>

#include <charconv>

namespace respool::cluster::detail {

namespace {

bool starts_with_word(std::string_view text, std::string_view word) noexcept {
  return text.starts_with(word) && (text.size() == word.size() || text[word.size()] == ' ');
}

template <class Int>
bool parse_number(std::string_view text, Int& out) noexcept {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

// "<slot> <host>:<port>" after MOVED or ASK.
bool read_target(std::string_view rest, redirect& r) noexcept {
  const std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return false;
  unsigned slot = 0;
  if (!parse_number(rest.substr(0, space), slot) || slot >= slot_count) return false;
  r.slot = static_cast<std::uint16_t>(slot);
  return split_address(rest.substr(space + 1), r.host, r.port);
}

}  // namespace

bool split_address(std::string_view address, std::string_view& host, std::uint16_t& port) noexcept {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  unsigned value = 0;
  if (!parse_number(address.substr(colon + 1), value) || value == 0 || value > 65535) {
    return false;
  }
  host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

redirect read_redirect(resp3::reply_view reply) noexcept {
  redirect r;
  if (reply.empty()) return r;
  const resp3::node& top = reply.front();
  if (top.data_type != resp3::type::simple_error && top.data_type != resp3::type::bulk_error) {
    return r;
  }
  const std::string_view text = top.value;
  if (starts_with_word(text, "MOVED") || starts_with_word(text, "ASK")) {
    const bool moved = text[1] == 'O';
    redirect target;
    if (!read_target(text.substr(moved ? 6 : 4), target)) return r;
    target.kind = moved ? redirect_kind::moved : redirect_kind::ask;
    target.text = text;
    return target;
  }
  for (std::string_view word : {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN"}) {
    if (starts_with_word(text, word)) r.kind = redirect_kind::try_later;
  }
  if (starts_with_word(text, "READONLY")) r.kind = redirect_kind::wrong_role;
  if (r.kind != redirect_kind::none) r.text = text;
  return r;
}

refresh_gate::clock::time_point refresh_gate::want(clock::time_point now) noexcept {
  if (running_) {
    again_ = true;
    return clock::time_point::max();
  }
  if (armed_) return clock::time_point::max();
  if (last_start_ == clock::time_point::min() || now - last_start_ >= spacing_) return now;
  armed_ = true;
  return last_start_ + spacing_;
}

void refresh_gate::started(clock::time_point now) noexcept {
  running_ = true;
  again_ = false;
  last_start_ = now;
  ++starts_;
}

refresh_gate::clock::time_point refresh_gate::finished(clock::time_point now) noexcept {
  running_ = false;
  if (!again_) return clock::time_point::max();
  again_ = false;
  armed_ = true;
  return now - last_start_ >= spacing_ ? now : last_start_ + spacing_;
}

}  // namespace respool::cluster::detail
