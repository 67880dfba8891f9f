// blocking_bench's driver: finds the server's process, pins it (or not) with each worker, runs
// the workers one at a time and collects their lines of JSON.
#include "blocking_driver.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sched.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace blocking {

namespace {

// The server's process_id from INFO server; 0 when it cannot be read.
pid_t server_pid(const server_address& s) {
  redisContext* c = redisConnectWithTimeout(s.host.c_str(), s.port, timeval{5, 0});
  if (c == nullptr) return 0;
  pid_t pid = 0;
  if (c->err == 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO server"));
    if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
      const std::string info(reply->str, reply->len);
      if (const auto at = info.find("process_id:"); at != std::string::npos) {
        pid = static_cast<pid_t>(std::atol(info.c_str() + at + 11));
      }
    }
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return pid;
}

// Whether the host names this machine: only then is the pid the server's here.
bool local_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Whether `pid` is a redis-server on this machine (its /proc/<pid>/comm).
bool is_redis_process(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name.find("redis") != std::string::npos;
}

// Every online CPU.
cpu_set_t all_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < n && i < CPU_SETSIZE; ++i) CPU_SET(static_cast<int>(i), &set);
  return set;
}

// The last online CPU alone.
cpu_set_t last_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  CPU_SET(static_cast<int>(std::max(0L, std::min<long>(n, CPU_SETSIZE) - 1)), &set);
  return set;
}

// Changes the server's affinity per placement and restores the original when it goes.
class server_affinity {
 public:
  // Reads the original affinity; false (said on stderr) when the server cannot be pinned.
  bool open(const server_address& s) {
    pid_ = local_host(s.host) ? server_pid(s) : 0;
    if (pid_ <= 0 || !is_redis_process(pid_)) {
      std::fprintf(stderr,
                   "blocking_bench: the server at %s is not a redis-server process of this "
                   "machine whose pid INFO gives; its affinity is left as it is, and the pinned "
                   "placement is left out\n",
                   s.text.c_str());
      return false;
    }
    if (::sched_getaffinity(pid_, sizeof original_, &original_) != 0 ||
        ::sched_setaffinity(pid_, sizeof original_, &original_) != 0) {
      std::fprintf(stderr,
                   "blocking_bench: cannot set the affinity of the server (pid %d): %s; it is "
                   "left as it is, and the pinned placement is left out\n",
                   static_cast<int>(pid_), std::strerror(errno));
      pid_ = 0;
      return false;
    }
    saved_ = true;
    return true;
  }

  ~server_affinity() {
    if (saved_) ::sched_setaffinity(pid_, sizeof original_, &original_);
  }

