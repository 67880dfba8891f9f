/// @file
/// @brief respool-cli's connection: one blocking conversation with one server, over TCP, a
/// Unix socket or TLS, with respool's encoder on the way out and its parser on the way in.
///
/// redis-cli's behaviour is synchronous (send a command, print its replies, go on), it must
/// see every reply in order (MONITOR lines, RESP2 pub/sub messages) and --pipe forwards raw
/// bytes, so the tool talks to the server through respool's transport (detail/transport.hpp)
/// rather than through respool::connection.
#pragma once

#include "options.hpp"
#include <respool/io/detail/transport.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/reader.hpp>

#include <asio/io_context.hpp>
#include <asio/ssl.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool::cli {

/// Where a link connects, and how.
struct endpoint {
  std::string host;
  int port = 6379;
  std::string socket;  // a Unix socket, when not empty
};

class link {
 public:
  explicit link(const tls_config& tls, const resp3::parser_config& limits = {});
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  /// Connects: TCP (no delay, keepalive) or Unix socket, then TLS when enabled. On failure,
  /// `message` is what redis-cli prints ("Could not connect to Redis at h:p: reason").
  /// `timeout` bounds the TCP connect (name resolution aside): when it expires the reason is
  /// "Connection timed out"; nullopt waits as long as the system does.
  bool connect(const endpoint& where, std::string& message,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  [[nodiscard]] bool is_open() const noexcept { return open_; }
  void close() noexcept;
  /// The socket's descriptor (for a signal handler to shut it down), -1 when closed.
  [[nodiscard]] int native_handle() noexcept;

  /// Writes the whole request. An error closes the link.
  std::error_code write(const request& req);
  /// Writes bytes as they are.
  std::error_code write(std::string_view bytes);

  /// Waits for the next reply; reply() is it until the next call. `timeout` bounds the wait
  /// for its first byte (nullopt: wait as long as it takes); once a reply has begun, each
  /// wait for more of its bytes is bounded by `stall_timeout`. A bound that expires is
  /// error::request_timeout. Errors close the link.
  std::error_code read(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  [[nodiscard]] resp3::reply_view reply() const noexcept { return reader_.reply(); }

  /// Reads the bytes that have arrived, at most `into.size()`, past the reply parser (the RDB
  /// payload of the replication protocol); `n` is their number. `timeout` bounds the wait, as
  /// for read(). Bytes that came after the last reply read() returned are an error
  /// (error::unexpected_type): nothing may follow a reply before a raw read. Errors close the
  /// link.
  std::error_code read_raw(std::span<char> into, std::size_t& n,
                           std::optional<std::chrono::milliseconds> timeout);

  /// The text redis-cli prints after "Error: " for an error read() or write() returned (for
  /// a timeout, how long the server was silent).
  [[nodiscard]] std::string describe(std::error_code ec) const;

  /// The pieces --pipe drives itself.
  asio::io_context& context() noexcept { return ctx_; }
  resp3::reader& reader() noexcept { return reader_; }
  template <class Buffers, class Handler>
  void async_read_some(const Buffers& b, Handler&& h) {
    transport_.async_read_some(b, std::forward<Handler>(h));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& b, Handler&& h) {
    transport_.async_write_some(b, std::forward<Handler>(h));
  }

  /// How long a reply may pause between two of its bytes before read() gives up (-t sets
  /// it; 30 seconds otherwise, as no reply stops half-way for that long on a healthy link).
  std::chrono::milliseconds stall_timeout{30000};

 private:
  template <class Start>
  std::error_code run(Start&& start, std::optional<std::chrono::milliseconds> timeout,
                      std::size_t* transferred = nullptr);
  std::error_code connect_tcp_within(const endpoint& where, std::chrono::milliseconds timeout);
  bool make_tls_context(std::string& message);
  bool handshake(const endpoint& where, std::string& message);
  // "host:port", or the Unix socket's path, as the errors name it.
  static std::string address(const endpoint& where);

  tls_config tls_;
  asio::io_context ctx_;
  std::unique_ptr<asio::ssl::context> ssl_ctx_;
  detail::transport transport_;  // on ctx_
  resp3::reader reader_;
  std::vector<asio::const_buffer> buffers_;  // the request's segments, as Asio's buffers
  bool open_ = false;
  std::chrono::milliseconds expired_{0};  // the last bound of read() that expired
};

}  // namespace respool::cli
