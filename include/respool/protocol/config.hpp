/// @file config.hpp
/// @brief How a connection reaches its server and behaves when things go wrong.
#pragma once

#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace respool {

class connection_observer;  // io/observer.hpp

/// TLS settings (`rediss://`). Certificate verification and SNI are on unless switched off.
struct tls_config {
  bool enabled = false;
  /// Verify the server's certificate chain and host name. `false` is the `--insecure` opt-out.
  bool verify_peer = true;
  /// The name sent with SNI and checked against the certificate; empty: the host, when it is
  /// a name and not an IP address.
  std::string server_name;
  std::string ca_file;       ///< PEM bundle of trusted CAs; empty: the system's default paths
  std::string ca_dir;        ///< directory of hashed CA certificates
  std::string cert_file;     ///< client certificate (PEM), for servers that ask for one
  std::string key_file;      ///< the client certificate's private key (PEM)
  std::string ciphers;       ///< TLS 1.2 and below, OpenSSL's syntax; empty: its default
  std::string ciphersuites;  ///< TLS 1.3, OpenSSL's syntax; empty: its default
};

/// Reconnection after a lost connection: capped exponential backoff with jitter.
struct reconnect_config {
  bool enabled = true;
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{5000};
  double multiplier = 2.0;
  /// Each delay is drawn uniformly from [delay·(1 − jitter), delay].
  double jitter = 0.5;
  /// Whether a refused setup (a wrong password, a bad database index) is retried too. Off:
  /// the first refusal stops async_run with error::setup_failed, so a bad password never
  /// turns into a stream of rejected logins.
  bool retry_setup_errors = false;
};

/**
 * Retrying requests, opted into (config::retry, request::set_max_attempts()). By default
 * (max_attempts 1) nothing is retried: a request written when the connection was lost
 * completes with error::connection_lost, since it may have run.
 *
 * With more attempts, a request is sent again, after a jittered backoff and only while its
 * deadline (config::request_timeout) allows, when its outcome proves it did not run or when
 * running it twice is harmless:
 * - every reply it got is `LOADING`, `MASTERDOWN` or `READONLY` (the server did not run the
 *   commands): any request;
 * - some replies are those errors, or the connection was lost before all replies came: only a
 *   request that is safe to repeat, i.e. marked idempotent (request::set_idempotent()) or made
 *   of read-only commands only (by the command flags of Redis 7.0, built in: GET, MGET, HGETALL,
 *   EXISTS, SCAN... but not EVAL, MULTI or any write).
 * A timeout or a cancellation is never retried. The caller gets the last outcome.
 *
 * It applies to a connection and what runs on one (client, sync_client, connection_pool,
 * caching_client, a Sentinel-managed connection). A cluster_connection ignores it in its seeds:
 * it sends what did not run again itself, wherever the slot is, and never resends a request
 * after a lost connection.
 */
struct retry_policy {
  /// Tries in all, the first included: 1 never retries.
  std::uint32_t max_attempts = 1;
  /// The wait before the first retry; each next one doubles, up to max_delay.
  std::chrono::milliseconds initial_delay{50};
  std::chrono::milliseconds max_delay{2000};
  /// Each wait is drawn uniformly from [delay·(1 − jitter), delay].
  double jitter = 0.5;
};

/// Which server of a Sentinel-watched deployment a connection wants.
enum class sentinel_role : std::uint8_t {
  master,   ///< the master (writes and reads)
  replica,  ///< one of its replicas, for reads
};

/// A deployment watched by Redis Sentinel: the connection asks the sentinels where the server
/// it wants is, on every (re)connection, instead of using config::host and config::port.
struct sentinel_config {
  struct node {
    std::string host;
    std::uint16_t port = 26379;
  };
  /// The sentinels, asked in turn until one answers. Empty: no Sentinel.
  std::vector<node> nodes;
  /// The name the sentinels monitor the master under (`sentinel monitor <name> ...`).
  std::string master_name;
  sentinel_role role = sentinel_role::master;
  /// The sentinels' own credentials and TLS, often not the servers' (requirepass of the
  /// sentinels, `sentinel auth-pass` for the servers).
  std::string username;
  std::string password;
  tls_config tls;
  /// How long one sentinel may take to connect and answer before the next is asked.
  std::chrono::milliseconds timeout{2000};
  /// Follow failovers as the sentinels announce them (`+switch-master`, on a subscription
  /// kept on one sentinel) rather than only when the old master stops answering or says
  /// READONLY.
  bool watch = true;

  [[nodiscard]] bool enabled() const noexcept { return !nodes.empty(); }
};

/// Severity of a message passed to config::logger.
enum class log_level : std::uint8_t { debug, info, warning, error };

