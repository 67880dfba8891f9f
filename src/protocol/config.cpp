/// @file config.cpp
/// @brief parse_uri(): connection URIs into a config.
///
/// The rules, where the contract in config.hpp leaves a choice:
///
/// - The scheme chooses the transport and is case-insensitive: redis:// and rediss:// clear
///   unix_socket (else it would silently win over the URI's host) and set tls.enabled to false
///   and true; unix:// and redis+unix:// set unix_socket and tls.enabled = false.
/// - Userinfo follows redis-cli's `-u` (7.0): `user:password@` and `:password@`, and a userinfo
///   without ':' is the password alone. Credentials are a pair, so a URI with a userinfo sets
///   both username and password (the username empty when not given); one without sets neither.
/// - The authority ends at the first '/' or '?', and the userinfo at the authority's last '@',
///   so a raw '@' (and ':') may appear in a password; '/', '?', '#', spaces and control bytes
///   must be percent-encoded everywhere.
/// - redis+sentinel:// (rediss+sentinel:// with TLS everywhere) lists the sentinels in the
///   authority, comma-separated, each with its own port (26379 when absent), and names the
///   master in the path's first segment; a second segment is the database. The userinfo goes
///   to the servers (the sentinels' credentials are options of their own): the servers are
///   what the application authenticates to, and sentinels often run without a password.
/// - A unix socket URI may carry a userinfo (`unix://:secret@/run/redis.sock`) but no host; its
///   path must not end in '/'.
/// - Hosts are names (letters, digits, '-', '.', '_', '~', percent-escapes), IPv4, or IPv6 in
///   brackets, with an RFC 6874 zone written `%25zone`. An unbracketed host with two ':' is an
///   error. The port is 1 to 65535 in decimal; when absent, 6379.
/// - The database is `/N` or `?db=N` (N in 0..INT_MAX); both may be given only when equal.
/// - Options: names are matched exactly, values are percent-decoded and '+' stays a '+'. Empty
///   options (`?`, `&&`, a trailing '&') are ignored; an option given twice is an error.
///   `insecure` takes no value, `true`/`1` or `false`/`0`, and only on rediss://.
/// - client_name must be printable ASCII without spaces ('!' to '~'): CLIENT SETNAME refuses
///   anything else, and that refusal would only surface at connect time as setup_failed.
/// - Reasons quote the URI with its password replaced by "***" (they end up in logs), control
///   bytes escaped and long texts cut.

#include "uri_text.hpp"
#include <respool/protocol/config.hpp>
#include <respool/protocol/detail/ascii.hpp>
#include <respool/protocol/error.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace respool {

namespace {

using detail::uri::authority_ends;
using detail::uri::parse_decimal;
using detail::uri::percent_decode;
using detail::uri::quote;
using detail::uri::redact;

constexpr std::uint16_t default_port = 6379;
constexpr std::uint16_t sentinel_port = 26379;

using detail::ascii::hex_value;
using detail::ascii::iequals;
using detail::ascii::is_alpha;
using detail::ascii::is_control;
using detail::ascii::is_digit;

enum class transport : std::uint8_t { tcp, tls, unix_socket };

class uri_parser {
 public:
  explicit uri_parser(std::string_view uri) : uri_(uri) {}

  // Parses into `cfg`, a copy the caller assigns only on success; on failure returns false
  // and reason() says why.
  bool parse(config& cfg) {
    if (!check_characters()) return false;
    if (!parse_scheme()) return false;
    const std::size_t auth_begin = scheme_.size() + 3;
    auto auth_end = uri_.find_first_of(authority_ends, auth_begin);
    if (auth_end == std::string_view::npos) auth_end = uri_.size();
    const std::string_view authority = uri_.substr(auth_begin, auth_end - auth_begin);
    const std::string_view rest = uri_.substr(auth_end);
    const auto question = rest.find('?');
    const std::string_view path = rest.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);

    std::string_view hostport = authority;
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
      details_.userinfo = true;
      if (!parse_userinfo(authority.substr(0, at), cfg)) return false;
      hostport = authority.substr(at + 1);
    }

