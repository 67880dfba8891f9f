/// @file
/// @brief Everything respool offers, in one include: the protocol layer (respool/protocol.hpp,
/// without Asio), the connection (respool/io/), the cluster connection (respool/cluster.hpp) and
/// the clients built on them (respool/client/).
#pragma once

#include <respool/client/caching_client.hpp>
#include <respool/client/client.hpp>
#include <respool/client/connection_pool.hpp>
#include <respool/client/subscriber.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/cluster.hpp>
#include <respool/io/connection.hpp>
#include <respool/io/observer.hpp>
#include <respool/protocol.hpp>
#include <respool/version.hpp>
