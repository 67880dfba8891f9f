#include <respool/io/detail/transport.hpp>

#include <asio/error.hpp>
#include <asio/ip/address.hpp>

#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

namespace respool::detail {

namespace {

class resolve_category_impl : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "getaddrinfo"; }
  [[nodiscard]] std::string message(int ev) const override { return ::gai_strerror(ev); }
};

std::error_code last_errno() { return {errno, std::system_category()}; }

}  // namespace

bool is_ip_address(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

const std::error_category& resolve_category() noexcept {
  static const resolve_category_impl category;
  return category;
}

transport::transport(const asio::any_io_executor& ex) : socket_{ex}, resolver_{ex} {}

transport::~transport() = default;

std::error_code transport::unix_endpoint(const std::string& path,
                                         asio::generic::stream_protocol::endpoint& ep) {
  ::sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return std::make_error_code(std::errc::filename_too_long);
  std::memcpy(addr.sun_path, path.data(), path.size());
  ep = asio::generic::stream_protocol::endpoint(&addr, sizeof addr);
  return {};
}

std::error_code transport::connect_unix(const std::string& path) {
  close();
  asio::generic::stream_protocol::endpoint ep;
  std::error_code ec = unix_endpoint(path, ep);
  if (!ec) socket_.open(ep.protocol(), ec);
  if (!ec) socket_.connect(ep, ec);
  return ec;
}

std::error_code transport::connect_tcp(const std::string& host, int port) {
  close();
  ::addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ::addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    if (rc == EAI_SYSTEM) return last_errno();
    return {rc, resolve_category()};
  }
  std::error_code last = std::make_error_code(std::errc::host_unreachable);
  for (const ::addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const asio::generic::stream_protocol::endpoint ep(ai->ai_addr, ai->ai_addrlen, ai->ai_protocol);
    std::error_code step;
    if (socket_.is_open()) socket_.close(step);
    socket_.open(ep.protocol(), step);
    if (!step) socket_.connect(ep, step);
    last = step;
    if (!step) break;
  }
  ::freeaddrinfo(found);
  return last;
}

void transport::set_no_delay() {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void transport::set_keepalive(const keepalive_timing* timing) {
  std::error_code ignored;
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  if (timing == nullptr) return;
  const int fd = socket_.native_handle();
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &timing->idle, sizeof timing->idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &timing->interval, sizeof timing->interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &timing->probes, sizeof timing->probes);
}

std::unique_ptr<asio::ssl::context> make_tls_context(const tls_config& opts, std::error_code& ec,
                                                     tls_setup_step* failed) {
  ec.clear();
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  auto fail = [&](tls_setup_step step) -> std::unique_ptr<asio::ssl::context> {
    if (failed != nullptr) *failed = step;
    return nullptr;
  };
  ctx->set_verify_mode(opts.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  if (!ec && opts.ca_file.empty() && opts.ca_dir.empty()) ctx->set_default_verify_paths(ec);
  if (!ec && !opts.ca_file.empty()) ctx->load_verify_file(opts.ca_file, ec);
  if (!ec && !opts.ca_dir.empty()) ctx->add_verify_path(opts.ca_dir, ec);
  if (!ec && !opts.cert_file.empty()) ctx->use_certificate_chain_file(opts.cert_file, ec);
  if (!ec && !opts.key_file.empty()) {
    ctx->use_private_key_file(opts.key_file, asio::ssl::context::pem, ec);
  }
  if (ec) return fail(tls_setup_step::files);
  if (!opts.ciphers.empty() &&
      ::SSL_CTX_set_cipher_list(ctx->native_handle(), opts.ciphers.c_str()) != 1) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return fail(tls_setup_step::ciphers);
  }
  if (!opts.ciphersuites.empty() &&
      ::SSL_CTX_set_ciphersuites(ctx->native_handle(), opts.ciphersuites.c_str()) != 1) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return fail(tls_setup_step::ciphersuites);
  }
  return ctx;
}

std::error_code transport::start_tls(asio::ssl::context& ctx, const std::string& sni,
                                     const std::string& verify_name) {
  tls_ = std::make_shared<tls_stream>(socket_, ctx);
  if (!sni.empty()) {
    ::SSL_set_tlsext_host_name(tls_->native_handle(), sni.c_str());
  }
  std::error_code ec;
  if (!verify_name.empty())
    tls_->set_verify_callback(asio::ssl::host_name_verification(verify_name), ec);
  return ec;
}

std::error_code transport::handshake() {
  std::error_code ec;
  tls_->handshake(asio::ssl::stream_base::client, ec);
  return ec;
}

bool transport::make_direct() {
  std::error_code ec;
  socket_.non_blocking(true, ec);
  direct_ = !ec && !tls_;
  return direct_;
}

std::error_code transport::writev(std::span<const segment> segs, std::size_t& n) {
  for (;;) {
    const ::ssize_t r =
        ::writev(socket_.native_handle(), as_iovec(segs.data()), static_cast<int>(segs.size()));
    if (r >= 0) {
      n = static_cast<std::size_t>(r);
      return {};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return asio::error::would_block;
    return last_errno();
  }
}

void transport::close() noexcept {
  ++attempt_;
  std::error_code ignored;
  resolver_.cancel();
  socket_.close(ignored);
  tls_.reset();  // the pending TLS operations keep their stream alive until they complete
  direct_ = false;
}

void transport::cancel() noexcept {
  std::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace respool::detail
