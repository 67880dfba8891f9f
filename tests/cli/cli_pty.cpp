// pty_process: a program on a pseudo-terminal, driven by keystrokes and expected text.
#include "cli_process.hpp"

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

namespace respool::test::cli {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// pty_process

std::unique_ptr<pty_process> pty_process::start(const pty_options& options, std::string& why) {
  ignore_sigpipe();
  std::vector<std::pair<std::string, std::string>> more;
  if (!options.term.empty()) more.emplace_back("TERM", options.term);
  launch l;
  if (!prepare_launch(options.program, options.argv0, options.args, options.env, more, l, why)) {
    return nullptr;
  }

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
    ::execve(l.path.c_str(), l.argv.data(), l.envp.data());
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
    why = errno_text("cannot run " + l.path, exec_error);
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

}  // namespace respool::test::cli
