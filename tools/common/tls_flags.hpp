// The TLS flags redis-cli and redis-benchmark share (--tls --sni --cacert --cacertdir --cert
// --key --insecure --tls-ciphers --tls-ciphersuites), mapped onto respool::tls_config in one place
// for the tools' parsers.
#pragma once

#include <respool/protocol/config.hpp>

#include <array>
#include <string>
#include <string_view>

namespace respool::tools {

/// One TLS flag: its name, whether it takes the next argument, and what it sets.
struct tls_flag {
  std::string_view name;
  bool takes_value;
  void (*apply)(tls_config& tls, std::string_view value);
};

/// Every TLS flag. Setting any file, name or --insecure does not switch TLS on: --tls (or a
/// rediss:// URI) does, as in redis-cli and redis-benchmark.
inline constexpr std::array<tls_flag, 9> tls_flags{{
    {"--tls", false, [](tls_config& t, std::string_view) { t.enabled = true; }},
    {"--sni", true, [](tls_config& t, std::string_view v) { t.server_name = std::string(v); }},
    {"--cacert", true, [](tls_config& t, std::string_view v) { t.ca_file = std::string(v); }},
    {"--cacertdir", true, [](tls_config& t, std::string_view v) { t.ca_dir = std::string(v); }},
    {"--cert", true, [](tls_config& t, std::string_view v) { t.cert_file = std::string(v); }},
    {"--key", true, [](tls_config& t, std::string_view v) { t.key_file = std::string(v); }},
    // Neither the chain nor the name is checked.
    {"--insecure", false, [](tls_config& t, std::string_view) { t.verify_peer = false; }},
    {"--tls-ciphers", true, [](tls_config& t, std::string_view v) { t.ciphers = std::string(v); }},
    {"--tls-ciphersuites", true,
     [](tls_config& t, std::string_view v) { t.ciphersuites = std::string(v); }},
}};

/// The TLS flag called `name`, or null when it is none.
[[nodiscard]] inline const tls_flag* find_tls_flag(std::string_view name) noexcept {
  for (const tls_flag& f : tls_flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace respool::tools
