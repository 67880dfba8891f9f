// The server's address and reachability, shared by the benchmarks that need a redis-server.
#include "bench_server.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace respool::bench {

server_address server_from_env(const char* program) {
  server_address s;
  const char* env = std::getenv("RESPOOL_BENCH_SERVER");
  if (env == nullptr || *env == '\0') env = std::getenv("RESPOOL_TEST_SERVER");
  s.text = env != nullptr && *env != '\0' ? env : "127.0.0.1:6379";
  const auto colon = s.text.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(s.text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "%s: the server address \"%s\" is not host:port\n", program,
                 s.text.c_str());
    std::exit(2);
  }
  s.host = s.text.substr(0, colon);
  if (s.host.size() >= 2 && s.host.front() == '[' && s.host.back() == ']') {
    s.host = s.host.substr(1, s.host.size() - 2);  // [::1]
  }
  s.port = static_cast<std::uint16_t>(port);
  return s;
}

bool reachable(const server_address& s, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(s.port);
  if (const int rc = ::getaddrinfo(s.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = ::gai_strerror(rc);
    return false;
  }
  bool ok = false;
  for (addrinfo* ai = found; ai != nullptr && !ok; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    timeval tv{3, 0};  // bounds connect() too, on Linux
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ok = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    if (!ok) why = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return ok;
}

int report_unreachable(const char* program, const server_address& s, bool skip_if_unreachable,
                       const std::string& why) {
  std::fprintf(stderr,
               "%s: cannot reach a redis-server at %s (%s). Start one, e.g.\n"
               "  redis-server --port 6391 --save \"\" --appendonly no --daemonize yes\n"
               "and set RESPOOL_BENCH_SERVER=127.0.0.1:6391 (RESPOOL_TEST_SERVER is read "
               "when it is unset).\n",
               program, s.text.c_str(), why.c_str());
  const char* required = std::getenv("RESPOOL_REQUIRE_SERVER");
  const bool must = required != nullptr && std::string_view(required) == "1";
  return skip_if_unreachable && !must ? 77 : 1;
}

respool::config make_config(const server_address& s, bool health_checks) {
  respool::config cfg;
  cfg.host = s.host;
  cfg.port = s.port;
  if (!health_checks) cfg.health_check_interval = std::chrono::milliseconds(0);
  return cfg;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

}  // namespace respool::bench
