// Runs the respool-benchmark executable (RESPOOL_BENCHMARK_PATH, set by CMake) through the
// shell, for the tests that check its whole behaviour: exit status and output, and the
// numbers of its --json document.
#pragma once

#include <cstdio>
#include <cstdlib>
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

/// The number after the first `"name": ` of the JSON document `json` from `from` on (--json's
/// members), or -1 when there is none.
inline long long json_count(const std::string& json, std::size_t from, const std::string& name) {
  const std::string member = "\"" + name + "\": ";
  const std::size_t at = from == std::string::npos ? from : json.find(member, from);
  if (at == std::string::npos) return -1;
  return std::strtoll(json.c_str() + at + member.size(), nullptr, 10);
}

}  // namespace respool::test
