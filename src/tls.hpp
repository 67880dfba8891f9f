// TLS for a connection (config::tls): the client context and each stream's checks. Private to
// the library; connection.cpp runs the handshake.
#pragma once

#include <respool/config.hpp>

#include <asio/generic/stream_protocol.hpp>
#include <asio/ssl.hpp>

#include <memory>
#include <string>
#include <system_error>

namespace respool::detail {

using socket_type = asio::generic::stream_protocol::socket;
using tls_stream = asio::ssl::stream<socket_type&>;

/// A client context trusting `cfg`'s CAs (the system's when it names none), with its client
/// certificate and key if any; null, with `ec` saying which file failed, otherwise.
[[nodiscard]] std::unique_ptr<asio::ssl::context> make_tls_context(const tls_config& cfg,
                                                                   std::error_code& ec);

/// Prepares a new stream to `host`: SNI with the server name (unless it is an IP address),
/// and, unless verify_peer is off, verification of the certificate against that name.
[[nodiscard]] std::error_code configure_tls_stream(tls_stream& stream, const tls_config& cfg,
                                                   const std::string& host);

}  // namespace respool::detail
