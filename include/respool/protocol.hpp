/// @file
/// @brief The protocol layer in one include: requests and their encoding, typed commands, the
/// RESP2/RESP3 parser and reader, the reply adapters, scripts and the configuration. None of it
/// uses Asio, so a program that does its own I/O (or none) can use it without Asio.
#pragma once

#include <respool/protocol/adapt.hpp>
#include <respool/protocol/adapt_error.hpp>
#include <respool/protocol/borrowed.hpp>
#include <respool/protocol/cluster/command_table.hpp>
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
#include <respool/protocol/commands.hpp>
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
#include <respool/protocol/config.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/generic_reply.hpp>
#include <respool/protocol/pool.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/resp3/node.hpp>
#include <respool/protocol/resp3/parser.hpp>
#include <respool/protocol/resp3/reader.hpp>
#include <respool/protocol/resp3/type.hpp>
#include <respool/protocol/script.hpp>
#include <respool/protocol/segment.hpp>
