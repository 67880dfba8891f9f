// The load generator: clients, each with its own respool::connection (or, on a cluster, its
// own respool::cluster_connection), on one or more event loops, sending a test's command until
// the requests asked for are done.
#pragma once

#include "cluster_nodes.hpp"
#include "histogram.hpp"
#include "report.hpp"
#include "suite.hpp"
#include <respool/protocol/config.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace respool::benchmark {

/// How the load is generated.
struct load {
  int clients = 50;
  int pipeline = 1;  ///< commands per request
  int threads = 0;   ///< event-loop threads; 0 runs one loop
  /// False (-k 0): each client closes its connection after every request and opens a new
  /// one for the next (the request's latency runs from the new connection being set up).
  bool keepalive = true;
  bool random_keys = false;
  std::uint64_t keyspace = 0;
  /// The seed of client 0's random numbers (client i's: seed + i); none: from the clock.
  std::optional<std::uint64_t> seed;
  int precision = 3;  ///< significant digits of the latency histograms
  /// Read buffer of each connection; 0 keeps the connection's default.
  std::size_t read_buffer_size = 0;
  /// Counts the heap allocations of the process (the benchmark binary provides one); null:
  /// test_figures::allocations stays empty.
  std::uint64_t (*allocation_counter)() = nullptr;
  /// How long requests may wait with no reply at all before the test (or the CONFIG GET) is
  /// failed as stalled and the connections are closed; zero waits forever. Watched on the
  /// client alone, from the requests completed: nothing extra is sent to the server.
  std::chrono::milliseconds stall_timeout{10000};
  /// --cluster: the cluster's masters. Each client then gets a cluster connection seeded with
  /// them (with the server config's credentials and TLS), and connect() reaches every master
  /// from every client before the first test. Empty: each client connects to the server.
  std::vector<cluster_master> cluster;
};

/// What the progress callback sees, every tick, from the thread that called run().
struct progress {
  std::uint64_t finished = 0;        ///< requests done so far in this test
  std::uint64_t latency_sum_ns = 0;  ///< sum of their latencies
  double elapsed_seconds = 0;
};

/// Why a test stopped early. The figures then cover what completed before.
struct failure {
  /// stalled: no request completed for load::stall_timeout.
  enum class kind { server_error, connection, stalled } what = kind::connection;
  std::string message;  ///< the server's error text, the connection's error, or the stall's
};

class runner {
 public:
  /// The clients connect to `server` (host or socket, credentials, database, protocol, TLS);
  /// the runner switches off what a benchmark must not do (reconnecting, health checks).
  runner(config server, load how);
  ~runner();
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  /// Opens every client's connection and waits until all of them are set up (AUTH, SELECT,
  /// HELLO). On failure returns false with the reason: "Could not connect to Redis at
  /// host:port: Connection refused", or the server's refusal of the setup.
  bool connect(std::string& why);

  /// CONFIG GET save / appendonly on the first connection; nothing when the server refuses.
  /// When no answer comes within load::stall_timeout, nothing either, and `stalled` says so
  /// (it is reset otherwise).
  [[nodiscard]] std::optional<server_settings> fetch_server_settings(
      std::optional<failure>& stalled);

  /// Sends exactly `requests` commands of `test`, in requests of `pipeline` commands (the last
  /// one may hold fewer), from every client, and returns the figures. A command's latency runs
  /// from the moment its request is handed to the connection to the arrival of the request's
  /// first reply: every command of a pipelined request gets its request's latency, as
  /// redis-benchmark counts them. The wall time runs from the start to the last reply; CPU
  /// time and allocations are the whole process's during the test, the connections' counters
  /// (test_figures::counters) how much they grew during it. `on_tick` runs every `tick` on
  /// the calling thread while the test runs. A server error reply, a lost connection or a
  /// stall (no request completed for load::stall_timeout, checked every `tick`) stops the
  /// test and fills `failed`.
  test_figures run(const test_case& test, std::uint64_t requests,
                   const std::function<void(const progress&)>& on_tick,
                   std::optional<failure>& failed,
                   std::chrono::milliseconds tick = std::chrono::milliseconds(250));

  /// The counters of every client's connections since connect() (with -k 0, the closed ones
  /// included), summed; each loop reads its own. Nothing after close().
  [[nodiscard]] connection_counters counters();

  /// -I: keeps the connections open, sending nothing, and calls `tick` with the number of
  /// connections still up every `interval`, until one of them is lost; then returns why.
  std::string idle(const std::function<void(std::size_t)>& tick,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(250));

  /// Closes the connections and stops the threads (the destructor does it too).
  void close();

  /// The state the runner shares with its clients and loops (runner.cpp).
  struct shared;

 private:
  std::unique_ptr<shared> s_;
};

}  // namespace respool::benchmark
