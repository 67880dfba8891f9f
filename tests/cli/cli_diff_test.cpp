// respool-cli against the installed redis-cli (7.0.15), command line by command line.
//
// Each case of the table runs one command line twice: first through redis-cli, then through
// respool-cli (RESPOOL_CLI_PATH), each time after the same data was loaded into a private
// redis-server (FLUSHALL, then the commands of load_data()). stdout, stderr and the exit status
// must be the same bytes. Some cases also read keys afterwards ("after" commands) and compare
// what the two runs stored; some prepare more data first ("before" commands, after the load).
//
// stdout is always a pipe, so both programs format replies in RAW mode unless the case asks for
// --no-raw (the terminal format) or --csv/--json. stdin is a pipe too (empty unless the case
// feeds it), which is how the "REPL on a pipe" cases feed their lines.
//
// Where the output cannot be the same twice, the case says so and compares less:
// - normalize: regular expressions replaced in both outputs before comparing (HELLO's client
//   id, INFO/CLIENT INFO figures, MONITOR timestamps, the version line of --help);
// - sort: stdout lines sorted first (--scan: SCAN's order is the server's hash table order);
// - shape: both outputs (normalized first) must match a regular expression (--latency
//   figures, --version, the lines of --stat).
// Each such case gives its reason (shown when it fails).
//
// RESPOOL_CLI_DIFF_SHOW=1 prints what redis-cli did for every case (to review the table).
//
// The table is in cli_diff_cases_*.cpp, by theme (cli_diff_case.hpp describes a case).
//
// The hostile-server cases run both programs against tests/fake_server.hpp scripts (malformed
// replies, connections closed or reset mid-reply); the ones where redis-cli itself hangs (a
// server that never answers, an absurd bulk length) run only respool-cli, in
// cli_hostile_test.cpp.
#include "cli_diff_case.hpp"
#include "fake_server.hpp"
#include "server_process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef RESPOOL_CLI_PATH
#  error "RESPOOL_CLI_PATH (the respool-cli binary) must be defined"
#endif

