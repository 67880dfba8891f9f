// roundtrip_bench's options, the commands it sends and the check of their replies.
#include "roundtrip.hpp"

#include <cstdio>
#include <cstdlib>

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
