#include <respool/io/detail/transport.hpp>

#include <asio/error.hpp>
#include <asio/ip/address.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

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
  // Connecting registered the socket with the reactor for writability too, and edge-triggered
  // it then wakes the reactor after the writes the kernel acknowledges: an epoll_wait() that
  // returns for nothing on a round trip. Registered anew, it waits for readability alone until
  // a write has to wait for room (rarely). Nothing is in flight on a socket just connected.
  const auto local = socket_.local_endpoint(ec);
  if (ec) return false;
  const auto fd = socket_.release(ec);
  if (ec) return false;
  socket_.assign(local.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return false;
  }
  socket_.non_blocking(true, ec);
  direct_ = !ec && !tls_;
  return direct_;
}

std::error_code transport::writev(std::span<const segment> segs, std::size_t& n) {
  ::msghdr msg{};
  msg.msg_iov = const_cast<::iovec*>(as_iovec(segs.data()));  // sendmsg() only reads it
  msg.msg_iovlen = segs.size();
  const ::iovec& first = msg.msg_iov[0];
  // Never blocks (the socket may block in recv()), and a closed peer is an error, not
  // SIGPIPE. One segment (a short request) goes with send(), which the kernel takes with less
  // work than a message header and its vector.
  constexpr int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
  for (;;) {
    const ::ssize_t r = segs.size() == 1
                            ? ::send(socket_.native_handle(), first.iov_base, first.iov_len, flags)
                            : ::sendmsg(socket_.native_handle(), &msg, flags);
    if (r >= 0) {
      n = static_cast<std::size_t>(r);
      return {};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return asio::error::would_block;
    return last_errno();
  }
}

bool transport::block_in_recv(bool on, std::chrono::milliseconds timeout) {
  if (!direct_) return false;
  if (on == blocking_recv_) return true;
  const int fd = socket_.native_handle();
  if (on && timeout != recv_timeout_) {
    ::timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(timeout.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((timeout.count() % 1000) * 1000);
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return false;
    recv_timeout_ = timeout;
  }
  // Asio keeps its own record of the socket's mode, which stays "non-blocking": its reads
  // only run while this is off.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, on ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) != 0) {
    return false;
  }
  blocking_recv_ = on;
  return true;
}

std::error_code transport::recv(std::span<char> buf, std::size_t& n, bool wait) {
  const int flags = wait ? 0 : MSG_DONTWAIT;
  for (;;) {
    const ::ssize_t r = ::recv(socket_.native_handle(), buf.data(), buf.size(), flags);
    if (r > 0) {
      n = static_cast<std::size_t>(r);
      return {};
    }
    if (r == 0) return asio::error::eof;
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
  blocking_recv_ = false;
  recv_timeout_ = std::chrono::milliseconds{0};
}

void transport::cancel() noexcept {
  std::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace respool::detail
