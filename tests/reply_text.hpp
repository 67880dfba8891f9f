// Renders reply nodes as compact text for test expectations: one token per node,
// "<depth>/<type code><size>" for aggregates and "<depth>/<type code>\"<value>\"" otherwise, the
// type code being the RESP type byte ("$?" for a streamed string). "*2 $3 foo :1" renders as
// 0/*2 1/$"foo" 1/:"1".
#pragma once

#include <respool/protocol/resp3/node.hpp>

#include <span>
#include <string>
#include <string_view>

namespace respool::test {

std::string render(std::span<const resp3::node> nodes);

/// Printable bytes as they are, others (and quotes and backslashes) escaped as \xHH.
std::string escape(std::string_view bytes);

}  // namespace respool::test
