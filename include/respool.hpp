/// @file
/// @brief Everything respool offers, in one include. It brings in Asio: code that only encodes
/// requests and parses replies can include respool/request.hpp and respool/resp3/*.hpp alone.
#pragma once

#include <respool/adapt.hpp>
#include <respool/caching_client.hpp>
#include <respool/client.hpp>
#include <respool/commands.hpp>
#include <respool/config.hpp>
#include <respool/connection.hpp>
#include <respool/connection_pool.hpp>
#include <respool/error.hpp>
#include <respool/pool.hpp>
#include <respool/request.hpp>
#include <respool/resp3/node.hpp>
#include <respool/resp3/parser.hpp>
#include <respool/resp3/reader.hpp>
#include <respool/resp3/type.hpp>
#include <respool/script.hpp>
#include <respool/segment.hpp>
#include <respool/subscriber.hpp>
#include <respool/sync_client.hpp>
#include <respool/version.hpp>
