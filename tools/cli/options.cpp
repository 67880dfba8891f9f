#include "options.hpp"

#include "../common/tls_flags.hpp"
#include "split.hpp"
#include <respool/protocol/config.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/version.hpp>

#include <fmt/format.h>

#include <cstdlib>

#include <strings.h>

namespace respool::cli {
namespace {

constexpr std::string_view auth_warning =
    "Warning: Using a password with '-a' or '-u' option on the command line interface may not "
    "be safe.\n";

// atoi/atof/strtoll on a std::string: the prefix that is a number, 0 when there is none, as
// redis-cli reads its numeric flags.
int to_int(const std::string& s) { return std::atoi(s.c_str()); }
long long to_ll(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
double to_double(const std::string& s) { return std::atof(s.c_str()); }

parse_result fail(std::string message) {
  parse_result r;
  r.next = parse_result::action::exit;
  r.exit_code = 1;
  r.err = std::move(message);
  return r;
}

}  // namespace

bool apply_uri(std::string_view uri, options& opts, std::string& error) {
  // redis-cli takes only these two schemes (in any case): unix:// is refused like any other.
  if (!detail::ascii::istarts_with(uri, "redis://") &&
      !detail::ascii::istarts_with(uri, "rediss://")) {
    error = "Invalid URI scheme\n";
    return false;
  }
  config cfg;
  cfg.host = opts.host;
  cfg.database = opts.db;
  uri_details given;
  std::string why;
  if (parse_uri(uri, cfg, given, &why)) {
    error = fmt::format("Invalid URI: {}\n", why);
    return false;
  }
  // What the URI does not give stays as the flags before it set it, as in redis-cli.
  opts.host = cfg.host;
  if (given.port) opts.port = cfg.port;
  opts.db = cfg.database;
  if (cfg.tls.enabled) opts.tls.enabled = true;
  if (!cfg.tls.verify_peer) opts.tls.verify_peer = false;
  if (given.userinfo) {
    // ":password@" names the empty user, and redis-cli sends it so (AUTH "" password).
    if (given.username) opts.user = cfg.username;
    opts.password = cfg.password;
    opts.password_on_command_line = true;
  }
  return true;
}

namespace {

// The parse in progress: what the flags' handlers change.
struct parse_state {
  options& opts;
  parse_result& result;
  std::string_view flag;  // the flag being applied
  bool rdb = false;       // --rdb (--functions-rdb sets options::functions_rdb)
};

// Applies a flag; `value` is its argument (empty for a flag without one). A handler that
// ends the run sets result.next to exit.
using flag_handler = void (*)(parse_state& s, const std::string& value);

struct flag_spec {
  std::string_view name;
  bool takes_value;  // the next argument is the value, and it must exist
  flag_handler apply;
};

void stop(parse_state& s, std::string message) { s.result = fail(std::move(message)); }

void print_and_stop(parse_state& s, std::string text) {
  s.result.next = parse_result::action::exit;
  s.result.out = std::move(text);
}

// redis-cli warns about a value that is neither yes nor no, and goes on with the default.
void show_pushes(parse_state& s, const std::string& v) {
  const char c = v.empty() ? '\0' : static_cast<char>(v[0] | 0x20);
  if (c == 'y' || c == 'n') {
    s.opts.show_pushes = c == 'y';
  } else {
    s.result.err += fmt::format("Unknown --show-pushes value '{}' (valid: '[y]es', '[n]o')\n", v);
  }
}

void quoted_pattern(parse_state& s, const std::string& v) {
  auto words = split_args(v);
  if (!words || words->size() != 1) {
    return stop(s, "Invalid quoted string specified for --quoted-pattern.\n");
  }
  s.opts.pattern = std::move(words->front());
}

void password(parse_state& s, const std::string& v) {
  s.opts.password = v;
  s.opts.password_on_command_line = true;
}

void uri(parse_state& s, const std::string& v) {
  std::string error;
  if (!apply_uri(v, s.opts, error)) stop(s, std::move(error));
}

// Where to connect and as whom. "-h" as the last argument prints the usage.
const flag_spec connection_flags[] = {
    {"-h", true, [](parse_state& s, const std::string& v) { s.opts.host = v; }},
    {"-h", false, [](parse_state& s, const std::string&) { print_and_stop(s, usage_text()); }},
    {"-p", true, [](parse_state& s, const std::string& v) { s.opts.port = to_int(v); }},
    {"-s", true, [](parse_state& s, const std::string& v) { s.opts.socket = v; }},
    {"-n", true, [](parse_state& s, const std::string& v) { s.opts.db = to_int(v); }},
    {"-a", true, password},
    {"--pass", true, password},
    {"--user", true, [](parse_state& s, const std::string& v) { s.opts.user = v; }},
    {"-u", true, uri},
    {"--no-auth-warning", false,
     [](parse_state& s, const std::string&) { s.opts.no_auth_warning = true; }},
    {"-c", false, [](parse_state& s, const std::string&) { s.opts.cluster = true; }},
    {"-2", false, [](parse_state& s, const std::string&) { s.opts.force_resp2 = true; }},
    {"-3", false, [](parse_state& s, const std::string&) { s.opts.force_resp3 = true; }},
};

// How commands run and how their replies are printed.
const flag_spec command_flags[] = {
    {"-x", false, [](parse_state& s, const std::string&) { s.opts.stdin_last_arg = true; }},
    {"-X", true, [](parse_state& s, const std::string& v) { s.opts.stdin_tag = v; }},
    {"-r", true, [](parse_state& s, const std::string& v) { s.opts.repeat = to_ll(v); }},
    {"-i", true, [](parse_state& s, const std::string& v) { s.opts.interval = to_double(v); }},
    {"-t", true, [](parse_state& s, const std::string& v) { s.opts.reply_timeout = to_double(v); }},
    {"-e", false, [](parse_state& s, const std::string&) { s.opts.errors_to_stderr = true; }},
    {"--quoted-input", false,
     [](parse_state& s, const std::string&) { s.opts.quoted_input = true; }},
    {"--eval", true, [](parse_state& s, const std::string& v) { s.opts.eval_file = v; }},
    {"--ldb", false,
     [](parse_state& s, const std::string&) {
       s.opts.ldb = true;
       s.opts.mode = output_mode::raw;
     }},
    {"--ldb-sync-mode", false,
     [](parse_state& s, const std::string&) {
       s.opts.ldb = s.opts.ldb_sync = true;
       s.opts.mode = output_mode::raw;
     }},
    {"--raw", false, [](parse_state& s, const std::string&) { s.opts.mode = output_mode::raw; }},
    {"--no-raw", false,
     [](parse_state& s, const std::string&) { s.opts.mode = output_mode::standard; }},
    {"--csv", false, [](parse_state& s, const std::string&) { s.opts.mode = output_mode::csv; }},
    {"--json", false,
     [](parse_state& s, const std::string&) {
       s.opts.mode = output_mode::json;
       s.opts.json_asks_resp3 = true;
     }},
    {"--quoted-json", false,
     [](parse_state& s, const std::string&) {
       s.opts.mode = output_mode::quoted_json;
       s.opts.json_asks_resp3 = true;
     }},
    {"-d", true, [](parse_state& s, const std::string& v) { s.opts.element_delimiter = v; }},
    {"-D", true, [](parse_state& s, const std::string& v) { s.opts.reply_delimiter = v; }},
    {"--show-pushes", true, show_pushes},
};

// The special modes, --help and --version, and the modes redis-cli has and respool-cli not.
const flag_spec mode_flags[] = {
    {"--help", false, [](parse_state& s, const std::string&) { print_and_stop(s, usage_text()); }},
    {"-v", false, [](parse_state& s, const std::string&) { print_and_stop(s, version_text()); }},
    {"--version", false,
     [](parse_state& s, const std::string&) { print_and_stop(s, version_text()); }},
    {"--latency", false, [](parse_state& s, const std::string&) { s.opts.latency = true; }},
    {"--latency-history", false,
     [](parse_state& s, const std::string&) { s.opts.latency = s.opts.latency_history = true; }},
    {"--pipe", false, [](parse_state& s, const std::string&) { s.opts.pipe = true; }},
    {"--pipe-timeout", true,
     [](parse_state& s, const std::string& v) { s.opts.pipe_timeout = to_int(v); }},
    {"--scan", false, [](parse_state& s, const std::string&) { s.opts.scan = true; }},
    {"--pattern", true, [](parse_state& s, const std::string& v) { s.opts.pattern = v; }},
    {"--quoted-pattern", true, quoted_pattern},
    {"--count", true, [](parse_state& s, const std::string& v) { s.opts.count = to_ll(v); }},
    {"--stat", false, [](parse_state& s, const std::string&) { s.opts.stat = true; }},
    {"--bigkeys", false, [](parse_state& s, const std::string&) { s.opts.bigkeys = true; }},
    {"--memkeys", false,
     [](parse_state& s, const std::string&) {
       s.opts.memkeys = true;
       s.opts.memkeys_samples = 0;  // the server's default
     }},
    {"--memkeys-samples", true,
     [](parse_state& s, const std::string& v) {
       s.opts.memkeys = true;
       s.opts.memkeys_samples = static_cast<unsigned>(to_int(v));
     }},
    {"--hotkeys", false, [](parse_state& s, const std::string&) { s.opts.hotkeys = true; }},
    {"--latency-dist", false,
     [](parse_state& s, const std::string&) { s.opts.latency_dist = true; }},
    {"--mono", false, [](parse_state& s, const std::string&) { s.opts.mono = true; }},
    {"--lru-test", true, [](parse_state& s, const std::string& v) { s.opts.lru_test = to_ll(v); }},
    {"--intrinsic-latency", true,
     [](parse_state& s, const std::string& v) { s.opts.intrinsic_latency = to_int(v); }},
    {"--replica", false, [](parse_state& s, const std::string&) { s.opts.replica = true; }},
    {"--slave", false, [](parse_state& s, const std::string&) { s.opts.replica = true; }},
    {"--askpass", false, [](parse_state& s, const std::string&) { s.opts.askpass = true; }},
    {"--verbose", false, [](parse_state& s, const std::string&) { s.opts.verbose = true; }},
    {"--rdb", true,
     [](parse_state& s, const std::string& v) {
       s.opts.rdb_file = v;
       s.rdb = true;
     }},
    {"--functions-rdb", true,
     [](parse_state& s, const std::string& v) {
       s.opts.rdb_file = v;
       s.opts.functions_rdb = true;
     }},
};

cluster_options& cm(parse_state& s) { return s.opts.cluster_manager; }

// The cluster manager's options (--cluster itself and --cluster-weight, which take several
// words, are read by read_cluster_words()). Numbers are read with atoi/atof, as redis-cli does.
const flag_spec cluster_flags[] = {
    {"--cluster-only-masters", false,
     [](parse_state& s, const std::string&) { cm(s).only_masters = true; }},
    {"--cluster-only-replicas", false,
     [](parse_state& s, const std::string&) { cm(s).only_replicas = true; }},
    {"--cluster-replicas", true,
     [](parse_state& s, const std::string& v) { cm(s).replicas = to_int(v); }},
    {"--cluster-master-id", true,
     [](parse_state& s, const std::string& v) { cm(s).master_id = v; }},
    {"--cluster-from", true, [](parse_state& s, const std::string& v) { cm(s).from = v; }},
    {"--cluster-to", true, [](parse_state& s, const std::string& v) { cm(s).to = v; }},
    {"--cluster-from-user", true,
     [](parse_state& s, const std::string& v) { cm(s).from_user = v; }},
    {"--cluster-from-pass", true,
     [](parse_state& s, const std::string& v) { cm(s).from_pass = v; }},
    {"--cluster-from-askpass", false,
     [](parse_state& s, const std::string&) { cm(s).from_askpass = true; }},
    {"--cluster-slots", true,
     [](parse_state& s, const std::string& v) { cm(s).slots = to_int(v); }},
    {"--cluster-timeout", true,
     [](parse_state& s, const std::string& v) { cm(s).timeout = to_int(v); }},
    {"--cluster-pipeline", true,
     [](parse_state& s, const std::string& v) { cm(s).pipeline = to_int(v); }},
    {"--cluster-threshold", true,
     [](parse_state& s, const std::string& v) { cm(s).threshold = to_double(v); }},
    {"--cluster-yes", false, [](parse_state& s, const std::string&) { cm(s).yes = true; }},
    {"--cluster-simulate", false,
     [](parse_state& s, const std::string&) { cm(s).simulate = true; }},
    {"--cluster-replace", false, [](parse_state& s, const std::string&) { cm(s).replace = true; }},
    {"--cluster-copy", false, [](parse_state& s, const std::string&) { cm(s).copy = true; }},
    // redis-cli 7.0 knows no --cluster-replica (7.2 added it): it is refused as unknown.
    {"--cluster-slave", false, [](parse_state& s, const std::string&) { cm(s).slave = true; }},
    {"--cluster-use-empty-masters", false,
     [](parse_state& s, const std::string&) { cm(s).use_empty_masters = true; }},
    {"--cluster-search-multiple-owners", false,
     [](parse_state& s, const std::string&) { cm(s).search_multiple_owners = true; }},
    {"--cluster-fix-with-unreachable-masters", false,
     [](parse_state& s, const std::string&) { cm(s).fix_with_unreachable_masters = true; }},
};

// A word that is not an option: it does not start with '-' (the empty word included).
bool plain_word(const std::string& a) { return a.empty() || a[0] != '-'; }

// --cluster, --cluster-weight, and the plain words of cluster manager mode, which redis-cli
// reads before (the flags) or instead of (the words) its usual rules. True when args[i] was
// one of them; `i` is then the last word it used.
bool read_cluster_words(parse_state& s, std::span<const std::string> args, std::size_t& i) {
  cluster_options& c = cm(s);
  const std::string& a = args[i];
  const bool value_follows = i + 1 < args.size();
  if (a == "--cluster") {
    // A second --cluster, or one without a subcommand: the usage, on stderr.
    if (!value_follows || c.command) {
      s.result = fail(usage_text());
      return true;
    }
    c.command = args[++i];
    c.stdin_last_arg = s.opts.stdin_last_arg;
    c.stdin_tag = s.opts.stdin_tag;
    while (i + 1 < args.size() && plain_word(args[i + 1])) c.args.push_back(args[++i]);
    return true;
  }
  if (a == "--cluster-weight" && value_follows) {
    if (!c.weights.empty()) {
      s.result = fail(
          "WARNING: you cannot use --cluster-weight more than once.\n"
          "You can set more weights by adding them as a space-separated list, ie:\n"
          "--cluster-weight n1=w n2=w\n");
      return true;
    }
    // The weights are the words that follow and hold a '=' (up to one that starts with "--").
    while (i + 1 < args.size() && !args[i + 1].starts_with("--") &&
           args[i + 1].find('=') != std::string::npos) {
      c.weights.push_back(args[++i]);
    }
    return true;
  }
  if (!c.command || !plain_word(a)) return false;
  // In cluster manager mode a plain word does not start a command: it and the plain words
  // after it are the subcommand's arguments if it has none yet, else they are ignored.
  if (c.args.empty()) {
    c.args.push_back(a);
    while (i + 1 < args.size() && plain_word(args[i + 1])) c.args.push_back(args[++i]);
  }
  return true;
}

// The first flag named `name` that fits: one that takes a value fits when a value follows.
const flag_spec* find_flag(std::string_view name, bool value_follows) {
  for (std::span<const flag_spec> table :
       {std::span<const flag_spec>(connection_flags), std::span<const flag_spec>(command_flags),
        std::span<const flag_spec>(mode_flags), std::span<const flag_spec>(cluster_flags)}) {
    for (const flag_spec& f : table) {
      if (f.name == name && (value_follows || !f.takes_value)) return &f;
    }
  }
  return nullptr;
}

// The checks redis-cli makes once every flag is read, then the password's sources.
parse_result finish_options(parse_state& s, bool stdout_is_tty, const char* auth_env) {
  options& opts = s.opts;
  if (opts.ldb && !opts.eval_file) {
    return fail(
        "Options --ldb and --ldb-sync-mode require --eval.\n"
        "Try redis-cli --help for more information.\n");
  }
  if (opts.password && opts.password_on_command_line && !opts.no_auth_warning) {
    s.result.err += auth_warning;
  }
  if (s.rdb && opts.functions_rdb) {
    return fail(s.result.err + "Option --functions-rdb and --rdb are mutually exclusive.\n");
  }
  if (opts.stdin_last_arg && opts.stdin_tag) {
    return fail(s.result.err + "Options -x and -X are mutually exclusive.\n");
  }
  if (opts.force_resp2 && opts.force_resp3) {
    return fail(s.result.err + "Options -2 and -3 are mutually exclusive.\n");
  }
  if (opts.cluster && !opts.socket.empty()) {
    return fail(s.result.err + "Options -c and -s are mutually exclusive.\n");
  }
  if (!opts.password && auth_env != nullptr) opts.password = auth_env;
  // Push messages are shown on a terminal, unless --show-pushes said otherwise.
  if (!opts.show_pushes) opts.show_pushes = stdout_is_tty;
  return s.result;
}

}  // namespace

parse_result parse_options(std::span<const std::string> args, bool stdout_is_tty,
                           const char* auth_env, options& opts) {
  opts.mode = stdout_is_tty ? output_mode::standard : output_mode::raw;
  parse_result result;
  parse_state state{opts, result, {}};
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (read_cluster_words(state, args, i)) {
      if (result.next == parse_result::action::exit) return result;
      continue;
    }
    if (plain_word(a)) break;  // the command starts here
    const bool value_follows = i + 1 < args.size();
    if (const tools::tls_flag* tls = tools::find_tls_flag(a);
        tls != nullptr && (value_follows || !tls->takes_value)) {
      tls->apply(opts.tls, tls->takes_value ? std::string_view(args[++i]) : std::string_view{});
      continue;
    }
    const flag_spec* f = find_flag(a, value_follows);
    if (f == nullptr) {
      return fail(fmt::format("Unrecognized option or bad number of args for: '{}'\n", a));
    }
    state.flag = f->name;
    static const std::string no_value;
    f->apply(state, f->takes_value ? args[++i] : no_value);
    if (result.next == parse_result::action::exit) return result;
  }
  opts.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return finish_options(state, stdout_is_tty, auth_env);
}

constexpr std::string_view usage_connection = R"(
Usage: respool-cli [OPTIONS] [cmd [arg [arg ...]]]
A drop-in replacement for redis-cli: the same options, output and exit codes.

Connection
  -h <host>            Server host (127.0.0.1).
  -p <port>            Server port (6379).
  -s <socket>          Unix socket path; replaces host and port.
  -u <uri>             redis://[[user:]password@]host[:port][/db], or rediss:// for TLS.
  -a <password>        Password (also --pass). REDISCLI_AUTH in the environment is safer:
                       it is used when no password is given here.
  --user <name>        ACL user name, sent with the password (AUTH user password).
  --no-auth-warning    Do not warn about a password given on the command line.
  --askpass            Read the password from standard input (not echoed on a terminal).
  -n <db>              Database to SELECT after connecting.
  -2 | -3              Speak RESP2 (never send HELLO) | send HELLO 3 after connecting.
  -c                   Follow the cluster's -MOVED and -ASK redirections.
  --tls                Connect with TLS. With it: --sni <name>, --cacert <file>,
                       --cacertdir <dir>, --cert <file>, --key <file>, --insecure (do not
                       verify the server), --tls-ciphers <list>, --tls-ciphersuites <list>.

Commands
  -r <n>               Run the command n times (a negative n: forever).
  -i <seconds>         Pause after each run (fractions allowed: -i 0.1); also the period
                       of --latency-history, --latency-dist and --stat, the pause between
                       SCAN calls of --scan and every 100 SCAN calls of --bigkeys,
                       --memkeys and --hotkeys.
  -x                   Append all of standard input to the command as its last argument.
  -X <tag>             Replace the argument equal to <tag> with all of standard input.
  -e                   Print error replies on stderr and exit with status 1.
  -t <seconds>         Give up when the server sends nothing for this long, before a
                       reply or inside one (subscribe mode and MONITOR wait for their
                       next message without bound). By default a reply may take as long
                       as it needs to begin; one that stops half-way for 30 s is an error.
  --quoted-input       Read each argument as a quoted string ("\x00", "\n", ...).
  --eval <file>        EVAL the Lua script in <file>; arguments: keys , args.
  --ldb                With --eval: debug the script with the server's Lua debugger;
                       --ldb-sync-mode: its synchronous mode (changes are kept).

)";
constexpr std::string_view usage_modes =
    R"(Output (by default formatted on a terminal, raw otherwise)
  --raw | --no-raw     Raw replies | formatted replies.
  --csv                CSV.
  --json               JSON (asks for RESP3 unless -2 is given).
  --quoted-json        JSON with C-quoted strings, safe for any bytes.
  -d <delimiter>       Between the elements of an aggregate in raw output ("
").
  -D <delimiter>       After each reply in raw output ("
").
  --show-pushes <y|n>  Print RESP3 push messages (yes on a terminal).

Modes
  --pipe               Send standard input (RESP or inline commands) as it is and count
                       the replies; --pipe-timeout <s> gives up waiting for them (30; 0:
                       never).
  --latency            Sample the round-trip time of PING continuously.
  --latency-history    The same, one line per interval (-i, 15 seconds by default).
  --scan               List the keys with SCAN; --pattern <glob> (or --quoted-pattern
                       with a quoted one, "k\\x00*"), --count <n>.
  --bigkeys            Walk the keyspace with SCAN (--pattern, --count; -i pauses per 100
                       SCANs) and report the biggest key of each type.
  --memkeys            The same, by MEMORY USAGE; --memkeys-samples <n> sets its SAMPLES.
  --hotkeys            The same, by access frequency (OBJECT FREQ: needs an LFU
                       maxmemory-policy).
  --stat               A line of INFO figures every interval (-i, 1 second by default).
  --latency-dist       The distribution of PING round trips as coloured spectrums, every
                       interval (-i, 1 second by default); --mono in grey.
  --lru-test <keys>    Simulate a cache: SET and GET keys among <keys> with an 80-20 law,
                       one line of hits and misses a second.
  --intrinsic-latency <seconds>
                       Measure how long this process waits for the CPU, for <seconds>
                       (no server).
  --replica            Act as a replica: print each command the server replicates (CSV).
  --rdb <file>         Fetch the server's RDB through replication into <file> ("-":
                       standard output); --functions-rdb <file>: its functions only.
  --cluster <command> [args...] [options...]
                       redis-cli's cluster manager: create, check, info, fix, reshard,
                       rebalance, add-node, del-node, call, set-timeout, import, backup
                       (--cluster help lists them with their options); --verbose: rebalance
                       shows each node's balance.

  --help               This text.
  --version            The version.

Without a command, respool-cli reads commands interactively, with line editing and history
(REDISCLI_HISTFILE, or ~/.rediscli_history).
)";

std::string usage_text() {
  std::string text = version_text();
  text.append(usage_connection).append(usage_modes);
  return text;
}

std::string version_text() {
  return fmt::format("respool-cli {}.{}.{}\n", RESPOOL_VERSION_MAJOR, RESPOOL_VERSION_MINOR,
                     RESPOOL_VERSION_PATCH);
}

}  // namespace respool::cli
