// The I/O-free parts of Sentinel support: redis+sentinel:// URIs, the sentinels' replies
// (where the master is, which replicas are up, +switch-master), and the setup's ROLE check.
#include <respool/io/detail/connection_logic.hpp>
#include <respool/io/detail/sentinel_client.hpp>
#include <respool/protocol/config.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/resp3/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using respool::config;
using respool::generic_reply;
using respool::sentinel_role;
using respool::detail::sentinel_address;
using respool::detail::setup_outcome;

generic_reply reply(std::string_view bytes) {
  respool::resp3::parser p;
  std::error_code ec;
  generic_reply out(generic_reply::owning);
  EXPECT_TRUE(p.parse(bytes, ec)) << ec.message();
  out.assign(p.reply());
  return out;
}

TEST(sentinel_logic, uri_lists_the_sentinels_and_names_the_master) {
  config cfg;
  ASSERT_FALSE(respool::parse_uri(
      "redis+sentinel://alice:s3cret@10.0.0.1:5000,[::1],sentinel.local:26380/cache/2", cfg));
  ASSERT_EQ(cfg.sentinel.nodes.size(), 3u);
  EXPECT_EQ(cfg.sentinel.nodes[0].host, "10.0.0.1");
  EXPECT_EQ(cfg.sentinel.nodes[0].port, 5000);
  EXPECT_EQ(cfg.sentinel.nodes[1].host, "::1");
  EXPECT_EQ(cfg.sentinel.nodes[1].port, 26379);
  EXPECT_EQ(cfg.sentinel.nodes[2].host, "sentinel.local");
  EXPECT_EQ(cfg.sentinel.nodes[2].port, 26380);
  EXPECT_EQ(cfg.sentinel.master_name, "cache");
  EXPECT_EQ(cfg.database, 2);
  EXPECT_EQ(cfg.sentinel.role, sentinel_role::master);
  // The userinfo is the servers'; the sentinels' credentials are options.
  EXPECT_EQ(cfg.username, "alice");
  EXPECT_EQ(cfg.password, "s3cret");
  EXPECT_TRUE(cfg.sentinel.password.empty());
  EXPECT_FALSE(cfg.tls.enabled);
  EXPECT_TRUE(cfg.sentinel.enabled());

  config r;
  ASSERT_FALSE(respool::parse_uri("rediss+sentinel://s1/m?role=replica&sentinel_password=pw", r));
  EXPECT_EQ(r.sentinel.role, sentinel_role::replica);
  EXPECT_EQ(r.sentinel.password, "pw");
  EXPECT_TRUE(r.tls.enabled);
  EXPECT_TRUE(r.sentinel.tls.enabled);
}

TEST(sentinel_logic, malformed_sentinel_uris_are_refused) {
  for (const char* uri :
       {"redis+sentinel://h1,h2", "redis+sentinel://h1/", "redis+sentinel:///m",
        "redis+sentinel://h1,,h2/m", "redis+sentinel://h1:0/m", "redis+sentinel://h1/m?role=leader",
        "redis+sentinel://h1/m/x", "redis://h1?role=replica"}) {
    config cfg;
    std::string why;
    EXPECT_EQ(respool::parse_uri(uri, cfg, &why), respool::error::invalid_uri) << uri;
    EXPECT_FALSE(why.empty()) << uri;
    EXPECT_FALSE(cfg.sentinel.enabled()) << uri;
  }
}

TEST(sentinel_logic, master_address) {
  sentinel_address a;
  ASSERT_TRUE(
      respool::detail::read_master_address(reply("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n"), a));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 6380);
  // Unknown name, or not an address.
  EXPECT_FALSE(respool::detail::read_master_address(reply("*-1\r\n"), a));
  EXPECT_FALSE(respool::detail::read_master_address(reply("_\r\n"), a));
  EXPECT_FALSE(respool::detail::read_master_address(reply("-ERR no such master\r\n"), a));
  EXPECT_FALSE(respool::detail::read_master_address(reply("*2\r\n$1\r\nh\r\n$5\r\n70000\r\n"), a));
  EXPECT_FALSE(respool::detail::read_master_address(reply("*1\r\n$1\r\nh\r\n"), a));
}

