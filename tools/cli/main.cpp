// respool-cli: redis-cli's command line, output and exit codes, on respool's encoder and parser.
#include "cluster_manager.hpp"
#include "modes.hpp"
#include "options.hpp"
#include "repl.hpp"
#include "session.hpp"
#include "split.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <strings.h>
#include <termios.h>
#include <unistd.h>

namespace {

using namespace respool::cli;

std::string read_all_stdin() {
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return data;
}

// One command from the command line (or --eval's), with -x / -X and --quoted-input.
int run_command(session& s, std::vector<std::string> argv) {
  const options& o = s.opts();
  if (o.quoted_input) {
    for (std::string& a : argv) {
      auto words = split_args(a);
      if (!words || words->size() != 1) {
        std::fputs("Invalid quoted string\n", stdout);
        return 1;
      }
      a = std::move(words->front());
    }
  }
  if (o.stdin_last_arg) {
    argv.push_back(read_all_stdin());
  } else if (o.stdin_tag) {
    bool found = false;
    for (std::string& a : argv) {
      if (a == *o.stdin_tag) {
        a = read_all_stdin();
        found = true;
        break;
      }
    }
    if (!found) {
      std::fputs("Using -X option but stdin tag not match.\n", stderr);
      return 1;
    }
  }
  if (strcasecmp(argv.front().c_str(), "help") == 0 || argv.front() == "?") {
    print_help(s, std::span<const std::string>(argv).subspan(1));
    return 0;
  }
  return exit_status(s.issue(argv, o.repeat));
}

bool special_mode(const options& o) {
  return o.latency || o.latency_dist || o.replica || o.rdb_file || o.pipe || o.bigkeys ||
         o.memkeys || o.hotkeys || o.stat || o.scan || o.lru_test || o.intrinsic_latency;
}

// The script of --eval, read afresh for each run (a debugging session may be restarted after
// the file was edited). False, the reason said, when it cannot be read.
bool read_script(const std::string& file, std::string& script) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) {
    std::fprintf(stderr, "Can't open file '%s': %s\n", file.c_str(), std::strerror(errno));
    return false;
  }
  script.clear();
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) script.append(buf, n);
  std::fclose(f);
  return true;
}

// EVAL script numkeys key... arg...: the first lone "," separates the keys from the args.
std::vector<std::string> eval_command(std::string script, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVAL", std::move(script), ""};
  bool comma = false;
  long keys = 0;
  for (const std::string& a : args) {
    if (!comma && a == ",") {
      comma = true;
      continue;
    }
    argv.push_back(a);
    if (!comma) ++keys;
  }
  argv[2] = std::to_string(keys);
  return argv;
}

// --eval, and with --ldb the debugging session: the REPL talks to the server's debugger until
// the session ends (then it goes on as the ordinary REPL), `restart` starts it again.
int run_eval(session& s, const std::vector<std::string>& args) {
  const options& o = s.opts();
  if (!s.connect()) return 1;
  for (;;) {
    if (o.ldb) {
      std::fputs(
          "Lua debugging session started, please use:\n"
          "quit    -- End the session.\n"
          "restart -- Restart the script in debug mode again.\n"
          "help    -- Show Lua script debugging commands.\n\n",
          stdout);
      std::fflush(stdout);
    }
    std::string script;
    if (!read_script(*o.eval_file, script)) return 1;
    if (o.ldb) {
      std::error_code ec;
      const std::vector<std::string> debug{"SCRIPT", "DEBUG", o.ldb_sync ? "sync" : "yes"};
      s.call(debug, ec);  // its answer is not shown; the EVAL's says what went wrong
      s.enter_ldb(o.ldb_sync);
    }
    const outcome result = s.issue(eval_command(std::move(script), args), 1);
    if (!o.ldb) return exit_status(result);
    if (!s.in_ldb()) {
      // The session ended at once: the script does not compile. The EVAL's error follows.
      s.take_ldb_end();
      std::fputs("Eval debugging session can't start:\n", stdout);
      std::fflush(stdout);
      s.read_next();
      return exit_status(result);
    }
    bool restart = false;
    s.set_interactive(true);
    const int status = repl(s, &restart);
    if (!restart) return status;
    s.connect(true);
    std::fputs("\n", stdout);
  }
}

