/// @file
/// @brief The library version; CMake reads it from here, so this is its only source.
#pragma once

#define RESPOOL_VERSION_MAJOR 0
#define RESPOOL_VERSION_MINOR 1
#define RESPOOL_VERSION_PATCH 0

/// Version as one integer, major * 10000 + minor * 100 + patch.
#define RESPOOL_VERSION \
  (RESPOOL_VERSION_MAJOR * 10000 + RESPOOL_VERSION_MINOR * 100 + RESPOOL_VERSION_PATCH)
