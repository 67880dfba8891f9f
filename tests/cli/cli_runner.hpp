// Runs command-line programs for the CLI tests, in two ways:
//
// - child_process / run(): the program's stdin, stdout and stderr are pipes (so stdout is not a
//   terminal). stdin is fed from a byte string while stdout and stderr are drained, all in one
//   poll() loop, so that neither side can block the other. A wall-clock timeout kills the
//   program with SIGKILL and reports it as timed out.
// - pty_process: the program runs on a pseudo-terminal (it is a terminal for stdin, stdout and
//   stderr), with TERM chosen by the test. The test types keystrokes and waits for text to
//   appear in the transcript; control sequences are ignored when matching.
//
// Plain POSIX (fork, execve, poll, openpty). Everything a forked child does before execve is
// prepared beforehand, so the tests may have other threads running (fake servers, publishers).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace respool::test::cli {

/// What the child's stdin is.
enum class input {
  pipe,      ///< a pipe that receives `stdin_data`, then is closed (EOF)
  dev_null,  ///< /dev/null
  closed,    ///< descriptor 0 is closed in the child
};

/// The environment of a child: the test process's own, minus `unset`, plus `set` (which wins),
/// or only `set` when `clear` is true.
struct environment {
  bool clear = false;
  std::vector<std::string> unset;
  std::vector<std::pair<std::string, std::string>> set;
};

struct run_options {
  /// An absolute or relative path, or a name looked up in PATH.
  std::string program;
  /// The arguments after argv[0].
  std::vector<std::string> args;
  /// argv[0]; empty: `program`.
  std::string argv0;
  input stdin_kind = input::pipe;
  std::string stdin_data;
  environment env;
  /// The working directory; empty: the test's own.
  std::string cwd;
  /// Wall-clock limit from the start; when it expires the program gets SIGKILL.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
};

struct run_result {
  /// False when the program could not be started; `error` says why.
  bool started = false;
  std::string error;
  std::string out;
  std::string err;
  /// True when the program ended by exit(): `exit_code` holds the status.
  bool exited = false;
  int exit_code = -1;
  /// The signal that ended the program (0 when it exited).
  int signal = 0;
  /// The timeout expired and the program was killed (then `signal` is SIGKILL).
  bool timed_out = false;
  /// The largest resident set size the program reached, in KiB; -1 when unknown.
  long peak_resident_kib = -1;

  /// "exit 0", "signal 2", "signal 9 (timed out, killed)", "not started: ..."
  [[nodiscard]] std::string status() const;
};

/// A running program with piped stdio. The destructor kills (SIGKILL) and reaps it if needed.
class child_process {
 public:
  /// Starts the program; null with `why` set when it cannot be started (fork failed, the
  /// program does not exist or cannot be executed, the working directory is missing).
  static std::unique_ptr<child_process> start(const run_options& options, std::string& why);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// What the program has written so far.
  [[nodiscard]] const std::string& out() const noexcept { return out_; }
  [[nodiscard]] const std::string& err() const noexcept { return err_; }

  /// Feeds stdin and drains the outputs until `text` occurs in stdout (or stderr when
  /// `in_stderr`) at or after `from`, the program's outputs both end, or `timeout` passes.
  /// True when the text was found.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout,
                       bool in_stderr = false, std::size_t from = 0);
  /// Feeds stdin and drains the outputs for `duration`, or until both outputs end.
  void pump_for(std::chrono::milliseconds duration);
  /// Sends a signal to the program (nothing when it has already been reaped).
  void send_signal(int sig);
  /// The resident set size of the program in KiB (from /proc), -1 when unknown.
  [[nodiscard]] long resident_kib() const;
  /// Feeds stdin and drains the outputs until the program has exited and both outputs have
  /// ended (a descendant that keeps them open is not waited for beyond the exit). When
  /// `timeout` (counted from now) passes first, the program gets SIGKILL and the result says
  /// timed out. Call once.
  run_result finish(std::chrono::milliseconds timeout);

 private:
  child_process() = default;
  // One poll() round of at most `wait`: writes stdin, reads stdout and stderr.
  void pump_once(std::chrono::milliseconds wait);
  bool reap(bool block);
  [[nodiscard]] bool outputs_open() const noexcept { return out_fd_ >= 0 || err_fd_ >= 0; }

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string in_;
  std::size_t in_written_ = 0;
  std::string out_;
  std::string err_;
  bool reaped_ = false;
  int wait_status_ = 0;
  long peak_kib_ = -1;
};

