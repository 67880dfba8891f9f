#include "cluster_replies.hpp"

namespace respool::test::cluster_replies {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find(separator);
    const auto part = text.substr(0, end);
    if (!part.empty()) out.push_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

bool parse_slots(std::string_view field, std::pair<std::size_t, std::size_t>& range) {
  const auto dash = field.find('-');
  if (dash == std::string_view::npos) {
    if (!to_number(field, range.first)) return false;
    range.second = range.first;
  } else if (!to_number(field.substr(0, dash), range.first) ||
             !to_number(field.substr(dash + 1), range.second)) {
    return false;
  }
  return range.first <= range.second && range.second < slot_count;
}

bool parse_node_line(std::string_view line, node_line& out) {
  const auto fields = split(line, ' ');
  if (fields.size() < 8) return false;
  out.id = std::string(fields[0]);
  const auto address = fields[1].substr(0, fields[1].find('@'));
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || !to_number(address.substr(colon + 1), out.port)) {
    return false;
  }
  for (const auto flag : split(fields[2], ',')) {
    out.myself = out.myself || flag == "myself";
    out.master = out.master || flag == "master";
  }
  out.master_id = fields[3] == "-" ? std::string() : std::string(fields[3]);
  for (std::size_t i = 8; i < fields.size(); ++i) {
    // "[slot->-id]" and "[slot-<-id]" are migrations in progress, not ownership.
    if (fields[i].front() == '[') continue;
    std::pair<std::size_t, std::size_t> range;
    if (!parse_slots(fields[i], range)) return false;
    out.slots.push_back(range);
  }
  return true;
}

}  // namespace

std::optional<std::vector<node_line>> parse_nodes(std::string_view text) {
  std::vector<node_line> out;
  for (const auto line : split(text, '\n')) {
    node_line parsed;
    if (line == "\r") continue;
    if (!parse_node_line(line.substr(0, line.find('\r')), parsed)) return std::nullopt;
    out.push_back(std::move(parsed));
  }
  return out;
}

std::optional<std::vector<std::string>> bulk_array(std::string_view raw) {
  auto line = [&raw](std::string_view& out) {
    const auto end = raw.find("\r\n");
    if (end == std::string_view::npos) return false;
    out = raw.substr(0, end);
    raw.remove_prefix(end + 2);
    return true;
  };
  std::string_view header;
  std::size_t count = 0;
  if (!line(header) || header.empty() || header[0] != '*' || !to_number(header.substr(1), count)) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t size = 0;
    if (!line(header) || header.empty() || header[0] != '$' || !to_number(header.substr(1), size) ||
        raw.size() < size + 2) {
      return std::nullopt;
    }
    out.emplace_back(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
  return out;
}

std::optional<long long> info_number(std::string_view info, std::string_view name) {
  for (const auto line : split(info, '\n')) {
    long long value = 0;
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        line[name.size()] == ':' &&
        to_number(line.substr(name.size() + 1, line.find('\r') - name.size() - 1), value)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace respool::test::cluster_replies
