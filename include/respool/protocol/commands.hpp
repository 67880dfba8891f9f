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

#include <respool/protocol/commands/command.hpp>
#include <respool/protocol/commands/geo.hpp>
#include <respool/protocol/commands/hashes.hpp>
#include <respool/protocol/commands/hyperloglog.hpp>
#include <respool/protocol/commands/keys.hpp>
#include <respool/protocol/commands/lists.hpp>
#include <respool/protocol/commands/pubsub.hpp>
#include <respool/protocol/commands/scripting.hpp>
#include <respool/protocol/commands/server.hpp>
#include <respool/protocol/commands/sets.hpp>
#include <respool/protocol/commands/sorted_sets.hpp>
#include <respool/protocol/commands/streams.hpp>
#include <respool/protocol/commands/strings.hpp>
#include <respool/protocol/commands/transactions.hpp>
