#include <respool/io/detail/multiplexer.hpp>
#include <respool/io/detail/push_answers.hpp>
#include <respool/protocol/cluster/detail/request_walker.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/resp3/type.hpp>

#include <algorithm>
#include <iterator>
#include <limits>

namespace respool::detail {

namespace {

// The confirmations' first element, which is also the command's name; the UNSUBSCRIBE forms
// come from index `first_unsubscribe` on.
constexpr std::string_view confirmation_names[] = {"subscribe",   "psubscribe",   "ssubscribe",
                                                   "unsubscribe", "punsubscribe", "sunsubscribe"};
constexpr int first_unsubscribe = 3;
// The first element of a RESP2 published message (in RESP3, a push).
constexpr std::string_view message_names[] = {"message", "pmessage", "smessage"};

int kind_of(std::string_view command) noexcept {
  for (int i = 0; i < static_cast<int>(std::size(confirmation_names)); ++i) {
    if (ascii::iequals(command, confirmation_names[i])) return i;
  }
  return -1;
}

// The first element of an aggregate reply, when it is a string: the kind of a pub/sub message.
std::string_view first_word(resp3::reply_view reply) noexcept {
  if (reply.size() < 2 || reply.front().aggregate_size == 0) return {};
  return resp3::is_string(reply[1].data_type) ? reply[1].value : std::string_view{};
}

bool names_a_message(std::string_view word) noexcept {
  for (const std::string_view m : message_names) {
    if (ascii::iequals(word, m)) return true;
  }
  return kind_of(word) >= 0;
}

}  // namespace

void push_answers::written(exec_state& e) {
  const request& req = *e.req;
  if (req.expected_replies() == req.commands()) {
    written_ += req.commands();
    return;
  }
  const std::size_t mark = slots_.size();
  const std::uint64_t first = written_;
  std::uint64_t ordinary_end = 0;  // one past the last ordinary command's number
  cluster::detail::request_walker walker(req.segments());
  cluster::detail::command_bytes where;
  while (walker.next(argv_, where)) {
    const int kind = kind_of(argv_[0]);
    const std::size_t channels = argv_.size() - 1;
    if (kind < 0) {
      ordinary_end = ++written_;
    } else if (channels > 0 || kind < first_unsubscribe) {
      const auto n = static_cast<std::uint32_t>(
          std::min<std::size_t>(channels, std::numeric_limits<std::uint32_t>::max()));
      slots_.push_back({written_++, n, static_cast<std::uint8_t>(kind), &e});
    }
  }
  if (!walker.ok()) {
    // Not the encoder's bytes: the answers are counted as before, none kept apart.
    slots_.resize(mark);
    written_ = first + req.expected_replies();
    return;
  }
  // A refusal can fail the request only while it waits for a later reply.
  for (std::size_t i = mark; i < slots_.size(); ++i) {
    if (slots_[i].position >= ordinary_end) slots_[i].owner = nullptr;
  }
}

push_answers::verdict push_answers::classify(resp3::reply_view reply) const noexcept {
  if (reply.empty()) return verdict::plain;
  const resp3::type top = reply.front().data_type;
  if (top == resp3::type::push || top == resp3::type::array) {
    const std::string_view word = first_word(reply);
    const slot& s = slots_[head_];
    if (s.confirmations > 0 && ascii::iequals(word, confirmation_names[s.kind])) {
      return verdict::confirmation;
    }
    // RESP2 has no push type: its pub/sub messages are arrays named by their first element.
    if (top == resp3::type::push || names_a_message(word)) return verdict::other_push;
  }
  return resp3::is_error(top) ? verdict::refusal : verdict::plain;
}

void push_answers::take(verdict v) noexcept {
  switch (v) {
    case verdict::confirmation:
      if (--slots_[head_].confirmations == 0) pop();
      return;
    case verdict::other_push:
      return;
    case verdict::refusal:
    case verdict::plain:
      pop();
      return;
  }
}

void push_answers::pop() noexcept {
  ++head_;
  ++read_;
  if (head_ == slots_.size()) {
    slots_.clear();
    head_ = 0;
  }
}

void push_answers::clear() noexcept {
  slots_.clear();
  head_ = 0;
  written_ = 0;
  read_ = 0;
}

}  // namespace respool::detail
