#include "repl.hpp"

#include "line_editor.hpp"
#include "split.hpp"
#include <respool/protocol/detail/ascii.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace respool::cli {
namespace {

constexpr std::size_t history_max = 100;

// The terminal as it was before line editing, restored by the SIGINT handler.
termios saved_termios;
bool have_termios = false;
volatile std::sig_atomic_t reading_line = 0;

extern "C" void on_sigint(int) {
  const int fd = session::blocking_fd.load();
  if (fd >= 0) {
    // MONITOR or pub/sub: stop reading, reconnect, back to the prompt.
    session::blocking_aborted.store(true);
    ::shutdown(fd, SHUT_RDWR);
    return;
  }
  if (reading_line != 0) {
    // Ctrl-C at the prompt ends the session, as EOF does.
    if (have_termios) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    const char nl = '\n';
    [[maybe_unused]] const ssize_t n = ::write(STDOUT_FILENO, &nl, 1);
    ::_exit(0);
  }
  ::_exit(1);  // a command that blocks (BLPOP ...) is abandoned
}

// The history: redis-cli's file format (one entry per line, at most 100, mode
// 0600), kept here and mirrored into libedit for editing.
class history {
 public:
  history(std::optional<std::string> file, line_editor* editor)
      : file_(std::move(file)), editor_(editor) {
    if (!file_) return;
    std::FILE* f = std::fopen(file_->c_str(), "r");
    if (f == nullptr) return;
    char* line = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    while ((n = ::getline(&line, &cap, f)) > 0) {
      std::string entry(line, static_cast<std::size_t>(n));
      while (!entry.empty() && (entry.back() == '\n' || entry.back() == '\r')) entry.pop_back();
      add(entry);
    }
    std::free(line);
    std::fclose(f);
  }

  void add(const std::string& line) {
    if (!entries_.empty() && entries_.back() == line) return;
    if (entries_.size() == history_max) entries_.pop_front();
    entries_.push_back(line);
    if (editor_ != nullptr) editor_->add_history(line);
  }

  void save() const {
    if (!file_) return;
    const mode_t old = ::umask(S_IXUSR | S_IRWXG | S_IRWXO);
    std::FILE* f = std::fopen(file_->c_str(), "w");
    ::umask(old);
    if (f == nullptr) return;
    ::chmod(file_->c_str(), S_IRUSR | S_IWUSR);
    for (const std::string& e : entries_) std::fprintf(f, "%s\n", e.c_str());
    std::fclose(f);
  }

