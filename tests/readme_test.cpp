// Every C++ example in README.md must be part of tools/readme_examples.cpp, which ctest builds
// and runs against the server: each non-blank line of each example, spaces aside, appears in
// that program. An example edited in one place and not the other fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
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

}  // namespace
