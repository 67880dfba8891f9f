#include <respool/io/detail/connection_logic.hpp>
#include <respool/io/detail/sentinel_client.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/type.hpp>

#include <asio/error.hpp>
#include <asio/post.hpp>
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace respool::detail {

namespace {

bool read_port(std::string_view text, std::uint16_t& port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

// The fields of one replica of SENTINEL REPLICAS that decide whether it can serve.
struct replica_fields {
  std::string_view ip, port, flags, link;
  [[nodiscard]] bool usable() const {
    for (std::string_view bad : {"s_down", "o_down", "disconnected"}) {
      if (flags.find(bad) != std::string_view::npos) return false;
    }
    return !ip.empty() && !port.empty() && link == "ok";
  }
};

}  // namespace

bool read_master_address(const generic_reply& reply, sentinel_address& out) {
  const auto nodes = reply.nodes();
  if (nodes.size() != 3 || !resp3::is_aggregate(nodes[0].data_type) ||
      nodes[0].aggregate_size != 2 || !resp3::is_string(nodes[1].data_type) ||
      !resp3::is_string(nodes[2].data_type)) {
    return false;
  }
  std::uint16_t port = 0;
  if (nodes[1].value.empty() || !read_port(nodes[2].value, port)) return false;
  out = {std::string(nodes[1].value), port};
  return true;
}

bool read_replica_address(const generic_reply& reply, std::size_t pick, sentinel_address& out) {
  const auto nodes = reply.nodes();
  if (nodes.empty() || !resp3::is_aggregate(nodes[0].data_type)) return false;
  // Each replica: an aggregate at depth 1 (a flat array in RESP2, a map in RESP3) whose
  // elements at depth 2 alternate field and value.
  std::vector<replica_fields> usable;
  for (std::size_t i = 1; i < nodes.size();) {
    replica_fields f;
    std::size_t j = i + 1;
    for (; j + 1 < nodes.size() && nodes[j].depth == 2 && nodes[j + 1].depth == 2; j += 2) {
      const std::string_view key = nodes[j].value, value = nodes[j + 1].value;
      if (key == "ip") f.ip = value;
      if (key == "port") f.port = value;
      if (key == "flags") f.flags = value;
      if (key == "master-link-status") f.link = value;
    }
    while (j < nodes.size() && nodes[j].depth > 1) ++j;  // anything nested deeper
    if (f.usable()) usable.push_back(f);
    i = j;
  }
  if (usable.empty()) return false;
  const replica_fields& r = usable[pick % usable.size()];
  std::uint16_t port = 0;
  if (!read_port(r.port, port)) return false;
  out = {std::string(r.ip), port};
  return true;
}

bool read_switch_master(std::string_view payload, std::string_view name, sentinel_address& out) {
  std::array<std::string_view, 5> part;
  std::size_t n = 0;
  while (!payload.empty() && n < part.size()) {
    const std::size_t space = payload.find(' ');
    part[n++] = payload.substr(0, space);
    payload = space == std::string_view::npos ? std::string_view{} : payload.substr(space + 1);
  }
  std::uint16_t port = 0;
  if (n != 5 || !payload.empty() || part[0] != name || !read_port(part[4], port)) return false;
  out = {std::string(part[3]), port};
  return true;
}

namespace {

// Which healthy replica a replica connection takes: any, so that reads spread over them.
std::size_t replica_pick() noexcept { return static_cast<std::size_t>(jitter_unit() * 65536); }

}  // namespace

// One round of questions: the sentinels in turn, from start_.
struct sentinel_client::query {
  located_fn done;
  std::size_t asked = 0;  // sentinels tried so far
  std::uint64_t generation = 0;
  request req;
  generic_response resp;
};

sentinel_client::sentinel_client(asio::any_io_executor ex, sentinel_config cfg, log_fn log)
    : ex_{std::move(ex)}, cfg_{std::move(cfg)}, log_{std::move(log)}, watch_timer_{ex_} {}

config sentinel_client::node_config(std::size_t i) const {
  const sentinel_config::node& n = cfg_.nodes[i];
  config c;
  c.host = n.host;
  c.port = n.port;
  c.username = cfg_.username;
  c.password = cfg_.password;
  c.tls = cfg_.tls;
  c.connect_timeout = cfg_.timeout;
  c.request_timeout = cfg_.timeout;
  c.wait_for_connection = cfg_.timeout;
  c.health_check_interval = cfg_.timeout;
  c.health_check_timeout = cfg_.timeout;
  c.reconnect.enabled = false;
  return c;
}

void sentinel_client::run_detached(const std::shared_ptr<connection>& conn,
                                   std::function<void()> ended) {
  conn->async_run([self = shared_from_this(), conn, ended = std::move(ended)](std::error_code) {
    // Destroyed from the loop, once its run's handler has returned.
    asio::post(self->ex_, [done = conn] {});
    if (ended) ended();
  });
}

void sentinel_client::async_locate(located_fn done) {
  auto q = std::make_shared<query>();
  q->done = std::move(done);
  q->generation = generation_;
  if (cfg_.role == sentinel_role::master) {
    q->req.push("SENTINEL", "GET-MASTER-ADDR-BY-NAME", cfg_.master_name);
  } else {
    q->req.push("SENTINEL", "REPLICAS", cfg_.master_name);
  }
  ask(q);
}

void sentinel_client::ask(const std::shared_ptr<query>& q) {
  if (q->generation != generation_) return;
  if (q->asked == cfg_.nodes.size()) {
    return q->done(make_error_code(error::no_sentinel_answer), {});
  }
  const std::size_t i = (start_ + q->asked) % cfg_.nodes.size();
  ++q->asked;
  asking_ = std::make_shared<connection>(ex_, node_config(i));
  run_detached(asking_, {});
  q->resp.clear();
  asking_->async_exec(
      q->req, q->resp,
      [self = shared_from_this(), q](std::error_code ec, std::size_t) { self->answered(q, ec); });
}

void sentinel_client::answered(const std::shared_ptr<query>& q, std::error_code ec) {
  if (q->generation != generation_) return;
  if (asking_) std::exchange(asking_, nullptr)->cancel();
  const std::size_t i = (start_ + q->asked - 1) % cfg_.nodes.size();
  const sentinel_config::node& n = cfg_.nodes[i];
  sentinel_address found;
  bool ok = false;
  if (!ec && q->resp.size() == 1) {
    ok = cfg_.role == sentinel_role::master
             ? read_master_address(q->resp.front(), found)
             : read_replica_address(q->resp.front(), replica_pick(), found);
  }
  if (ok) {
    answered_ = i;
    say(log_level::info, fmt::format("sentinel {}:{} says {} is at {}:{}", n.host, n.port,
                                     cfg_.master_name, found.host, found.port));
    return q->done({}, std::move(found));
  }
  say(log_level::warning,
      fmt::format("sentinel {}:{} did not say where {} is{}{}", n.host, n.port, cfg_.master_name,
                  ec ? ": " : "", ec ? ec.message() : std::string()));
  ask(q);
}

void sentinel_client::distrust() noexcept {
  if (!cfg_.nodes.empty()) start_ = (answered_ + 1) % cfg_.nodes.size();
}

void sentinel_client::watch(switched_fn on_switch) {
  on_switch_ = std::move(on_switch);
  watched_ = start_;
  watch_next();
}

void sentinel_client::watch_next() {
  const std::uint64_t generation = generation_;
  config c = node_config(watched_);
  c.protocol = 3;  // the messages come as push messages
  auto conn = std::make_shared<connection>(ex_, c);
  watching_ = conn;
  run_detached(conn, [self = shared_from_this(), generation] {
    if (generation != self->generation_) return;
    // That sentinel is gone: the next one, after a pause.
    self->watched_ = (self->watched_ + 1) % self->cfg_.nodes.size();
    self->watch_timer_.expires_after(self->cfg_.timeout);
    self->watch_timer_.async_wait([self, generation](std::error_code ec) {
      if (!ec && generation == self->generation_) self->watch_next();
    });
  });
  auto req = std::make_shared<request>();
  req->push("SUBSCRIBE", "+switch-master");
  req->push("PING");
  conn->async_exec(
      *req, [self = shared_from_this(), conn, req, generation](std::error_code ec, std::size_t) {
        if (generation != self->generation_) return;
        if (ec) return conn->cancel();  // watched again from the next sentinel
        self->receive(conn, generation);
      });
}

void sentinel_client::receive(const std::shared_ptr<connection>& conn, std::uint64_t generation) {
  conn->async_receive(push_, [self = shared_from_this(), conn, generation](std::error_code ec) {
    if (generation != self->generation_) return;
    if (ec) return conn->cancel();
    const auto nodes = self->push_.nodes();
    sentinel_address to;
    // ["message", "+switch-master", payload]
    if (nodes.size() == 4 && nodes[1].value == "message" &&
        read_switch_master(nodes[3].value, self->cfg_.master_name, to)) {
      self->say(log_level::warning, fmt::format("the sentinels moved {} to {}:{}",
                                                self->cfg_.master_name, to.host, to.port));
      self->on_switch_(std::move(to));
    }
    self->receive(conn, generation);
  });
}

void sentinel_client::cancel() {
  ++generation_;
  watch_timer_.cancel();
  if (asking_) std::exchange(asking_, nullptr)->cancel();
  if (watching_) std::exchange(watching_, nullptr)->cancel();
}

}  // namespace respool::detail
