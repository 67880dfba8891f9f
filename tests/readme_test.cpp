// Every C++ example in README.md must be part of tools/readme_examples.cpp, which ctest builds
// and runs against the server: each non-blank line of each example, spaces aside, appears in
// that program. An example edited in one place and not the other fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Leading and trailing blanks removed, runs of blanks made one space.
std::string normalize(const std::string& line) {
  std::string out;
  bool blank = false;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(readme_test, every_example_is_in_the_program_ctest_runs) {
  const std::string readme = read_file(RESPOOL_SOURCE_DIR "/README.md");
  std::string program;
  for (const std::string& line :
       lines_of(read_file(RESPOOL_SOURCE_DIR "/tools/readme_examples.cpp"))) {
    program += normalize(line);
    program += '\n';
  }
  int examples = 0;
  bool inside = false;
  int line_no = 0;
  for (const std::string& line : lines_of(readme)) {
    ++line_no;
    if (!inside) {
      if (line == "```cpp") {
        inside = true;
        ++examples;
      }
      continue;
    }
    if (line == "```") {
      inside = false;
      continue;
    }
    const std::string n = normalize(line);
    if (n.empty()) continue;
    EXPECT_NE(program.find(n + '\n'), std::string::npos)
        << "README.md:" << line_no << " is in no line of tools/readme_examples.cpp: " << n;
  }
  EXPECT_FALSE(inside) << "an example is not closed";
  EXPECT_GE(examples, 10);
}

// The text of a documentation comment's line ("/// x", " * x", "// x"), or nullopt for code.
std::optional<std::string> comment_text(const std::string& line) {
  const std::size_t start = line.find_first_not_of(' ');
  if (start == std::string::npos) return std::nullopt;
  const std::string_view rest = std::string_view(line).substr(start);
  for (std::string_view prefix : {"///", "//", "*"}) {
    if (rest.substr(0, prefix.size()) == prefix && rest.substr(0, 2) != "*/") {
      return std::string(rest.substr(prefix.size()));
    }
  }
  return std::nullopt;
}

// Every example of the public headers' documentation, between @code and @endcode, is in
// tests/doc_examples_test.cpp, which is compiled (and run where no server is needed).
TEST(readme_test, every_header_example_is_in_the_compiled_doc_examples) {
  std::string program;
  for (const std::string& line :
       lines_of(read_file(RESPOOL_SOURCE_DIR "/tests/doc_examples_test.cpp"))) {
    program += normalize(line);
    program += '\n';
  }
  int examples = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(RESPOOL_SOURCE_DIR "/include")) {
    if (entry.path().extension() != ".hpp") continue;
    bool inside = false;
    int line_no = 0;
    for (const std::string& line : lines_of(read_file(entry.path().string()))) {
      ++line_no;
      const auto text = comment_text(line);
      const std::string where = entry.path().string() + ":" + std::to_string(line_no);
      if (!text) {
        EXPECT_FALSE(inside) << where << ": an example ends without @endcode";
        inside = false;
        continue;
      }
      const std::string n = normalize(*text);
      if (n == "@code" || n == "@endcode") {
        EXPECT_NE(inside, n == "@code") << where << ": " << n << " out of place";
        inside = n == "@code";
        examples += inside ? 1 : 0;
        continue;
      }
      // Code in a comment is indented by four spaces; outside @code the formatter reflows it.
      if (!inside && text->rfind("     ", 0) == 0 && n.find(';') != std::string::npos) {
        ADD_FAILURE() << where << ": an example outside @code ... @endcode: " << n;
      }
      if (inside && !n.empty()) {
        EXPECT_NE(program.find(n + '\n'), std::string::npos)
            << where << " is in no line of tests/doc_examples_test.cpp: " << n;
      }
    }
  }
  EXPECT_GE(examples, 10);
}

}  // namespace
