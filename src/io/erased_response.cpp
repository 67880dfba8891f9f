// The type-erased adapters of the most used response types, compiled once here rather than in
// every program (erased_response.hpp declares them extern).
#include <respool/io/detail/erased_response.hpp>

#include <optional>
#include <string>
#include <vector>

namespace respool::detail {
template struct erased_adapter<ignore_t>;
template struct erased_adapter<generic_response>;
template struct erased_adapter<generic_reply>;
template struct erased_adapter<std::string>;
template struct erased_adapter<std::optional<std::string>>;
template struct erased_adapter<long long>;
template struct erased_adapter<bool>;
template struct erased_adapter<double>;
template struct erased_adapter<std::vector<std::string>>;
template struct erased_adapter<std::vector<std::optional<std::string>>>;

}  // namespace respool::detail
