#include "options.hpp"

#include "split.hpp"
#include <respool/detail/ascii.hpp>
#include <respool/version.hpp>

#include <fmt/format.h>

#include <cstdlib>

#include <strings.h>

namespace respool::cli {
namespace {

constexpr std::string_view auth_warning =
    "Warning: Using a password with '-a' or '-u' option on the command line interface may not "
    "be safe.\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes the byte; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

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
  std::string_view rest;
  if (detail::ascii::istarts_with(uri, "rediss://")) {
    opts.tls.enabled = true;
    rest = uri.substr(9);
  } else if (detail::ascii::istarts_with(uri, "redis://")) {
    rest = uri.substr(8);
  } else {
    error = "Invalid URI scheme\n";
    return false;
  }
  if (rest.empty()) return true;

  // [[user:]password@]
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    const auto colon = rest.find(':');
    std::string_view pass_start = rest;
    if (colon != std::string_view::npos && colon < at) {
      opts.user = percent_decode(rest.substr(0, colon));
      pass_start = rest.substr(colon + 1);
    }
    opts.password = percent_decode(pass_start.substr(0, at - (rest.size() - pass_start.size())));
    opts.password_on_command_line = true;
    rest = rest.substr(at + 1);
  }
  if (rest.empty()) return true;

  // [host[:port]] up to the first '/'; "[v6]" for IPv6.
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (!authority.empty()) {
    std::string_view host = authority;
    if (authority.front() == '[') {
      const auto close = authority.find(']');
      if (close != std::string_view::npos) {
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
          opts.port = to_int(std::string(authority.substr(close + 2)));
        }
      } else {
        host = authority.substr(1);
      }
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
      opts.port = to_int(std::string(authority.substr(colon + 1)));
      host = authority.substr(0, colon);
    }
    opts.host = std::string(host);
  }
  if (slash == std::string_view::npos) return true;
  const std::string_view path = rest.substr(slash + 1);
  if (!path.empty()) opts.db = to_int(std::string(path));
  return true;
}

