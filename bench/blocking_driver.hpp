// blocking_bench's driver (blocking_driver.cpp): runs every worker in a process of its own,
// pinned or not, and reports.
#pragma once

#include "blocking_bench.hpp"

#include <string>
#include <vector>

namespace blocking {

struct driver_options {
  int reps = 3;
  window w;
  std::vector<std::string> placements{"pinned", "unpinned"};
  std::vector<std::string> clients;
  std::vector<std::string> cases;
  std::string json;
  bool skip_if_unreachable = false;
  // Worker mode when set.
  std::string worker_client;
  std::string worker_case;
};

// Runs every (repetition, placement, case, client), prints the table (and writes the JSON);
// returns the exit status.
int drive(const driver_options& o, const server_address& server);

}  // namespace blocking