/// Runs a program to completion (child_process::start + finish(options.timeout)).
run_result run(const run_options& options);

struct pty_options {
  std::string program;
  std::vector<std::string> args;
  /// argv[0]; empty: `program`.
  std::string argv0;
  /// Set in the child's environment (on top of `env`), unless empty.
  std::string term = "dumb";
  environment env;
  std::string cwd;
  unsigned short columns = 200;
  unsigned short rows = 50;
};

/// A program on a pseudo-terminal, driven like `expect`: send() keystrokes, expect() text.
///
/// The transcript is everything the program wrote to the terminal (with the terminal's echo
/// of the keystrokes). expect() matches on text(): the transcript without control sequences
/// (ESC sequences) and without \r, \b and \a, so that line editors that redraw the line with
/// escape sequences compare as plain text. Each successful expect() moves a cursor past the
/// match; the next expect() searches after it.
class pty_process {
 public:
  static std::unique_ptr<pty_process> start(const pty_options& options, std::string& why);
  /// Hangs up (closes the terminal) and kills (SIGKILL) the program if it still runs.
  ~pty_process();
  pty_process(const pty_process&) = delete;
  pty_process& operator=(const pty_process&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Writes keystrokes to the terminal ("\r" is the Enter key). False when it cannot.
  bool send(std::string_view keys);
  /// Types `line` and Enter.
  bool send_line(std::string_view line) { return send(std::string(line) + "\r"); }

  /// Waits until text() contains `text` after the cursor, and moves the cursor past it.
  /// On timeout (or when the program has closed the terminal) adds a test failure showing the
  /// transcript, and returns false.
  bool expect(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// As expect(), without adding a failure.
  bool wait_for(std::string_view text,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Reads whatever arrives during `duration` (to check that something does not appear).
  void drain_for(std::chrono::milliseconds duration);
  /// Waits until the terminal is out of canonical mode (ICANON off), which a line editor sets
  /// while it reads a line: keys sent before that are seen by the terminal driver's own line
  /// editing (an early Ctrl-D can be lost when the mode changes). False on timeout.
  bool wait_for_raw_mode(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// All bytes the program wrote so far.
  [[nodiscard]] const std::string& transcript() const noexcept { return transcript_; }
  /// The transcript as text (see above).
  [[nodiscard]] std::string text() const;
  /// text() after the cursor.
  [[nodiscard]] std::string text_after_cursor() const;
  /// A readable dump (escaped bytes) for failure messages.
  [[nodiscard]] std::string dump() const;

  /// Waits for the program to exit (reading the terminal meanwhile). When it is still running
  /// after `timeout` it gets SIGKILL and the result says timed out. `out` of the result holds
  /// the transcript.
  run_result wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  pty_process() = default;
  // Reads what is available within `wait`; false when the terminal has been hung up.
  bool read_some(std::chrono::milliseconds wait);
  bool reap(bool block);

  pid_t pid_ = -1;
  int master_fd_ = -1;
  bool hung_up_ = false;
  std::string transcript_;
  std::size_t cursor_ = 0;
  bool reaped_ = false;
  int wait_status_ = 0;
};

/// Removes ESC control sequences (CSI, OSC, two-byte), \r, \b and \a. An incomplete sequence
/// at the end is removed too, so the result for a prefix is a prefix of the result.
std::string strip_terminal_codes(std::string_view bytes);

/// Bytes made readable: printable ASCII as is, \n shown as "\n" followed by a line break,
/// \r \t \\ as escapes, everything else as \xHH.
std::string escape_bytes(std::string_view bytes);

/// A line-by-line comparison of two outputs for failure messages: common lines once, the
/// differing lines marked '-' (expected) and '+' (actual), bytes escaped.
std::string diff_text(std::string_view expected, std::string_view actual);

/// The absolute path of `name` found in PATH (or `name` itself when it contains a '/'), empty
/// when not found or not executable.
std::string find_program(std::string_view name);

/// A new empty directory under $TMPDIR (or /tmp) that removes itself, with its content, when
/// destroyed.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "respool-cli-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// The whole content of a file; empty when it cannot be read (`exists` false then).
std::string read_file(const std::string& path, bool* exists = nullptr);

}  // namespace respool::test::cli
