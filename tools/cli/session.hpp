/// @file
/// @brief One respool-cli session: the connection, the state redis-cli keeps about it (database,
/// MULTI, pub/sub, cluster redirections) and the cycle "send a command, print its replies".
#pragma once

#include "format.hpp"
#include "link.hpp"
#include "options.hpp"
#include <respool/protocol/request.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace respool::cli {

/// How a command went.
enum class outcome {
  ok,      ///< it ran (its reply may be an error reply)
  failed,  ///< no connection, or it broke: the REPL goes on, a one-shot run exits with 1
  fatal,   ///< the run ends with status 1 even in the REPL (redis-cli exits there too)
};

/// The exit status of a one-shot run that ended with `o`.
[[nodiscard]] constexpr int exit_status(outcome o) noexcept { return o == outcome::ok ? 0 : 1; }

class session {
 public:
  session(options opts, bool interactive);

  /// Connects unless connected (or always, with `force`), then AUTH, SELECT and HELLO 3 as
  /// the options ask, printing their failures as redis-cli does. False when no connection
  /// could be made (the reason is printed, unless `quiet`).
  bool connect(bool force = false, bool quiet = false);
  [[nodiscard]] bool connected() const noexcept { return link_.is_open(); }

  /// Runs a command `repeat` times (reconnecting first when needed, following cluster
  /// redirections).
  outcome issue(std::span<const std::string> argv, long long repeat);

  /// The REPL's prompt: "host:port[db](TX)> ", "redis <socket>> " or "not connected> ".
  [[nodiscard]] std::string prompt() const;

  /// Where to connect next (the REPL's `connect host port`).
  void retarget(std::string host, int port);

  options& opts() noexcept { return opts_; }
  link& connection() noexcept { return link_; }
  const format_options& formatting() const noexcept { return fmt_; }

  /// Set by the SIGINT handler to stop MONITOR or pub/sub in the REPL.
  static std::atomic<bool> blocking_aborted;
  /// The socket a SIGINT handler may shut down (-1 when none).
  static std::atomic<int> blocking_fd;

  /// Prints one reply of `argv` to stdout in the session's format; false (and the reason on
  /// stderr) for a reply redis-cli cannot show, which ends the run.
  [[nodiscard]] bool print_reply(resp3::reply_view reply, bool forced_raw);

  /// Sends `argv` and reads one reply (for AUTH, SELECT, HELLO, SCAN, PING); false on I/O error.
  bool call(std::span<const std::string> argv, std::error_code& ec);

  /// Sends all of `commands` in one write, then reads their replies in order, handing each
  /// to `each` (the view lasts until it returns); false on I/O error. -t bounds each wait.
  bool call_all(std::span<const std::vector<std::string>> commands,
                const std::function<void(resp3::reply_view)>& each, std::error_code& ec);

  /// The REPL takes over (--eval with --ldb): I/O errors no longer end the run.
  void set_interactive(bool interactive) noexcept { interactive_ = interactive; }

  /// Starts printing the replies of a Lua debugging session (--ldb, or EVAL after SCRIPT
  /// DEBUG yes|sync): raw, with the debugger's lines colored on an xterm, until the debugger
  /// says the session ended. `sync` is --ldb-sync-mode (for the closing message).
  void enter_ldb(bool sync);
  [[nodiscard]] bool in_ldb() const noexcept { return ldb_; }
  [[nodiscard]] bool ldb_sync() const noexcept { return ldb_sync_; }
  /// True once, after the reply in which the debugger ended its session (the EVAL's own reply
  /// follows it: read_next() reads it).
  bool take_ldb_end() noexcept { return std::exchange(ldb_ended_, false); }
  /// Reads and prints one more reply (the EVAL's, after a debugging session).
  outcome read_next() { return read_reply(true, false); }

 private:
  outcome send(std::span<const std::string> argv, long long repeat);
  outcome read_reply(bool print, bool forced_raw);
  // MONITOR or pub/sub: prints replies while `active` (an error reply clears it).
  outcome read_stream(bool forced_raw, bool& active);
  // What a command that ran changes: the database, MULTI, the protocol.
  void track_state(std::span<const std::string> argv);
  // An I/O error: "Error: ..." on stderr; fatal outside the REPL.
  outcome io_failure(std::error_code ec);
  void handle_redirect(std::string_view message);
  bool print_push(resp3::reply_view reply);
  // -t as a duration; nullopt when not given (wait as long as it takes).
  [[nodiscard]] std::optional<std::chrono::milliseconds> reply_timeout() const;

  options opts_;
  bool interactive_;
  link link_;
  format_options fmt_;
  bool show_pushes_;
  endpoint where_;
  int db_ = 0;            // the database the connection is on
  int pre_multi_db_ = 0;  // restored when EXEC fails or DISCARD
  bool in_multi_ = false;
  bool pubsub_ = false;
  bool monitor_ = false;
  bool shutdown_ = false;
  bool resp3_ = false;
  bool reissue_ = false;  // a cluster redirection asks to send the command again
  bool send_asking_ = false;
  bool ldb_ = false;          // a Lua debugging session is on
  bool ldb_sync_ = false;     // --ldb-sync-mode
  bool ldb_on_eval_ = false;  // SCRIPT DEBUG yes|sync was sent: the next EVAL debugs
  bool ldb_ended_ = false;    // the debugger sent <endsession>
  resp3::type last_type_ = resp3::type::null;
  request req_;
  std::string out_;
};

}  // namespace respool::cli
