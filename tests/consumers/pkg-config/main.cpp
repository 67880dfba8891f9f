// Built against the installed respool with nothing but `pkg-config --cflags --libs respool`:
// encodes one command, and makes a connection (never run), which links the TLS code.
#include <asio/io_context.hpp>

#include <cstdio>
#include <respool.hpp>
#include <string>

int main() {
  respool::request req;
  req.push("SET", "answer", 42);
  std::string bytes;
  req.flatten_into(bytes);
  if (bytes != "*3\r\n$3\r\nSET\r\n$6\r\nanswer\r\n$2\r\n42\r\n") {
    std::puts("pkg-config consumer: wrong bytes");
    return 1;
  }
  asio::io_context ioc;
  respool::connection conn(ioc, respool::config_from_uri("rediss://localhost:6380"));
  std::printf("pkg-config consumer: ok (respool %d.%d.%d)\n", RESPOOL_VERSION_MAJOR,
              RESPOOL_VERSION_MINOR, RESPOOL_VERSION_PATCH);
  return 0;
}