namespace respool::test::cli {
namespace {

// escape_bytes() on one line.
std::string inline_escape(std::string_view bytes) {
  std::string s = escape_bytes(bytes);
  s.erase(std::remove(s.begin(), s.end(), '\n'), s.end());
  return s;
}

}  // namespace

void PrintTo(const cli_case& c, std::ostream* os) {
  *os << c.name << ":";
  for (const auto& a : c.args) *os << " '" << inline_escape(a) << "'";
}

namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

std::vector<cli_case> all_cases() {
  std::vector<cli_case> v;
  add_reply_type_cases(v);
  add_forced_raw_and_error_cases(v);
  add_binary_cases(v);
  add_stdin_cases(v);
  add_session_cases(v);
  add_auth_cases(v);
  add_command_line_cases(v);
  add_mode_cases(v);
  add_keyspace_cases(v);
  add_monitoring_cases(v);
  add_blocking_cases(v);
  add_hostile_cases(v);
  return v;
}

// Names are test names: letters, digits and '_', unique.
std::vector<cli_case> checked_cases() {
  auto cases = all_cases();
  std::set<std::string> seen;
  for (const auto& c : cases) {
    const bool ok = !c.name.empty() && std::all_of(c.name.begin(), c.name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_';
    });
    if (!ok || !seen.insert(c.name).second) {
      throw std::logic_error("bad or duplicate case name: " + c.name);
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Servers, shared by all cases (started by the first case that needs them, on the main thread)

bool server_required() {
  const char* v = std::getenv("RESPOOL_REQUIRE_SERVER");
  return v != nullptr && std::string(v) == "1";
}

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);  // bound but never listening: connections are refused
  return port;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

struct placeholders {
  std::map<std::string, std::string> values;
  std::string apply(std::string s) const {
    for (const auto& [k, v] : values) replace_all(s, "{" + k + "}", v);
    return s;
  }
};

// What one program did for one case.
struct outcome {
  run_result result;
  std::vector<std::string> after;  // raw RESP replies of the "after" commands
  std::string step_failure;        // a step whose text never came
};

class cli_diff : public ::testing::TestWithParam<cli_case> {
 public:
  static void TearDownTestSuite() {
    plain_.reset();
    password_.reset();
    home_.reset();
  }

  // Null with `why` when the server cannot be started.
  static server_process* server(target t, std::string& why) {
    auto& slot = t == target::password ? password_ : plain_;
    if (!slot) {
      server_options o;
      if (t == target::password) {
        o.password = the_password;
      } else {
        o.unix_socket = true;
      }
      slot = server_process::start(o, why);
    }
    return slot.get();
  }

  static temp_dir& home() {
    if (!home_) {
      home_ = std::make_unique<temp_dir>("respool-cli-diff");
      std::ofstream(home_->path() + "/script.lua")
          << "return {KEYS[1], KEYS[2] or 'none', ARGV[1] or 'none', #KEYS, #ARGV}\n";
    }
    return *home_;
  }

 private:
  static std::unique_ptr<server_process> plain_;
  static std::unique_ptr<server_process> password_;
  static std::unique_ptr<temp_dir> home_;
};

std::unique_ptr<server_process> cli_diff::plain_;
std::unique_ptr<server_process> cli_diff::password_;
std::unique_ptr<temp_dir> cli_diff::home_;

// FLUSHALL and the data set (and the ACL user on the password server), then the case's own.
bool load(const server_process& s, const std::vector<command>& extra, std::string& why) {
  auto commands = load_data();
  if (!s.options().password.empty()) {
    commands.push_back({"ACL", "SETUSER", "alice", "reset", "on", ">wonder", "~*", "&*", "+@all"});
  }
  commands.insert(commands.end(), extra.begin(), extra.end());
  for (const auto& c : commands) {
    const std::string reply = s.command(c, why);
    if (reply.empty() || reply[0] == '-') {
      why = "loading " + c[0] + ": " + (reply.empty() ? why : reply);
      return false;
    }
  }
  return true;
}

bool is_command_command(const std::vector<std::string>& cmd) {
  if (cmd.empty() || cmd[0].size() != 7) return false;
  std::string name = cmd[0];
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name == "COMMAND";
}

// Answers COMMAND (and COMMAND DOCS, which redis-cli's REPL sends first) with an empty array,
// then the first other command with the case's reply and the end it asks for. With
// fake_end::reconnect, every later command (on any connection) gets +PONG.
std::unique_ptr<fake_server> start_fake(const cli_case& c) {
  const std::string reply = c.fake_reply;
  const fake_end how = c.fake_how;
  auto replied = std::make_shared<std::atomic<bool>>(false);
  return std::make_unique<fake_server>([reply, how, replied](fake_server::peer& p) {
    for (;;) {
      const auto cmd = p.read_command(std::chrono::seconds(10));
      if (!cmd) return;
      if (is_command_command(*cmd)) {
        if (!p.write("*0\r\n")) return;
        continue;
      }
      if (how == fake_end::reconnect && replied->exchange(true)) {
        if (!p.write("+PONG\r\n")) return;
        continue;
      }
      p.write(reply);
      if (how == fake_end::reset) {
        p.reset();
      } else {
        p.close();
      }
      return;
    }
  });
}

std::string apply_normalization(const cli_case& c, std::string s) {
  for (const auto& [re, rep] : c.normalize) s = std::regex_replace(s, std::regex(re), rep);
  return s;
}

std::string sort_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto nl = s.find('\n', pos);
    const auto end = nl == std::string::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

// The servers and placeholders of one case.
struct case_setup {
  placeholders ph;
  server_process* srv = nullptr;  // the case's server (null for fake and none)
};

// Starts what the case needs; empty on success, else why a server could not start.
std::string prepare(const cli_case& c, case_setup& setup) {
  const std::uint16_t closed = closed_port();
  setup.ph.values["closed"] = std::to_string(closed);
  setup.ph.values["closed_wrapped"] = std::to_string(closed + 65536);
  setup.ph.values["tmp"] = cli_diff::home().path();
  // The plain server runs for every case: some mention its socket without connecting.
  std::string why;
  server_process* plain = cli_diff::server(target::plain, why);
  if (plain == nullptr) return why;
  setup.ph.values["sock"] = plain->unix_path();
  if (c.server == target::plain) setup.srv = plain;
  if (c.server == target::password) {
    setup.srv = cli_diff::server(target::password, why);
    if (setup.srv == nullptr) return why;
  }
  return {};
}

run_options options_for(const cli_case& c, const std::string& program, const placeholders& ph,
                        bool has_server) {
  run_options opt;
  opt.program = program;
  opt.argv0 = "redis-cli";  // both programs may print their argv[0]
  if (c.prefix_port && has_server) opt.args = {"-p", ph.apply("{port}")};
  for (const auto& a : c.args) opt.args.push_back(ph.apply(a));
  opt.stdin_kind = c.stdin_kind;
  opt.stdin_data = ph.apply(c.stdin_data);
  opt.env.unset = {"REDISCLI_AUTH", "REDISCLI_HISTFILE", "REDISCLI_RCFILE", "FAKETTY",
                   "REDISCLI_CLUSTER_YES"};
  opt.env.set = {{"HOME", cli_diff::home().path()}, {"TERM", "dumb"}};
  for (const auto& [k, v] : c.env) opt.env.set.emplace_back(k, ph.apply(v));
  opt.cwd = cli_diff::home().path();
  opt.timeout = c.timeout;
  return opt;
}

// Waits for each step's text, runs its command, pauses; records the first step that failed.
void run_steps(const cli_case& c, child_process& child, server_process* srv, outcome& o) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < c.steps.size() && o.step_failure.empty(); ++i) {
    const step& s = c.steps[i];
    if (!s.wait_for.empty()) {
      if (!child.wait_for_output(s.wait_for, 10s, false, from)) {
        o.step_failure = "step " + std::to_string(i) + ": \"" + escape_bytes(s.wait_for) +
                         "\" did not appear on stdout";
        break;
      }
      from = child.out().find(s.wait_for, from) + s.wait_for.size();
    }
    if (!s.run.empty() && srv != nullptr) {
      std::string cwhy;
      if (srv->command(s.run, cwhy).empty()) o.step_failure = "step command failed: " + cwhy;
    }
    if (s.pause.count() > 0) child.pump_for(s.pause);
  }
}

