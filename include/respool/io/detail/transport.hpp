/// @file transport.hpp
/// @brief The byte stream under a connection: resolving, connecting over TCP or a Unix socket,
/// TLS, socket options, and the ways of reading and writing (Asio's, or recv/writev directly
/// on the non-blocking socket).
///
/// Used by respool::connection (asynchronously) and by respool-cli (synchronously, on its own
/// io_context). It knows nothing of Redis.
#pragma once

#include <respool/protocol/config.hpp>
#include <respool/protocol/segment.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>

namespace respool::detail {

using socket_type = asio::generic::stream_protocol::socket;
using tls_stream = asio::ssl::stream<socket_type&>;

/// How a TLS client context is set up.
/// Which step of make_tls_context() failed.
enum class tls_setup_step : std::uint8_t { files, ciphers, ciphersuites };

/// A client context set up from `opts`; null on failure, with `ec` (and `failed`, when given)
/// saying what failed.
[[nodiscard]] std::unique_ptr<asio::ssl::context> make_tls_context(
    const tls_config& opts, std::error_code& ec, tls_setup_step* failed = nullptr);

/// The errors of getaddrinfo(), worded as gai_strerror() words them.
[[nodiscard]] const std::error_category& resolve_category() noexcept;

/// Whether `host` is an IP address (v4 or v6) rather than a name.
[[nodiscard]] bool is_ip_address(const std::string& host);

/// TCP keepalive probe timing (seconds), for set_keepalive().
struct keepalive_timing {
  int idle = 15;
  int interval = 5;
  int probes = 3;
};

/**
 * One stream to a server: a socket, and over it a TLS stream once start_tls() was called.
 *
 * The asynchronous operations take plain completion handlers, which run on the executor given
 * at construction. close() makes the completions of the operations it aborts report
 * asio::error::operation_aborted; callers that reconnect at once tell stale completions apart
 * themselves.
 */
class transport {
 public:
  explicit transport(const asio::any_io_executor& ex);
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;
  ~transport();

  /// Connects to the Unix socket at `path`, synchronously.
  std::error_code connect_unix(const std::string& path);
  /// Resolves `host` (getaddrinfo: its errors are in resolve_category()) and connects to the
  /// first address that accepts, synchronously; else the last address's error.
  std::error_code connect_tcp(const std::string& host, int port);

  /// connect_unix() without blocking. `handler(std::error_code)`.
  template <class Handler>
  void async_connect_unix(const std::string& path, Handler&& handler) {
    asio::generic::stream_protocol::endpoint ep;
    if (const std::error_code ec = unix_endpoint(path, ep)) {
      return post_error(ec, std::forward<Handler>(handler));
    }
    socket_.async_connect(ep, std::forward<Handler>(handler));
  }

  /// connect_tcp() without blocking, resolving with Asio's resolver. `handler(std::error_code)`.
  template <class Handler>
  void async_connect_tcp(const std::string& host, int port, Handler&& handler) {
    resolver_.async_resolve(
        host, std::to_string(port),
        [this, attempt = attempt_, h = std::forward<Handler>(handler)](
            std::error_code ec, asio::ip::tcp::resolver::results_type results) mutable {
          if (ec || attempt != attempt_) return h(ec ? ec : asio::error::operation_aborted);
          endpoints_ = std::move(results);
          next_endpoint_ = endpoints_.begin();
          last_connect_error_ = asio::error::host_not_found;
          connect_next(std::move(h));
        });
  }

  /// TCP_NODELAY: small writes go out at once.
  void set_no_delay();
  /// SO_KEEPALIVE, with the probes' timing when given (else the system's).
  void set_keepalive(const keepalive_timing* timing = nullptr);

  /// Starts TLS over the connected socket: SNI with `sni` (none when empty), and the
  /// certificate checked against `verify_name` when not empty (the chain alone otherwise).
  /// The context must outlive the stream.
  std::error_code start_tls(asio::ssl::context& ctx, const std::string& sni,
                            const std::string& verify_name);
  /// The TLS client handshake, synchronously.
  std::error_code handshake();
  /// The TLS client handshake. `handler(std::error_code)`.
  template <class Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(
        asio::ssl::stream_base::client,
        [tls = tls_, h = std::forward<Handler>(handler)](std::error_code ec) mutable { h(ec); });
  }

