#include <respool/io/detail/connection_logic.hpp>
#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/cluster/detail/redirect.hpp>
#include <respool/protocol/cluster/detail/request_walker.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/error.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>
#include <utility>

namespace respool::detail {

namespace {

// A delay drawn uniformly from [delay·(1 − jitter), delay], `unit` being uniform in [0, 1).
std::chrono::milliseconds jittered(std::chrono::milliseconds delay, double jitter,
                                   double unit) noexcept {
  const double factor = 1.0 - std::clamp(jitter, 0.0, 1.0) * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(delay.count()) * factor));
}

bool is_error_reply(const resp3::node& n) noexcept {
  return n.data_type == resp3::type::simple_error || n.data_type == resp3::type::bulk_error;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// subscriptions

void subscriptions::observe(resp3::reply_view reply) {
  if (reply.size() < 4 || reply[0].aggregate_size != 3) return;
  if (reply[0].data_type != resp3::type::push && reply[0].data_type != resp3::type::array) return;
  const std::string_view kind = reply[1].value;
  const resp3::node& name = reply[2];
  if (name.data_type == resp3::type::null) return;  // UNSUBSCRIBE with nothing subscribed
  auto update = [&](std::set<std::string, std::less<>>& set, bool add) {
    if (add) {
      if (set.find(name.value) == set.end()) set.emplace(name.value);
    } else if (auto it = set.find(name.value); it != set.end()) {
      set.erase(it);
    }
  };
  if (kind == "subscribe") update(channels_, true);
  if (kind == "unsubscribe") update(channels_, false);
  if (kind == "psubscribe") update(patterns_, true);
  if (kind == "punsubscribe") update(patterns_, false);
  if (kind == "ssubscribe") update(shard_channels_, true);
  if (kind == "sunsubscribe") update(shard_channels_, false);
}

void subscriptions::append_restore(request& req) const {
  if (!channels_.empty()) req.push_range("SUBSCRIBE", channels_);
  if (!patterns_.empty()) req.push_range("PSUBSCRIBE", patterns_);
  if (!shard_channels_.empty()) req.push_range("SSUBSCRIBE", shard_channels_);
}

bool read_invalidation(resp3::reply_view reply, std::vector<std::string_view>& keys) {
  if (reply.size() < 3 || reply[0].data_type != resp3::type::push ||
      reply[1].value != "invalidate") {
    return false;
  }
  keys.clear();
  for (std::size_t i = 3; i < reply.size(); ++i) keys.push_back(reply[i].value);
  return true;
}

// ---------------------------------------------------------------------------------------------
// setup

void build_setup(const config& cfg, int protocol, const subscriptions& subs, request& out) {
  out.clear();
  if (cfg.setup) {
    out = *cfg.setup;
  } else {
    if (protocol == 3) {
      std::vector<std::string_view> args{"3"};
      if (!cfg.password.empty()) {
        const std::string_view user =
            cfg.username.empty() ? std::string_view{"default"} : std::string_view{cfg.username};
        args.insert(args.end(), {"AUTH", user, cfg.password});
      }
      if (!cfg.client_name.empty()) args.insert(args.end(), {"SETNAME", cfg.client_name});
      out.push_range("HELLO", args);
    } else {
      if (!cfg.password.empty()) {
        if (cfg.username.empty()) {
          out.push("AUTH", cfg.password);
        } else {
          out.push("AUTH", cfg.username, cfg.password);
        }
      }
      if (!cfg.client_name.empty()) out.push("CLIENT", "SETNAME", cfg.client_name);
    }
    if (cfg.database != 0) out.push("SELECT", cfg.database);
    if (cfg.readonly) out.push("READONLY");
    if (cfg.client_tracking && protocol == 3) out.push("CLIENT", "TRACKING", "ON");
  }
  // Whether the server the sentinels named still has the role they named it for.
  if (cfg.sentinel.enabled()) out.push("ROLE");
  // Before the subscriptions: its answer is a reply, not a push, in either protocol.
  out.push("PING");
  // Subscriptions come back on every new connection; their confirmations are push messages.
  subs.append_restore(out);
}

setup_outcome evaluate_setup(std::span<const generic_reply> replies, bool custom, int protocol) {
  setup_outcome out;
  out.protocol = protocol;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto nodes = replies[i].nodes();
    if (nodes.empty() || !is_error_reply(nodes.front())) continue;
    const std::string_view msg = nodes.front().value;
    if (i == 0 && !custom && protocol == 3 &&
        (msg.starts_with("NOPROTO") || msg.starts_with("ERR unknown command"))) {
      out.verdict = setup_outcome::fall_back_to_resp2;
      out.protocol = 2;
      return out;
    }
    if (msg.starts_with("LOADING ")) {
      out.verdict = setup_outcome::loading;
      out.message = std::string(msg);
      return out;
    }
    if (out.verdict != setup_outcome::refused) {
      out.verdict = setup_outcome::refused;
      out.message = std::string(msg);
    }
  }
  if (custom) {
    out.protocol = 2;
    for (const generic_reply& r : replies) {
      if (!r.empty() && r.nodes().front().data_type == resp3::type::map) out.protocol = 3;
    }
  }
  return out;
}

