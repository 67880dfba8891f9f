#include "sentinel_harness.hpp"

#include "cluster_replies.hpp"

#include <algorithm>
#include <thread>
#include <utility>

namespace respool::test {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using cluster_replies::bulk_array;
using cluster_replies::to_number;

// The text of a bulk-string reply ("$N\r\n<text>\r\n"), or "".
std::string bulk_text(const std::string& raw) {
  if (raw.empty() || raw[0] != '$') return {};
  const auto eol = raw.find("\r\n");
  if (eol == std::string::npos || raw.size() < eol + 4) return {};
  return raw.substr(eol + 2, raw.size() - eol - 4);
}

// The value of `field` in a flat field/value array (SENTINEL MASTER's reply).
std::string field_of(const std::vector<std::string>& flat, std::string_view field) {
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (flat[i] == field) return flat[i + 1];
  }
  return {};
}

}  // namespace

std::unique_ptr<sentinel_harness> sentinel_harness::start(const sentinel_options& options,
                                                          std::string& why) {
  std::unique_ptr<sentinel_harness> h(new sentinel_harness(options));
  if (!h->start_servers(why) || !h->start_sentinels(why) || !h->wait_ready(30s, why)) {
    return nullptr;
  }
  return h;
}

bool sentinel_harness::start_servers(std::string& why) {
  for (std::size_t i = 0; i <= options_.replicas; ++i) {
    server_options o;
    if (i > 0)
      o.extra.push_back(std::string("replicaof 127.0.0.1 ") + std::to_string(servers_[0]->port()));
    auto s = server_process::start(o, why);
    if (!s) return false;
    servers_.push_back(std::move(s));
  }
  return true;
}

bool sentinel_harness::start_sentinels(std::string& why) {
  const std::size_t quorum = options_.sentinels / 2 + 1;
  const std::string& name = options_.master_name;
  for (std::size_t i = 0; i < options_.sentinels; ++i) {
    server_options o;
    o.sentinel = true;
    o.extra = {
        "sentinel monitor " + name + " 127.0.0.1 " + std::to_string(servers_[0]->port()) + " " +
            std::to_string(quorum),
        "sentinel down-after-milliseconds " + name + " " +
            std::to_string(options_.down_after.count()),
        "sentinel failover-timeout " + name + " 10000",
        "sentinel parallel-syncs " + name + " 1",
    };
    auto s = server_process::start(o, why);
    if (!s) return false;
    sentinels_.push_back(std::move(s));
  }
  return true;
}

bool sentinel_harness::wait_ready(std::chrono::milliseconds limit, std::string& why) {
  const auto deadline = steady::now() + limit;
  for (;;) {
    bool ready = true;
    for (const auto& s : sentinels_) {
      const auto flat = bulk_array(s->command({"SENTINEL", "MASTER", options_.master_name}, why));
      std::size_t replicas = 0, others = 0;
      if (!flat || !to_number(field_of(*flat, "num-slaves"), replicas) ||
          !to_number(field_of(*flat, "num-other-sentinels"), others) ||
          replicas != options_.replicas || others + 1 != sentinels_.size()) {
        why = std::string("sentinel on port ") + std::to_string(s->port()) +
              " does not know everyone yet";
        ready = false;
        break;
      }
    }
    for (std::size_t i = 1; ready && i < servers_.size(); ++i) {
      const std::string info = bulk_text(servers_[i]->command({"INFO", "replication"}, why));
      if (info.find("master_link_status:up") == std::string::npos) {
        why = std::string("replica ") + std::to_string(i) + " is not in sync yet";
        ready = false;
      }
    }
    if (ready) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

sentinel_config sentinel_harness::sentinel_settings() const {
  sentinel_config c;
  c.master_name = options_.master_name;
  for (const auto& s : sentinels_) c.nodes.push_back({"127.0.0.1", s->port()});
  return c;
}

std::string sentinel_harness::uri() const {
  std::string out = "redis+sentinel://";
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    if (i > 0) out += ',';
    out += std::string("127.0.0.1:") + std::to_string(sentinels_[i]->port());
  }
  return out + "/" + options_.master_name;
}

std::string sentinel_harness::ask_sentinel(const std::vector<std::string>& args, std::string& why) {
  for (auto& s : sentinels_) {
    if (!s->running()) continue;
    std::string reply = s->command(args, why);
    if (!reply.empty()) return reply;
  }
  if (why.empty()) why = "no live sentinel";
  return {};
}

int sentinel_harness::index_of_port(int port) const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i]->port() == port) return static_cast<int>(i);
  }
  return -1;
}

int sentinel_harness::master_index(std::string& why) {
  const auto addr =
      bulk_array(ask_sentinel({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name}, why));
  int port = 0;
  if (!addr || addr->size() != 2 || !to_number((*addr)[1], port)) {
    if (why.empty()) why = "no master address from the sentinels";
    return -1;
  }
  return index_of_port(port);
}

bool sentinel_harness::wait_master(std::size_t i, std::chrono::milliseconds limit,
                                   std::string& why) {
  const auto deadline = steady::now() + limit;
  const std::string port = std::to_string(servers_.at(i)->port());
  for (;;) {
    bool agreed = true;
    for (auto& s : sentinels_) {
      if (!s->running()) continue;
      const auto addr = bulk_array(
          s->command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name}, why));
      if (!addr || addr->size() != 2 || (*addr)[1] != port) agreed = false;
    }
    const std::string role = servers_[i]->command({"ROLE"}, why);
    if (agreed && role.find("$6\r\nmaster\r\n") != std::string::npos) return true;
    if (steady::now() >= deadline) {
      why = std::string("the sentinels do not all name server ") + std::to_string(i) +
            " as the master";
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
}

bool sentinel_harness::failover(std::size_t& to, std::string& why) {
  const int from = master_index(why);
  if (from < 0) return false;
  const std::string reply = ask_sentinel({"SENTINEL", "FAILOVER", options_.master_name}, why);
  if (reply != "+OK\r\n") {
    why = "SENTINEL FAILOVER answered " + reply + why;
    return false;
  }
  const auto deadline = steady::now() + 30s;
  while (steady::now() < deadline) {
    const int now = master_index(why);
    if (now >= 0 && now != from) {
      to = static_cast<std::size_t>(now);
      return wait_master(
          to, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()), why);
    }
    std::this_thread::sleep_for(50ms);
  }
  why = std::string("the sentinels still name server ") + std::to_string(from) + " after 30 s";
  return false;
}

}  // namespace respool::test
