// `--cluster reshard`: moves --cluster-slots slots (asked for when not given) to the node
// --cluster-to names, from the nodes --cluster-from names ("all": every other master), taking
// from each source in proportion to the slots it has.
#include "cluster_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace respool::cli::cluster {
namespace {

// One answer from standard input: a read of at most `size` bytes, the rest of a longer line
// skipped, its last byte dropped (the newline) and the text cut at a NUL. Nullopt at the end
// of the input (redis-cli would ask again for ever).
std::optional<std::string> read_answer(std::size_t size) {
  std::string buf(size, '\0');
  const ssize_t n = ::read(STDIN_FILENO, buf.data(), size);
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  if (buf.back() != '\n') {
    for (char c = 0; ::read(STDIN_FILENO, &c, 1) == 1 && c != '\n';) {
    }
  }
  buf.pop_back();
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

bool input_closed() {
  print("\n");
  std::fputs("*** No answer on standard input, operation aborted.\n", stderr);
  return false;
}

// A master named by its full id; null (reason printed) when there is none, or it is `target`
// (then `fatal` stays false: redis-cli asks again).
node* node_for_resharding(manager& m, const std::string& id, const node* target, bool& fatal) {
  fatal = false;
  node* n = m.by_name(id);
  if (n == nullptr || n->is_slave()) {
    m.log(log_level::err,
          fmt::format("*** The specified node ({}) is not known or not a master, please retry.\n",
                      id));
    fatal = true;
    return nullptr;
  }
  if (target != nullptr && n->name == target->name) {
    m.log(log_level::err, "*** It is not possible to use the target node as source node.\n");
    return nullptr;
  }
  return n;
}

// The source ids of --cluster-from ("id1,id2", or "all" among them), or asked for one by one.
// False when a source is refused or the input ended.
bool read_sources(manager& m, const node& target, std::vector<node*>& sources, bool& all) {
  bool fatal = false;
  if (const auto& from = m.cmd().from) {
    // Every word before a comma is a source (an empty one too); a last empty word is none.
    std::string_view list = *from;
    for (std::size_t comma; (comma = list.find(',')) != std::string_view::npos;) {
      const std::string id(list.substr(0, comma));
      if (id == "all") {
        all = true;
        return true;
      }
      if (node* src = node_for_resharding(m, id, &target, fatal)) sources.push_back(src);
      if (fatal) return false;
      list.remove_prefix(comma + 1);
    }
    if (list == "all") {
      all = true;
    } else if (!list.empty()) {
      if (node* src = node_for_resharding(m, std::string(list), &target, fatal)) {
        sources.push_back(src);
      }
      if (fatal) return false;
    }
    return true;
  }
  print(
      "Please enter all the source node IDs.\n"
      "  Type 'all' to use all the nodes as source nodes for the hash slots.\n"
      "  Type 'done' once you entered all the source nodes IDs.\n");
  for (;;) {
    print(fmt::format("Source node #{}: ", sources.size() + 1));
    const auto id = read_answer(255);
    if (!id) return input_closed();
    if (*id == "done") return true;
    if (*id == "all") {
      all = true;
      return true;
    }
    if (node* src = node_for_resharding(m, *id, &target, fatal)) sources.push_back(src);
    if (fatal) return false;
  }
}

// --cluster-slots, or asked for until the answer is a number from 1 to 16384.
std::optional<int> slots_to_move(manager& m) {
  int slots = m.cmd().slots;
  if (slots != 0) return slots;
  while (slots <= 0 || slots > slot_count) {
    print(fmt::format("How many slots do you want to move (from 1 to {})? ", slot_count));
    const auto answer = read_answer(6);
    if (!answer) return std::nullopt;
    slots = std::atoi(answer->c_str());
  }
  return slots;
}

}  // namespace

std::vector<std::pair<node*, int>> reshard_table(std::vector<node*> sources, int slots) {
  long long total = 0;
  for (const node* n : sources) total += n->slots_count;
  std::stable_sort(sources.begin(), sources.end(),
                   [](const node* a, const node* b) { return a->slots_count > b->slots_count; });
  std::vector<std::pair<node*, int>> moves;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    node* n = sources[i];
    // redis-cli's single-precision share; the largest source's is rounded up.
    const float share = total == 0 ? 0.0F
                                   : static_cast<float>(slots) / static_cast<float>(total) *
                                         static_cast<float>(n->slots_count);
    const int most = static_cast<int>(i == 0 ? std::ceil(share) : std::floor(share));
    int taken = 0;
    for (int slot = 0; slot < slot_count; ++slot) {
      if (!n->slots.test(static_cast<std::size_t>(slot))) continue;
      if (taken >= most || static_cast<int>(moves.size()) >= slots) break;
      moves.emplace_back(n, slot);
      ++taken;
    }
  }
  return moves;
}

bool reshard(manager& m, std::span<const std::string> args) {
  if (!load_cluster(m, args, false)) return false;
  check_cluster(m, false);
  if (!m.errors.empty()) {
    std::fflush(stdout);
    std::fputs("*** Please fix your cluster problems before resharding\n", stderr);
    return false;
  }
  const auto slots = slots_to_move(m);
  if (!slots) return input_closed();
  std::string to = m.cmd().to.value_or("");
  while (to.empty()) {
    print("What is the receiving node ID? ");
    const auto answer = read_answer(255);
    if (!answer) return input_closed();
    to = *answer;
  }
  bool fatal = false;
  node* target = node_for_resharding(m, to, nullptr, fatal);
  if (target == nullptr) return false;
  std::vector<node*> sources;
  bool all = false;
  if (!read_sources(m, *target, sources, all)) return false;
  if (all) {
    sources.clear();
    for (const auto& n : m.nodes) {
      if (n->is_slave() || n->replicate || n->name == target->name) continue;
      sources.push_back(n.get());
    }
  }
  if (sources.empty()) {
    std::fflush(stdout);
    std::fputs("*** No source nodes given, operation aborted.\n", stderr);
    return false;
  }
  std::string plan = fmt::format("\nReady to move {} slots.\n  Source nodes:\n", *slots);
  for (const node* src : sources) plan += describe(*src, 4) + "\n";
  plan += "  Destination node:\n" + describe(*target, 4) + "\n";
  const auto table = reshard_table(sources, *slots);
  plan += "  Resharding plan:\n";
  for (const auto& [src, slot] : table) {
    plan += fmt::format("    Moving slot {} from {}\n", slot, src->name);
  }
  print(plan);
  if (!m.cmd().yes) {
    print("Do you want to proceed with the proposed reshard plan (yes/no)? ");
    char answer[4] = {};
    const ssize_t n = ::read(STDIN_FILENO, answer, sizeof answer);
    answer[3] = '\0';
    if (n <= 0 || std::strcmp(answer, "yes") != 0) return false;
  }
  for (const auto& [src, slot] : table) {
    std::string err;
    if (!move_slot(m, *src, *target, slot, move_verbose, &err)) {
      if (!err.empty())
        m.log(log_level::err, fmt::format("clusterManagerMoveSlot failed: {}\n", err));
      return false;
    }
  }
  return true;
}

}  // namespace respool::cli::cluster