// One program through the case: the data loaded first, the "after" commands read last.
outcome run_program(const cli_case& c, const std::string& program, case_setup& setup) {
  outcome o;
  std::unique_ptr<fake_server> fake;
  if (c.server == target::fake) {
    fake = start_fake(c);
    setup.ph.values["port"] = std::to_string(fake->port());
  } else if (setup.srv != nullptr) {
    setup.ph.values["port"] = std::to_string(setup.srv->port());
    std::string load_why;
    if (!load(*setup.srv, c.before, load_why)) {
      ADD_FAILURE() << "cannot load the data: " << load_why;
      return o;
    }
  }
  std::string start_why;
  auto child = child_process::start(
      options_for(c, program, setup.ph, setup.srv != nullptr || fake != nullptr), start_why);
  if (!child) {
    o.result.error = start_why;
    return o;
  }
  run_steps(c, *child, setup.srv, o);
  if (c.final_signal != 0) child->send_signal(c.final_signal);
  o.result = child->finish(c.final_signal != 0 ? 10s : c.timeout);
  if (c.server == target::fake) {
    replace_all(o.result.out, setup.ph.values["port"], "<port>");
    replace_all(o.result.err, setup.ph.values["port"], "<port>");
  }
  for (const auto& cmd : c.after) {
    std::string cwhy;
    std::string reply = setup.srv != nullptr ? setup.srv->command(cmd, cwhy) : std::string();
    o.after.push_back(reply.empty() ? "(failed: " + cwhy + ")" : reply);
  }
  return o;
}

// RESPOOL_CLI_DIFF_SHOW=1: what redis-cli did, to review the table.
void show_reference(const cli_case& c, const outcome& ref) {
  const char* show = std::getenv("RESPOOL_CLI_DIFF_SHOW");
  if (show == nullptr || *show != '1') return;
  std::printf("---- %s\n[stdout]\n%s\n[stderr]\n%s\n[%s]\n", c.name.c_str(),
              escape_bytes(ref.result.out).c_str(), escape_bytes(ref.result.err).c_str(),
              ref.result.status().c_str());
  for (const auto& a : ref.after) std::printf("[after] %s\n", escape_bytes(a).c_str());
}

// A case where respool-cli differs on purpose: each program must match its own patterns.
void expect_deliberate_difference(const cli_case& c, const outcome& ref, const outcome& got,
                                  const std::string& context) {
  EXPECT_TRUE(std::regex_match(ref.result.err, std::regex(c.their_err_shape)))
      << context << "\nredis-cli no longer does what the case says: stderr\n"
      << escape_bytes(ref.result.err);
  EXPECT_TRUE(std::regex_match(got.result.out, std::regex(c.own_out)))
      << context << "\nrespool-cli's stdout /" << c.own_out << "/:\n"
      << escape_bytes(got.result.out);
  EXPECT_TRUE(std::regex_match(got.result.err, std::regex(c.own_err)))
      << context << "\nrespool-cli's stderr /" << c.own_err << "/:\n"
      << escape_bytes(got.result.err);
  EXPECT_EQ(got.result.status(), c.own_status) << context;
}

