// A deliberately simple RESP encoder: the reference the property tests compare against.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace respool::test {

/// "*N\r\n" then "$len\r\n<bytes>\r\n" per argument, appended to `out` one piece at a time.
void reference_encode(std::string& out, const std::vector<std::string>& args);

}  // namespace respool::test
