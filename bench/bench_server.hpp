// What the benchmarks that talk to a redis-server share: the server's address (from the
// environment), whether it answers, what to say when it does not, the respool configuration
// they connect with, and the process's CPU time.
#pragma once

#include <respool/protocol/config.hpp>

#include <cstdint>
#include <string>

namespace respool::bench {

struct server_address {
  std::string text;
  std::string host;
  std::uint16_t port = 0;
};

// RESPOOL_BENCH_SERVER, else RESPOOL_TEST_SERVER, else 127.0.0.1:6379; exits with status 2
// (the message naming `program`) when it is not host:port.
server_address server_from_env(const char* program);

// Whether something accepts TCP connections at the address; why not, in `why`.
bool reachable(const server_address& s, std::string& why);

// Says on stderr how to start a server; returns the exit status: 77 (skipped) with
// `skip_if_unreachable`, unless RESPOOL_REQUIRE_SERVER=1, else 1.
int report_unreachable(const char* program, const server_address& s, bool skip_if_unreachable,
                       const std::string& why);

// A respool configuration for the server. Health checks are off unless asked for: a PING
// sent on a timer is no part of what the benchmarks measure.
respool::config make_config(const server_address& s, bool health_checks);

// User + system CPU time of this process, in seconds.
double cpu_seconds();

}  // namespace respool::bench
