/// @file
/// @brief respool-cli's special modes: --pipe, --latency / --latency-history, --scan, and the
/// replication modes --rdb / --functions-rdb and --replica.
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

/// Fetches the server's RDB (or, with --functions-rdb, one with its functions only) through
/// the replication protocol into the file (`-`: stdout). Returns the exit code.
int rdb_mode(session& s);

/// Acts as a replica: discards the RDB, then prints each replicated command as a CSV line
/// until the connection ends. Returns the exit code.
int replica_mode(session& s);

}  // namespace respool::cli
