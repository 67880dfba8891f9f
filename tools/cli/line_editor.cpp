#include "line_editor.hpp"

#include "split.hpp"
#include <respool/protocol/detail/ascii.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cwchar>

#include <histedit.h>
#include <poll.h>
#include <strings.h>
#include <unistd.h>

namespace respool::cli {
namespace {

void write_terminal(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A key is waiting: no hint is drawn then, the line is about to change.
bool input_pending() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace

std::string hint_for(std::string_view line, std::span<const command_doc> docs) {
  const auto words = split_args(line);
  if (!words || words->empty()) return {};
  const bool ends_with_space =
      !line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0;
  // The command whose name takes the most words of the line (the first such in order).
  const command_doc* best = nullptr;
  std::size_t best_words = 0;
  for (const command_doc& doc : docs) {
    if (doc.group) continue;
    const auto name = split_args(doc.name);
    if (!name || name->size() > words->size() || name->size() <= best_words) continue;
    std::size_t i = 0;
    while (i < name->size() && detail::ascii::iequals((*name)[i], (*words)[i])) ++i;
    if (i == name->size()) {
      best = &doc;
      best_words = i;
    }
  }
  if (best == nullptr) return {};
  // The arguments already typed go, one word of the syntax each, up to the first optional.
  std::string_view hint = best->params;
  std::size_t typed = words->size() - best_words;
  while (typed > 0 && !hint.empty() && hint.front() != '[') {
    if (hint.front() == ' ') --typed;
    hint.remove_prefix(1);
  }
  std::string out(ends_with_space ? "" : " ");
  out.append(hint);
  return out;
}

std::vector<std::string> completions_for(std::string_view line, std::span<const command_doc> docs) {
  std::size_t start = 0;
  bool groups = false;
  if (line.size() >= 5 && strncasecmp(line.data(), "help ", 5) == 0) {
    start = 5;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start])) != 0) {
      ++start;
    }
    groups = true;
  }
  const std::string_view typed = line.substr(start);
  std::vector<std::string> out;
  for (const command_doc& doc : docs) {
    if (doc.group && !groups) continue;
    if (doc.name.size() < typed.size() ||
        !detail::ascii::iequals(typed, std::string_view(doc.name).substr(0, typed.size()))) {
      continue;
    }
    out.push_back(std::string(line.substr(0, start)) + doc.name);
  }
  return out;
}

line_editor::line_editor(int history_size) {
  el_ = ::el_init("respool-cli", stdin, stdout, stderr);
  history_ = ::history_init();
  HistEvent ev;
  ::history(history_, &ev, H_SETSIZE, history_size);
  ::el_set(el_, EL_HIST, ::history, history_);
  ::el_set(el_, EL_CLIENTDATA, this);
  ::el_set(el_, EL_PROMPT, &line_editor::prompt_of);
  ::el_set(el_, EL_SIGNAL, 0);
  ::el_set(el_, EL_EDITOR, "emacs");
  ::el_set(el_, EL_GETCFN, &line_editor::get_char);
  // The wide form keeps these names as they are (the narrow one copies them, never to free).
  ::el_wset(el_, EL_ADDFN, L"respool-complete", L"Complete a command name", &line_editor::complete);
  ::el_set(el_, EL_BIND, "^I", "respool-complete", nullptr);
  // The keys a readline user expects beyond the emacs defaults.
  const char* const bindings[][2] = {
      {"^R", "em-inc-search-prev"}, {"\\e[1~", "ed-move-to-beg"},      {"\\e[4~", "ed-move-to-end"},
      {"\\e[7~", "ed-move-to-beg"}, {"\\e[8~", "ed-move-to-end"},      {"\\e[H", "ed-move-to-beg"},
      {"\\e[F", "ed-move-to-end"},  {"\\e[3~", "ed-delete-next-char"}, {"\\e[1;5C", "em-next-word"},
      {"\\e[1;5D", "ed-prev-word"},
  };
  for (const auto& b : bindings) ::el_set(el_, EL_BIND, b[0], b[1], nullptr);
  ::el_source(el_, nullptr);
}

