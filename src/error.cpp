#include <respool/error.hpp>

namespace respool {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "respool"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::not_enough_space:
        return "the output buffer is too small for the data to be written";
      case error::last_:
        break;
    }
    return "unknown respool error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace respool
