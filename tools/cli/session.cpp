#include "session.hpp"

#include "split.hpp"
#include <respool/protocol/detail/ascii.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <strings.h>
#include <unistd.h>

namespace respool::cli {

std::atomic<bool> session::blocking_aborted{false};
std::atomic<int> session::blocking_fd{-1};

namespace {

void write_out(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

void write_err(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }

// The text of a (simple or bulk) error reply.
std::string_view error_text(resp3::reply_view reply) {
  return reply.empty() ? std::string_view{} : reply.front().value;
}

void sleep_seconds(double seconds) {
  if (seconds > 0) ::usleep(static_cast<useconds_t>(seconds * 1e6));
}

}  // namespace

session::session(options opts, bool interactive)
    : opts_(std::move(opts)),
      interactive_(interactive),
      link_(opts_.tls),
      show_pushes_(opts_.show_pushes.value_or(false)),
      where_{opts_.host, opts_.port, opts_.socket} {
  fmt_.mode = opts_.mode;
  fmt_.element_delimiter = opts_.element_delimiter;
  fmt_.reply_delimiter = opts_.reply_delimiter;
  // -t bounds every wait for bytes: the first of a reply and each pause inside it.
  if (const auto bound = reply_timeout()) link_.stall_timeout = *bound;
}

std::optional<std::chrono::milliseconds> session::reply_timeout() const {
  if (opts_.reply_timeout <= 0) return std::nullopt;
  return std::chrono::milliseconds(
      std::max(1LL, static_cast<long long>(opts_.reply_timeout * 1000)));
}

void session::retarget(std::string host, int port) {
  where_.host = std::move(host);
  where_.port = port;
  where_.socket.clear();
}

std::string session::prompt() const {
  if (!link_.is_open()) return "not connected> ";
  if (ldb_) return "lua debugger> ";
  std::string p;
  if (!where_.socket.empty()) {
    p = "redis " + where_.socket;
  } else if (where_.host.find(':') != std::string::npos) {
    p = fmt::format("[{}]:{}", where_.host, where_.port);
  } else {
    p = fmt::format("{}:{}", where_.host, where_.port);
  }
  if (db_ != 0) p += fmt::format("[{}]", db_);
  if (in_multi_) p += "(TX)";
  p += "> ";
  return p;
}

bool session::call(std::span<const std::string> argv, std::error_code& ec) {
  req_.clear();
  req_.push_range(argv.front(), argv.subspan(1));
  ec = link_.write(req_);
  if (!ec) ec = link_.read(reply_timeout());
  return !ec;
}

bool session::call_all(std::span<const std::vector<std::string>> commands,
                       const std::function<void(resp3::reply_view)>& each, std::error_code& ec) {
  ec.clear();
  if (commands.empty()) return true;
  req_.clear();
  for (const std::vector<std::string>& argv : commands) {
    req_.push_range(argv.front(), std::span<const std::string>(argv).subspan(1));
  }
  ec = link_.write(req_);
  for (std::size_t i = 0; !ec && i < commands.size(); ++i) {
    ec = link_.read(reply_timeout());
    if (!ec) each(link_.reply());
  }
  return !ec;
}

bool session::connect(bool force, bool quiet) {
  if (link_.is_open() && !force) return true;
  if (link_.is_open()) {
    in_multi_ = false;
  }
  db_ = 0;
  std::string message;
  if (!link_.connect(where_, message)) {
    if (!quiet) write_err(message);
    return false;
  }
  std::error_code ec;
  bool ok = true;
  if (opts_.password) {
    std::vector<std::string> auth{"AUTH"};
    if (opts_.user) auth.push_back(*opts_.user);
    auth.push_back(*opts_.password);
    if (!call(auth, ec)) return false;
    if (resp3::is_error(link_.reply().front().data_type)) {
      write_err(fmt::format("AUTH failed: {}\n", error_text(link_.reply())));
      ok = false;
    }
  }
  if (ok && opts_.db != db_) {
    const std::vector<std::string> select{"SELECT", std::to_string(opts_.db)};
    if (!call(select, ec)) return false;
    if (resp3::is_error(link_.reply().front().data_type)) {
      write_err(fmt::format("SELECT {} failed: {}\n", opts_.db, error_text(link_.reply())));
      ok = false;
    } else {
      db_ = opts_.db;
    }
  }
  if (ok && (opts_.force_resp3 || opts_.json_asks_resp3) && !opts_.force_resp2) {
    const std::vector<std::string> hello{"HELLO", "3"};
    if (!call(hello, ec)) {
      write_err("\nI/O error\n");
      return false;
    }
    if (resp3::is_error(link_.reply().front().data_type)) {
      write_err(fmt::format("HELLO 3 failed: {}\n", error_text(link_.reply())));
      if (opts_.force_resp3) ok = false;
    } else {
      resp3_ = true;
    }
  }
  // A failed AUTH, SELECT or HELLO (`ok` false) keeps the connection, as redis-cli does: the
  // command still goes out and the server's answer (e.g. NOAUTH) says what is wrong.
  return true;
}

void session::enter_ldb(bool sync) {
  ldb_ = true;
  ldb_sync_ = sync;
  fmt_.mode = output_mode::raw;
}

bool session::print_reply(resp3::reply_view reply, bool forced_raw) {
  out_.clear();
  if (ldb_) {
    static const bool color = [] {
      const char* term = std::getenv("TERM");
      return term != nullptr && std::strstr(term, "xterm") != nullptr;
    }();
    bool ended = false;
    if (format_ldb(out_, reply, fmt_.element_delimiter, color, ended) ==
        format_status::unknown_type) {
      write_err(fmt::format("Unknown reply type: {}\n", 13));
      return false;
    }
    if (!forced_raw) out_ += fmt_.reply_delimiter;
    if (ended) {
      // The session is over: the EVAL's reply follows, in the standard format.
      ldb_ = ldb_on_eval_ = false;
      ldb_ended_ = true;
      fmt_.mode = output_mode::standard;
    }
    write_out(out_);
    return true;
  }
  if (format_reply(out_, reply, fmt_, forced_raw) == format_status::unknown_type) {
    write_err(fmt::format("Unknown reply type: {}\n", 13));
    return false;
  }
  write_out(out_);
  return true;
}

bool session::print_push(resp3::reply_view reply) {
  out_.clear();
  if (fmt_.mode == output_mode::standard && format_invalidation(out_, reply)) {
    write_out(out_);
    return true;
  }
  return print_reply(reply, false);
}

outcome session::io_failure(std::error_code ec) {
  write_err(fmt::format("Error: {}\n", link_.describe(ec)));
  return interactive_ ? outcome::failed : outcome::fatal;
}

void session::handle_redirect(std::string_view message) {
  // "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381"
  const auto first = message.find(' ');
  const auto second = message.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return;
  const int slot = std::atoi(std::string(message.substr(first + 1, second - first - 1)).c_str());
  const std::string_view addr = message.substr(second + 1);
  const auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return;
  where_.host = std::string(addr.substr(0, colon));
  where_.port = std::atoi(std::string(addr.substr(colon + 1)).c_str());
  where_.socket.clear();
  if (interactive_) {
    write_out(fmt::format("-> Redirected to slot [{}] located at {}:{}\n", slot, where_.host,
                          where_.port));
  }
  reissue_ = true;
  if (message.starts_with("ASK ")) send_asking_ = true;
}

outcome session::read_reply(bool print, bool forced_raw) {
  // Messages and MONITOR lines come when they come; -t still bounds a pause inside one.
  const auto timeout = pubsub_ || monitor_ ? std::nullopt : reply_timeout();
  for (;;) {
    const std::error_code ec = link_.read(timeout);
    if (ec) {
      if (blocking_aborted.exchange(false)) {
        monitor_ = false;
        pubsub_ = false;
        return connect(true) ? outcome::ok : outcome::failed;
      }
      if (shutdown_) return outcome::ok;  // SHUTDOWN closes the connection: not an error
      return io_failure(ec);
    }
    const resp3::reply_view reply = link_.reply();
    const resp3::type t = reply.front().data_type;
    // Out-of-band pushes (client tracking) are not the command's reply.
    if (t == resp3::type::push && !pubsub_ && !monitor_) {
      if (show_pushes_ && !print_push(reply)) return outcome::fatal;
      continue;
    }
    last_type_ = t;
    if (opts_.cluster && resp3::is_error(t) &&
        (reply.front().value.starts_with("MOVED ") || reply.front().value.starts_with("ASK "))) {
      handle_redirect(reply.front().value);
      return outcome::ok;
    }
    if (!interactive_ && opts_.errors_to_stderr && resp3::is_error(t)) {
      write_err(fmt::format("{}\n", reply.front().value));
      return outcome::fatal;
    }
    if (print && !print_reply(reply, forced_raw)) return outcome::fatal;
    return outcome::ok;
  }
}

outcome session::read_stream(bool forced_raw, bool& active) {
  blocking_fd = link_.native_handle();
  outcome result = outcome::ok;
  while (active) {
    result = read_reply(true, forced_raw);
    if (result != outcome::ok) break;
    if (resp3::is_error(last_type_)) active = false;
  }
  blocking_fd = -1;
  return result;
}

void session::track_state(std::span<const std::string> argv) {
  const std::string& command = argv.front();
  const std::size_t argc = argv.size();
  const bool failed = resp3::is_error(last_type_);
  if (detail::ascii::iequals(command, "select") && argc == 2 && !failed) {
    db_ = std::atoi(argv[1].c_str());
    opts_.db = db_;
  } else if (detail::ascii::iequals(command, "auth") && (argc == 2 || argc == 3)) {
    if (!failed && opts_.db != db_) {
      // Authenticated now: the database the options ask for can be selected.
      std::error_code ec;
      const std::vector<std::string> select{"SELECT", std::to_string(opts_.db)};
      if (call(select, ec) && !resp3::is_error(link_.reply().front().data_type)) db_ = opts_.db;
    }
  } else if (detail::ascii::iequals(command, "multi") && argc == 1 && !failed) {
    in_multi_ = true;
    pre_multi_db_ = db_;
  } else if (detail::ascii::iequals(command, "exec") && argc == 1 && in_multi_) {
    in_multi_ = false;
    if (failed || last_type_ == resp3::type::null) db_ = pre_multi_db_;
  } else if (detail::ascii::iequals(command, "discard") && argc == 1 && !failed) {
    in_multi_ = false;
    db_ = pre_multi_db_;
  } else if (detail::ascii::iequals(command, "reset") && argc == 1 && !failed) {
    in_multi_ = false;
    db_ = 0;
    resp3_ = false;
  } else if (detail::ascii::iequals(command, "hello")) {
    if (last_type_ == resp3::type::map) resp3_ = true;
    if (last_type_ == resp3::type::array) resp3_ = false;
  }
}

outcome session::send(std::span<const std::string> argv, long long repeat) {
  const std::string& command = argv.front();
  if (!link_.is_open()) return outcome::failed;
  const bool forced_raw = is_forced_raw(argv);
  if (detail::ascii::iequals(command, "shutdown")) shutdown_ = true;
  if (detail::ascii::iequals(command, "monitor")) monitor_ = true;
  if (detail::ascii::iequals(command, "subscribe") ||
      detail::ascii::iequals(command, "psubscribe") ||
      detail::ascii::iequals(command, "ssubscribe")) {
    pubsub_ = true;
  }
  // SCRIPT DEBUG yes|sync makes the next EVAL a debugging session.
  if (argv.size() == 3 && detail::ascii::iequals(command, "script") &&
      detail::ascii::iequals(argv[1], "debug")) {
    ldb_on_eval_ =
        detail::ascii::iequals(argv[2], "yes") || detail::ascii::iequals(argv[2], "sync");
  }
  if (detail::ascii::iequals(command, "eval") && ldb_on_eval_) enter_ldb(ldb_sync_);
  req_.clear();
  req_.push_range(command, argv.subspan(1));
  while (repeat < 0 || repeat-- > 0) {
    if (const std::error_code ec = link_.write(req_)) {
      return shutdown_ ? outcome::ok : io_failure(ec);
    }
    if (monitor_) return read_stream(forced_raw, monitor_);
    if (pubsub_) {
      if (fmt_.mode != output_mode::raw) write_out("Reading messages... (press Ctrl-C to quit)\n");
      if (const outcome r = read_stream(forced_raw, pubsub_); r != outcome::ok) return r;
      continue;
    }
    if (const outcome r = read_reply(true, forced_raw); r != outcome::ok) return r;
    if (shutdown_ && !link_.is_open()) return outcome::ok;
    track_state(argv);
    if (reissue_) break;
    sleep_seconds(opts_.interval);
  }
  return outcome::ok;
}

outcome session::issue(std::span<const std::string> argv, long long repeat) {
  for (;;) {
    if (reissue_ || !link_.is_open()) {
      if (!connect(true)) {
        reissue_ = false;
        return outcome::failed;
      }
    }
    reissue_ = false;
    if (send_asking_) {
      send_asking_ = false;
      std::error_code ec;
      const std::vector<std::string> asking{"ASKING"};
      if (!call(asking, ec)) {
        write_err(fmt::format("Error: {}\n", link_.describe(ec)));
        return outcome::failed;
      }
    }
    if (const outcome r = send(argv, repeat); r != outcome::ok) {
      link_.close();
      return r;
    }
    if (opts_.cluster && reissue_) continue;
    return outcome::ok;
  }
}

}  // namespace respool::cli
