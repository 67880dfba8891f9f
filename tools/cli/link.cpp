#include "link.hpp"

#include <respool/error.hpp>

#include <asio/write.hpp>
#include <fmt/format.h>

#include <cstring>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace respool::cli {
namespace {

using socket_type = asio::generic::stream_protocol::socket;

// Keepalive probes after 15 s idle, as redis-cli sets them.
void set_keepalive(socket_type& s) {
  const int fd = s.native_handle();
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  int idle = 15;
  int interval = 5;
  int probes = 3;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

link::link(const tls_options& tls, const resp3::parser_config& limits)
    : tls_(tls), reader_(resp3::reader_config{limits, 16384, 4096}) {}

link::~link() { close(); }

int link::native_handle() noexcept {
  if (!open_) return -1;
  return lowest().native_handle();
}

void link::close() noexcept {
  if (plain_ || ssl_) {
    std::error_code ignored;
    lowest().close(ignored);
  }
  ssl_.reset();
  plain_.reset();
  open_ = false;
  reader_.reset();
  // Handlers of operations the close aborted must not run later against a new socket.
  ctx_.restart();
  ctx_.poll();
  ctx_.restart();
}

bool link::connect(const endpoint& where, std::string& message) {
  close();
  std::error_code ec;
  socket_type sock(ctx_);
  if (!where.socket.empty()) {
    ::sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (where.socket.size() >= sizeof addr.sun_path) {
      message = fmt::format("Could not connect to Redis at {}: {}\n", where.socket,
                            std::strerror(ENAMETOOLONG));
      return false;
    }
    std::memcpy(addr.sun_path, where.socket.data(), where.socket.size());
    const asio::generic::stream_protocol::endpoint ep(&addr, sizeof addr);
    sock.open(ep.protocol(), ec);
    if (!ec) sock.connect(ep, ec);
    if (ec) {
      message = fmt::format("Could not connect to Redis at {}: {}\n", where.socket,
                            std::strerror(ec.value()));
      return false;
    }
  } else {
    // getaddrinfo itself, for its own error text (as hiredis reports it).
    ::addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ::addrinfo* found = nullptr;
    const std::string service = std::to_string(where.port);
    if (const int rc = ::getaddrinfo(where.host.c_str(), service.c_str(), &hints, &found);
        rc != 0) {
      message = fmt::format("Could not connect to Redis at {}:{}: {}\n", where.host, where.port,
                            ::gai_strerror(rc));
      return false;
    }
    std::error_code last = std::make_error_code(std::errc::host_unreachable);
    bool connected = false;
    for (const ::addrinfo* ai = found; ai != nullptr && !connected; ai = ai->ai_next) {
      const asio::generic::stream_protocol::endpoint ep(ai->ai_addr, ai->ai_addrlen,
                                                        ai->ai_protocol);
      std::error_code step;
      if (sock.is_open()) sock.close(step);
      sock.open(ep.protocol(), step);
      if (!step) sock.connect(ep, step);
      if (step) {
        last = step;
      } else {
        connected = true;
      }
    }
    ::freeaddrinfo(found);
    if (!connected) {
      message = fmt::format("Could not connect to Redis at {}:{}: {}\n", where.host, where.port,
                            std::strerror(last.value()));
      return false;
    }
    set_keepalive(sock);
  }

  if (tls_.enabled) {
    if (!ssl_ctx_ && !make_tls_context(message)) return false;
    ssl_.emplace(std::move(sock), *ssl_ctx_);
  } else {
    plain_.emplace(std::move(sock));
  }
  open_ = true;
  if (tls_.enabled && !handshake(where, message)) {
    close();
    return false;
  }
  return true;
}

bool link::make_tls_context(std::string& message) {
  std::error_code ec;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  // As redis-cli: the server's chain is verified (unless --insecure), not its host name.
  ctx.set_verify_mode(tls_.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
  if (!tls_.ca_file.empty()) ctx.load_verify_file(tls_.ca_file, ec);
  if (!ec && !tls_.ca_dir.empty()) ctx.add_verify_path(tls_.ca_dir, ec);
  if (!ec && tls_.ca_file.empty() && tls_.ca_dir.empty()) ctx.set_default_verify_paths(ec);
  if (!ec && !tls_.cert_file.empty()) ctx.use_certificate_chain_file(tls_.cert_file, ec);
  if (!ec && !tls_.key_file.empty())
    ctx.use_private_key_file(tls_.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    message = fmt::format("Could not create an SSL context: {}\n", ec.message());
    return false;
  }
  if (!tls_.ciphers.empty() &&
      ::SSL_CTX_set_cipher_list(ctx.native_handle(), tls_.ciphers.c_str()) != 1) {
    message = "Could not create an SSL context: Error while configuring ciphers\n";
    return false;
  }
  if (!tls_.ciphersuites.empty() &&
      ::SSL_CTX_set_ciphersuites(ctx.native_handle(), tls_.ciphersuites.c_str()) != 1) {
    message = "Could not create an SSL context: Error while setting cypher suites\n";
    return false;
  }
  ssl_ctx_.emplace(std::move(ctx));
  return true;
}

bool link::handshake(const endpoint& where, std::string& message) {
  if (!tls_.sni.empty()) ::SSL_set_tlsext_host_name(ssl_->native_handle(), tls_.sni.c_str());
  std::error_code ec;
  ssl_->handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    // As hiredis words it: "SSL_connect failed: certificate verify failed".
    std::string reason = ec.message();
    if (const auto paren = reason.rfind(" ("); paren != std::string::npos && reason.back() == ')') {
      reason.erase(paren);
    }
    const std::string at =
        where.socket.empty() ? fmt::format("{}:{}", where.host, where.port) : where.socket;
    message = fmt::format("Could not connect to Redis at {}: SSL_connect failed: {}\n", at, reason);
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
        std::error_code ignored;
        lowest().cancel(ignored);
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
  std::error_code ec;
  if (ssl_) {
    asio::write(*ssl_, asio::buffer(bytes.data(), bytes.size()), ec);
  } else {
    asio::write(*plain_, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  if (ec) close();
  return ec;
}

std::error_code link::write(const request& req) {
  if (!open_) return make_error_code(error::not_connected);
  // The request's segments are the gather list: Asio takes them as a buffer sequence.
  // (kept between writes: a command repeated with -r writes without allocating)
  buffers_.clear();
  for (const segment& s : req.segments()) buffers_.emplace_back(s.data, s.size);
  std::error_code ec;
  if (ssl_) {
    asio::write(*ssl_, buffers_, ec);
  } else {
    asio::write(*plain_, buffers_, ec);
  }
  if (ec) close();
  return ec;
}

std::error_code link::read(std::optional<std::chrono::milliseconds> timeout) {
  if (!open_) return make_error_code(error::not_connected);
  std::error_code ec;
  if (reader_.next(ec)) return {};
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
    if (reader_.next(ec)) return {};
  }
  close();
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
