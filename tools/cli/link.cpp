#include "link.hpp"

#include <respool/io/detail/read_loop.hpp>
#include <respool/protocol/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <vector>

#include <netdb.h>

namespace respool::cli {
namespace {

// Keepalive probes after 15 s idle, as redis-cli sets them.
constexpr detail::keepalive_timing redis_cli_keepalive{15, 5, 3};

}  // namespace

link::link(const tls_config& tls, const resp3::parser_config& limits)
    : tls_(tls),
      transport_(ctx_.get_executor()),
      reader_(resp3::reader_config{limits, 16384, 4096}) {}

link::~link() { close(); }

int link::native_handle() noexcept {
  if (!open_) return -1;
  return transport_.native_handle();
}

void link::close() noexcept {
  transport_.close();
  open_ = false;
  reader_.reset();
  // Handlers of operations the close aborted must not run later against a new socket.
  ctx_.restart();
  ctx_.poll();
  ctx_.restart();
}

bool link::connect(const endpoint& where, std::string& message,
                   std::optional<std::chrono::milliseconds> timeout) {
  close();
  const bool tcp = where.socket.empty();
  std::error_code ec;
  if (!tcp) {
    ec = transport_.connect_unix(where.socket);
  } else if (timeout) {
    ec = connect_tcp_within(where, *timeout);
  } else {
    ec = transport_.connect_tcp(where.host, where.port);
  }
  if (ec) {
    // As hiredis words it: getaddrinfo's text, or the system's.
    message = fmt::format("Could not connect to Redis at {}: {}\n", address(where), ec.message());
    transport_.close();
    return false;
  }
  if (tcp) {
    transport_.set_keepalive(&redis_cli_keepalive);
    transport_.set_no_delay();
  }
  if (tls_.enabled) {
    if (!ssl_ctx_ && !make_tls_context(message)) {
      transport_.close();
      return false;
    }
    // As redis-cli: the server's chain is verified (unless --insecure), not its host name.
    if (const std::error_code tls_ec = transport_.start_tls(*ssl_ctx_, tls_.server_name, {})) {
      message = fmt::format("Could not create an SSL context: {}\n", tls_ec.message());
      transport_.close();
      return false;
    }
  }
  open_ = true;
  if (tls_.enabled && !handshake(where, message)) {
    close();
    return false;
  }
  return true;
}

std::error_code link::connect_tcp_within(const endpoint& where, std::chrono::milliseconds timeout) {
  // The name is resolved first, synchronously, so that a name that does not resolve gets
  // getaddrinfo's own words, as with the unbounded connect.
  ::addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ::addrinfo* found = nullptr;
  const std::string service = std::to_string(where.port);
  if (const int rc = ::getaddrinfo(where.host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    if (rc == EAI_SYSTEM) return {errno, std::system_category()};
    return {rc, detail::resolve_category()};
  }
  ::freeaddrinfo(found);
  bool done = false;
  std::error_code result;
  transport_.async_connect_tcp(where.host, where.port, [&](std::error_code ec) {
    done = true;
    result = ec;
  });
  ctx_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      // Closing aborts the attempt; its handler still runs (it refers to this frame).
      transport_.close();
      while (!done && ctx_.run_one() != 0) {
      }
      return std::make_error_code(std::errc::timed_out);
    }
    ctx_.run_one_for(deadline - now);
  }
  return result;
}

std::string link::address(const endpoint& where) {
  return where.socket.empty() ? fmt::format("{}:{}", where.host, where.port) : where.socket;
}

bool link::make_tls_context(std::string& message) {
  std::error_code ec;
  detail::tls_setup_step failed = detail::tls_setup_step::files;
  ssl_ctx_ = detail::make_tls_context(tls_, ec, &failed);
  if (ssl_ctx_) return true;
  switch (failed) {
    case detail::tls_setup_step::files:
      message = fmt::format("Could not create an SSL context: {}\n", ec.message());
      break;
    case detail::tls_setup_step::ciphers:
      message = "Could not create an SSL context: Error while configuring ciphers\n";
      break;
    case detail::tls_setup_step::ciphersuites:
      message = "Could not create an SSL context: Error while setting cypher suites\n";
      break;
  }
  return false;
}