// One stream of both programs: the same shape, or the same bytes once normalized.
void expect_same_stream(const cli_case& c, const char* stream, const std::string& a,
                        const std::string& b, const std::string& shape,
                        const std::string& context) {
  // Normalized first, so that a long output can be shortened before a shape's match.
  std::string na = apply_normalization(c, a);
  std::string nb = apply_normalization(c, b);
  if (!shape.empty()) {
    const std::regex re(shape);
    for (const auto& [who, text] : {std::pair{"redis-cli", &na}, std::pair{"respool-cli", &nb}}) {
      EXPECT_TRUE(std::regex_match(*text, re))
          << context << "\n"
          << who << "'s " << stream << " does not have the expected shape /" << shape << "/:\n"
          << escape_bytes(*text);
    }
    return;
  }
  if (c.sort && std::string_view(stream) == "stdout") {
    na = sort_lines(na);
    nb = sort_lines(nb);
  }
  EXPECT_TRUE(na == nb) << context << "\n"
                        << stream << " differs (- redis-cli, + respool-cli):\n"
                        << diff_text(na, nb);
}

void expect_same(const cli_case& c, const outcome& ref, const outcome& got,
                 const std::string& context) {
  expect_same_stream(c, "stdout", ref.result.out, got.result.out, c.out_shape, context);
  expect_same_stream(c, "stderr", ref.result.err, got.result.err, c.err_shape, context);
  EXPECT_EQ(ref.result.status(), got.result.status())
      << context << "\nexit status differs (redis-cli, respool-cli)";
  EXPECT_EQ(ref.after.size(), got.after.size());
  for (std::size_t i = 0; i < ref.after.size() && i < got.after.size(); ++i) {
    EXPECT_TRUE(ref.after[i] == got.after[i])
        << context << "\nthe data differs afterwards: " << c.after[i][0] << " gives\n"
        << diff_text(ref.after[i], got.after[i]);
  }
}

TEST_P(cli_diff, same_as_redis_cli) {
  const cli_case& c = GetParam();
  const std::string reference = find_program("redis-cli");
  if (reference.empty()) {
    if (server_required()) FAIL() << "redis-cli not found in PATH";
    GTEST_SKIP() << "redis-cli not found in PATH";
  }
  const std::string ours = find_program(RESPOOL_CLI_PATH);
  ASSERT_FALSE(ours.empty()) << "respool-cli not found at " << RESPOOL_CLI_PATH;
  case_setup setup;
  if (const std::string why = prepare(c, setup); !why.empty()) {
    if (server_required()) FAIL() << "redis-server required: " << why;
    GTEST_SKIP() << "cannot start redis-server: " << why;
  }

  const outcome ref = run_program(c, reference, setup);
  const outcome got = run_program(c, ours, setup);
  ASSERT_TRUE(ref.result.started) << "redis-cli: " << ref.result.error;
  ASSERT_TRUE(got.result.started) << "respool-cli: " << got.result.error;
  // The reference itself must behave as the case expects, or the case is wrong.
  ASSERT_FALSE(ref.result.timed_out) << "redis-cli timed out; stdout:\n"
                                     << escape_bytes(ref.result.out) << "\nstderr:\n"
                                     << escape_bytes(ref.result.err);
  ASSERT_TRUE(ref.step_failure.empty()) << "redis-cli: " << ref.step_failure << "\nstdout:\n"
                                        << escape_bytes(ref.result.out);
  EXPECT_TRUE(got.step_failure.empty()) << "respool-cli: " << got.step_failure;
  show_reference(c, ref);

  std::string context = "case " + c.name + ":";
  for (const auto& a : c.args) context += " '" + inline_escape(setup.ph.apply(a)) + "'";
  if (!c.why.empty()) context += "\n(compared loosely: " + c.why + ")";
  if (c.differs) {
    expect_deliberate_difference(c, ref, got, context);
  } else {
    expect_same(c, ref, got, context);
  }
}

INSTANTIATE_TEST_SUITE_P(cases, cli_diff, ::testing::ValuesIn(checked_cases()),
                         [](const ::testing::TestParamInfo<cli_case>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace respool::test::cli