parse_result parse_options(std::span<const std::string> args, bool stdout_is_tty,
                           const char* auth_env, options& opts) {
  opts.mode = stdout_is_tty ? output_mode::standard : output_mode::raw;
  parse_result result;
  bool ldb = false;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool last = i + 1 == args.size();
    // A flag that takes a value: the value is the next argument, which must exist.
    auto value_flag = [&](std::string_view name) { return a == name && !last; };
    auto next = [&]() -> const std::string& { return args[++i]; };

    if (value_flag("-h")) {
      opts.host = next();
    } else if (a == "-h" && last) {
      result.next = parse_result::action::exit;
      result.out = usage_text();
      return result;
    } else if (a == "--help") {
      result.next = parse_result::action::exit;
      result.out = usage_text();
      return result;
    } else if (a == "-x") {
      opts.stdin_last_arg = true;
    } else if (value_flag("-X")) {
      opts.stdin_tag = next();
    } else if (value_flag("-p")) {
      opts.port = to_int(next());
    } else if (value_flag("-s")) {
      opts.socket = next();
    } else if (value_flag("-r")) {
      opts.repeat = to_ll(next());
    } else if (value_flag("-i")) {
      opts.interval = to_double(next());
    } else if (value_flag("-t")) {
      opts.reply_timeout = to_double(next());
    } else if (value_flag("-n")) {
      opts.db = to_int(next());
    } else if (a == "--no-auth-warning") {
      opts.no_auth_warning = true;
    } else if (value_flag("-a") || value_flag("--pass")) {
      opts.password = next();
      opts.password_on_command_line = true;
    } else if (value_flag("--user")) {
      opts.user = next();
    } else if (value_flag("-u")) {
      std::string error;
      if (!apply_uri(next(), opts, error)) return fail(std::move(error));
    } else if (a == "--raw") {
      opts.mode = output_mode::raw;
    } else if (a == "--no-raw") {
      opts.mode = output_mode::standard;
    } else if (a == "--quoted-input") {
      opts.quoted_input = true;
    } else if (a == "--csv") {
      opts.mode = output_mode::csv;
    } else if (a == "--json" || a == "--quoted-json") {
      opts.mode = a == "--json" ? output_mode::json : output_mode::quoted_json;
      opts.json_asks_resp3 = true;
    } else if (a == "--latency") {
      opts.latency = true;
    } else if (a == "--latency-history") {
      opts.latency = true;
      opts.latency_history = true;
    } else if (value_flag("--show-pushes")) {
      const std::string& v = next();
      const char c = v.empty() ? '\0' : static_cast<char>(v[0] | 0x20);
      if (c == 'y') {
        opts.show_pushes = true;
      } else if (c == 'n') {
        opts.show_pushes = false;
      } else {
        // redis-cli warns and goes on with the default.
        result.err += fmt::format("Unknown --show-pushes value '{}' (valid: '[y]es', '[n]o')\n", v);
      }
    } else if (a == "--pipe") {
      opts.pipe = true;
    } else if (value_flag("--pipe-timeout")) {
      opts.pipe_timeout = to_int(next());
    } else if (a == "--scan") {
      opts.scan = true;
    } else if (value_flag("--pattern")) {
      opts.pattern = next();
    } else if (value_flag("--quoted-pattern")) {
      auto words = split_args(next());
      if (!words || words->size() != 1) {
        return fail("Invalid quoted string specified for --quoted-pattern.\n");
      }
      opts.pattern = std::move(words->front());
    } else if (a == "--ldb" || a == "--ldb-sync-mode") {
      ldb = true;
    } else if (value_flag("--count")) {
      opts.count = to_ll(next());
    } else if (value_flag("--eval")) {
      opts.eval_file = next();
    } else if (value_flag("-d")) {
      opts.element_delimiter = next();
    } else if (value_flag("-D")) {
      opts.reply_delimiter = next();
    } else if (a == "-c") {
      opts.cluster = true;
    } else if (a == "-e") {
      opts.errors_to_stderr = true;
    } else if (a == "-2") {
      opts.force_resp2 = true;
    } else if (a == "-3") {
      opts.force_resp3 = true;
    } else if (a == "--tls") {
      opts.tls.enabled = true;
    } else if (value_flag("--sni")) {
      opts.tls.sni = next();
    } else if (value_flag("--cacert")) {
      opts.tls.ca_file = next();
    } else if (value_flag("--cacertdir")) {
      opts.tls.ca_dir = next();
    } else if (a == "--insecure") {
      opts.tls.insecure = true;
    } else if (value_flag("--cert")) {
      opts.tls.cert_file = next();
    } else if (value_flag("--key")) {
      opts.tls.key_file = next();
    } else if (value_flag("--tls-ciphers")) {
      opts.tls.ciphers = next();
    } else if (value_flag("--tls-ciphersuites")) {
      opts.tls.ciphersuites = next();
    } else if (a == "-v" || a == "--version") {
      result.next = parse_result::action::exit;
      result.out = version_text();
      return result;
    } else if (a == "--stat" || a == "--bigkeys" || a == "--memkeys" || a == "--hotkeys" ||
               a == "--latency-dist" || a == "--replica" || a == "--askpass" || a == "--verbose" ||
               a == "--mono" || value_flag("--rdb") || value_flag("--functions-rdb") ||
               value_flag("--lru-test") || value_flag("--intrinsic-latency") ||
               value_flag("--memkeys-samples") || value_flag("--quoted-pattern") ||
               value_flag("--cluster")) {
      return fail(fmt::format("respool-cli does not implement '{}'\n", a));
    } else if (!a.empty() && a[0] == '-') {
      return fail(fmt::format("Unrecognized option or bad number of args for: '{}'\n", a));
    } else {
      break;  // the command starts here
    }
  }
  opts.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());

  if (ldb && !opts.eval_file) {
    return fail(
        "Options --ldb and --ldb-sync-mode require --eval.\n"
        "Try redis-cli --help for more information.\n");
  }
  if (ldb) return fail("respool-cli does not implement the Lua debugger (--ldb)\n");
  if (opts.password && opts.password_on_command_line && !opts.no_auth_warning) {
    result.err += auth_warning;
  }
  if (opts.stdin_last_arg && opts.stdin_tag) {
    return fail(result.err + "Options -x and -X are mutually exclusive.\n");
  }
  if (opts.force_resp2 && opts.force_resp3) {
    return fail(result.err + "Options -2 and -3 are mutually exclusive.\n");
  }
  if (opts.cluster && !opts.socket.empty()) {
    return fail(result.err + "Options -c and -s are mutually exclusive.\n");
  }
  if (!opts.password && auth_env != nullptr) opts.password = auth_env;
  // Push messages are shown on a terminal, unless --show-pushes said otherwise.
  if (!opts.show_pushes) opts.show_pushes = stdout_is_tty;
  return result;
}

std::string usage_text() {
  return version_text() + R"(
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
  -n <db>              Database to SELECT after connecting.
  -2 | -3              Speak RESP2 (never send HELLO) | send HELLO 3 after connecting.
  -c                   Follow the cluster's -MOVED and -ASK redirections.
  --tls                Connect with TLS. With it: --sni <name>, --cacert <file>,
                       --cacertdir <dir>, --cert <file>, --key <file>, --insecure (do not
                       verify the server), --tls-ciphers <list>, --tls-ciphersuites <list>.

Commands
  -r <n>               Run the command n times (a negative n: forever).
  -i <seconds>         Pause after each run (fractions allowed: -i 0.1); also the period
                       of --latency-history and the pause between SCAN calls of --scan.
  -x                   Append all of standard input to the command as its last argument.
  -X <tag>             Replace the argument equal to <tag> with all of standard input.
  -e                   Print error replies on stderr and exit with status 1.
  -t <seconds>         Give up when the server sends nothing for this long, before a
                       reply or inside one (subscribe mode and MONITOR wait for their
                       next message without bound). By default a reply may take as long
                       as it needs to begin; one that stops half-way for 30 s is an error.
  --quoted-input       Read each argument as a quoted string ("\x00", "\n", ...).
  --eval <file>        EVAL the Lua script in <file>; arguments: keys , args.

Output (by default formatted on a terminal, raw otherwise)
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

  --help               This text.
  --version            The version.

Without a command, respool-cli reads commands interactively, with line editing and history
(REDISCLI_HISTFILE, or ~/.rediscli_history).
)";
}

std::string version_text() {
  return fmt::format("respool-cli {}.{}.{}\n", RESPOOL_VERSION_MAJOR, RESPOOL_VERSION_MINOR,
                     RESPOOL_VERSION_PATCH);
}

}  // namespace respool::cli
