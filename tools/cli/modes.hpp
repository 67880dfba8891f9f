/// @file
/// @brief respool-cli's special modes: --pipe, --latency / --latency-history, --scan (modes.cpp);
/// --bigkeys, --memkeys, --hotkeys (keyspace.cpp); --stat, --latency-dist, --lru-test,
/// --intrinsic-latency (stat_modes.cpp); --rdb / --functions-rdb and --replica
/// (replication.cpp).
#pragma once

#include "session.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>

namespace respool::cli {

/// Sends standard input as it is, counts the replies, ends with an ECHO of random bytes.
/// Returns the exit code.
int pipe_mode(session& s);

/// Samples PING round trips (forever on a terminal; once over -i seconds otherwise).
int latency_mode(session& s);

/// Lists the keys with SCAN (--pattern, --count), one per line.
int scan_mode(session& s);

/// Walks the keyspace with SCAN and reports the biggest key of each type, by element count
/// (--bigkeys) or by MEMORY USAGE (--memkeys, `memory`). SIGINT ends the walk early, with the
/// report.
int big_keys_mode(session& s, bool memory);

/// Walks the keyspace with SCAN and reports the 16 keys with the highest OBJECT FREQ.
int hot_keys_mode(session& s);

/// A line of INFO figures every -i seconds (1 by default), forever.
int stat_mode(session& s);

/// The distribution of PING round trips, one coloured spectrum per interval, forever.
int latency_dist_mode(session& s);

/// Simulates a cache over --lru-test's number of keys: a line of hits and misses a second.
int lru_test_mode(session& s);

/// Measures the longest wait for the CPU over --intrinsic-latency's seconds (no server).
int intrinsic_latency_mode(const options& o);

/// Sends `argv` and reads its reply (the session's reply() then), reconnecting (once a
/// second, with a counter on the line) while the server is away; false (and the error on
/// stderr) when the link fails in a way that ends the run.
bool reconnecting_call(session& s, std::span<const std::string> argv);

/// Sends SYNC on `l` and writes the RDB the server sends into `file` (`-`: stdout), saying on
/// stderr what it does; `bound` limits each wait for a byte of the server's announcement
/// (nullopt: as long as it takes). Closes `l` once the transfer ends. Returns the exit code.
int fetch_rdb(link& l, std::optional<std::chrono::milliseconds> bound, const std::string& file);

/// Fetches the server's RDB (or, with --functions-rdb, one with its functions only) through
/// the replication protocol into the file (`-`: stdout). Returns the exit code.
int rdb_mode(session& s);

/// Acts as a replica: discards the RDB, then prints each replicated command as a CSV line
/// until the connection ends. Returns the exit code.
int replica_mode(session& s);

}  // namespace respool::cli
