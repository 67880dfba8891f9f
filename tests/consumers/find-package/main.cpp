// Links the installed respool through find_package and encodes one command.
#include <cstdio>
#include <respool.hpp>
#include <string>

int main() {
  respool::request req;
  req.push("SET", "answer", 42);
  std::string bytes;
  req.flatten_into(bytes);
  if (bytes != "*3\r\n$3\r\nSET\r\n$6\r\nanswer\r\n$2\r\n42\r\n") {
    std::puts("find_package consumer: wrong bytes");
    return 1;
  }
  std::printf("find_package consumer: ok (respool %d.%d.%d)\n", RESPOOL_VERSION_MAJOR,
              RESPOOL_VERSION_MINOR, RESPOOL_VERSION_PATCH);
  return 0;
}
