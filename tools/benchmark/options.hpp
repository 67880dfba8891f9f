// respool-benchmark's command line: redis-benchmark's flags, with its defaults and its way of
// reading numbers, plus --json, --svg and --stall-timeout.
#pragma once

#include "workload.hpp"
#include <respool/protocol/config.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace respool::benchmark {

struct options : workload {
  // Where and how to connect: -h -p -s -u, the session: -a --user --dbnum -3, and TLS:
  // --tls --sni --cacert --cacertdir --cert --key --insecure (or a rediss:// URI). The
  // benchmark talks RESP2 unless -3 (or the URI) asks for RESP3.
  config server = [] {
    config c;
    c.protocol = 2;
    return c;
  }();

  // --cluster: -h/-p name one node of a Redis Cluster; every client routes its commands over
  // the cluster's masters, and the default tests put "{tag}" in their keys.
  bool cluster = false;

  // The load (-c -n -d -P -r --threads) is the workload base.
  // --stall-timeout: seconds without any reply, requests outstanding, before giving up; 0
  // waits forever (redis-benchmark always does).
  int stall_timeout = 10;

  // What and how to report: -t -q -l --csv --precision --json --svg.
  std::string tests;  // ",set,get," lower-cased, empty for every test
  bool quiet = false;
  bool csv = false;
  bool loop = false;
  bool json = false;
  int precision = 3;  // significant digits of the latency histogram
  std::string svg_file;

  // The command after the options, when there is one (replaces the default tests).
  std::vector<std::string> command;
  // -I: open the connections, send nothing, and wait until interrupted.
  bool idle = false;
  // -x: the command's last argument is read from standard input (appended to it).
  bool stdin_arg = false;
  // --seed: the first client's random sequence (-r keys), the others' following it; none:
  // drawn from the clock.
  std::optional<std::uint64_t> seed;

  // What the parser had to say that is no error ("WARNING: Too many threads …").
  std::vector<std::string> warnings;
};

enum class parse_action { run, help, version, error };

struct parse_result {
  parse_action action = parse_action::run;
  options opts;
  std::string message;  // for error: the first line to print (usage follows)
};

/// Parses the arguments after the program name. Numbers are read as C's atoi reads them
/// (leading digits, 0 for none), then clamped where redis-benchmark clamps them. The first
/// argument that is not an option starts the command; an unknown argument starting with '-'
/// is an error.
[[nodiscard]] parse_result parse_options(std::span<const std::string_view> args);

/// The text printed by --help and after an invalid option.
[[nodiscard]] std::string usage_text();

/// The version line of --version.
[[nodiscard]] std::string version_text();

}  // namespace respool::benchmark
