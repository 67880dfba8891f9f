/// @file
/// @brief Everything respool offers, in one include.
#pragma once

#include <respool/error.hpp>
#include <respool/pool.hpp>
#include <respool/request.hpp>
#include <respool/segment.hpp>
#include <respool/version.hpp>
