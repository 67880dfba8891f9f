#include <respool/protocol/resp3/type.hpp>

namespace respool::resp3 {

std::string_view to_string(type t) noexcept {
  switch (t) {
    case type::simple_string:
      return "simple string";
    case type::simple_error:
      return "simple error";
    case type::number:
      return "number";
    case type::bulk_string:
      return "bulk string";
    case type::null:
      return "null";
    case type::boolean:
      return "boolean";
    case type::double_:
      return "double";
    case type::big_number:
      return "big number";
    case type::bulk_error:
      return "bulk error";
    case type::verbatim_string:
      return "verbatim string";
    case type::array:
      return "array";
    case type::map:
      return "map";
    case type::set:
      return "set";
    case type::attribute:
      return "attribute";
    case type::push:
      return "push";
    case type::streamed_string:
      return "streamed string";
    case type::streamed_string_part:
      return "streamed string part";
  }
  return "unknown type";
}

}  // namespace respool::resp3