void evaluate_role(std::span<const generic_reply> replies, sentinel_role wanted,
                   setup_outcome& outcome) {
  if (outcome.verdict != setup_outcome::established) return;
  std::string_view role;
  if (replies.size() >= 2) {
    // ROLE: an array whose first element names the role ("master", "slave", "sentinel").
    const auto nodes = replies[replies.size() - 2].nodes();
    if (nodes.size() >= 2 && resp3::is_aggregate(nodes[0].data_type)) role = nodes[1].value;
  }
  const std::string_view want = wanted == sentinel_role::master ? "master" : "slave";
  if (role == want) return;
  outcome.verdict = setup_outcome::wrong_role;
  outcome.message =
      role.empty() ? std::string("no ROLE reply") : std::string("ROLE says ").append(role);
}

std::chrono::milliseconds connection_wait(const config& cfg) noexcept {
  return std::max(cfg.wait_for_connection.value_or(cfg.connect_timeout),
                  std::chrono::milliseconds{0});
}

std::string describe_not_connected(const config& cfg, std::error_code last_error) {
  std::string out = "no connection to ";
  if (cfg.sentinel.enabled()) {
    out += cfg.sentinel.role == sentinel_role::master ? "the master " : "a replica of ";
    out += cfg.sentinel.master_name;
    out += " through sentinels, last at ";
  }
  if (cfg.unix_socket.empty()) {
    // Bracketed when the host is an IPv6 address, as in a URI.
    const bool v6 = cfg.host.find(':') != std::string::npos;
    out += (v6 ? "[" + cfg.host + "]" : cfg.host) + ":" + std::to_string(cfg.port);
  } else {
    out += cfg.unix_socket;
  }
  out += last_error ? " (last error: " + last_error.message() + ")" : std::string(" yet");
  return out;
}

// ---------------------------------------------------------------------------------------------
// backoff

double jitter_unit() noexcept {
  // splitmix64 over a process-wide counter: distinct, well-mixed seeds for every thread from a
  // single read of the random device.
  static std::atomic<std::uint64_t> counter{[] {
    try {
      std::random_device device;
      return (std::uint64_t{device()} << 32) ^ device();
    } catch (...) {  // no entropy source: jitter only needs to differ between processes
      return static_cast<std::uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count());
    }
  }()};
  thread_local std::minstd_rand rng{[] {
    std::uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15, std::memory_order_relaxed);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return static_cast<std::minstd_rand::result_type>(z ^ (z >> 31));
  }()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::chrono::milliseconds backoff::next(double unit) noexcept {
  const auto delay = std::min(current_, cfg_.max_delay);
  const double grown = static_cast<double>(delay.count()) * std::max(cfg_.multiplier, 1.0);
  current_ = std::min(std::chrono::milliseconds(static_cast<std::int64_t>(grown)), cfg_.max_delay);
  return jittered(delay, cfg_.jitter, unit);
}

// ---------------------------------------------------------------------------------------------
// health_check

std::chrono::milliseconds health_check::tick_period() const noexcept {
  return std::max(std::min(interval_, timeout_) / 2, std::chrono::milliseconds(1));
}

health_check::action health_check::tick(clock::time_point now, clock::time_point last_read,
                                        bool paused, clock::time_point quiet_until) noexcept {
  if (!enabled() || paused) return action::none;
  // A blocking command's silence is no sign of death: silence counts from its end.
  const clock::time_point since = std::max(last_read, quiet_until);
  if (since == clock::time_point::max() || since > now) return action::none;
  if (ping_out_) {
    // Dead only when neither the PING's reply nor anything else came for the whole timeout.
    if (now - since >= timeout_ && now - ping_sent_ >= timeout_) return action::dead;
    return action::none;
  }
  if (now - since < interval_) return action::none;
  ping_out_ = true;
  ping_sent_ = now;
  return action::send_ping;
}

// ---------------------------------------------------------------------------------------------
// push_queue

void push_queue::copy(resp3::reply_view reply, generic_reply& out) {
  if (!out.owns_bytes()) out = generic_reply(generic_reply::owning);
  out.assign(reply);
}

