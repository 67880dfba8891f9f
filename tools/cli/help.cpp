// `help <command>` in the REPL: the command's syntax, summary, version and group, read from
// the server's COMMAND DOCS and laid out as redis-cli lays out its help.
#include "format.hpp"
#include "repl.hpp"
#include "session.hpp"
#include <respool/protocol/detail/ascii.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace respool::cli {
namespace {

// A reply's flat nodes, walked by subtree.
struct walker {
  resp3::reply_view nodes;

  [[nodiscard]] std::size_t skip(std::size_t i) const { return subtree_end(nodes, i); }
};

// COMMAND DOCS answers a map in RESP3 and a flat array of pairs in RESP2: both are read as
// "key, value, key, value" at the children of `at`.
template <class Fn>
void for_each_field(const walker& w, std::size_t at, Fn&& fn) {
  const resp3::node& n = w.nodes[at];
  const std::size_t fields =
      resp3::is_map_like(n.data_type) ? n.aggregate_size : n.aggregate_size / 2;
  std::size_t i = at + 1;
  for (std::size_t f = 0; f < fields; ++f) {
    const std::size_t value = w.skip(i);
    fn(w.nodes[i].value, value);
    i = w.skip(value);
  }
}

std::string render_list(const walker& w, std::size_t list, char separator);

// One argument of COMMAND DOCS as syntax: "key", "[NX|XX]", "key [key ...]", "EX seconds".
std::string render_arg(const walker& w, std::size_t at) {
  std::string name, display, type, token;
  bool optional = false, multiple = false, multiple_token = false, has_token = false;
  std::size_t children = 0;
  for_each_field(w, at, [&](std::string_view key, std::size_t v) {
    const std::string_view value = w.nodes[v].value;
    if (key == "name") name = value;
    if (key == "display_text") display = value;
    if (key == "type") type = value;
    if (key == "token") {
      token = value;
      has_token = true;
    }
    if (key == "arguments") children = v;
    if (key == "flags") {
      const std::size_t end = w.skip(v);
      for (std::size_t i = v + 1; i < end; ++i) {
        if (w.nodes[i].value == "optional") optional = true;
        if (w.nodes[i].value == "multiple") multiple = true;
        if (w.nodes[i].value == "multiple_token") multiple_token = true;
      }
    }
  });
  // An empty token is shown as "" (MIGRATE's key|"").
  const std::string shown_token = token.empty() && has_token ? "\"\"" : token;
  std::string body;
  if (type == "pure-token") {
    body = shown_token;
  } else {
    std::string value;
    if (type == "oneof" && children != 0) {
      value = render_list(w, children, '|');  // one of: "NX|XX"
    } else if (type == "block" && children != 0) {
      value = render_list(w, children, ' ');  // together: "EX seconds"
    } else {
      value = display.empty() ? name : display;
    }
    // "KEYS key [key ...]": the token is repeated only when its flags say so.
    if (multiple) value += " [" + (multiple_token ? shown_token + " " : "") + value + " ...]";
    body = shown_token.empty() ? value : shown_token + " " + value;
    multiple = false;
  }
  if (multiple) body = body + " [" + body + " ...]";
  if (optional) body = "[" + body + "]";
  return body;
}

// The arguments listed at `list`, rendered and joined by `separator`.
std::string render_list(const walker& w, std::size_t list, char separator) {
  std::string out;
  const resp3::node& n = w.nodes[list];
  std::size_t i = list + 1;
  for (std::uint32_t k = 0; k < n.aggregate_size; ++k) {
    if (k > 0) out += separator;
    out += render_arg(w, i);
    i = w.skip(i);
  }
  return out;
}

}  // namespace

