// What child_process and pty_process share: descriptors, the environment and argv of a child,
// the steps of fork/execve that report failure through a pipe, and waiting for the end.
// Internal to the CLI test runner (cli_runner.cpp, cli_pty.cpp).
#pragma once

#include "cli_runner.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace respool::test::cli::detail {

using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

/// Writing to the stdin pipe of a program that has exited must give EPIPE, not kill the test.
void ignore_sigpipe();
std::string errno_text(const std::string& what, int error);
/// The time left until `deadline`, never negative.
ms remaining(steady::time_point deadline);
void set_nonblocking(int fd);
/// Closes `fd` (when open) and sets it to -1.
void close_fd(int& fd);

/// What execve needs, prepared before fork: the child may only make async-signal-safe calls.
struct launch {
  std::string path;
  std::vector<std::string> argv_strings;
  std::vector<std::string> env_strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

/// Finds `program` and builds argv (argv[0] is `argv0`, or `program` when empty) and the
/// environment (`env`, then `more`). False, with `why`, when the program is not found.
bool prepare_launch(const std::string& program, const std::string& argv0,
                    const std::vector<std::string>& args, const environment& env,
                    const std::vector<std::pair<std::string, std::string>>& more, launch& l,
                    std::string& why);

/// In a forked child, before execve: default signal dispositions, nothing blocked.
void reset_child_signals();
/// In a forked child: closes every descriptor >= 3 except `keep`.
void close_other_fds(int keep);
/// In a forked child: writes `error` on the report pipe and exits.
[[noreturn]] void child_fail(int report_fd, int error);
/// Reads the exec-failure report: 0 when execve succeeded (the pipe closed on exec).
int read_exec_report(int fd);

/// "still running", "exit N", "signal N".
std::string describe_wait_status(bool reaped, int status);
void fill_status(run_result& r, bool reaped, int status);
/// waitpid (blocking or not); true when the child was reaped. `peak_kib` receives its peak
/// resident size when given.
bool wait_pid(pid_t pid, bool block, int& status, long* peak_kib = nullptr);
/// Appends what `fd` has now; closes it at EOF or on an error.
void drain(int& fd, std::string& into);

}  // namespace respool::test::cli::detail
