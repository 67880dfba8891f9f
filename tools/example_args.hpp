// The command line of the example programs: [-h host] [-p port], as redis-cli spells them.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace respool::examples {

struct server_address {
  std::string host = "127.0.0.1";
  std::string port = "6379";
};

/// Reads -h and -p; prints the usage and returns false on anything else.
inline bool parse_address(int argc, char** argv, server_address& out) {
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 < argc && flag == "-h") {
      out.host = argv[i + 1];
    } else if (i + 1 < argc && flag == "-p") {
      out.port = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [-h host] [-p port]\n", argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace respool::examples