std::vector<command_doc> load_command_docs(session& s) {
  std::vector<command_doc> docs;
  if (!s.connected() && !s.connect(false, true)) return docs;
  const std::vector<std::string> argv{"COMMAND", "DOCS"};
  std::error_code ec;
  if (!s.call(argv, ec)) return docs;
  const walker w{s.connection().reply()};
  if (w.nodes.empty() || !resp3::is_aggregate(w.nodes[0].data_type)) return docs;
  std::vector<std::string> groups;
  // One entry per command and per subcommand ("CLIENT SETNAME"), names in capitals.
  auto add = [&](std::string name, std::size_t specs) {
    for (char& c : name) c = c == '|' ? ' ' : detail::ascii::to_upper(c);
    command_doc doc{std::move(name), {}, false};
    for_each_field(w, specs, [&](std::string_view key, std::size_t v) {
      if (key == "arguments") doc.params = render_list(w, v, ' ');
      if (key == "group") groups.emplace_back(w.nodes[v].value);
    });
    docs.push_back(std::move(doc));
  };
  for_each_field(w, 0, [&](std::string_view command, std::size_t specs) {
    add(std::string(command), specs);
    for_each_field(w, specs, [&](std::string_view key, std::size_t v) {
      if (key != "subcommands") return;
      for_each_field(w, v, [&](std::string_view sub, std::size_t sub_specs) {
        add(std::string(sub), sub_specs);
      });
    });
  });
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  for (const std::string& g : groups) docs.push_back({"@" + g, {}, true});
  std::sort(docs.begin(), docs.end(),
            [](const command_doc& a, const command_doc& b) { return a.name < b.name; });
  return docs;
}

void print_command_help(session& s, std::span<const std::string> topic) {
  if (!s.connected() && !s.connect()) return;
  std::vector<std::string> argv{"COMMAND", "DOCS"};
  std::string name;
  for (const std::string& t : topic) {
    if (!name.empty()) name += '|';  // a subcommand is "client|kill" to COMMAND DOCS
    name += t;
  }
  argv.push_back(name);
  std::error_code ec;
  if (!s.call(argv, ec)) {
    std::fprintf(stderr, "Error: %s\n", s.connection().describe(ec).c_str());
    return;
  }
  const walker w{s.connection().reply()};
  if (w.nodes.empty() || !resp3::is_aggregate(w.nodes[0].data_type) ||
      w.nodes[0].aggregate_size == 0) {
    std::fputs("\r\n", stdout);  // nothing known about it: an empty help, as redis-cli prints
    std::fflush(stdout);
    return;
  }
  std::string out;
  // One block per command; a container command (CLIENT, OBJECT, ...) is followed by its
  // subcommands in alphabetical order, as redis-cli lists them.
  auto block = [&](std::string_view command, std::size_t docs, std::size_t* subcommands) {
    std::string summary, since, group, args;
    for_each_field(w, docs, [&](std::string_view key, std::size_t v) {
      if (key == "summary") summary = w.nodes[v].value;
      if (key == "since") since = w.nodes[v].value;
      if (key == "group") group = w.nodes[v].value;
      if (key == "arguments") args = render_list(w, v, ' ');
      if (key == "subcommands" && subcommands != nullptr) *subcommands = v;
    });
    std::string title = detail::ascii::upper_copy(command);
    for (char& c : title) c = c == '|' ? ' ' : c;
    return fmt::format(
        "\r\n  \x1b[1m{}\x1b[0m \x1b[90m{}\x1b[0m\r\n  \x1b[33msummary:\x1b[0m {}\r\n"
        "  \x1b[33msince:\x1b[0m {}\r\n  \x1b[33mgroup:\x1b[0m {}\r\n",
        title, args, summary, since, group);
  };
  for_each_field(w, 0, [&](std::string_view command, std::size_t docs) {
    std::size_t subcommands = 0;
    out += block(command, docs, &subcommands);
    if (subcommands == 0) return;
    std::vector<std::pair<std::string_view, std::string>> subs;
    for_each_field(w, subcommands, [&](std::string_view sub, std::size_t sub_docs) {
      subs.emplace_back(sub, block(sub, sub_docs, nullptr));
    });
    std::sort(subs.begin(), subs.end());
    for (const auto& entry : subs) out += entry.second;
  });
  out += "\r\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace respool::cli
