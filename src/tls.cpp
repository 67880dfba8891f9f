#include "tls.hpp"

#include <asio/ip/address.hpp>

namespace respool::detail {

namespace {

bool is_ip_literal(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_tls_context(const tls_config& cfg, std::error_code& ec) {
  ec.clear();
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  if (cfg.ca_file.empty() && cfg.ca_dir.empty()) ctx->set_default_verify_paths(ec);
  if (!ec && !cfg.ca_file.empty()) ctx->load_verify_file(cfg.ca_file, ec);
  if (!ec && !cfg.ca_dir.empty()) ctx->add_verify_path(cfg.ca_dir, ec);
  if (!ec && !cfg.cert_file.empty()) ctx->use_certificate_chain_file(cfg.cert_file, ec);
  if (!ec && !cfg.key_file.empty()) {
    ctx->use_private_key_file(cfg.key_file, asio::ssl::context::pem, ec);
  }
  if (ec) return nullptr;
  return ctx;
}

std::error_code configure_tls_stream(tls_stream& stream, const tls_config& cfg,
                                     const std::string& host) {
  std::error_code ec;
  const std::string& name = cfg.server_name.empty() ? host : cfg.server_name;
  if (!is_ip_literal(name)) SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  if (cfg.verify_peer) {
    stream.set_verify_mode(asio::ssl::verify_peer, ec);
    if (!ec) stream.set_verify_callback(asio::ssl::host_name_verification(name), ec);
  } else {
    stream.set_verify_mode(asio::ssl::verify_none, ec);
  }
  return ec;
}

}  // namespace respool::detail
