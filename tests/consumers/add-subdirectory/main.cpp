// Builds respool as a subproject and encodes one pipelined request.
#include <cstdio>
#include <respool.hpp>

int main() {
  respool::pool<respool::request> requests(4);
  auto req = requests.acquire();
  req->push("PING").push("ECHO", "hi");
  if (req->commands() != 2 || req->size_bytes() != 14 + 22) {
    std::puts("add_subdirectory consumer: wrong request");
    return 1;
  }
  std::puts("add_subdirectory consumer: ok");
  return 0;
}
