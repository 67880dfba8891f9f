#include "cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char** environ;

namespace respool::test::cli {

namespace {

using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

// Writing to the stdin pipe of a program that has exited must give EPIPE, not kill the test.
// The children get the default disposition back before execve.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::string errno_text(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

ms remaining(steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<ms>(deadline - steady::now());
  return left.count() > 0 ? left : ms(0);
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// "KEY=VALUE" strings for execve.
std::vector<std::string> make_environment(
    const environment& env, const std::vector<std::pair<std::string, std::string>>& more) {
  std::vector<std::pair<std::string, std::string>> vars;
  if (!env.clear) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string entry = *e;
      const auto eq = entry.find('=');
      if (eq == std::string::npos) continue;
      vars.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  auto erase = [&vars](const std::string& name) {
    vars.erase(std::remove_if(vars.begin(), vars.end(),
                              [&name](const auto& v) { return v.first == name; }),
               vars.end());
  };
  for (const auto& name : env.unset) erase(name);
  for (const auto* list : {&env.set, &more}) {
    for (const auto& [name, value] : *list) {
      erase(name);
      vars.emplace_back(name, value);
    }
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In a forked child, before execve: only async-signal-safe calls.
void reset_child_signals() {
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The test's thread that started the child ends -> the child is killed, not left behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

// Closes every descriptor >= 3 except `keep`.
void close_other_fds(int keep) {
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep - 1), 0);
  ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
}

[[noreturn]] void child_fail(int report_fd, int error) {
  const ssize_t ignored = ::write(report_fd, &error, sizeof error);
  (void)ignored;
  ::_exit(127);
}

// Reads the exec-failure report: 0 when execve succeeded (the pipe closed on exec).
int read_exec_report(int fd) {
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &error, sizeof error);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof error) ? error : 0;
  }
}

std::string describe_wait_status(bool reaped, int status) {
  if (!reaped) return "still running";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

void fill_status(run_result& r, bool reaped, int status) {
  if (!reaped) return;
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
}

bool wait_pid(pid_t pid, bool block, int& status, long* peak_kib = nullptr) {
  for (;;) {
    rusage usage{};
    const pid_t r = ::wait4(pid, &status, block ? 0 : WNOHANG, &usage);
    if (r == pid && peak_kib != nullptr) *peak_kib = usage.ru_maxrss;  // KiB on Linux
    if (r == pid) return true;
    if (r < 0 && errno == EINTR) continue;
    // 0: still running; -1 (ECHILD): not ours any more, treat as gone.
    if (r < 0) {
      status = 0;
      return true;
    }
    return false;
  }
}

// Appends what `fd` has now; closes it at EOF or on an error.
void drain(int& fd, std::string& into) {
  char buffer[65536];
  while (fd >= 0) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_fd(fd);
  }
}

}  // namespace

std::string run_result::status() const {
  if (!started) return "not started: " + error;
  std::string s;
  if (exited) {
    s = "exit " + std::to_string(exit_code);
  } else if (signal != 0) {
    s = "signal " + std::to_string(signal);
  } else {
    s = "unknown";
  }
  if (timed_out) s += " (timed out, killed)";
  return s;
}

// ---------------------------------------------------------------------------------------------
// child_process

