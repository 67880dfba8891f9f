// What the tests of respool-cli's cluster manager share: a command line run through a tool,
// and the same command line through redis-cli and respool-cli, their outputs compared.
#pragma once

#include "cli_runner.hpp"
#include "cluster_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

namespace respool::test::cluster_manager {

namespace cli = respool::test::cli;

struct outcome {
  std::string out;
  std::string err;
  std::string status;
};

inline outcome run_tool(const std::string& program, const std::vector<std::string>& args,
                        const std::string& input) {
  cli::run_options o;
  o.program = program;
  o.args = args;
  o.stdin_data = input;
  o.timeout = std::chrono::seconds(90);
  // TERM decides whether the cluster manager colours its lines: neither tool does here.
  o.env.unset = {"TERM", "REDISCLI_CLUSTER_YES", "REDISCLI_AUTH"};
  const cli::run_result r = cli::run(o);
  EXPECT_TRUE(r.started) << r.error;
  return {r.out, r.err, r.status()};
}

using normaliser = std::string (*)(std::string);

inline std::string as_is(std::string s) { return s; }

/// The lines of `text`, each with its newline (the last may have none).
inline std::vector<std::string> lines_with_ends(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = text.find('\n', at);
    const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  return lines;
}

inline std::string without_ids(std::string s) {
  static const std::regex id("[0-9a-f]{40}");
  return std::regex_replace(s, id, "<id>");
}

inline std::string joined(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) line += a + ' ';
  return line;
}

// The same command line through both tools on the same servers (their stdout and stderr
// normalised).
inline void expect_same(const std::vector<std::string>& args, const std::string& input = {},
                        normaliser normalise = as_is, normaliser normalise_err = as_is) {
  const outcome theirs = run_tool("redis-cli", args, input);
  const outcome ours = run_tool(RESPOOL_CLI_PATH, args, input);
  const std::string theirs_out = normalise(theirs.out);
  const std::string ours_out = normalise(ours.out);
  EXPECT_TRUE(ours_out == theirs_out) << joined(args) << "\n"
                                      << cli::diff_text(theirs_out, ours_out);
  EXPECT_EQ(normalise_err(ours.err), normalise_err(theirs.err)) << joined(args);
  EXPECT_EQ(ours.status, theirs.status) << joined(args);
}

inline std::string address(cluster_harness& c, std::size_t i) {
  return "127.0.0.1:" + std::to_string(c.node(i).port());
}

}  // namespace respool::test::cluster_manager
