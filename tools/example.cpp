// Encodes a small pipeline with respool, sends it with one gather write over Asio, and prints
// the server's raw replies. Usage: respool-example [-h host] [-p port]
#include "example_args.hpp"
#include <respool/protocol/request.hpp>

#include <asio.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  respool::examples::server_address address;
  if (!respool::examples::parse_address(argc, argv, address)) return 2;
  const std::string& host = address.host;
  const std::string& port = address.port;

  respool::request req;
  req.push("SET", "respool:example", "hello from respool");
  req.push("GET", "respool:example");
  req.push("INCR", "respool:example:runs");
  req.push("PING");

  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::connect(socket, asio::ip::tcp::resolver(io).resolve(host, port));

    // The segments are a gather list; Asio writes them without copying them together.
    std::vector<asio::const_buffer> buffers;
    for (const respool::segment& s : req.segments()) buffers.emplace_back(s.data, s.size);
    asio::write(socket, buffers);

    // PING was sent last, so its +PONG ends the replies.
    std::string replies;
    char chunk[4096];
    while (replies.size() < 7 || replies.compare(replies.size() - 7, 7, "+PONG\r\n") != 0) {
      replies.append(chunk, socket.read_some(asio::buffer(chunk)));
    }
    std::printf("sent %zu commands, %zu bytes in %zu segments; replies:\n", req.commands(),
                req.size_bytes(), req.segments().size());
    std::size_t start = 0;
    for (std::size_t end; (end = replies.find("\r\n", start)) != std::string::npos;
         start = end + 2) {
      std::printf("  %.*s\n", static_cast<int>(end - start), replies.data() + start);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "respool-example: %s:%s: %s\n", host.c_str(), port.c_str(), e.what());
    return 1;
  }
  return 0;
}