std::unique_ptr<child_process> child_process::start(const run_options& options, std::string& why) {
  ignore_sigpipe();
  const std::string path = find_program(options.program);
  if (path.empty()) {
    why = "program not found or not executable: " + options.program;
    return nullptr;
  }
  std::vector<std::string> argv_strings;
  argv_strings.push_back(options.argv0.empty() ? options.program : options.argv0);
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_strings = make_environment(options.env, {});
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);

  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int report[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {in_pipe, out_pipe, err_pipe, report}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
  };
  if ((options.stdin_kind == input::pipe && ::pipe2(in_pipe, O_CLOEXEC) != 0) ||
      ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(report, O_CLOEXEC) != 0) {
    why = errno_text("pipe", errno);
    close_all();
    return nullptr;
  }
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  const input stdin_kind = options.stdin_kind;
  const char* dev_null = "/dev/null";

  const pid_t pid = ::fork();
  if (pid < 0) {
    why = errno_text("fork", errno);
    close_all();
    return nullptr;
  }
  if (pid == 0) {
    reset_child_signals();
    const int rep = report[1];
    switch (stdin_kind) {
      case input::pipe:
        if (::dup2(in_pipe[0], 0) < 0) child_fail(rep, errno);
        break;
      case input::dev_null: {
        const int fd = ::open(dev_null, O_RDONLY);
        if (fd < 0) child_fail(rep, errno);
        if (fd != 0) {
          if (::dup2(fd, 0) < 0) child_fail(rep, errno);
          ::close(fd);
        }
        break;
      }
      case input::closed:
        ::close(0);
        break;
    }
    if (::dup2(out_pipe[1], 1) < 0 || ::dup2(err_pipe[1], 2) < 0) child_fail(rep, errno);
    if (cwd != nullptr && ::chdir(cwd) != 0) child_fail(rep, errno);
    close_other_fds(rep);
    ::execve(path.c_str(), argv.data(), envp.data());
    child_fail(rep, errno);
  }

  close_fd(in_pipe[0]);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  close_fd(report[1]);
  const int exec_error = read_exec_report(report[0]);
  close_fd(report[0]);
  if (exec_error != 0) {
    int status = 0;
    wait_pid(pid, true, status);
    close_all();
    why = errno_text("cannot run " + path + (cwd ? std::string(" in ") + cwd : std::string()),
                     exec_error);
    return nullptr;
  }

  std::unique_ptr<child_process> child(new child_process());
  child->pid_ = pid;
  child->in_fd_ = in_pipe[1];
  child->out_fd_ = out_pipe[0];
  child->err_fd_ = err_pipe[0];
  child->in_ = options.stdin_data;
  for (int fd : {child->in_fd_, child->out_fd_, child->err_fd_}) {
    if (fd >= 0) set_nonblocking(fd);
  }
  if (child->in_fd_ >= 0 && child->in_.empty()) close_fd(child->in_fd_);
  return child;
}

child_process::~child_process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  close_fd(in_fd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

bool child_process::reap(bool block) {
  if (reaped_) return true;
  if (wait_pid(pid_, block, wait_status_, &peak_kib_)) reaped_ = true;
  return reaped_;
}

void child_process::pump_once(ms wait) {
  pollfd fds[3];
  int* owners[3];
  nfds_t count = 0;
  if (in_fd_ >= 0) {
    fds[count] = {in_fd_, POLLOUT, 0};
    owners[count++] = &in_fd_;
  }
  if (out_fd_ >= 0) {
    fds[count] = {out_fd_, POLLIN, 0};
    owners[count++] = &out_fd_;
  }
  if (err_fd_ >= 0) {
    fds[count] = {err_fd_, POLLIN, 0};
    owners[count++] = &err_fd_;
  }
  if (count == 0) {
    // Nothing to watch: the caller waits for the exit. Sleep a little, not the whole wait.
    ::usleep(static_cast<useconds_t>(std::min<long long>(wait.count(), 5) * 1000));
    return;
  }
  const int n = ::poll(fds, count, static_cast<int>(wait.count()));
  if (n <= 0) return;
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    if (owners[i] == &in_fd_) {
      while (in_fd_ >= 0 && in_written_ < in_.size()) {
        const std::size_t chunk = std::min<std::size_t>(in_.size() - in_written_, 65536);
        const ssize_t w = ::write(in_fd_, in_.data() + in_written_, chunk);
        if (w > 0) {
          in_written_ += static_cast<std::size_t>(w);
        } else if (w < 0 && errno == EINTR) {
          continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          break;
        } else {
          close_fd(in_fd_);  // EPIPE: the program does not read any more
        }
      }
      if (in_written_ >= in_.size()) close_fd(in_fd_);
    } else if (owners[i] == &out_fd_) {
      drain(out_fd_, out_);
    } else {
      drain(err_fd_, err_);
    }
  }
}