/// Everything a connection needs to know. The defaults talk RESP3 to 127.0.0.1:6379.
struct config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// Path of a Unix-domain socket; when set, host and port are not used.
  std::string unix_socket;

  /// AUTH credentials. An empty username with a password authenticates as "default".
  std::string username;
  std::string password;
  /// SELECT'ed after connecting, when not 0.
  int database = 0;
  /// 3: HELLO 3, falling back to RESP2 when the server refuses HELLO. 2: RESP2 only.
  int protocol = 3;
  /// CLIENT SETNAME, when not empty.
  std::string client_name;

  tls_config tls;

  /// When enabled, where the server is comes from these sentinels, and host and port are
  /// where it was found last (see connection).
  sentinel_config sentinel;

  /// Sends READONLY with the setup: a connection to a Redis Cluster replica that serves reads
  /// of its master's slots (cluster_connection sets it for the replicas it reads from). Not
  /// sent with a custom `setup`.
  bool readonly = false;

  /// Replaces the setup sent after connecting (HELLO, AUTH, SETNAME, SELECT), e.g. for
  /// servers without HELLO or to run more commands on every connection. Every reply of it
  /// must succeed. The connection still follows it with the PING that checks that the server
  /// is not loading its dataset.
  std::optional<request> setup;

  /// Resolving, connecting, the TLS handshake and the setup together.
  std::chrono::milliseconds connect_timeout{10000};
  /// Default timeout of each async_exec; zero: none. A request that times out after it was
  /// written completes with error::request_timeout; its replies are read and dropped when
  /// they come, and the connection stays up.
  std::chrono::milliseconds request_timeout{0};
  /// When nothing has been read for this long, a PING is sent; zero disables health checks.
  std::chrono::milliseconds health_check_interval{2000};
  /// How long the health-check PING may take before the connection is deemed dead.
  std::chrono::milliseconds health_check_timeout{2000};

  /// How long a request waits for a connection when none is up (before async_run, while
  /// connecting or reconnecting, while the server loads its dataset) before it completes with
  /// error::not_connected; connection::last_error() then says why there is none. A request
  /// left unwritten by a lost connection waits as long, from the loss. Unset: connect_timeout.
  /// Zero: no bound but the request's own timeout (a request may then wait for ever).
  std::optional<std::chrono::milliseconds> wait_for_connection;

  reconnect_config reconnect;
  /// Retrying requests that did not run or are safe to repeat; off by default (retry_policy).
  retry_policy retry;
  /// When the connection is down, fail requests that were not written yet with
  /// error::not_connected at once instead of keeping them for the next connection (up to
  /// wait_for_connection and their timeout).
  bool fail_unwritten_when_down = false;

  /// Sends CLIENT TRACKING ON with the setup (RESP3), so that the server pushes
  /// invalidations of the keys this connection read; see connection::on_invalidation and
  /// caching_client.
  bool client_tracking = false;

  /// Push messages kept for async_receive. When the queue is full, reading pauses until
  /// a receiver takes one; if no receiver has ever waited, the push is dropped and logged.
  std::size_t max_queued_pushes = 1024;
  /// Write batches to plain TCP and Unix sockets with sendmsg() that never blocks (waiting for
  /// writability only when the kernel's buffer is full) instead of Asio's async_write_some,
  /// which gathers at most 64 buffers per call. TLS always goes through Asio. Also what lets
  /// sync_client's callers read replies themselves. bench/RESULTS.md has the comparison.
  bool direct_writev = true;
  /// Read buffer size (bytes); a larger reply moves into its own mapping (resp3::reader).
  std::size_t read_buffer_size = 16384;
  /// Limits against hostile servers.
  resp3::parser_config parser;

  /// Receives what the connection has to say (connects, disconnects, retries); may be empty.
  std::function<void(log_level, std::string_view)> logger;
  /// Sees every request (queued, written, completed) and every change of the connection's
  /// state (io/observer.hpp); may be empty, and then costs nothing. Shared by the connections
  /// made from this config (a pool's, a cluster's nodes).
  std::shared_ptr<connection_observer> observer;
};

/**
 * Fills `cfg` from a connection URI, leaving the fields the URI does not mention as they are:
 *
 * - `redis://[[user]:password@]host[:port][/db][?options]`, `rediss://…` (TLS)
 * - `unix:///path/to/socket[?db=N&…]`, `redis+unix:///path…`
 * - `redis+sentinel://[[user]:password@]host1[:port1],host2[:port2]/master_name[/db][?options]`
 *   (`rediss+sentinel://…`: TLS to the sentinels and the servers): config::sentinel's nodes
 *   (port 26379 when absent) and master name; the userinfo is the servers' credentials, the
 *   sentinels' own are the options `sentinel_username` and `sentinel_password`; `role=replica`
 *   asks for a replica
 * - hosts may be names, IPv4 or bracketed IPv6 (`[::1]`); user, password, host and path are
 *   percent-decoded
 * - options: `protocol=2|3`, `client_name=NAME`, `db=N` (when there is no path), `insecure`
 *   (rediss only: no certificate verification)
 *
 * On a malformed URI returns error::invalid_uri, writes why into `why` (when given) and leaves
 * `cfg` unchanged.
 */
std::error_code parse_uri(std::string_view uri, config& cfg, std::string* why = nullptr);

/// What a URI spelled out that a config cannot record, for a caller that applies a URI over
/// settings of its own (respool-cli's `-u`, which behaves as redis-cli's).
struct uri_details {
  /// A userinfo ("...@") was given: it set the password, maybe to "".
  bool userinfo = false;
  /// The userinfo named a user: "user:password@", or ":password@" for an empty name, which
  /// the config cannot tell from "password@".
  bool username = false;
  /// The URI gave a port (without one, parse_uri() sets 6379).
  bool port = false;
};

/// parse_uri() that also says, in `details`, which parts the URI gave.
std::error_code parse_uri(std::string_view uri, config& cfg, uri_details& details,
                          std::string* why = nullptr);

/// parse_uri() on a default config; throws std::system_error (with the reason) on failure.
[[nodiscard]] config config_from_uri(std::string_view uri);

}  // namespace respool