bool link::handshake(const endpoint& where, std::string& message) {
  if (const std::error_code ec = transport_.handshake()) {
    // As hiredis words it: "SSL_connect failed: certificate verify failed".
    std::string reason = ec.message();
    if (const auto paren = reason.rfind(" ("); paren != std::string::npos && reason.back() == ')') {
      reason.erase(paren);
    }
    message = fmt::format("Could not connect to Redis at {}: SSL_connect failed: {}\n",
                          address(where), reason);
    return false;
  }
  return true;
}

template <class Start>
std::error_code link::run(Start&& start, std::optional<std::chrono::milliseconds> timeout,
                          std::size_t* transferred) {
  bool done = false;
  std::error_code result;
  start([&](std::error_code ec, std::size_t n) {
    done = true;
    result = ec;
    if (transferred != nullptr) *transferred = n;
  });
  ctx_.restart();
  if (!timeout) {
    while (!done && ctx_.run_one() != 0) {
    }
  } else {
    const auto deadline = std::chrono::steady_clock::now() + *timeout;
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        transport_.cancel();
        while (!done && ctx_.run_one() != 0) {
        }
        return make_error_code(error::request_timeout);
      }
      ctx_.run_one_for(deadline - now);
    }
  }
  return result;
}

std::error_code link::write(std::string_view bytes) {
  if (!open_) return make_error_code(error::not_connected);
  const std::error_code ec = transport_.write(asio::buffer(bytes.data(), bytes.size()));
  if (ec) close();
  return ec;
}

std::error_code link::write(const request& req) {
  if (!open_) return make_error_code(error::not_connected);
  // The request's segments are the gather list: Asio takes them as a buffer sequence.
  // (kept between writes: a command repeated with -r writes without allocating)
  buffers_.clear();
  for (const segment& s : req.segments()) buffers_.emplace_back(s.data, s.size);
  const std::error_code ec = transport_.write(buffers_);
  if (ec) close();
  return ec;
}

std::error_code link::read(std::optional<std::chrono::milliseconds> timeout) {
  if (!open_) return make_error_code(error::not_connected);
  // One reply at a time: the caller takes it before the next read().
  bool got = false;
  auto take_one = [&got](resp3::reply_view) {
    got = true;
    return false;
  };
  std::error_code ec = detail::for_each_reply(reader_, take_one);
  if (got) return {};
  while (!ec) {
    const auto space = reader_.prepare();
    std::size_t n = 0;
    // The first byte of a reply may be long in coming (BLPOP); after it, a stall is a fault.
    const auto wait = reader_.buffered() == 0 ? timeout : std::optional(stall_timeout);
    if (wait) expired_ = *wait;
    ec = run(
        [&](auto handler) {
          async_read_some(asio::buffer(space.data(), space.size()), std::move(handler));
        },
        wait, &n);
    if (ec) break;
    reader_.commit(n);
    ec = detail::for_each_reply(reader_, take_one);
    if (got) return {};
  }
  close();
  return ec;
}

std::error_code link::read_raw(std::span<char> into, std::size_t& n,
                               std::optional<std::chrono::milliseconds> timeout) {
  n = 0;
  if (!open_) return make_error_code(error::not_connected);
  reader_.consume();
  std::error_code ec;
  if (reader_.buffered() != 0) {
    ec = make_error_code(error::unexpected_type);
  } else {
    if (timeout) expired_ = *timeout;
    ec = run(
        [&](auto handler) {
          async_read_some(asio::buffer(into.data(), into.size()), std::move(handler));
        },
        timeout, &n);
  }
  if (ec) close();
  return ec;
}

std::string link::describe(std::error_code ec) const {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
      ec == error::connection_lost) {
    return "Server closed the connection";
  }
  if (ec == error::request_timeout) {
    const double seconds = std::chrono::duration<double>(expired_).count();
    return fmt::format("No data from the server for {:g} second{}", seconds,
                       seconds == 1 ? "" : "s");
  }
  if (is_protocol_error(ec)) {
    std::string reason = ec.message();
    if (reason.starts_with("protocol error: ")) reason.erase(0, 16);
    return fmt::format("Protocol error: {}", reason);
  }
  return ec.message();
}

}  // namespace respool::cli