// One replica of SENTINEL REPLICAS, as a RESP2 flat array.
std::string replica(std::string_view port, std::string_view flags, std::string_view link) {
  std::string out = "*8\r\n";
  for (std::string_view s :
       {std::string_view("ip"), std::string_view("10.0.0.9"), std::string_view("port"), port,
        std::string_view("flags"), flags, std::string_view("master-link-status"), link}) {
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out += s;
    out += "\r\n";
  }
  return out;
}

TEST(sentinel_logic, replicas_that_are_up) {
  const generic_reply r = reply("*3\r\n" + replica("7001", "slave,s_down", "ok") +
                                replica("7002", "slave", "ok") + replica("7003", "slave", "err"));
  for (std::size_t pick = 0; pick < 4; ++pick) {
    sentinel_address a;
    ASSERT_TRUE(respool::detail::read_replica_address(r, pick, a));
    EXPECT_EQ(a.port, 7002) << "the only one up";
    EXPECT_EQ(a.host, "10.0.0.9");
  }
  // RESP3: maps.
  const generic_reply m = reply(
      "*1\r\n%4\r\n+ip\r\n+h\r\n+port\r\n+7004\r\n+flags\r\n+slave\r\n"
      "+master-link-status\r\n+ok\r\n");
  sentinel_address a;
  ASSERT_TRUE(respool::detail::read_replica_address(m, 0, a));
  EXPECT_EQ(a.port, 7004);
  EXPECT_FALSE(respool::detail::read_replica_address(reply("*0\r\n"), 0, a));
  EXPECT_FALSE(respool::detail::read_replica_address(
      reply("*1\r\n" + replica("7001", "slave,disconnected", "ok")), 0, a));
}

TEST(sentinel_logic, switch_master_messages) {
  sentinel_address a;
  ASSERT_TRUE(respool::detail::read_switch_master("cache 10.0.0.1 6379 10.0.0.2 6380", "cache", a));
  EXPECT_EQ(a.host, "10.0.0.2");
  EXPECT_EQ(a.port, 6380);
  EXPECT_FALSE(respool::detail::read_switch_master("other 1 6379 2 6380", "cache", a));
  EXPECT_FALSE(respool::detail::read_switch_master("cache 1 6379 2", "cache", a));
  EXPECT_FALSE(respool::detail::read_switch_master("cache 1 6379 2 6380 extra", "cache", a));
}

TEST(sentinel_logic, setup_sends_role_and_checks_it) {
  config cfg;
  cfg.sentinel.nodes.push_back({"s", 26379});
  respool::request req;
  respool::detail::build_setup(cfg, 3, respool::detail::subscriptions{}, req);
  std::string bytes;
  req.flatten_into(bytes);
  EXPECT_NE(bytes.find("ROLE\r\n*1\r\n$4\r\nPING\r\n"), std::string::npos) << bytes;

  const std::vector<generic_reply> master = {reply("%1\r\n+server\r\n+redis\r\n"),
                                             reply("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
                                             reply("+PONG\r\n")};
  setup_outcome ok;
  respool::detail::evaluate_role(master, sentinel_role::master, ok);
  EXPECT_EQ(ok.verdict, setup_outcome::established);
  setup_outcome wrong;
  respool::detail::evaluate_role(master, sentinel_role::replica, wrong);
  EXPECT_EQ(wrong.verdict, setup_outcome::wrong_role);
  EXPECT_EQ(wrong.message, "ROLE says master");
  const std::vector<generic_reply> none = {reply("+PONG\r\n")};
  setup_outcome missing;
  respool::detail::evaluate_role(none, sentinel_role::master, missing);
  EXPECT_EQ(missing.verdict, setup_outcome::wrong_role);
}

}  // namespace
