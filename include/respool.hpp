/// @file
/// @brief Everything respool offers, in one include.
#pragma once

#include <respool/adapt.hpp>
#include <respool/error.hpp>
#include <respool/pool.hpp>
#include <respool/request.hpp>
#include <respool/resp3/node.hpp>
#include <respool/resp3/parser.hpp>
#include <respool/resp3/reader.hpp>
#include <respool/resp3/type.hpp>
#include <respool/segment.hpp>
#include <respool/version.hpp>
