#include <respool/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace {

using respool::error;

TEST(error_test, every_enumerator_has_category_and_message) {
  int checked = 0;
  for (int v = 1; v < static_cast<int>(error::last_); ++v) {
    const std::error_code ec = static_cast<error>(v);
    EXPECT_EQ(&ec.category(), &respool::error_category());
    EXPECT_STREQ(ec.category().name(), "respool");
    EXPECT_EQ(ec.value(), v);
    const std::string msg = ec.message();
    EXPECT_FALSE(msg.empty()) << "enumerator " << v;
    // The category's fallback for values it does not know.
    EXPECT_NE(msg.rfind("unknown respool error", 0), 0u) << "enumerator " << v << ": " << msg;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(error::last_) - 1);
}

TEST(error_test, converts_implicitly_and_compares) {
  static_assert(std::is_error_code_enum_v<error>);
  std::error_code ec = error::not_enough_space;
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec, error::not_enough_space);
  EXPECT_NE(ec, std::make_error_code(std::errc::no_buffer_space));
}

TEST(error_test, out_of_range_value_says_so) {
  const std::error_code ec{static_cast<int>(error::last_), respool::error_category()};
  EXPECT_EQ(ec.message().rfind("unknown respool error", 0), 0u);
}

TEST(error_test, throws_as_system_error) {
  try {
    throw std::system_error{error::not_enough_space};
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::not_enough_space);
    EXPECT_NE(std::string{e.what()}.find("too small"), std::string::npos);
  }
}

}  // namespace