  // Pins the server to `set`; false (said on stderr) when it fails.
  bool set(const cpu_set_t& cpus) const {
    if (!saved_) return true;
    if (::sched_setaffinity(pid_, sizeof cpus, &cpus) == 0) return true;
    std::fprintf(stderr, "blocking_bench: cannot set the server's affinity: %s\n",
                 std::strerror(errno));
    return false;
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  cpu_set_t original_{};
  bool saved_ = false;
};

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Runs one worker (this program with --worker) on `cpus` and reads its line of JSON.
worker_result run_worker(const std::string& client, const std::string& bench, window w,
                         const cpu_set_t& cpus) {
  worker_result failed;
  int fds[2];
  if (::pipe(fds) != 0) {
    failed.error = std::string("pipe: ") + std::strerror(errno);
    return failed;
  }
  const std::string seconds = format_seconds(w.seconds);
  const std::string warmup = format_seconds(w.warmup);
  const pid_t child = ::fork();
  if (child == 0) {
    ::sched_setaffinity(0, sizeof cpus, &cpus);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    const char* args[] = {"blocking_bench", "--worker", client.c_str(), bench.c_str(), "--seconds",
                          seconds.c_str(),  "--warmup", warmup.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(args));
    std::fprintf(stderr, "blocking_bench: execv: %s\n", std::strerror(errno));
    std::_Exit(127);
  }
  ::close(fds[1]);
  if (child < 0) {
    ::close(fds[0]);
    failed.error = std::string("fork: ") + std::strerror(errno);
    return failed;
  }
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    if (n < 0 && errno != EINTR) break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (const auto nl = out.find('\n'); nl != std::string::npos) out.resize(nl);
  worker_result r = parse_worker_line(out);
  if (r.error.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    r.error = "the worker ended abnormally (status " + std::to_string(status) + ")";
  } else if (!r.error.empty() && WIFSIGNALED(status)) {
    r.error += " (killed by signal " + std::to_string(WTERMSIG(status)) + ")";
  }
  return r;
}

// Every repetition, placement and case, every client once, the clients' order rotated per
// repetition. Returns the number of failed runs.
int run_all(const driver_options& o, const std::vector<std::string>& placements,
            const server_affinity& server, std::vector<run_record>& runs) {
  int failures = 0;
  for (int rep = 0; rep < o.reps; ++rep) {
    std::vector<std::string> order = o.clients;
    std::rotate(order.begin(), order.begin() + rep % static_cast<int>(order.size()), order.end());
    for (const std::string& placement : placements) {
      const bool pinned = placement == "pinned";
      const cpu_set_t cpus = pinned ? last_cpu() : all_cpus();
      if (!server.set(cpus)) return failures + 1;
      for (const std::string& bench : o.cases) {
        for (const std::string& client : order) {
          run_record r{rep, placement, bench, client, run_worker(client, bench, o.w, cpus)};
          if (r.result.error.empty()) {
            std::fprintf(stderr, "rep %d %-8s %-4s %-11s %10.0f commands/s %7.2f CPU µs/command\n",
                         rep, placement.c_str(), bench.c_str(), client.c_str(),
                         r.result.commands / r.result.seconds,
                         r.result.cpu * 1e6 / static_cast<double>(r.result.commands));
          } else {
            std::printf("blocking_bench: an error occurred in %s/%s/%s (repetition %d): %s\n",
                        placement.c_str(), bench.c_str(), client.c_str(), rep,
                        r.result.error.c_str());
            std::fflush(stdout);
            ++failures;
          }
          runs.push_back(std::move(r));
        }
      }
    }
  }
  return failures;
}

}  // namespace

int drive(const driver_options& o, const server_address& server) {
  std::vector<std::string> placements = o.placements;
  server_affinity affinity;
  // Unpinned runs also set the server's affinity (to every CPU), when it can be set.
  if (!affinity.open(server)) {
    const auto pinned = std::find(placements.begin(), placements.end(), "pinned");
    if (pinned != placements.end()) placements.erase(pinned);
  }
  if (placements.empty()) {
    std::printf("blocking_bench: an error occurred: no placement is left to run\n");
    return 1;
  }
  std::printf(
      "server %s (pid %d); %d repetitions of %g s (warm-up %g s), each run a process "
      "of its own",
      server.text.c_str(), static_cast<int>(affinity.pid()), o.reps, o.w.seconds, o.w.warmup);
  if (placements.front() == "pinned") {
    std::printf("; pinned: the server and the worker on CPU %ld",
                ::sysconf(_SC_NPROCESSORS_ONLN) - 1);
  }
  std::printf("\n\n");
  std::fflush(stdout);
  std::vector<run_record> runs;
  int failures = run_all(o, placements, affinity, runs);
  std::printf(
      "Medians of %d repetitions; the ratios to hiredis are medians of the per-repetition "
      "ratios (each run against hiredis's run of the same repetition).\n\n",
      o.reps);
  print_table(runs, placements, o.cases, o.clients);
  if (!o.json.empty() && !write_json(o.json, server.text, o.w, runs)) {
    std::printf("blocking_bench: an error occurred writing %s: %s\n", o.json.c_str(),
                std::strerror(errno));
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace blocking
