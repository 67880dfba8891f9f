// roundtrip_bench's options and the server's address.
#include "roundtrip.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace roundtrip {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "roundtrip_bench: %s\n"
               "usage: roundtrip_bench [--seconds S] [--warmup S] [--reps N] [--seed N] "
               "[--filter SUBSTRING] [--json FILE] [--skip-if-unreachable] [--health-checks]\n",
               why);
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value after an option");
      return argv[++i];
    };
    if (a == "--seconds") {
      o.seconds = std::atof(next());
    } else if (a == "--warmup") {
      o.warmup = std::atof(next());
    } else if (a == "--reps") {
      o.reps = std::atoi(next());
    } else if (a == "--seed") {
      o.seed = std::strtoull(next(), nullptr, 10);
      o.seed_given = true;
    } else if (a == "--filter") {
      o.filter = next();
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--skip-if-unreachable") {
      o.skip_if_unreachable = true;
    } else if (a == "--health-checks") {
      o.health_checks = true;
    } else if (a == "--help" || a == "-h") {
      usage("round trips against a redis-server, respool and hiredis");
    } else {
      usage(("unknown option: " + std::string(a)).c_str());
    }
  }
  if (!(o.seconds > 0) || o.reps < 1) usage("--seconds must be > 0 and --reps >= 1");
  if (o.warmup < 0) o.warmup = o.seconds / 5;
  return o;
}

server_address server_from_env() {
  server_address s;
  const char* env = std::getenv("RESPOOL_BENCH_SERVER");
  if (env == nullptr || *env == '\0') env = std::getenv("RESPOOL_TEST_SERVER");
  s.text = env != nullptr && *env != '\0' ? env : "127.0.0.1:6379";
  const auto colon = s.text.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(s.text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "roundtrip_bench: the server address \"%s\" is not host:port\n",
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

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

void fill(request& req, int depth) {
  req.clear();
  for (int i = 0; i < depth; ++i) req.push("SET", key, value);
}

std::string check_replies(const respool::generic_response& resp, std::size_t expected) {
  if (resp.size() != expected) {
    return "expected " + std::to_string(expected) + " replies, got " + std::to_string(resp.size());
  }
  for (std::size_t i = 0; i < resp.size(); ++i) {
    const auto nodes = resp[i].nodes();
    if (nodes.size() != 1 || nodes[0].data_type != respool::resp3::type::simple_string ||
        nodes[0].value != "OK") {
      return "reply " + std::to_string(i) + " is not +OK" +
             (nodes.empty() ? std::string() : ": " + std::string(nodes[0].value));
    }
  }
  return {};
}

}  // namespace roundtrip
