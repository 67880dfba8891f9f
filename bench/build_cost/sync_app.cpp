// A minimal blocking application file, compiled to measure what using respool costs at build
// time (measure.sh): the sync_client and two calls.
#include <respool/client/sync_client.hpp>

#include <iostream>
#include <optional>
#include <string>

int main(int argc, char** argv) {
  respool::sync_client redis(respool::config_from_uri(argc > 1 ? argv[1] : "redis://localhost"));
  redis.exec<std::string>("SET", "k", "v");
  const auto v = redis.exec<std::optional<std::string>>("GET", "k");
  std::cout << "k: " << v.value_or("(none)") << '\n';
}
