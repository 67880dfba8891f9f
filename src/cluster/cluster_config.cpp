#include <respool/cluster/cluster_config.hpp>
#include <respool/protocol/error.hpp>

#include <system_error>

namespace respool {

std::error_code cluster_config_from_uri(std::string_view uris, cluster_config& out,
                                        std::string* why) {
  std::vector<config> seeds;
  std::string_view prefix;  // the first element's "scheme://userinfo@", for the others
  while (!uris.empty()) {
    const std::size_t comma = uris.find(',');
    const std::string_view item = uris.substr(0, comma);
    uris = comma == std::string_view::npos ? std::string_view{} : uris.substr(comma + 1);
    if (item.empty()) continue;
    std::string text;
    if (item.find("://") != std::string_view::npos) {
      if (seeds.empty()) {
        const std::size_t at = item.find('@');
        prefix = item.substr(0, at != std::string_view::npos ? at + 1 : item.find("://") + 3);
      }
      text.assign(item);
    } else {
      text.assign(prefix.empty() ? std::string_view("redis://") : prefix);
      text.append(item);
    }
    config& seed = seeds.emplace_back();
    if (const std::error_code ec = parse_uri(text, seed, why)) return ec;
  }
  if (seeds.empty()) {
    if (why != nullptr) *why = "no seed URI given";
    return error::invalid_uri;
  }
  out.seeds = std::move(seeds);
  return {};
}

cluster_config cluster_config_from_uri(std::string_view uris) {
  cluster_config cfg;
  std::string why;
  if (const std::error_code ec = cluster_config_from_uri(uris, cfg, &why)) {
    throw std::system_error(ec, why);
  }
  return cfg;
}

}  // namespace respool
