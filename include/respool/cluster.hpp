/// @file
/// @brief Redis Cluster: the cluster connection and the topology it routes by.
#pragma once

#include <respool/cluster/cluster_config.hpp>
#include <respool/cluster/cluster_connection.hpp>
#include <respool/protocol/cluster/hash_slot.hpp>
#include <respool/protocol/cluster/slot_map.hpp>
