// Runs the respool-benchmark executable (RESPOOL_BENCHMARK_PATH, set by CMake) through the
// shell, for the tests that check its whole behaviour: exit status and output.
#pragma once

#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace respool::test {

struct process_output {
  int status = -1;
  std::string out;  // stdout and stderr together
};

inline process_output run_benchmark(const std::string& arguments) {
  process_output r;
  const std::string command = std::string(RESPOOL_BENCHMARK_PATH) + " " + arguments + " 2>&1";
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace respool::test
