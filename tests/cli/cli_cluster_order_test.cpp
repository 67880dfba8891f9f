// The order in which the cluster manager lists what it keeps in a hash table (the open slots
// of check, the unreachable nodes while create waits): redis-cli 7.0's, as its --cluster check
// printed it for these slots.
#include "cluster_manager.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using respool::cli::cluster::dict_order;
using respool::cli::cluster::dict_use;
using words = std::vector<std::string>;

TEST(cli_cluster_order, a_few_keys_in_the_first_table) {
  EXPECT_EQ(dict_order({"5", "6", "7", "8", "9"}, dict_use::replace),
            (words{"8", "7", "6", "5", "9"}));
}

TEST(cli_cluster_order, keys_seen_twice_keep_their_place) {
  // Each slot migrating on one node and importing on another: added, then replaced.
  const words once{"0", "1", "2", "3", "10", "11", "17", "100", "1000"};
  words twice = once;
  twice.insert(twice.end(), once.begin(), once.end());
  EXPECT_EQ(dict_order(twice, dict_use::replace),
            (words{"10", "1000", "1", "11", "100", "3", "17", "2", "0"}));
}

TEST(cli_cluster_order, a_table_that_grew_twice) {
  const words added{"1",   "12",   "17",   "42",   "64",   "77",   "128",  "256",  "300",  "512",
                    "999", "1024", "1234", "2222", "2500", "3333", "4000", "4999", "5000", "5460"};
  EXPECT_EQ(dict_order(added, dict_use::replace),
            (words{"3333", "12",   "1",    "64",  "42",   "2500", "512", "17",  "300",  "1024",
                   "999",  "5460", "4999", "256", "2222", "5000", "77",  "128", "1234", "4000"}));
}

TEST(cli_cluster_order, looked_up_keys_are_listed_once) {
  const words order = dict_order({"a:1", "b:2", "a:1", "c:3", "b:2"}, dict_use::find_then_add);
  ASSERT_EQ(order.size(), 3U);
  EXPECT_EQ(dict_order({}, dict_use::find_then_add), words{});
}

}  // namespace
