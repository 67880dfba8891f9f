/// @file
/// @brief respool-cli's command line: redis-cli's flags, defaults and refusals.
#pragma once

#include "format.hpp"
#include <respool/protocol/config.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::cli {

/// redis-cli's cluster manager: `--cluster <command> [args...]` and the `--cluster-*` options.
struct cluster_options {
  /// The subcommand ("create", "check", ...); nullopt when --cluster was not given.
  std::optional<std::string> command;
  /// Its arguments: the words that follow it up to the next one that starts with '-' (or,
  /// when none follow it, the first run of such words later on the command line).
  std::vector<std::string> args;
  int replicas = 0;                // --cluster-replicas
  bool yes = false;                // --cluster-yes, or REDISCLI_CLUSTER_YES=1
  bool simulate = false;           // --cluster-simulate
  bool replace = false;            // --cluster-replace
  bool copy = false;               // --cluster-copy
  bool slave = false;              // --cluster-slave
  bool use_empty_masters = false;  // --cluster-use-empty-masters
  bool search_multiple_owners = false;
  bool fix_with_unreachable_masters = false;
  bool only_masters = false;             // --cluster-only-masters
  bool only_replicas = false;            // --cluster-only-replicas
  bool from_askpass = false;             // --cluster-from-askpass
  std::optional<std::string> master_id;  // --cluster-master-id
  std::optional<std::string> from;       // --cluster-from
  std::optional<std::string> to;         // --cluster-to
  std::optional<std::string> from_user;  // --cluster-from-user
  std::optional<std::string> from_pass;  // --cluster-from-pass
  std::vector<std::string> weights;      // --cluster-weight n1=w1 n2=w2 ...
  int slots = 0;                         // --cluster-slots
  int timeout = 60000;                   // --cluster-timeout (ms, for MIGRATE)
  int pipeline = 10;                     // --cluster-pipeline
  double threshold = 2;                  // --cluster-threshold
  /// -x / -X as they stood when --cluster was read: redis-cli applies them to the
  /// subcommand's arguments then, and only then.
  bool stdin_last_arg = false;
  std::optional<std::string> stdin_tag;
};

/// Everything the command line (and the environment) decides.
struct options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string socket;  // -s: a Unix socket instead of host and port
  std::optional<std::string> user;
  std::optional<std::string> password;
  /// The password came from -a, --pass or -u (the command line warning is due).
  bool password_on_command_line = false;
  bool no_auth_warning = false;
  bool verbose = false;  // --verbose: rebalance lists each node's balance
  bool askpass = false;  // --askpass: the password is read from standard input
  int db = 0;
  bool force_resp2 = false;  // -2
  bool force_resp3 = false;  // -3
  /// --json and --quoted-json ask for RESP3 (unless -2), but go on when HELLO 3 fails.
  bool json_asks_resp3 = false;
  long long repeat = 1;  // -r; negative repeats forever
  double interval = 0;   // -i, seconds
  /// -t: seconds to wait for a reply to begin before giving up (0: as long as it takes, as
  /// redis-cli waits). Not applied to MONITOR and pub/sub, which wait for messages.
  double reply_timeout = 0;
  bool stdin_last_arg = false;           // -x
  std::optional<std::string> stdin_tag;  // -X
  std::string element_delimiter = "\n";  // -d
  std::string reply_delimiter = "\n";    // -D
  bool cluster = false;                  // -c
  bool errors_to_stderr = false;         // -e
  output_mode mode = output_mode::standard;
  bool quoted_input = false;
  std::optional<bool> show_pushes;  // --show-pushes; by default: whether stdout is a terminal
  tls_config tls;                   // TLS is on with --tls or a rediss:// URI
  bool pipe = false;
  int pipe_timeout = 30;  // seconds; 0 waits forever
  bool latency = false;
  bool latency_history = false;
  bool scan = false;
  std::optional<std::string> pattern;
  std::optional<long long> count;  // --count: SCAN's COUNT (sent only when given)
  bool bigkeys = false;
  bool memkeys = false;
  unsigned memkeys_samples = 0;  // --memkeys-samples: MEMORY USAGE's SAMPLES (0: not sent)
  bool hotkeys = false;
  bool stat = false;
  bool latency_dist = false;
  bool mono = false;                     // --mono: --latency-dist in grey
  std::optional<long long> lru_test;     // --lru-test <keys>
  std::optional<int> intrinsic_latency;  // --intrinsic-latency <seconds>
  std::optional<std::string> eval_file;
  bool ldb = false;       // --ldb or --ldb-sync-mode: debug the --eval script
  bool ldb_sync = false;  // --ldb-sync-mode
  /// --rdb / --functions-rdb: where the RDB goes ("-": stdout).
  std::optional<std::string> rdb_file;
  bool functions_rdb = false;       // --functions-rdb: the functions only
  bool replica = false;             // --replica (or --slave)
  cluster_options cluster_manager;  // used when cluster_manager.command is set
  /// The command: everything from the first argument that is not an option, byte for byte.
  std::vector<std::string> command;
};

/// What parse_options() decided.
struct parse_result {
  enum class action { run, exit };
  action next = action::run;
  int exit_code = 0;
  std::string out;  // for stdout (usage, version)
  std::string err;  // for stderr
};

/// Reads the arguments after the program's name as redis-cli does (left to right; the first
/// argument that does not start with '-' starts the command). `stdout_is_tty` decides the
/// default output format; `auth_env` is REDISCLI_AUTH, used when no password was given.
/// On success `opts` is filled in and `result.err` may hold the password warning. In cluster
/// manager mode (--cluster) the words that are not options do not end the options: they give
/// the subcommand its arguments (when it has none yet) or are ignored, as in redis-cli.
parse_result parse_options(std::span<const std::string> args, bool stdout_is_tty,
                           const char* auth_env, options& opts);

/// The usage text (--help).
[[nodiscard]] std::string usage_text();

/// "respool-cli <version>\n" (--version).
[[nodiscard]] std::string version_text();

/// Applies a `redis://` or `rediss://` URI to `opts` (user, password, host, port, database,
/// TLS), read by respool::parse_uri(). False, with `error` set, when the scheme is neither
/// ("Invalid URI scheme", as redis-cli says) or the URI is malformed.
bool apply_uri(std::string_view uri, options& opts, std::string& error);

}  // namespace respool::cli
