/// @file
/// @brief respool-cli's special modes: --pipe, --latency / --latency-history and --scan.
#pragma once

#include "session.hpp"

namespace respool::cli {

/// Sends standard input as it is, counts the replies, ends with an ECHO of random bytes.
/// Returns the exit code.
int pipe_mode(session& s);

/// Samples PING round trips (forever on a terminal; once over -i seconds otherwise).
int latency_mode(session& s);

/// Lists the keys with SCAN (--pattern, --count), one per line.
int scan_mode(session& s);

}  // namespace respool::cli
