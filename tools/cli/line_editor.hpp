/// @file
/// @brief The REPL's line editing on a terminal (libedit), with redis-cli's hints (the syntax
/// of the arguments still to type, after the cursor, in grey) and tab completion of command
/// names, both read from the server's COMMAND DOCS.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct editline;
struct history;

namespace respool::cli {

/// A command, a subcommand or a command group, as hints and completion know it.
struct command_doc {
  std::string name;    ///< "SET", "CLIENT SETNAME", or "@string" for a group
  std::string params;  ///< the arguments' syntax: "key value [NX|XX] [GET] ..."
  bool group = false;  ///< a group name: completed after "help " only
};

/// The hint redis-cli shows after `line`: the syntax of the command whose name `line` starts
/// with (the longest such name), without the arguments already typed, after a space unless
/// `line` ends with one. Empty when there is none.
[[nodiscard]] std::string hint_for(std::string_view line, std::span<const command_doc> docs);

/// What tab completion offers for `line`, in order: the command names it is a prefix of
/// (regardless of case), in capitals; after "help ", the group names too.
[[nodiscard]] std::vector<std::string> completions_for(std::string_view line,
                                                       std::span<const command_doc> docs);

/// A libedit session in emacs mode with a history of `history_size` lines.
class line_editor {
 public:
  explicit line_editor(int history_size);
  ~line_editor();
  line_editor(const line_editor&) = delete;
  line_editor& operator=(const line_editor&) = delete;

  /// One line, without its '\n'; nullopt at EOF (Ctrl-D on an empty line).
  std::optional<std::string> read(const std::string& prompt);
  void add_history(const std::string& line);

  /// What hints and completion read (empty: neither).
  std::vector<command_doc> docs;
  /// `:set hints` / `:set nohints`.
  bool hints = true;

 private:
  static int get_char(::editline* el, wchar_t* c);
  static unsigned char complete(::editline* el, int key);
  static char* prompt_of(::editline* el);
  // Draws the hint after the cursor when it ends the line and fits; returns its width.
  std::size_t show_hint();

  struct ::editline* el_ = nullptr;
  struct ::history* history_ = nullptr;
  std::string prompt_;
  // Tab pressed again cycles through the completions, then the line as typed.
  std::vector<std::string> choices_;
  std::string typed_;
  std::size_t choice_ = 0;
  bool cycling_ = false;
};

}  // namespace respool::cli
