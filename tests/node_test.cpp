// The walk over a reply's flat node array: child counts, subtree ends, children in order.

#include <respool/protocol/resp3/node.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using respool::resp3::node;
using respool::resp3::type;

// The nodes of the one reply in `wire`.
std::vector<node> parse(std::string_view wire) {
  respool::resp3::parser p;
  std::error_code ec;
  EXPECT_TRUE(p.parse(wire, ec)) << wire;
  EXPECT_FALSE(ec) << ec.message();
  return {p.reply().begin(), p.reply().end()};
}

TEST(node_test, child_count_is_elements_or_twice_the_pairs) {
  EXPECT_EQ(respool::resp3::child_count(parse("*3\r\n:1\r\n:2\r\n:3\r\n")[0]), 3u);
  EXPECT_EQ(respool::resp3::child_count(parse("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n")[0]), 4u);
  EXPECT_EQ(respool::resp3::child_count(parse("$?\r\n;2\r\nab\r\n;0\r\n")[0]), 1u);
  EXPECT_EQ(respool::resp3::child_count(parse(":7\r\n")[0]), 0u);
  EXPECT_EQ(respool::resp3::child_count(parse("*0\r\n")[0]), 0u);
}

TEST(node_test, subtree_end_passes_over_nested_aggregates) {
  // [[1, {a: [2, 3]}], 4]
  const auto nodes = parse("*2\r\n*2\r\n:1\r\n%1\r\n+a\r\n*2\r\n:2\r\n:3\r\n:4\r\n");
  ASSERT_EQ(nodes.size(), 9u);
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 0), 9u);  // the whole reply
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 1), 8u);  // [1, {a: [2, 3]}]
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 2), 3u);  // 1
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 3), 8u);  // {a: [2, 3]}
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 5), 8u);  // [2, 3]
  EXPECT_EQ(respool::resp3::subtree_end(nodes, 8), 9u);  // 4
}

TEST(node_test, subtree_end_stops_at_the_end_of_a_cut_reply) {
  const auto nodes = parse("*3\r\n:1\r\n*2\r\n:2\r\n:3\r\n:4\r\n");
  const std::vector<node> cut(nodes.begin(), nodes.begin() + 4);  // [1, [2
  EXPECT_EQ(respool::resp3::subtree_end(cut, 0), 4u);
  EXPECT_EQ(respool::resp3::subtree_end(cut, 2), 4u);
  EXPECT_EQ(respool::resp3::subtree_end(cut, 4), 4u);
}

TEST(node_test, for_each_child_visits_each_child_once_in_order) {
  // {a: [1, 2], b: 3}
  const auto nodes = parse("%2\r\n+a\r\n*2\r\n:1\r\n:2\r\n+b\r\n:3\r\n");
  std::vector<std::size_t> seen;
  const std::size_t end =
      respool::resp3::for_each_child(nodes, 0, [&](std::size_t j) { seen.push_back(j); });
  EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 5, 6}));
  EXPECT_EQ(end, nodes.size());

  seen.clear();
  EXPECT_EQ(respool::resp3::for_each_child(nodes, 2, [&](std::size_t j) { seen.push_back(j); }),
            5u);
  EXPECT_EQ(seen, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(nodes[seen[1]].value, "2");
}

TEST(node_test, a_leaf_has_no_children) {
  const auto nodes = parse("$3\r\nfoo\r\n");
  bool called = false;
  EXPECT_EQ(respool::resp3::for_each_child(nodes, 0, [&](std::size_t) { called = true; }), 1u);
  EXPECT_FALSE(called);
  EXPECT_EQ(nodes[0].data_type, type::bulk_string);
}

}  // namespace