    if (sentinel_) {
      if (!parse_sentinels(hostport, cfg) || !parse_sentinel_path(path, cfg)) return false;
      cfg.unix_socket.clear();
      cfg.tls.enabled = transport_ == transport::tls;
      cfg.sentinel.tls.enabled = cfg.tls.enabled;
    } else if (transport_ == transport::unix_socket) {
      if (!hostport.empty()) {
        return fail("a unix socket URI takes no host (" + quote(hostport) +
                    "); write unix:///absolute/path" + in_uri());
      }
      if (!parse_socket_path(path, cfg)) return false;
      cfg.tls.enabled = false;
    } else {
      if (!parse_hostport(hostport, cfg)) return false;
      if (!parse_database_path(path, cfg)) return false;
      cfg.unix_socket.clear();
      cfg.tls.enabled = transport_ == transport::tls;
    }
    return parse_query(query, cfg);
  }

  [[nodiscard]] std::string& reason() { return reason_; }
  [[nodiscard]] const uri_details& details() const { return details_; }

 private:
  bool fail(std::string why) {
    reason_ = std::move(why);
    return false;
  }

  std::string in_uri() const { return " in " + quote(redact(uri_)); }

  bool check_characters() {
    const auto hash = uri_.find('#');
    if (hash != std::string_view::npos) {
      return fail("a fragment ('#...') is not allowed; percent-encode a '#' as %23" + in_uri());
    }
    for (std::size_t i = 0; i < uri_.size(); ++i) {
      if (uri_[i] == ' ' || is_control(uri_[i])) {
        return fail("a space or control character at offset " + std::to_string(i) +
                    "; percent-encode it" + in_uri());
      }
    }
    return true;
  }

  bool parse_scheme() {
    const auto colon = uri_.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(
          "missing scheme (redis://, rediss://, unix://, redis+unix:// or redis+sentinel://)" +
          in_uri());
    }
    scheme_ = uri_.substr(0, colon);
    if (iequals(scheme_, "redis")) {
      transport_ = transport::tcp;
    } else if (iequals(scheme_, "rediss")) {
      transport_ = transport::tls;
    } else if (iequals(scheme_, "unix") || iequals(scheme_, "redis+unix")) {
      transport_ = transport::unix_socket;
    } else if (iequals(scheme_, "redis+sentinel") || iequals(scheme_, "rediss+sentinel")) {
      transport_ = iequals(scheme_, "redis+sentinel") ? transport::tcp : transport::tls;
      sentinel_ = true;
    } else {
      return fail("unsupported scheme " + quote(scheme_) + in_uri());
    }
    if (uri_.substr(colon + 1, 2) != "//") {
      return fail("expected '//' after " + quote(uri_.substr(0, colon + 1)) + in_uri());
    }
    return true;
  }

  bool parse_userinfo(std::string_view userinfo, config& cfg) {
    const auto colon = userinfo.find(':');
    details_.username = colon != std::string_view::npos;
    const std::string_view user =
        colon == std::string_view::npos ? std::string_view{} : userinfo.substr(0, colon);
    const std::string_view password =
        colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1);
    std::string_view bad;
    // The bad escape is not quoted: it is part of a secret.
    if (!percent_decode(user, cfg.username, bad)) {
      return fail("malformed percent-escape in the user name" + in_uri());
    }
    if (!percent_decode(password, cfg.password, bad)) {
      return fail("malformed percent-escape in the password" + in_uri());
    }
    return true;
  }

  bool decode(std::string_view text, std::string& out, std::string_view what) {
    std::string_view bad;
    if (percent_decode(text, out, bad)) return true;
    return fail("malformed percent-escape " + quote(bad) + " in the " + std::string(what) +
                in_uri());
  }

  bool parse_hostport(std::string_view hostport, config& cfg) {
    std::string_view port_text;
    bool has_port = false;
    if (!hostport.empty() && hostport[0] == '[') {
      const auto close = hostport.find(']');
      if (close == std::string_view::npos) return fail("unterminated '[' in the host" + in_uri());
      if (!parse_ipv6(hostport.substr(1, close - 1), cfg.host)) return false;
      const std::string_view after = hostport.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') {
          return fail("unexpected " + quote(after) + " after the IPv6 address" + in_uri());
        }
        has_port = true;
        port_text = after.substr(1);
      }
    } else {
      const auto colon = hostport.find(':');
      const std::string_view name = hostport.substr(0, colon);
      if (colon != std::string_view::npos) {
        has_port = true;
        port_text = hostport.substr(colon + 1);
        if (port_text.find(':') != std::string_view::npos) {
          return fail("an IPv6 address must be in brackets, as in redis://[::1]:6379" + in_uri());
        }
      }
      if (name.empty()) return fail("missing host (redis:// and rediss:// need one)" + in_uri());
      for (const char c : name) {
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_' && c != '~' &&
            c != '%') {
          return fail("invalid character " + quote(std::string_view(&c, 1)) + " in the host" +
                      in_uri());
        }
      }
      std::string host;
      if (!decode(name, host, "host")) return false;
      for (const char c : host) {
        if (c == ' ' || is_control(c)) {
          return fail("the host decodes to a space or control character" + in_uri());
        }
      }
      cfg.host = std::move(host);
    }
    details_.port = has_port;
    if (!has_port) {
      cfg.port = default_port;
      return true;
    }
    if (port_text.empty()) return fail("empty port after ':'" + in_uri());
    long port = 0;
    if (!parse_decimal(port_text, 65535, port) || port == 0) {
      return fail("invalid port " + quote(port_text) + in_uri());
    }
    cfg.port = static_cast<std::uint16_t>(port);
    return true;
  }

  // Only the characters of an IPv6 address are checked; the resolver judges the rest.
  bool parse_ipv6(std::string_view inside, std::string& host) {
    const auto percent = inside.find('%');
    const std::string_view address = inside.substr(0, percent);
    bool has_colon = false;
    for (const char c : address) {
      if (c == ':') {
        has_colon = true;
      } else if (hex_value(c) < 0 && c != '.') {
        return fail("invalid IPv6 address " + quote(inside) + in_uri());
      }
    }
    if (!has_colon) return fail("invalid IPv6 address " + quote(inside) + in_uri());
    host.assign(address);
    if (percent == std::string_view::npos) return true;
    // RFC 6874: the zone id follows "%25", the escaped '%'.
    const std::string_view zone = inside.substr(percent);
    if (zone.size() <= 3 || zone.substr(0, 3) != "%25") {
      return fail("invalid IPv6 zone in " + quote(inside) + "; write it as [addr%25zone]" +
                  in_uri());
    }
    std::string decoded;
    if (!decode(zone.substr(3), decoded, "IPv6 zone")) return false;
    for (const char c : decoded) {
      if (c == ' ' || is_control(c)) {
        return fail("the IPv6 zone decodes to a space or control character" + in_uri());
      }
    }
    host += '%';
    host += decoded;
    return true;
  }

  bool parse_database_path(std::string_view path, config& cfg) {
    if (path.empty() || path == "/") return true;
    std::string decoded;
    if (!decode(path.substr(1), decoded, "path")) return false;
    long db = 0;
    if (!parse_decimal(decoded, INT_MAX, db)) {
      return fail("invalid database " + quote(path) + " (expected /N, N a non-negative integer)" +
                  in_uri());
    }
    cfg.database = static_cast<int>(db);
    path_database_ = static_cast<int>(db);
    return true;
  }

  // host[:port],host[:port],... (each port 26379 when absent).
  bool parse_sentinels(std::string_view hosts, config& cfg) {
    cfg.sentinel.nodes.clear();
    bool any_port = false;
    for (;;) {
      const auto comma = hosts.find(',');
      config one;
      if (!parse_hostport(hosts.substr(0, comma), one)) return false;
      any_port = any_port || details_.port;
      cfg.sentinel.nodes.push_back({one.host, details_.port ? one.port : sentinel_port});
      if (comma == std::string_view::npos) break;
      hosts = hosts.substr(comma + 1);
    }
    details_.port = any_port;
    return true;
  }

  // /master_name[/db]
  bool parse_sentinel_path(std::string_view path, config& cfg) {
    const std::string_view rest = path.empty() ? path : path.substr(1);
    const auto slash = rest.find('/');
    if (!decode(rest.substr(0, slash), cfg.sentinel.master_name, "master name")) return false;
    if (cfg.sentinel.master_name.empty()) {
      return fail("missing master name (redis+sentinel://host:port/master_name)" + in_uri());
    }
    return slash == std::string_view::npos || parse_database_path(rest.substr(slash), cfg);
  }

  bool parse_socket_path(std::string_view path, config& cfg) {
    std::string decoded;
    if (!decode(path, decoded, "socket path")) return false;
    if (decoded.empty()) return fail("missing socket path" + in_uri());
    // The structure already makes the path absolute: it is what follows "unix://".
    if (decoded.back() == '/') {
      return fail("the socket path " + quote(decoded) + " ends in '/'" + in_uri());
    }
    if (decoded.find('\0') != std::string::npos) {
      return fail("the socket path contains a NUL byte" + in_uri());
    }
    cfg.unix_socket = std::move(decoded);
    return true;
  }

  bool apply_option(std::string_view name, bool has_value, std::string value, config& cfg) {
    if (name == "protocol") {
      if (value != "2" && value != "3") {
        return fail("invalid protocol " + quote(value) + " (expected 2 or 3)" + in_uri());
      }
      cfg.protocol = value[0] - '0';
    } else if (name == "client_name") {
      if (!has_value) return fail("option 'client_name' needs a value" + in_uri());
      for (const char c : value) {
        if (c < '!' || c > '~') {
          return fail("client_name " + quote(value) +
                      " may hold only printable ASCII without spaces (CLIENT SETNAME refuses "
                      "others)" +
                      in_uri());
        }
      }
      cfg.client_name = std::move(value);
    } else if (name == "db") {
      long db = 0;
      if (!parse_decimal(value, INT_MAX, db)) {
        return fail("invalid db " + quote(value) + " (expected a non-negative integer)" + in_uri());
      }
      if (path_database_ >= 0 && path_database_ != db) {
        return fail("the path's database " + std::to_string(path_database_) +
                    " differs from db=" + value + in_uri());
      }
      cfg.database = static_cast<int>(db);
    } else if (name == "role" || name == "sentinel_username" || name == "sentinel_password") {
      return apply_sentinel_option(name, std::move(value), cfg);
    } else if (name == "insecure") {
      if (transport_ != transport::tls) {
        return fail("option 'insecure' applies to rediss:// only" + in_uri());
      }
      if (!has_value || value == "true" || value == "1") {
        cfg.tls.verify_peer = false;
      } else if (value == "false" || value == "0") {
        cfg.tls.verify_peer = true;
      } else {
        return fail("invalid insecure " + quote(value) + " (expected true, 1, false or 0)" +
                    in_uri());
      }
    }
    return true;
  }

  bool apply_sentinel_option(std::string_view name, std::string value, config& cfg) {
    if (!sentinel_) {
      return fail("option " + quote(name) + " applies to redis+sentinel:// only" + in_uri());
    }
    if (name == "sentinel_username") {
      cfg.sentinel.username = std::move(value);
    } else if (name == "sentinel_password") {
      cfg.sentinel.password = std::move(value);
    } else if (value == "master" || value == "replica") {
      cfg.sentinel.role = value == "master" ? sentinel_role::master : sentinel_role::replica;
    } else {
      return fail("invalid role " + quote(value) + " (expected master or replica)" + in_uri());
    }
    return true;
  }

  bool parse_query(std::string_view query, config& cfg) {
    unsigned seen = 0;
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view option = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (option.empty()) continue;
      const auto eq = option.find('=');
      const std::string_view name = option.substr(0, eq);
      const bool has_value = eq != std::string_view::npos;
      std::string value;
      if (has_value && !decode(option.substr(eq + 1), value, "value of " + quote(name))) {
        return false;
      }

      unsigned bit = 0;
      if (name == "protocol") {
        bit = 1;
      } else if (name == "client_name") {
        bit = 2;
      } else if (name == "db") {
        bit = 4;
      } else if (name == "insecure") {
        bit = 8;
      } else if (name == "role") {
        bit = 16;
      } else if (name == "sentinel_username") {
        bit = 32;
      } else if (name == "sentinel_password") {
        bit = 64;
      } else {
        return fail("unknown option " + quote(name) +
                    " (known: protocol, client_name, db, insecure, role, sentinel_username, "
                    "sentinel_password)" +
                    in_uri());
      }
      if ((seen & bit) != 0) return fail("option " + quote(name) + " given twice" + in_uri());
      seen |= bit;
      if (!apply_option(name, has_value, std::move(value), cfg)) return false;
    }
    return true;
  }

  std::string_view uri_;
  std::string_view scheme_;
  transport transport_ = transport::tcp;
  bool sentinel_ = false;  // redis+sentinel://, rediss+sentinel://
  // The database given by the path, or -1.
  long path_database_ = -1;
  std::string reason_;
  uri_details details_;
};

}  // namespace

std::error_code parse_uri(std::string_view uri, config& cfg, uri_details& details,
                          std::string* why) {
  config parsed = cfg;
  uri_parser parser(uri);
  if (!parser.parse(parsed)) {
    if (why != nullptr) *why = std::move(parser.reason());
    return error::invalid_uri;
  }
  cfg = std::move(parsed);
  details = parser.details();
  return {};
}

std::error_code parse_uri(std::string_view uri, config& cfg, std::string* why) {
  uri_details ignored;
  return parse_uri(uri, cfg, ignored, why);
}

config config_from_uri(std::string_view uri) {
  config cfg;
  std::string why;
  if (const std::error_code ec = parse_uri(uri, cfg, &why)) throw std::system_error(ec, why);
  return cfg;
}

}  // namespace respool
