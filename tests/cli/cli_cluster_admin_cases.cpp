// respool-cli's cluster manager commands that reshape a cluster (reshard, rebalance, fix,
// add-node, del-node, import, backup) on one private cluster of three masters with a replica each:
// the keys written before are all readable afterwards through redis-cli -c, the slots are
// where asked, and the output is redis-cli's.
//
// Both tools cannot run the same change on the same cluster one after the other, so each
// comparison runs respool-cli first, puts the cluster back as it was (the harness moves the
// slots back, or the node changed is a fresh one of its own), then runs redis-cli. The outputs
// are then the same bytes, with these substitutions where the two runs cannot agree:
// - add-node and del-node work on two different fresh nodes: their ports become <new>, and
//   the node ids (random per node) <id>;
// - the dots of "Waiting for the cluster to join" count seconds of waiting;
// - import lists the keys in the order SCAN gives them, which follows the source's hash table,
//   and Redis may resize that table between the two runs: its lines are sorted.
#include "cli_cluster_manager_support.hpp"
#include "cli_runner.hpp"
#include "cluster_harness.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include <stdlib.h>

namespace {

using respool::test::cluster_harness;
using respool::test::cluster_options;
using namespace respool::test::cluster_manager;
using namespace std::chrono_literals;

constexpr int key_count = 300;

std::string port_of(cluster_harness& c, std::size_t i) { return std::to_string(c.node(i).port()); }

// redis-cli -c's output without the lines that say where it was redirected.
std::string without_redirects(const std::string& text) {
  static const std::regex redirect("-> Redirected to slot \\[[0-9]+\\] located at [0-9.:]+\n");
  return std::regex_replace(text, redirect, "");
}

// SET <prefix><i> v<i> for each i, through redis-cli (-c for a cluster).
void write_keys(const std::vector<std::string>& where, const std::string& prefix) {
  std::string input;
  std::string replies;
  for (int i = 0; i < key_count; ++i) {
    input += "SET " + prefix + std::to_string(i) + " v" + std::to_string(i) + "\n";
    replies += "OK\n";
  }
  EXPECT_EQ(without_redirects(run_tool("redis-cli", where, input).out), replies);
}

// Every key of write_keys, read back through redis-cli -c.
void expect_readable(cluster_harness& c, const std::string& prefix) {
  std::string input;
  std::string values;
  for (int i = 0; i < key_count; ++i) {
    input.append("GET ").append(prefix).append(std::to_string(i)).append("\n");
    values.append("v").append(std::to_string(i)).append("\n");
  }
  EXPECT_EQ(without_redirects(run_tool("redis-cli", {"-c", "-p", port_of(c, 0)}, input).out),
            values);
}

// How many slots node i serves, in the view of the first node.
long slots_of(cluster_harness& c, std::size_t i) {
  const auto owners = c.slot_owners();
  return std::count(owners.begin(), owners.end(), static_cast<int>(i));
}

std::string normalise_added(std::string text, const std::string& port) {
  text = without_ids(std::move(text));
  text = std::regex_replace(text, std::regex("127\\.0\\.0\\.1:" + port + "(?![0-9])"),
                            "127.0.0.1:<new>");
  return std::regex_replace(text, std::regex("Waiting for the cluster to join\n\\.*\n"),
                            "Waiting for the cluster to join\n<dots>\n");
}

std::string lines_sorted(std::string text) {
  std::vector<std::string> lines = lines_with_ends(text);
  std::sort(lines.begin(), lines.end());
  text.clear();
  for (const std::string& l : lines) text += l;
  return text;
}

// A reshard of ten slots by respool-cli, undone by the harness, then by redis-cli.
void expect_same_reshard(cluster_harness& c, std::size_t from, std::size_t to) {
  std::string why;
  const std::vector<std::string> args{"--cluster",      "reshard",         address(c, 0),
                                      "--cluster-from", c.node_id(from),   "--cluster-to",
                                      c.node_id(to),    "--cluster-slots", "10",
                                      "--cluster-yes"};
  const auto owners = c.slot_owners();
  const auto first = static_cast<std::uint16_t>(
      std::find(owners.begin(), owners.end(), static_cast<int>(from)) - owners.begin());
  const outcome ours = run_tool(RESPOOL_CLI_PATH, args, "");
  ASSERT_EQ(ours.status, "exit 0") << ours.out << ours.err;
  for (std::uint16_t s = first; s < first + 10; ++s) EXPECT_EQ(c.master_of_slot(s), int(to));
  ASSERT_TRUE(c.move_slots(first, first + 9, from, why)) << why;
  const outcome theirs = run_tool("redis-cli", args, "");
  EXPECT_TRUE(ours.out == theirs.out) << cli::diff_text(theirs.out, ours.out);
  EXPECT_EQ(ours.err, theirs.err);
}

// Slot `slot` left open: MIGRATING on its owner, IMPORTING on `to`.
void open_slot(cluster_harness& c, std::uint16_t slot, std::size_t owner, std::size_t to) {
  std::string why;
  const std::string s = std::to_string(slot);
  ASSERT_EQ(c.text(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", c.node_id(owner)}, why), "OK") << why;
  ASSERT_EQ(c.text(owner, {"CLUSTER", "SETSLOT", s, "MIGRATING", c.node_id(to)}, why), "OK") << why;
}

// fix on an open slot by respool-cli, the slot moved back and opened again, then by redis-cli;
// check is clean after each.
void expect_same_fix(cluster_harness& c, std::size_t owner, std::size_t to) {
  std::string why;
  const std::string slot_text = c.text(0, {"CLUSTER", "KEYSLOT", "key:1"}, why);
  ASSERT_FALSE(slot_text.empty()) << why;
  const auto slot = static_cast<std::uint16_t>(std::stoi(slot_text));
  ASSERT_EQ(c.master_of_slot(slot), int(owner));
  open_slot(c, slot, owner, to);
  const std::vector<std::string> fix{"--cluster", "fix", address(c, 0)};
  const outcome ours = run_tool(RESPOOL_CLI_PATH, fix, "");
  EXPECT_EQ(ours.status, "exit 0") << ours.out << ours.err;
  EXPECT_EQ(run_tool(RESPOOL_CLI_PATH, {"--cluster", "check", address(c, 0)}, "").status, "exit 0");
  ASSERT_TRUE(c.move_slot(slot, owner, why)) << why;
  open_slot(c, slot, owner, to);
  const outcome theirs = run_tool("redis-cli", fix, "");
  EXPECT_TRUE(ours.out == theirs.out) << cli::diff_text(theirs.out, ours.out);
  EXPECT_EQ(ours.err, theirs.err);
  EXPECT_EQ(ours.status, theirs.status);
  EXPECT_EQ(run_tool("redis-cli", {"--cluster", "check", address(c, 0)}, "").status, "exit 0");
}

// A slot without keys that no master serves any more: fix, told "yes", gives it to one (drawn
// at random, so that the output names a node of chance: only respool-cli runs it).
void expect_uncovered_slot_fixed(cluster_harness& c, const std::vector<std::size_t>& masters) {
  std::string why;
  const std::uint16_t slot = 16383;
  const auto owner = static_cast<std::size_t>(c.master_of_slot(slot));
  ASSERT_EQ(c.text(owner, {"CLUSTER", "COUNTKEYSINSLOT", "16383"}, why), "0") << why;
  for (const auto m : masters) c.text(m, {"CLUSTER", "DELSLOTS", "16383"}, why);
  const outcome fixed = run_tool(RESPOOL_CLI_PATH, {"--cluster", "fix", address(c, 0)}, "yes\n");
  EXPECT_EQ(fixed.status, "exit 0") << fixed.out << fixed.err;
  EXPECT_NE(fixed.out.find("The following uncovered slots have no keys across the cluster:\n"
                           "[16383]\nFix these slots by covering with a random node? (type 'yes' "
                           "to accept): >>> Covering slot 16383 with 127.0.0.1:"),
            std::string::npos)
      << fixed.out;
  ASSERT_TRUE(c.wait_ok(10s, why)) << why;
  EXPECT_EQ(run_tool(RESPOOL_CLI_PATH, {"--cluster", "check", address(c, 0)}, "").status, "exit 0");
}

// A fresh node added as a replica, then deleted, by one tool; the outputs, normalised.
std::pair<outcome, outcome> add_and_delete(const std::string& tool, cluster_harness& c,
                                           cluster_harness& spare, std::size_t i) {
  std::string why;
  const outcome added = run_tool(
      tool, {"--cluster", "add-node", address(spare, i), address(c, 0), "--cluster-slave"}, "");
  EXPECT_EQ(added.status, "exit 0") << added.out << added.err;
  EXPECT_NE(spare.command(i, {"CLUSTER", "NODES"}, why).find("myself,slave"), std::string::npos)
      << why;
  const std::string id = spare.node_id(i);
  const outcome deleted = run_tool(tool, {"--cluster", "del-node", address(c, 0), id}, "");
  EXPECT_EQ(deleted.status, "exit 0") << deleted.out << deleted.err;
  EXPECT_EQ(c.command(0, {"CLUSTER", "NODES"}, why).find(id), std::string::npos) << why;
  const std::string port = port_of(spare, i);
  return {{normalise_added(added.out, port), added.err, added.status},
          {without_ids(deleted.out), deleted.err, deleted.status}};
}

// import copies the keys (the source keeps them, so that the second tool sees the same).
void expect_import_as_redis_cli(cluster_harness& c, std::uint16_t plain_port) {
  const std::string source = "127.0.0.1:" + std::to_string(plain_port);
  write_keys({"-p", std::to_string(plain_port)}, "imported:");
  expect_same({"--cluster", "import", address(c, 0), "--cluster-from", source, "--cluster-copy",
               "--cluster-replace"},
              {}, lines_sorted);
  expect_readable(c, "imported:");
  // The first key the cluster has already stops the import.
  const outcome refused = run_tool(
      RESPOOL_CLI_PATH,
      {"--cluster", "import", address(c, 0), "--cluster-from", source, "--cluster-copy"}, "");
  EXPECT_EQ(refused.status, "exit 1");
  EXPECT_NE(refused.out.find("BUSYKEY"), std::string::npos) << refused.out;
  expect_same({"--cluster", "import", address(c, 0)});
  expect_same({"--cluster", "import", address(c, 0), "--cluster-from", address(c, 1)});
}

// What a backup prints on stderr, but the sizes of the RDBs (the servers' memory figures in
// them vary from one RDB to the next).
std::string without_sizes(std::string text) {
  return std::regex_replace(text, std::regex("writing [0-9]+ bytes"), "writing <n> bytes");
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The keys of a server, sorted, listed by redis-cli --scan.
std::string keys_of(const std::string& port) {
  return lines_sorted(run_tool("redis-cli", {"-p", port, "--scan"}, "").out);
}

// The same backup by both tools into the same directory (emptied between the two): the same
// output and nodes.json; each master's RDB of respool-cli's run, loaded by a fresh server, has
// the master's keys. A directory that does not exist ends it as redis-cli ends it.
void expect_same_backup(cluster_harness& c) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "respool-backup-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  const std::vector<std::string> args{"--cluster", "backup", address(c, 0), dir};
  const outcome theirs = run_tool("redis-cli", args, "");
  const std::string theirs_json = file_text(dir + "/nodes.json");
  for (const auto& e : fs::directory_iterator(dir)) fs::remove(e.path());
  const outcome ours = run_tool(RESPOOL_CLI_PATH, args, "");
  EXPECT_EQ(ours.status, "exit 0") << ours.out << ours.err;
  EXPECT_TRUE(ours.out == theirs.out) << cli::diff_text(theirs.out, ours.out);
  EXPECT_EQ(without_sizes(ours.err), without_sizes(theirs.err));
  EXPECT_EQ(ours.status, theirs.status);
  const std::string ours_json = file_text(dir + "/nodes.json");
  EXPECT_NE(ours_json.find("\"slots\": [["), std::string::npos) << ours_json;
  EXPECT_TRUE(ours_json == theirs_json) << cli::diff_text(theirs_json, ours_json);
  for (const std::size_t m : c.masters()) {
    const std::string file = "redis-node-127.0.0.1-" + port_of(c, m) + "-" + c.node_id(m) + ".rdb";
    ASSERT_TRUE(fs::exists(dir + "/" + file)) << file;
    respool::test::server_options loaded;
    loaded.extra = {"dir " + dir, "dbfilename " + file};
    RESPOOL_START_SERVER_OR_SKIP(server, loaded);
    const std::string keys = keys_of(std::to_string(server->port()));
    EXPECT_NE(keys, "");
    EXPECT_TRUE(keys == keys_of(port_of(c, m))) << file;
  }
  fs::remove_all(dir);
  expect_same({"--cluster", "backup", address(c, 0), dir + "/missing"}, {}, as_is, without_sizes);
}

// import from a source with a password, asked by --cluster-from-askpass and given on standard
// input; without it (nothing on standard input), or a wrong one, the source refuses.
void expect_same_askpass_import(cluster_harness& c) {
  respool::test::server_options secured;
  secured.password = "s3cret";
  RESPOOL_START_SERVER_OR_SKIP(source, secured);
  const std::string port = std::to_string(source->port());
  write_keys({"-p", port, "--no-auth-warning", "-a", "s3cret"}, "secured:");
  const std::vector<std::string> args{"--cluster",         "import",
                                      address(c, 0),       "--cluster-from",
                                      "127.0.0.1:" + port, "--cluster-from-askpass",
                                      "--cluster-copy",    "--cluster-replace"};
  expect_same(args, "s3cret\n", lines_sorted);
  expect_readable(c, "secured:");
  expect_same(args, "", lines_sorted);
  expect_same(args, "wrong\n", lines_sorted);
}

// Wrong usage, refused as redis-cli refuses it.
void expect_same_refusals(cluster_harness& c, cluster_harness& spare, std::size_t other) {
  expect_same({"--cluster", "reshard", address(c, 0), "--cluster-to", "nosuch", "--cluster-from",
               "all", "--cluster-slots", "5", "--cluster-yes"});
  expect_same({"--cluster", "reshard", address(c, 0), "--cluster-slots", "5"}, "00005\nnosuch\n");
  expect_same({"--cluster", "reshard", address(c, 0), "--cluster-to", c.node_id(other),
               "--cluster-from", c.node_id(other) + ",", "--cluster-slots", "5"});
  expect_same({"--cluster", "rebalance", address(c, 0), "--cluster-weight", "nosuch=1"});
  expect_same({"--cluster", "del-node", address(c, 0), "nosuch"});
  expect_same({"--cluster", "del-node", address(c, 0), c.node_id(other)});
  expect_same({"--cluster", "add-node", address(c, 1), address(c, 0)});
  expect_same({"--cluster", "add-node", address(spare, 2), address(c, 0), "--cluster-slave",
               "--cluster-master-id", "nosuch"});
}

TEST(cli_cluster_manager, reshard_rebalance_fix_add_del_import_backup_as_redis_cli) {
  RESPOOL_START_CLUSTER_OR_SKIP(cluster, cluster_options{});
  cluster_options fresh;
  fresh.create = false;
  fresh.replicas_per_master = 0;
  RESPOOL_START_CLUSTER_OR_SKIP(spare, fresh);
  RESPOOL_START_SERVER_OR_SKIP(plain, respool::test::server_options{});
  cluster_harness& c = *cluster;
  std::string why;
  const auto masters = c.masters();
  ASSERT_EQ(masters.size(), 3U);
  write_keys({"-c", "-p", port_of(c, 0)}, "key:");

  const auto first_owner = static_cast<std::size_t>(c.master_of_slot(0));
  const std::size_t other = first_owner == masters[0] ? masters[1] : masters[0];
  expect_same_reshard(c, first_owner, other);

  // 1000 slots from every other master to one: they move, and so do their keys.
  const long before = slots_of(c, other);
  const outcome reshard =
      run_tool(RESPOOL_CLI_PATH,
               {"--cluster", "reshard", address(c, 0), "--cluster-from", "all", "--cluster-to",
                c.node_id(other), "--cluster-slots", "1000", "--cluster-yes", "--cluster-pipeline",
                "7", "--cluster-timeout", "5000"},
               "");
  EXPECT_EQ(reshard.status, "exit 0") << reshard.err;
  EXPECT_EQ(slots_of(c, other), before + 1000);
  expect_readable(c, "key:");

  // What a rebalance would do (it changes nothing), then the rebalance itself.
  expect_same({"--cluster", "rebalance", address(c, 0), "--cluster-simulate"});
  expect_same({"--cluster", "rebalance", address(c, 0), "--cluster-weight",
               c.node_id(other).substr(0, 8) + "=2", "--cluster-simulate"});
  const outcome balanced =
      run_tool(RESPOOL_CLI_PATH, {"--cluster", "rebalance", address(c, 0)}, "");
  EXPECT_EQ(balanced.status, "exit 0") << balanced.err;
  for (const auto m : masters) {
    EXPECT_GE(slots_of(c, m), 5461) << "node " << m;
    EXPECT_LE(slots_of(c, m), 5462) << "node " << m;
  }
  expect_readable(c, "key:");
  expect_same({"--cluster", "rebalance", address(c, 0)});
  expect_same({"--cluster", "rebalance", address(c, 0), "--cluster-threshold", "0",
               "--cluster-use-empty-masters"});

  const auto owner = static_cast<std::size_t>(c.master_of_slot(
      static_cast<std::uint16_t>(std::stoi(c.text(0, {"CLUSTER", "KEYSLOT", "key:1"}, why)))));
  expect_same_fix(c, owner, owner == masters[0] ? masters[1] : masters[0]);
  expect_readable(c, "key:");
  expect_uncovered_slot_fixed(c, masters);

  const auto [ours_added, ours_deleted] = add_and_delete(RESPOOL_CLI_PATH, c, *spare, 0);
  const auto [theirs_added, theirs_deleted] = add_and_delete("redis-cli", c, *spare, 1);
  for (const auto& [o, t] : {std::pair{ours_added, theirs_added}, {ours_deleted, theirs_deleted}}) {
    EXPECT_TRUE(o.out == t.out) << cli::diff_text(t.out, o.out);
    EXPECT_EQ(o.err, t.err);
  }

  expect_import_as_redis_cli(c, plain->port());
  expect_same_askpass_import(c);
  expect_same_refusals(c, *spare, other);
  expect_same_backup(c);
}

}  // namespace
