/// @file observer.hpp
/// @brief Hooks that see every request and every change of a connection's state: for metrics,
/// traces and logs. Installed with config::observer; nothing is paid when none is.
#pragma once

#include <respool/protocol/request.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace respool {

/// One request, as an observer sees it. Valid during the call only.
struct request_event {
  /// Numbers the requests of one connection, from 1, in the order they were issued.
  std::uint64_t id = 0;
  /// The request (its commands: request_name(), to_string()).
  const request* req = nullptr;
  std::size_t commands = 0;
  /// Bytes of the request, as written.
  std::size_t bytes = 0;
  /// The try this is, from 1 (more with a retry policy).
  std::uint32_t attempt = 1;
};

/// A request's end.
struct completion_event {
  request_event request;
  /// From async_exec to completion (retries and waits for a connection included).
  std::chrono::nanoseconds duration{0};
  /// Bytes of the replies read for it (the last try's).
  std::size_t bytes_read = 0;
  /// What the caller is told: success, an error reply (server_error...), a timeout, a lost
  /// connection...
  std::error_code ec;
};

/// Where a connection is, or was.
struct endpoint_event {
  std::string_view host;  ///< or the Unix socket's path
  std::uint16_t port = 0;
  /// Why it went down, or what it moved away from: empty for a connection up.
  std::error_code reason;
};

/// A cluster's redirection, followed.
struct redirect_event {
  bool ask = false;  ///< ASK (this command only), else MOVED (the slot has moved)
  std::uint16_t slot = 0;
  std::string_view host;  ///< where it goes
  std::uint16_t port = 0;
};

/**
 * Receives a connection's events. Every function has an empty default: override the ones
 * needed. They are called on the connection's executor, while it works: keep them short and
 * do not call the connection from them (post instead). They must not throw.
 *
 * One observer may serve many connections (a pool's, a cluster's nodes): it is shared, and
 * when the connections run on several threads it must synchronise itself.
 *
 * bench/RESULTS.md has the cost ("Observer"); README shows a Prometheus-style and an
 * OpenTelemetry-style observer.
 */
class connection_observer {
 public:
  virtual ~connection_observer() = default;

  /// async_exec was called.
  virtual void on_queued(const request_event&) noexcept {}
  /// The request's bytes went to the socket (the gather write that carries them started).
  virtual void on_written(const request_event&) noexcept {}
  /// The request completed; its handler runs next.
  virtual void on_completed(const completion_event&) noexcept {}
  /// The request will be sent again (retry_policy), after an outcome (the second argument)
  /// that allows it.
  virtual void on_retry(const request_event&, std::error_code /*why*/) noexcept {}

  /// Connected and set up: requests go out now.
  virtual void on_connected(const endpoint_event&) noexcept {}
  /// An established connection was lost (or closed: reason operation_aborted).
  virtual void on_disconnected(const endpoint_event&) noexcept {}
  /// The sentinels announced a new master; `host`/`port` name it, `reason` is master_changed.
  virtual void on_failover(const endpoint_event&) noexcept {}
  /// A cluster_connection follows a MOVED or ASK.
  virtual void on_redirect(const redirect_event&) noexcept {}
  /// A push message was dropped (the queue was full and nothing ever received one); the
  /// argument is the number of pushes queued.
  virtual void on_push_dropped(std::size_t /*queued*/) noexcept {}
};

/// The name of a request's first command as written ("GET", "CLIENT"), or "" when it has
/// none: what an operation is called in metrics and traces. Never allocates.
[[nodiscard]] std::string_view request_name(const request& req) noexcept;

}  // namespace respool
