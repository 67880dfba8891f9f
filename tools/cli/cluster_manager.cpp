#include "cluster_manager.hpp"

#include <respool/protocol/request.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace respool::cli::cluster {

void print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}
namespace {

using namespace std::chrono_literals;

// redis-cli waits for a node without bound; respool-cli bounds each connect, and each reply
// (unless -t gives another bound), so that a node that hangs cannot hang the tool.
constexpr auto connect_bound = 10s;
constexpr auto default_reply_bound = 60s;

// redis-cli's colours, in the order of log_level: bold for information, then yellow for
// warnings, red for errors and green for success.
constexpr std::string_view colours[] = {"29;1m", "33;1m", "31;1m", "32;1m"};

void write_out(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stdout); }

}  // namespace

node::node(std::string ip_, int port_, int bus_port_)
    : ip(std::move(ip_)), port(port_), bus_port(bus_port_ != 0 ? bus_port_ : port_ + 10000) {}

manager::manager(const options& opts) : opts_(opts), reply_bound_(default_reply_bound) {
  // redis-cli colours its messages when TERM names an xterm, whatever stdout is.
  const char* term = std::getenv("TERM");
  color_ = term != nullptr && std::strstr(term, "xterm") != nullptr;
  if (opts.reply_timeout > 0) {
    reply_bound_ =
        std::chrono::milliseconds(std::max(1LL, static_cast<long long>(opts.reply_timeout * 1000)));
  }
}

void manager::log(log_level level, std::string_view text) {
  if (!color_) return write_out(text);
  std::string out = "\033[";
  out += colours[static_cast<std::size_t>(level)];
  out += text;
  out += "\033[0m";
  write_out(out);
}

void manager::log_reply_error(const node& n, std::string_view text) {
  log(log_level::err, fmt::format("Node {}:{} replied with error:\n{}\n", n.ip, n.port, text));
}

void manager::on_error(std::string text) {
  log(log_level::err, text + "\n");
  errors.push_back(std::move(text));
}

bool manager::connect(node& n) {
  n.conn = std::make_unique<link>(opts_.tls);
  std::string message;
  if (!n.conn->connect(endpoint{n.ip, n.port, {}}, message, connect_bound)) {
    // A failed TLS handshake is "TLS Error: <reason>" in the cluster manager.
    const std::string prefix = fmt::format("Could not connect to Redis at {}:{}: ", n.ip, n.port);
    if (opts_.tls.enabled && message.find("SSL_connect failed") != std::string::npos &&
        message.starts_with(prefix)) {
      message = fmt::format("TLS Error: {}", message.substr(prefix.size()));
    }
    std::fputs(message.c_str(), stderr);
    n.conn.reset();
    return false;
  }
  if (!opts_.password) return true;
  std::vector<std::string> auth{"AUTH"};
  if (opts_.user) auth.push_back(*opts_.user);
  auth.push_back(*opts_.password);
  const reply r = command(n, auth);
  if (r.error()) log_reply_error(n, r.text);
  return r.ok();
}

bool manager::exchange(node& n, std::span<const std::string> argv) {
  if (!n.conn || !n.conn->is_open() || argv.empty()) return false;
  request req;
  req.push_range(argv.front(), argv.subspan(1));
  if (n.conn->write(req)) return false;
  return !n.conn->read(reply_bound_);
}

reply manager::command(node& n, const std::vector<std::string>& argv) {
  reply r;
  if (!exchange(n, argv)) return r;
  const resp3::reply_view v = n.conn->reply();
  r.received = true;
  if (!v.empty()) {
    r.type = v.front().data_type;
    r.text = v.front().value;
  }
  r.items.reserve(v.size());
  for (const resp3::node& e : v) {
    r.items.push_back({e.data_type, e.depth, e.aggregate_size, std::string(e.value)});
  }
  return r;
}

std::vector<std::string> reply::strings() const {
  std::vector<std::string> out;
  for (const item& i : items) {
    if (i.depth == 1) out.push_back(i.value);
  }
  return out;
}

bool confirm(manager& m, std::string_view question, bool ignore_yes) {
  if (m.cmd().yes && !ignore_yes) return true;
  write_out(fmt::format("{} (type 'yes' to accept): ", question));
  std::fflush(stdout);
  char answer[4] = {};
  const ssize_t n = ::read(STDIN_FILENO, answer, sizeof answer);
  answer[3] = '\0';
  return n > 0 && std::strcmp(answer, "yes") == 0;
}

node* manager::by_name(std::string_view id) {
  std::string lower(id);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& n : nodes) {
    if (!n->name.empty() && n->name == lower) return n.get();
  }
  return nullptr;
}

}  // namespace respool::cli::cluster
