// child_process and run(): a program with its stdin, stdout and stderr on pipes.
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

namespace {

// In the forked child: stdin, stdout and stderr in place, then execve. Only async-signal-safe
// calls; a failure is reported on `report`.
[[noreturn]] void exec_child(const launch& l, input stdin_kind, int stdin_read, int out_write,
                             int err_write, const char* cwd, int report) {
  reset_child_signals();
  switch (stdin_kind) {
    case input::pipe:
      if (::dup2(stdin_read, 0) < 0) child_fail(report, errno);
      break;
    case input::dev_null: {
      const int fd = ::open("/dev/null", O_RDONLY);
      if (fd < 0) child_fail(report, errno);
      if (fd != 0) {
        if (::dup2(fd, 0) < 0) child_fail(report, errno);
        ::close(fd);
      }
      break;
    }
    case input::closed:
      ::close(0);
      break;
  }
  if (::dup2(out_write, 1) < 0 || ::dup2(err_write, 2) < 0) child_fail(report, errno);
  if (cwd != nullptr && ::chdir(cwd) != 0) child_fail(report, errno);
  close_other_fds(report);
  ::execve(l.path.c_str(), l.argv.data(), l.envp.data());
  child_fail(report, errno);
}

}  // namespace

std::unique_ptr<child_process> child_process::start(const run_options& options, std::string& why) {
  ignore_sigpipe();
  launch l;
  if (!prepare_launch(options.program, options.argv0, options.args, options.env, {}, l, why)) {
    return nullptr;
  }

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

  const pid_t pid = ::fork();
  if (pid < 0) {
    why = errno_text("fork", errno);
    close_all();
    return nullptr;
  }
  if (pid == 0) exec_child(l, stdin_kind, in_pipe[0], out_pipe[1], err_pipe[1], cwd, report[1]);

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
    why = errno_text("cannot run " + l.path + (cwd ? std::string(" in ") + cwd : std::string()),
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

}  // namespace respool::test::cli
