// The replies of a cluster node that the cluster harness reads (CLUSTER NODES, INFO, CLUSTER
// GETKEYSINSLOT), taken apart with no more than the harness needs.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace respool::test::cluster_replies {

inline constexpr std::size_t slot_count = 16384;

/// What the harness needs of one line of CLUSTER NODES:
/// <id> <ip:port@bus-port[,hostname]> <flags> <master-id|-> <ping> <pong> <epoch> <link> <slots>...
struct node_line {
  std::string id;
  std::uint16_t port = 0;
  bool myself = false;
  bool master = false;
  /// Empty for a master.
  std::string master_id;
  /// Owned slot ranges, first and last included (migrations in progress left out).
  std::vector<std::pair<std::size_t, std::size_t>> slots;
};

/// The whole of `text` as a decimal number.
template <class Number>
bool to_number(std::string_view text, Number& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// The lines of a CLUSTER NODES reply's text; nullopt when one of them is malformed.
std::optional<std::vector<node_line>> parse_nodes(std::string_view text);

/// The elements of an array of bulk strings (raw RESP2, as CLUSTER GETKEYSINSLOT answers);
/// nullopt for any other reply.
std::optional<std::vector<std::string>> bulk_array(std::string_view raw);

/// The number after "<name>:" on a line of an INFO reply's text.
std::optional<long long> info_number(std::string_view info, std::string_view name);

}  // namespace respool::test::cluster_replies