// --askpass, --cluster-from-askpass: a password from standard input. On a terminal the prompt is
// shown and the typing is not echoed; from a pipe the first line is read as it is, without a
// prompt, as redis-cli does. Nothing (EOF) leaves no password.
std::optional<std::string> ask_password(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  const bool quiet = tty && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  // Echo off before the prompt shows, and without flushing: nothing typed after it is lost.
  if (quiet) {
    termios no_echo = saved;
    no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &no_echo);
  }
  if (tty) {
    std::fputs(prompt, stdout);
    std::fflush(stdout);
  }
  std::string line;
  bool got = false;
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got = true;
    if (c == '\n') break;
    line.push_back(c);
  }
  if (quiet) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fputs("\n", stdout);
    std::fflush(stdout);
  }
  if (tty) {
    while (!line.empty() && line.back() == '\r') line.pop_back();
  }
  if (!got) return std::nullopt;
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const bool stdout_tty = ::isatty(STDOUT_FILENO) != 0 || std::getenv("FAKETTY") != nullptr;
  options opts;
  const parse_result parsed = parse_options(args, stdout_tty, std::getenv("REDISCLI_AUTH"), opts);
  std::fputs(parsed.out.c_str(), stdout);
  std::fputs(parsed.err.c_str(), stderr);
  if (parsed.next == parse_result::action::exit) return parsed.exit_code;
  if (opts.askpass) {
    if (auto password = ask_password("Please input password: "))
      opts.password = std::move(password);
  }
  // As redis-cli: the end of standard input leaves no password, even one --cluster-from-pass gave.
  if (opts.cluster_manager.from_askpass) {
    opts.cluster_manager.from_pass = ask_password("Please input import source node password: ");
  }
  // The cluster manager runs before any other mode, as in redis-cli.
  if (opts.cluster_manager.command) {
    if (const char* yes = std::getenv("REDISCLI_CLUSTER_YES"); yes && std::strcmp(yes, "1") == 0) {
      opts.cluster_manager.yes = true;
    }
    return cluster::run(opts, read_all_stdin);
  }

  const bool interactive = opts.command.empty() && !opts.eval_file && !special_mode(opts);
  session s(opts, interactive);

  // The special modes need a connection first, as redis-cli's do (all but
  // --intrinsic-latency), and the first of them in redis-cli's order runs.
  if (opts.latency) return s.connect() ? latency_mode(s) : 1;
  if (opts.latency_dist) return s.connect() ? latency_dist_mode(s) : 1;
  if (opts.replica) return s.connect() ? replica_mode(s) : 1;
  if (opts.rdb_file) return s.connect() ? rdb_mode(s) : 1;
  if (opts.pipe) return s.connect() ? pipe_mode(s) : 1;
  if (opts.bigkeys) return s.connect() ? big_keys_mode(s, false) : 1;
  if (opts.memkeys) return s.connect() ? big_keys_mode(s, true) : 1;
  if (opts.hotkeys) return s.connect() ? hot_keys_mode(s) : 1;
  if (opts.stat) return s.connect() ? stat_mode(s) : 1;
  if (opts.scan) return s.connect() ? scan_mode(s) : 1;
  if (opts.lru_test) return s.connect() ? lru_test_mode(s) : 1;
  if (opts.intrinsic_latency) return intrinsic_latency_mode(opts);
  if (interactive) {
    s.connect();
    return repl(s);
  }
  if (opts.eval_file) return run_eval(s, opts.command);
  // Quietly: when this first attempt fails, issue() tries again and says why.
  s.connect(false, true);
  return run_command(s, opts.command);
}