bool push_queue::push(resp3::reply_view reply) {
  if (full()) return false;
  if (count_ == ring_.size()) {
    // Grows, oldest first, keeping the replies' buffers.
    const std::size_t cap = std::min(limit_, std::max<std::size_t>(8, ring_.size() * 2));
    std::vector<generic_reply> bigger;
    bigger.reserve(cap);
    for (std::size_t i = 0; i < count_; ++i) {
      bigger.push_back(std::move(ring_[(head_ + i) % ring_.size()]));
    }
    while (bigger.size() < cap) bigger.emplace_back(generic_reply::owning);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  copy(reply, ring_[(head_ + count_) % ring_.size()]);
  ++count_;
  return true;
}

void push_queue::pop(generic_reply& out) {
  generic_reply& front = ring_[head_];
  if (out.owns_bytes()) {
    std::swap(out, front);  // both keep their buffers for reuse
  } else {
    out = front;
  }
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

// ---------------------------------------------------------------------------------------------
// retrying

bool did_not_run(resp3::reply_view reply) noexcept {
  const auto kind = cluster::detail::read_redirect(reply).kind;
  return kind == cluster::detail::redirect_kind::try_later ||
         kind == cluster::detail::redirect_kind::wrong_role;
}

bool read_only_request(const request& req, std::vector<std::string_view>& argv) {
  static const cluster::command_table table;
  cluster::detail::request_walker walker(req.segments());
  cluster::detail::command_bytes where;
  std::size_t commands = 0;
  while (walker.next(argv, where)) {
    const cluster::command_info* info = table.find(argv);
    if (info == nullptr || (info->flags & cluster::readonly) == 0) return false;
    ++commands;
  }
  return walker.ok() && commands != 0;
}

// ---------------------------------------------------------------------------------------------
// blocking commands

namespace {

enum class time_unit : std::uint8_t { seconds, milliseconds };
// Where a blocking command's timeout is: an argument's index (0: the last one), or -1: after
// the BLOCK option (XREAD, XREADGROUP), before STREAMS.
struct blocking_command {
  std::string_view name;
  int timeout_index;
  time_unit unit;
};
constexpr blocking_command blocking_commands[] = {
    {"blpop", 0, time_unit::seconds},       {"brpop", 0, time_unit::seconds},
    {"brpoplpush", 0, time_unit::seconds},  {"blmove", 0, time_unit::seconds},
    {"bzpopmin", 0, time_unit::seconds},    {"bzpopmax", 0, time_unit::seconds},
    {"blmpop", 1, time_unit::seconds},      {"bzmpop", 1, time_unit::seconds},
    {"xread", -1, time_unit::milliseconds}, {"xreadgroup", -1, time_unit::milliseconds},
    {"wait", 2, time_unit::milliseconds},   {"waitaof", 3, time_unit::milliseconds}};

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text,
                                                       time_unit unit) noexcept {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, value);
  if (parsed.ec != std::errc{} || parsed.ptr != end || !(value >= 0)) return std::nullopt;
  if (value == 0) return blocks_forever;
  const double ms = unit == time_unit::seconds ? value * 1000 : value;
  if (ms >= 1e12) return blocks_forever;  // thirty years
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(ms)));
}

// XREAD's and XREADGROUP's BLOCK option, among the options before STREAMS.
std::optional<std::chrono::milliseconds> xread_block(
    std::span<const std::string_view> argv) noexcept {
  for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
    if (ascii::iequals(argv[i], "streams")) break;
    if (ascii::iequals(argv[i], "block"))
      return parse_timeout(argv[i + 1], time_unit::milliseconds);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> block_timeout(
    std::span<const std::string_view> argv) noexcept {
  if (argv.size() < 2) return std::nullopt;
  for (const blocking_command& c : blocking_commands) {
    if (!ascii::iequals(argv[0], c.name)) continue;
    if (c.timeout_index < 0) return xread_block(argv);
    const auto at = c.timeout_index == 0 ? argv.size() - 1 : std::size_t(c.timeout_index);
    if (at >= argv.size()) return std::nullopt;
    return parse_timeout(argv[at], c.unit);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> longest_block(const request& req,
                                                       std::vector<std::string_view>& argv) {
  std::optional<std::chrono::milliseconds> longest;
  cluster::detail::request_walker walker(req.segments());
  cluster::detail::command_bytes where;
  while (walker.next(argv, where)) {
    if (const auto t = block_timeout(argv)) longest = std::max(longest.value_or(*t), *t);
  }
  return longest;
}

bool may_retry(const retry_facts& f) noexcept {
  if (f.expected != 0 && f.refused == f.expected) return true;  // nothing ran
  if (!f.safe_to_repeat) return false;
  return f.refused != 0 || f.ec == error::connection_lost;
}

std::chrono::milliseconds retry_delay(const retry_policy& p, std::uint32_t n,
                                      double unit) noexcept {
  auto delay = std::max(p.initial_delay, std::chrono::milliseconds(0));
  for (std::uint32_t i = 1; i < n && delay < p.max_delay; ++i) delay *= 2;
  return jittered(std::min(delay, p.max_delay), p.jitter, unit);
}

}  // namespace respool::detail
