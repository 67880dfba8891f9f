// The load a benchmark run puts on the server, as redis-benchmark's flags set it: read by the
// options, carried into the report's settings.
#pragma once

#include <cstdint>

namespace respool::benchmark {

struct workload {
  int clients = 50;                // -c
  std::int64_t requests = 100000;  // -n
  int data_size = 3;               // -d
  int pipeline = 1;                // -P
  bool random_keys = false;        // -r given
  std::int64_t keyspace = 0;       // -r's value
  int threads = 0;                 // --threads; 0: one event loop, "multi-thread: no"
  bool keepalive = true;           // -k 1; -k 0 opens a new connection for every request
};

}  // namespace respool::benchmark
