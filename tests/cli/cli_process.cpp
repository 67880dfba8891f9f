// What child_process and pty_process share (cli_process.hpp).
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

extern char** environ;

namespace respool::test::cli::detail {

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

namespace {

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

}  // namespace

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

bool wait_pid(pid_t pid, bool block, int& status, long* peak_kib) {
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

bool prepare_launch(const std::string& program, const std::string& argv0,
                    const std::vector<std::string>& args, const environment& env,
                    const std::vector<std::pair<std::string, std::string>>& more, launch& l,
                    std::string& why) {
  l.path = find_program(program);
  if (l.path.empty()) {
    why = "program not found or not executable: " + program;
    return false;
  }
  l.argv_strings.push_back(argv0.empty() ? program : argv0);
  l.argv_strings.insert(l.argv_strings.end(), args.begin(), args.end());
  l.env_strings = make_environment(env, more);
  l.argv = pointers(l.argv_strings);
  l.envp = pointers(l.env_strings);
  return true;
}

}  // namespace respool::test::cli::detail