bool child_process::wait_for_output(std::string_view text, ms timeout, bool in_stderr,
                                    std::size_t from) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    const std::string& hay = in_stderr ? err_ : out_;
    if (hay.size() >= from && hay.find(text, from) != std::string::npos) return true;
    if (!outputs_open() && reap(false)) return false;
    const ms left = remaining(deadline);
    if (left.count() == 0) return false;
    pump_once(std::min(left, ms(50)));
  }
}

void child_process::pump_for(ms duration) {
  const auto deadline = steady::now() + duration;
  for (;;) {
    if (!outputs_open() && reap(false)) return;
    const ms left = remaining(deadline);
    if (left.count() == 0) return;
    pump_once(std::min(left, ms(50)));
  }
}

void child_process::send_signal(int sig) {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

long child_process::resident_kib() const {
  if (reaped_ || pid_ <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

run_result child_process::finish(ms timeout) {
  const auto deadline = steady::now() + timeout;
  run_result result;
  result.started = true;
  for (;;) {
    if (reap(false)) {
      // Exited: take what is already in the pipes, but do not wait for descendants.
      if (out_fd_ >= 0) drain(out_fd_, out_);
      if (err_fd_ >= 0) drain(err_fd_, err_);
      break;
    }
    const ms left = remaining(deadline);
    if (left.count() == 0) {
      ::kill(pid_, SIGKILL);
      reap(true);
      result.timed_out = true;
      if (out_fd_ >= 0) drain(out_fd_, out_);
      if (err_fd_ >= 0) drain(err_fd_, err_);
      break;
    }
    pump_once(std::min(left, ms(20)));
  }
  close_fd(in_fd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
  fill_status(result, reaped_, wait_status_);
  result.peak_resident_kib = peak_kib_;
  result.out = out_;
  result.err = err_;
  return result;
}

run_result run(const run_options& options) {
  std::string why;
  auto child = child_process::start(options, why);
  if (!child) {
    run_result r;
    r.error = why;
    return r;
  }
  return child->finish(options.timeout);
}

// ---------------------------------------------------------------------------------------------
// pty_process

std::unique_ptr<pty_process> pty_process::start(const pty_options& options, std::string& why) {
  ignore_sigpipe();
  const std::string path = find_program(options.program);
  if (path.empty()) {
    why = "program not found or not executable: " + options.program;
    return nullptr;
  }
  std::vector<std::string> argv_strings;
  argv_strings.push_back(options.argv0.empty() ? options.program : options.argv0);
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::pair<std::string, std::string>> more;
  if (!options.term.empty()) more.emplace_back("TERM", options.term);
  std::vector<std::string> env_strings = make_environment(options.env, more);
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<char*> envp = pointers(env_strings);

  int master = -1;
  int slave = -1;
  winsize size{};
  size.ws_col = options.columns;
  size.ws_row = options.rows;
  if (::openpty(&master, &slave, nullptr, nullptr, &size) != 0) {
    why = errno_text("openpty", errno);
    return nullptr;
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  int report[2] = {-1, -1};
  if (::pipe2(report, O_CLOEXEC) != 0) {
    why = errno_text("pipe", errno);
    ::close(master);
    ::close(slave);
    return nullptr;
  }
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  const pid_t pid = ::fork();
  if (pid < 0) {
    why = errno_text("fork", errno);
    ::close(master);
    ::close(slave);
    ::close(report[0]);
    ::close(report[1]);
    return nullptr;
  }
  if (pid == 0) {
    reset_child_signals();
    const int rep = report[1];
    ::close(master);
    // A new session with the terminal as its controlling terminal (what login_tty does).
    if (::setsid() < 0) child_fail(rep, errno);
    if (::ioctl(slave, TIOCSCTTY, 0) != 0) child_fail(rep, errno);
    if (::dup2(slave, 0) < 0 || ::dup2(slave, 1) < 0 || ::dup2(slave, 2) < 0) {
      child_fail(rep, errno);
    }
    if (slave > 2) ::close(slave);
    if (cwd != nullptr && ::chdir(cwd) != 0) child_fail(rep, errno);
    close_other_fds(rep);
    ::execve(path.c_str(), argv.data(), envp.data());
    child_fail(rep, errno);
  }
  ::close(slave);
  ::close(report[1]);
  const int exec_error = read_exec_report(report[0]);
  ::close(report[0]);
  if (exec_error != 0) {
    int status = 0;
    wait_pid(pid, true, status);
    ::close(master);
    why = errno_text("cannot run " + path, exec_error);
    return nullptr;
  }
  set_nonblocking(master);
  std::unique_ptr<pty_process> p(new pty_process());
  p->pid_ = pid;
  p->master_fd_ = master;
  return p;
}

pty_process::~pty_process() {
  close_fd(master_fd_);
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool pty_process::reap(bool block) {
  if (reaped_) return true;
  if (wait_pid(pid_, block, wait_status_)) reaped_ = true;
  return reaped_;
}

bool pty_process::read_some(ms wait) {
  if (hung_up_ || master_fd_ < 0) {
    ::usleep(static_cast<useconds_t>(std::min<long long>(wait.count(), 10) * 1000));
    return false;
  }
  pollfd fd{master_fd_, POLLIN, 0};
  const int n = ::poll(&fd, 1, static_cast<int>(wait.count()));
  if (n <= 0) return true;
  char buffer[65536];
  for (;;) {
    const ssize_t r = ::read(master_fd_, buffer, sizeof buffer);
    if (r > 0) {
      transcript_.append(buffer, static_cast<std::size_t>(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    // EIO: every descriptor of the terminal's other side is closed (the program ended).
    hung_up_ = true;
    return false;
  }
}

bool pty_process::send(std::string_view keys) {
  if (master_fd_ < 0) return false;
  std::size_t done = 0;
  const auto deadline = steady::now() + std::chrono::seconds(10);
  while (done < keys.size()) {
    const ssize_t w = ::write(master_fd_, keys.data() + done, keys.size() - done);
    if (w > 0) {
      done += static_cast<std::size_t>(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (remaining(deadline).count() == 0) return false;
      read_some(ms(10));  // the program may be waiting for us to read its output
    } else {
      return false;
    }
  }
  return true;
}

bool pty_process::wait_for(std::string_view text, ms timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    const std::string clean = strip_terminal_codes(transcript_);
    const auto at = cursor_ <= clean.size() ? clean.find(text, cursor_) : std::string::npos;
    if (at != std::string::npos) {
      cursor_ = at + text.size();
      return true;
    }
    const ms left = remaining(deadline);
    if (left.count() == 0) return false;
    if (!read_some(std::min(left, ms(50))) && hung_up_) {
      // Nothing more can come; one last look happened above.
      if (strip_terminal_codes(transcript_).find(text, cursor_) == std::string::npos) {
        return false;
      }
    }
  }
}

bool pty_process::expect(std::string_view text, ms timeout) {
  if (wait_for(text, timeout)) return true;
  ADD_FAILURE() << "the terminal did not show \"" << escape_bytes(text) << "\" within "
                << timeout.count() << " ms"
                << (hung_up_ ? " (the program closed the terminal)" : "") << "\n"
                << dump();
  return false;
}

void pty_process::drain_for(ms duration) {
  const auto deadline = steady::now() + duration;
  for (;;) {
    const ms left = remaining(deadline);
    if (left.count() == 0) return;
    read_some(std::min(left, ms(50)));
  }
}

bool pty_process::wait_for_raw_mode(ms timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    termios mode{};
    if (master_fd_ >= 0 && ::tcgetattr(master_fd_, &mode) == 0 && (mode.c_lflag & ICANON) == 0) {
      return true;
    }
    const ms left = remaining(deadline);
    if (left.count() == 0 || hung_up_) return false;
    read_some(std::min(left, ms(10)));
  }
}

std::string pty_process::text() const { return strip_terminal_codes(transcript_); }

std::string pty_process::text_after_cursor() const {
  const std::string clean = text();
  return cursor_ < clean.size() ? clean.substr(cursor_) : std::string();
}

std::string pty_process::dump() const {
  const std::string clean = text();
  std::string out = "---- text (control sequences removed; '|' marks the cursor) ----\n";
  const std::size_t cut = std::min(cursor_, clean.size());
  out += escape_bytes(clean.substr(0, cut)) + "|" + escape_bytes(clean.substr(cut));
  out += "\n---- raw transcript ----\n" + escape_bytes(transcript_) +
         "\n---- process: " + describe_wait_status(reaped_, wait_status_) + " ----";
  return out;
}

run_result pty_process::wait_exit(ms timeout) {
  const auto deadline = steady::now() + timeout;
  run_result result;
  result.started = true;
  for (;;) {
    if (reap(false)) {
      read_some(ms(0));
      break;
    }
    const ms left = remaining(deadline);
    if (left.count() == 0) {
      ::kill(pid_, SIGKILL);
      reap(true);
      result.timed_out = true;
      break;
    }
    read_some(std::min(left, ms(20)));
  }
  fill_status(result, reaped_, wait_status_);
  result.out = transcript_;
  return result;
}

// ---------------------------------------------------------------------------------------------
// text helpers

std::string strip_terminal_codes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r' || c == '\b' || c == '\a') {
      ++i;
      continue;
    }
    if (c != 0x1b) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (i + 1 >= n) break;  // incomplete
    const unsigned char kind = static_cast<unsigned char>(bytes[i + 1]);
    std::size_t j = i + 2;
    if (kind == '[') {  // CSI: parameters and intermediates, then a final byte 0x40..0x7E
      while (j < n && !(bytes[j] >= 0x40 && bytes[j] <= 0x7e)) ++j;
      if (j >= n) break;
      i = j + 1;
    } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
      while (j < n && bytes[j] != '\a' &&
             !(bytes[j] == 0x1b && j + 1 < n && bytes[j + 1] == '\\')) {
        ++j;
      }
      if (j >= n) break;
      i = bytes[j] == '\a' ? j + 1 : j + 2;
    } else if (kind >= 0x20 && kind <= 0x2f) {  // ESC, intermediates, final byte
      while (j < n && bytes[j] >= 0x20 && bytes[j] <= 0x2f) ++j;
      if (j >= n) break;
      i = j + 1;
    } else {
      i += 2;
    }
  }
  return out;
}

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char ch : bytes) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n':
        out += "\\n\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  return out;
}

namespace {

// Lines including their '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto nl = s.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

std::string show_line(char mark, std::string_view line) {
  std::string body = escape_bytes(line);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  if (line.empty() || line.back() != '\n') body += "  [no newline]";
  return std::string(1, mark) + " " + body + "\n";
}

}  // namespace

std::string diff_text(std::string_view expected, std::string_view actual) {
  if (expected == actual) return "(same)\n";
  std::size_t first = 0;
  while (first < expected.size() && first < actual.size() && expected[first] == actual[first]) {
    ++first;
  }
  std::string out = "first difference at byte " + std::to_string(first) + " (expected " +
                    std::to_string(expected.size()) + " bytes, actual " +
                    std::to_string(actual.size()) + " bytes)\n";
  const auto a = split_lines(expected);
  const auto b = split_lines(actual);
  constexpr std::size_t max_lines = 1500;
  if (a.size() > max_lines || b.size() > max_lines) {
    out += "(too long for a line diff; expected then actual)\n";
    for (auto l : a) out += show_line('-', l);
    for (auto l : b) out += show_line('+', l);
    return out;
  }
  // Longest common subsequence of lines.
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out += show_line(' ', a[i]);
      ++i;
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out += show_line('+', b[j++]);
    } else {
      out += show_line('-', a[i++]);
    }
  }
  return out;
}

std::string find_program(std::string_view name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string_view::npos) {
    const std::string path(name);
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
  }
  const char* env_path = std::getenv("PATH");
  std::string dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    const auto colon = std::min(dirs.find(':', pos), dirs.size());
    std::string dir = dirs.substr(pos, colon - pos);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + std::string(name);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    pos = colon + 1;
  }
  return {};
}

temp_dir::temp_dir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        std::string(prefix) + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path, bool* exists) {
  std::ifstream in(path, std::ios::binary);
  if (exists != nullptr) *exists = static_cast<bool>(in);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace respool::test::cli
