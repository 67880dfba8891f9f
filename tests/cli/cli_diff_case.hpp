// The cases of cli_diff_test: one command line each, run through redis-cli and respool-cli
// (see cli_diff_test.cpp), with what may differ between the two runs and why. The cases
// themselves are in cli_diff_cases_*.cpp, by theme.
#pragma once

#include "cli_runner.hpp"
#include "server_process.hpp"

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace respool::test::cli {

using command = std::vector<std::string>;

inline constexpr const char* the_password = "s3cret";

enum class target {
  plain,     // the private server (TCP and unix socket), no password
  password,  // the private server with requirepass s3cret and the ACL user alice/wonder
  fake,      // a fake_server running `fake_reply` (one per run)
  none,      // no server needed (flags refused before connecting, closed ports)
};

enum class fake_end {
  close,      // write the reply, then FIN
  reset,      // write the reply, then RST
  reconnect,  // the reply then FIN; every later command (on a new connection) gets +PONG
};

// One step of a case that runs a while (pub/sub, MONITOR): wait until stdout contains
// `wait_for` (after what the previous step matched), then run `run` on the case's server, then
// keep reading for `pause`.
struct step {
  std::string wait_for;
  command run;
  std::chrono::milliseconds pause{0};  // then wait this long (keeps feeding/draining)
};

struct cli_case {
  std::string name;
  std::vector<std::string> args;
  bool prefix_port = true;  // prepend "-p <port>" of the target server
  input stdin_kind = input::pipe;
  std::string stdin_data;
  std::vector<std::pair<std::string, std::string>> env;
  target server = target::plain;
  std::vector<command> before;  // run on the case's server after the data is loaded
  std::vector<command> after;
  std::vector<std::pair<std::string, std::string>> normalize;
  bool sort = false;
  std::string out_shape;
  std::string err_shape;
  std::string why;              // for normalize/sort/shape: why the output varies
  bool differs = false;         // see deliberately()
  std::string own_out;          // regex for respool-cli's stdout
  std::string own_err;          // regex for respool-cli's stderr
  std::string own_status;       // respool-cli's exit status ("exit 0")
  std::string their_err_shape;  // regex redis-cli's stderr must match
  std::string fake_reply;
  fake_end fake_how = fake_end::close;
  std::vector<step> steps;
  int final_signal = 0;  // sent after the steps (then the outputs so far are compared)
  std::chrono::milliseconds timeout = std::chrono::seconds(30);

  cli_case& in(std::string data) {
    stdin_kind = input::pipe;
    stdin_data = std::move(data);
    return *this;
  }
  cli_case& null_stdin() {
    stdin_kind = input::dev_null;
    return *this;
  }
  cli_case& closed_stdin() {
    stdin_kind = input::closed;
    return *this;
  }
  cli_case& on(target t) {
    server = t;
    return *this;
  }
  cli_case& with_env(std::string variable, std::string value) {
    env.emplace_back(std::move(variable), std::move(value));
    return *this;
  }
  cli_case& first(command c) {
    before.push_back(std::move(c));
    return *this;
  }
  cli_case& then_read(command c) {
    after.push_back(std::move(c));
    return *this;
  }
  cli_case& normalized(std::string regex, std::string replacement, std::string reason) {
    normalize.emplace_back(std::move(regex), std::move(replacement));
    why = std::move(reason);
    return *this;
  }
  cli_case& sorted(std::string reason) {
    sort = true;
    why = std::move(reason);
    return *this;
  }
  cli_case& shape(std::string out_regex, std::string err_regex, std::string reason) {
    out_shape = std::move(out_regex);
    err_shape = std::move(err_regex);
    why = std::move(reason);
    return *this;
  }
  // respool-cli differs from redis-cli here on purpose (README, "respool-cli"): redis-cli still
  // runs, and must match `their_*` (so the note stays true); respool-cli must match `ours_*`.
  cli_case& deliberately(std::string ours_out, std::string ours_err, std::string ours_status,
                         std::string their_err, std::string reason) {
    differs = true;
    own_out = std::move(ours_out);
    own_err = std::move(ours_err);
    own_status = std::move(ours_status);
    their_err_shape = std::move(their_err);
    why = std::move(reason);
    return *this;
  }
  cli_case& fake(std::string reply, fake_end how = fake_end::close) {
    server = target::fake;
    fake_reply = std::move(reply);
    fake_how = how;
    return *this;
  }
  cli_case& step_wait(std::string text, command run = {}) {
    steps.push_back({std::move(text), std::move(run), std::chrono::milliseconds(0)});
    return *this;
  }
  cli_case& step_pause(std::chrono::milliseconds d) {
    steps.push_back({"", {}, d});
    return *this;
  }
  cli_case& then_signal(int sig) {
    final_signal = sig;
    return *this;
  }
};

/// The case's name and arguments, for gtest's messages.
void PrintTo(const cli_case& c, std::ostream* os);

// A case that connects to the plain server: "-p <port>" comes first.
inline cli_case C(std::string name, std::vector<std::string> args) {
  cli_case c;
  c.name = std::move(name);
  c.args = std::move(args);
  return c;
}

// A case whose arguments are given whole (no "-p <port>" added).
inline cli_case R(std::string name, std::vector<std::string> args) {
  cli_case c = C(std::move(name), std::move(args));
  c.prefix_port = false;
  c.server = target::none;
  return c;
}

inline std::vector<std::string> operator+(std::vector<std::string> a,
                                          const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A command as RESP, for --pipe's input.
inline std::string resp(const std::vector<std::string>& args) { return encode_command(args); }

/// FLUSHALL, then the data every case starts from.
std::vector<command> load_data();

// The themes, in the order all_cases() lists them.
void add_reply_type_cases(std::vector<cli_case>& v);
void add_forced_raw_and_error_cases(std::vector<cli_case>& v);
void add_binary_cases(std::vector<cli_case>& v);
void add_stdin_cases(std::vector<cli_case>& v);
void add_session_cases(std::vector<cli_case>& v);
void add_auth_cases(std::vector<cli_case>& v);
void add_command_line_cases(std::vector<cli_case>& v);
void add_mode_cases(std::vector<cli_case>& v);
void add_keyspace_cases(std::vector<cli_case>& v);
void add_monitoring_cases(std::vector<cli_case>& v);
void add_blocking_cases(std::vector<cli_case>& v);
void add_hostile_cases(std::vector<cli_case>& v);

}  // namespace respool::test::cli