 private:
  std::optional<std::string> file_;
  line_editor* editor_;  // null without line editing
  std::deque<std::string> entries_;
};

std::optional<std::string> history_path() {
  if (const char* env = std::getenv("REDISCLI_HISTFILE"); env != nullptr && *env != '\0') {
    if (strcasecmp(env, "/dev/null") == 0) return std::nullopt;
    return std::string(env);
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::nullopt;
  return std::string(home) + "/.rediscli_history";
}

bool unsupported_term() {
  const char* term = std::getenv("TERM");
  if (term == nullptr) return false;
  return strcasecmp(term, "dumb") == 0 || strcasecmp(term, "cons25") == 0 ||
         strcasecmp(term, "emacs") == 0;
}

enum class line_source { pipe, plain_terminal, editor };

// One line, without its '\n'; nullopt at EOF.
std::optional<std::string> read_line(line_source source, line_editor* editor,
                                     const std::string& prompt) {
  if (source == line_source::editor) {
    reading_line = 1;
    std::optional<std::string> line = editor->read(prompt);
    reading_line = 0;
    return line;
  }
  if (source == line_source::plain_terminal) {
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
  }
  // Without line editing, Ctrl-C is the terminal's SIGINT: status 1, as
  // redis-cli ends.
  std::string s;
  for (;;) {
    const int c = std::getchar();
    if (c == EOF) {
      if (s.empty()) return std::nullopt;
      break;
    }
    if (c == '\n') break;
    s.push_back(static_cast<char>(c));
  }
  if (source == line_source::plain_terminal) {
    while (!s.empty() && s.back() == '\r') s.pop_back();
  }
  return s;
}

void print_help_overview() {
  std::fputs(version_text().c_str(), stdout);
  std::fputs(
      "Type a Redis command to send it, e.g. \"set key value\" or \"5 "
      "incr counter\" to run it\n"
      "five times. \"help <command>\" shows a command's syntax and "
      "summary (read from the\n"
      "server's COMMAND DOCS); \"connect <host> <port>\" switches "
      "servers; \"clear\" clears\n"
      "the screen; \"quit\" or \"exit\" leaves.\n",
      stdout);
  std::fflush(stdout);
}

}  // namespace

void print_help(session& s, std::span<const std::string> topic) {
  if (topic.empty()) {
    print_help_overview();
  } else {
    print_command_help(s, topic);
  }
}

namespace {

// SIGINT's handler, and line editing when the terminal can do it.
line_source prepare_input() {
  const bool tty_in = ::isatty(STDIN_FILENO) != 0;
  const line_source source = !tty_in              ? line_source::pipe
                             : unsupported_term() ? line_source::plain_terminal
                                                  : line_source::editor;
  if (tty_in && ::tcgetattr(STDIN_FILENO, &saved_termios) == 0) have_termios = true;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  return source;
}

void remember(std::optional<history>& hist, const std::string& line) {
  if (!hist) return;
  hist->add(line);
  hist->save();
}

// "5 incr x": a leading integer (with a command after it) repeats the command.
// Sets `repeat` and `skip` (the words before the command); false, with
// redis-cli's message printed, for a count that is not positive or too large.
bool read_repeat(const std::vector<std::string>& argv, long& repeat, std::size_t& skip) {
  const std::string& first = argv.front();
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(first.c_str(), &end, 10);
  if (argv.size() < 2 || *end != '\0') return true;
  if (errno == ERANGE || errno == EINVAL || value <= 0) {
    std::fputs("Invalid redis-cli repeat command option value.\n", stdout);
    std::fflush(stdout);
    return false;
  }
  repeat = value;
  skip = 1;
  return true;
}

enum class local_result { none, done, quit, restart };

// The commands redis-cli answers itself: quit and exit, :set, restart, connect,
// clear, help. `argv` is the whole line, `command` the part after a repeat
// count.
local_result run_local(session& s, line_editor* editor, bool can_restart,
                       const std::vector<std::string>& argv, std::span<const std::string> command) {
  const std::string& name = argv.front();
  if (detail::ascii::iequals(name, "quit") || detail::ascii::iequals(name, "exit")) {
    return local_result::quit;
  }
  if (name[0] == ':') {
    if (detail::ascii::iequals(name, ":set") && argv.size() >= 2) {
      const bool on = detail::ascii::iequals(argv[1], "hints");
      if (on || detail::ascii::iequals(argv[1], "nohints")) {
        if (editor != nullptr) editor->hints = on;
      } else {
        std::printf("unknown redis-cli preference '%s'\n", argv[1].c_str());
      }
    } else {
      std::printf("unknown redis-cli internal command '%s'\n", name.c_str());
    }
  } else if (detail::ascii::iequals(name, "restart")) {
    if (can_restart) return local_result::restart;
    std::fputs("Use 'restart' only in Lua debugging mode.\n", stdout);
  } else if (argv.size() == 3 && detail::ascii::iequals(name, "connect")) {
    s.retarget(argv[1], std::atoi(argv[2].c_str()));
    s.connect(true);
    return local_result::done;
  } else if (argv.size() == 1 && detail::ascii::iequals(name, "clear")) {
    std::fputs("\x1b[H\x1b[2J", stdout);
  } else if (!s.in_ldb() &&
             (detail::ascii::iequals(command.front(), "help") || command.front() == "?")) {
    // (the debugger has its own help)
    print_help(s, command.subspan(1));
    return local_result::done;
  } else {
    return local_result::none;
  }
  std::fflush(stdout);
  return local_result::done;
}

// Sends the command; on a terminal, a command that took half a second or more
// is followed by its duration.
outcome timed_issue(session& s, std::span<const std::string> command, long repeat) {
  using std::chrono::milliseconds;
  const auto start = std::chrono::steady_clock::now();
  const outcome result = s.issue(command, repeat);
  if (result == outcome::fatal) return result;
  const long long elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (elapsed >= 500 && s.opts().mode == output_mode::standard) {
    std::printf("(%.2fs)\n", static_cast<double>(elapsed) / 1000);
    std::fflush(stdout);
  }
  return result;
}

// A line as words. In a debugging session "eval <code>" and "e <code>" keep the code whole,
// for the debugger to run.
std::optional<std::vector<std::string>> split_line(const session& s, const std::string& line) {
  if (s.in_ldb()) {
    for (const std::string_view head : {"eval ", "e "}) {
      if (line.starts_with(head)) {
        return std::vector<std::string>{std::string(head.substr(0, head.size() - 1)),
                                        line.substr(head.size())};
      }
    }
  }
  return split_args(line);
}

// The debugger ended its session: the EVAL's own reply follows; then the ordinary REPL.
void end_ldb(session& s, line_editor* editor) {
  s.read_next();
  std::printf("\n(Lua debugging session ended%s)\n\n",
              s.ldb_sync() ? "" : " -- dataset changes rolled back");
  std::fflush(stdout);
  // The server closes the connection after that reply: a new one, quietly, as redis-cli
  // makes before the next command.
  s.connect(true, true);
  if (editor != nullptr) editor->docs = load_command_docs(s);
}

}  // namespace

int repl(session& s, bool* restart) {
  const line_source source = prepare_input();
  // History only when a person types: not for commands piped in.
  std::optional<line_editor> editor;
  if (source == line_source::editor) {
    editor.emplace(static_cast<int>(history_max));
    // Hints and completion know the commands of the server connected to at the start (not
    // the debugger's: they come when its session ends).
    if (!s.in_ldb()) editor->docs = load_command_docs(s);
  }
  line_editor* const edit = editor ? &*editor : nullptr;
  std::optional<history> hist;
  if (source != line_source::pipe) hist.emplace(history_path(), edit);
  for (;;) {
    const std::optional<std::string> line = read_line(source, edit, s.prompt());
    if (!line) break;
    if (line->empty()) continue;
    auto argv = split_line(s, *line);
    if (!argv) {
      std::fputs("Invalid argument(s)\n", stdout);
      std::fflush(stdout);
      remember(hist, *line);
      continue;
    }
    if (argv->empty()) continue;
    long repeat = 1;
    std::size_t skip = 0;
    if (!read_repeat(*argv, repeat, skip)) continue;
    const std::span<const std::string> command = std::span(*argv).subspan(skip);
    if (!is_sensitive_command(command)) remember(hist, *line);
    const local_result local = run_local(s, edit, restart != nullptr, *argv, command);
    if (local == local_result::quit) break;
    if (local == local_result::restart) {
      *restart = true;
      return 0;
    }
    if (local == local_result::done) continue;
    if (timed_issue(s, command, repeat) == outcome::fatal) return 1;
    if (s.take_ldb_end()) end_ldb(s, edit);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace respool::cli
