/// @file commands.hpp
/// @brief Typed commands: each knows how to encode itself and what its reply becomes.
///
/// @code
///     std::optional<std::string> v = redis.exec(respool::cmd::get("k"));
///     bool stored = redis.exec(respool::cmd::set("k", "v", {.ttl = 10s, .only = respool::set_if::absent}));
///     long long n = co_await client.async_exec(respool::cmd::incrby("hits", 5), asio::use_awaitable);
/// @endcode
///
/// A command holds views of its arguments: a temporary string or container is refused at
/// compile time (borrowed.hpp).
///
/// This header includes them all; the commands are grouped by the type of value they work on,
/// one header each in commands/ (strings, keys, hashes, lists, sets, sorted sets, streams,
/// HyperLogLog, geo, publish/subscribe, scripting, server, transactions), over
/// commands/command.hpp, the command type they share.
#pragma once

#include <respool/commands/command.hpp>
#include <respool/commands/geo.hpp>
#include <respool/commands/hashes.hpp>
#include <respool/commands/hyperloglog.hpp>
#include <respool/commands/keys.hpp>
#include <respool/commands/lists.hpp>
#include <respool/commands/pubsub.hpp>
#include <respool/commands/scripting.hpp>
#include <respool/commands/server.hpp>
#include <respool/commands/sets.hpp>
#include <respool/commands/sorted_sets.hpp>
#include <respool/commands/streams.hpp>
#include <respool/commands/strings.hpp>
#include <respool/commands/transactions.hpp>
