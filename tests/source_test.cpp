// Properties of the source tree itself that no compiler checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The files a person edits as text (the fuzz corpus, which is binary on purpose, is not).
std::vector<fs::path> text_sources() {
  const std::set<std::string> extensions{".cpp", ".hpp", ".h",  ".cmake", ".txt",
                                         ".md",  ".sh",  ".py", ".in"};
  std::vector<fs::path> out;
  for (const char* dir : {"include", "src", "tools", "tests", "bench", "cmake", ".ci"}) {
    const fs::path root = fs::path(RESPOOL_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const fs::path& p = entry.path();
      if (p.string().find("/corpus/") != std::string::npos || !entry.is_regular_file()) continue;
      if (extensions.count(p.extension().string()) != 0 || p.filename() == "run") {
        out.push_back(p);
      }
    }
  }
  out.emplace_back(fs::path(RESPOOL_SOURCE_DIR) / "README.md");
  out.emplace_back(fs::path(RESPOOL_SOURCE_DIR) / "CMakeLists.txt");
  return out;
}

// A NUL byte makes grep call the file binary, and inside a string literal it ends up in the
// program's output: `\x00` written as an escape is what was meant.
TEST(source_test, no_source_file_holds_a_nul_byte) {
  const auto files = text_sources();
  ASSERT_GT(files.size(), 50u) << "the source tree was not found under " << RESPOOL_SOURCE_DIR;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_EQ(bytes.find('\0'), std::string::npos)
        << path << " holds a NUL byte at offset " << bytes.find('\0');
  }
}

}  // namespace
