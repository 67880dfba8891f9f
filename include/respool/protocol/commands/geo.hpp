/// @file commands/geo.hpp
/// @brief Typed commands on geospatial indexes: GEOADD, GEODIST, GEOSEARCH.
#pragma once

#include <respool/protocol/commands/command.hpp>

#include <optional>
#include <string>
#include <vector>

namespace respool::cmd {

/// GEOADD of one member: how many were added.
/// @see https://redis.io/commands/geoadd/
[[nodiscard]] inline auto geoadd(borrowed_string key, double longitude, double latitude,
                                 borrowed_string member) {
  return make_command<long long>([key, longitude, latitude, member](request& r) {
    r.push("GEOADD", key, longitude, latitude, member);
  });
}

/// GEODIST in metres: nothing when a member is missing.
/// @see https://redis.io/commands/geodist/
[[nodiscard]] inline auto geodist(borrowed_string key, borrowed_string a, borrowed_string b) {
  return make_command<std::optional<double>>(
      [key, a, b](request& r) { r.push("GEODIST", key, a, b, "m"); });
}

/// GEOSEARCH FROMLONLAT … BYRADIUS r m ASC: the members within `radius_m` metres, nearest first.
/// @see https://redis.io/commands/geosearch/
[[nodiscard]] inline auto geosearch_byradius(borrowed_string key, double longitude, double latitude,
                                             double radius_m) {
  return make_command<std::vector<std::string>>([key, longitude, latitude, radius_m](request& r) {
    r.push("GEOSEARCH", key, "FROMLONLAT", longitude, latitude, "BYRADIUS", radius_m, "m", "ASC");
  });
}

}  // namespace respool::cmd
