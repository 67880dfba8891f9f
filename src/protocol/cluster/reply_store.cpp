#include <respool/protocol/cluster/detail/reply_store.hpp>

namespace respool::cluster::detail {

void reply_store::put(std::size_t index, resp3::reply_view reply) {
  entries_.push_back({index, nodes_.size(), reply.size()});
  for (const resp3::node& n : reply) {
    kept_node k{n, bytes_.size(), n.value.size()};
    k.node.value = {};
    bytes_.append(n.value);
    nodes_.push_back(k);
  }
}

resp3::reply_view reply_store::get(std::size_t index) {
  for (const entry& e : entries_) {
    if (e.index != index) continue;
    view_.clear();
    for (std::size_t i = e.first; i < e.first + e.count; ++i) {
      resp3::node n = nodes_[i].node;
      n.value = std::string_view(bytes_.data() + nodes_[i].offset, nodes_[i].size);
      view_.push_back(n);
    }
    return view_;
  }
  return {};
}

void reply_store::clear() noexcept {
  entries_.clear();
  nodes_.clear();
  bytes_.clear();
  view_.clear();
}

}  // namespace respool::cluster::detail