line_editor::~line_editor() {
  ::el_end(el_);
  ::history_end(history_);
}

std::optional<std::string> line_editor::read(const std::string& prompt) {
  prompt_ = prompt;
  cycling_ = false;
  int count = 0;
  const char* line = ::el_gets(el_, &count);
  if (line == nullptr || count <= 0) return std::nullopt;
  std::string s(line, static_cast<std::size_t>(count));
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

void line_editor::add_history(const std::string& line) {
  HistEvent ev;
  ::history(history_, &ev, H_ENTER, line.c_str());
}

char* line_editor::prompt_of(::editline* el) {
  line_editor* self = nullptr;
  ::el_get(el, EL_CLIENTDATA, &self);
  return self->prompt_.data();
}

std::size_t line_editor::show_hint() {
  if (!hints || docs.empty() || input_pending()) return 0;
  const LineInfo* li = ::el_line(el_);
  if (li->cursor != li->lastchar) return 0;
  const std::string_view line(li->buffer, static_cast<std::size_t>(li->lastchar - li->buffer));
  std::string hint = hint_for(line, docs);
  int columns = 80;
  ::el_get(el_, EL_GETTC, "co", &columns, nullptr);
  // Only on the line's own row: what does not fit is cut.
  const std::size_t used = prompt_.size() + line.size();
  if (hint.empty() || used >= static_cast<std::size_t>(columns)) return 0;
  hint.resize(std::min(hint.size(), static_cast<std::size_t>(columns) - used));
  write_terminal(fmt::format("\x1b[0;90;49m{}\x1b[0m\x1b[{}D", hint, hint.size()));
  return hint.size();
}

int line_editor::get_char(::editline* el, wchar_t* c) {
  line_editor* self = nullptr;
  ::el_get(el, EL_CLIENTDATA, &self);
  std::size_t hint = self->show_hint();
  std::mbstate_t state{};
  for (;;) {
    char byte = 0;
    const ssize_t n = ::read(STDIN_FILENO, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (hint != 0) {
      write_terminal("\x1b[0K");  // the hint goes before the key acts
      hint = 0;
    }
    if (n <= 0) return n == 0 ? 0 : -1;
    if (byte != '\t') self->cycling_ = false;
    const std::size_t r = std::mbrtowc(c, &byte, 1, &state);
    if (r == static_cast<std::size_t>(-2)) continue;  // more bytes of one character
    if (r == static_cast<std::size_t>(-1)) *c = static_cast<unsigned char>(byte);
    return 1;
  }
}

unsigned char line_editor::complete(::editline* el, int) {
  line_editor* self = nullptr;
  ::el_get(el, EL_CLIENTDATA, &self);
  const LineInfo* li = ::el_line(el);
  if (!self->cycling_) {
    const std::string_view line(li->buffer, static_cast<std::size_t>(li->lastchar - li->buffer));
    self->choices_ = completions_for(line, self->docs);
    if (self->choices_.empty()) return CC_REFRESH_BEEP;
    self->typed_ = line;
    self->choice_ = 0;
    self->cycling_ = true;
  } else {
    self->choice_ = (self->choice_ + 1) % (self->choices_.size() + 1);
  }
  const std::string& shown =
      self->choice_ < self->choices_.size() ? self->choices_[self->choice_] : self->typed_;
  const LineInfoW* wide = ::el_wline(el);
  ::el_cursor(el, static_cast<int>(wide->lastchar - wide->cursor));
  ::el_deletestr(el, static_cast<int>(wide->lastchar - wide->buffer));
  ::el_insertstr(el, shown.c_str());
  return self->choice_ < self->choices_.size() ? CC_REFRESH : CC_REFRESH_BEEP;
}

}  // namespace respool::cli
