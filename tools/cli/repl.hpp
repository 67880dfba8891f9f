/// @file
/// @brief respool-cli's interactive mode: line editing and history (libedit), the prompt,
/// redis-cli's local commands (quit, exit, connect, clear, help) and the repeat prefix.
#pragma once

#include "line_editor.hpp"
#include "session.hpp"

#include <vector>

namespace respool::cli {

/// Reads and runs commands until EOF or quit; returns the exit code. With `restart` (--eval),
/// `restart` ends it with *restart set, for the caller to start the script's debugging session
/// again; in a debugging session the lines go to the server's debugger.
int repl(session& s, bool* restart = nullptr);

/// `help` (an overview) or `help <command>` (its syntax and summary, from COMMAND DOCS).
void print_help(session& s, std::span<const std::string> topic);

/// The server's commands, subcommands and groups from COMMAND DOCS, sorted by name, for hints
/// and completion (help.cpp); empty when the server cannot say.
[[nodiscard]] std::vector<command_doc> load_command_docs(session& s);

/// `help <command>`: the text redis-cli prints, built from COMMAND DOCS (help.cpp).
void print_command_help(session& s, std::span<const std::string> topic);

}  // namespace respool::cli