  /// Switches a plain (not TLS) socket to the direct path: gather writes with sendmsg() that
  /// never block. False when that failed (the Asio path remains).
  bool make_direct();
  /// The direct path: makes recv() block, up to `timeout`, or not (as the socket was). Writes
  /// never block either way, and Asio's reads must only run while recv() does not block.
  /// False when the socket refused.
  bool block_in_recv(bool on, std::chrono::milliseconds timeout);
  /// The direct path: reads into `buf`; while block_in_recv() is on and `wait`, waits up to
  /// its timeout. asio::error::would_block when nothing came (in time), asio::error::eof when
  /// the server closed.
  std::error_code recv(std::span<char> buf, std::size_t& n, bool wait = true);
  /// The direct path: one gather write of `segs` (at most max_gather_segments; may be
  /// partial). asio::error::would_block when the socket takes nothing now.
  std::error_code writev(std::span<const segment> segs, std::size_t& n);

  /// Waits until the socket is writable. `handler(std::error_code)`.
  template <class Handler>
  void async_wait_writable(Handler&& handler) {
    socket_.async_wait(socket_type::wait_write, std::forward<Handler>(handler));
  }

  /// Reads some bytes, through TLS when started. `handler(std::error_code, std::size_t)`.
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& bufs, Handler&& handler) {
    if (!tls_) return socket_.async_read_some(bufs, std::forward<Handler>(handler));
    // The TLS stream stays alive until its operation completes, even after close().
    tls_->async_read_some(bufs, [tls = tls_, h = std::forward<Handler>(handler)](
                                    std::error_code ec, std::size_t n) mutable { h(ec, n); });
  }
  /// Writes some bytes, through TLS when started. `handler(std::error_code, std::size_t)`.
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& bufs, Handler&& handler) {
    if (!tls_) return socket_.async_write_some(bufs, std::forward<Handler>(handler));
    tls_->async_write_some(bufs, [tls = tls_, h = std::forward<Handler>(handler)](
                                     std::error_code ec, std::size_t n) mutable { h(ec, n); });
  }
  /// Writes all of `bufs`, synchronously.
  template <class ConstBuffers>
  std::error_code write(const ConstBuffers& bufs) {
    std::error_code ec;
    if (tls_) {
      asio::write(*tls_, bufs, ec);
    } else {
      asio::write(socket_, bufs, ec);
    }
    return ec;
  }

  /// Closes the socket; the operations in flight complete with operation_aborted.
  void close() noexcept;
  /// Cancels the operations in flight (they complete with operation_aborted).
  void cancel() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return socket_.is_open(); }
  [[nodiscard]] bool is_tls() const noexcept { return tls_ != nullptr; }
  [[nodiscard]] bool is_direct() const noexcept { return direct_; }
  [[nodiscard]] int native_handle() noexcept { return socket_.native_handle(); }

 private:
  static std::error_code unix_endpoint(const std::string& path,
                                       asio::generic::stream_protocol::endpoint& ep);

  template <class Handler>
  void post_error(std::error_code ec, Handler&& handler) {
    asio::post(socket_.get_executor(),
               [ec, h = std::forward<Handler>(handler)]() mutable { h(ec); });
  }

  template <class Handler>
  void connect_next(Handler&& handler) {
    if (next_endpoint_ == endpoints_.end()) return handler(last_connect_error_);
    const asio::ip::tcp::endpoint ep = next_endpoint_->endpoint();
    ++next_endpoint_;
    std::error_code ignored;
    socket_.close(ignored);
    socket_.async_connect(ep, [this, attempt = attempt_,
                               h = std::forward<Handler>(handler)](std::error_code ec) mutable {
      if (attempt != attempt_) return h(asio::error::operation_aborted);
      if (!ec) return h(ec);
      last_connect_error_ = ec;
      connect_next(std::move(h));
    });
  }

  socket_type socket_;
  std::shared_ptr<tls_stream> tls_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::resolver::results_type endpoints_;
  asio::ip::tcp::resolver::results_type::const_iterator next_endpoint_;
  std::error_code last_connect_error_;
  std::uint64_t attempt_ = 0;  // close() starts a new one: older completions are stale
  bool direct_ = false;
  bool blocking_recv_ = false;
  std::chrono::milliseconds recv_timeout_{0};  // SO_RCVTIMEO as set on this socket
};

}  // namespace respool::detail
