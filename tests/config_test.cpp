#include <respool/protocol/config.hpp>
#include <respool/protocol/error.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

namespace {

using respool::config;
using respool::error;
using respool::parse_uri;

// Parses `uri` into `cfg` and fails the test, with the reason, when that fails.
config parse_ok(std::string_view uri, config cfg = {}) {
  std::string why;
  const std::error_code ec = parse_uri(uri, cfg, &why);
  EXPECT_FALSE(ec) << uri << ": " << why;
  return cfg;
}

// Every field parse_uri may write, and one it never does, for "left unchanged" checks.
auto fields(const config& c) {
  return std::tie(c.host, c.port, c.unix_socket, c.username, c.password, c.database, c.protocol,
                  c.client_name, c.tls.enabled, c.tls.verify_peer, c.tls.server_name,
                  c.connect_timeout);
}

// A config whose every field differs from what any URI below would write.
config preset() {
  config c;
  c.host = "preset.example";
  c.port = 1234;
  c.unix_socket = "/preset.sock";
  c.username = "preset-user";
  c.password = "preset-password";
  c.database = 7;
  c.protocol = 2;
  c.client_name = "preset-name";
  c.tls.enabled = true;
  c.tls.verify_peer = false;
  c.tls.server_name = "preset-sni";
  c.connect_timeout = std::chrono::milliseconds(4321);
  return c;
}

// Expects `uri` to be refused with a one-line reason and `cfg` left as it was.
std::string expect_invalid(std::string_view uri) {
  config cfg = preset();
  std::string why;
  const std::error_code ec = parse_uri(uri, cfg, &why);
  EXPECT_EQ(ec, error::invalid_uri) << uri;
  EXPECT_FALSE(why.empty()) << uri;
  EXPECT_EQ(why.find('\n'), std::string::npos) << uri << ": " << why;
  EXPECT_TRUE(fields(cfg) == fields(preset())) << uri << ": cfg was modified";
  return why;
}

TEST(config_test, host_alone_takes_the_defaults) {
  const config c = parse_ok("redis://localhost");
  EXPECT_EQ(c.host, "localhost");
  EXPECT_EQ(c.port, 6379);
  EXPECT_EQ(c.database, 0);
  EXPECT_EQ(c.protocol, 3);
  EXPECT_TRUE(c.username.empty());
  EXPECT_TRUE(c.password.empty());
  EXPECT_TRUE(c.unix_socket.empty());
  EXPECT_FALSE(c.tls.enabled);
}

TEST(config_test, ipv4_port_and_database) {
  const config c = parse_ok("redis://127.0.0.1:6380/2");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 6380);
  EXPECT_EQ(c.database, 2);
}

TEST(config_test, every_part_at_once) {
  const config c = parse_ok("redis://user:p%40ss@h:1/3?protocol=2&client_name=my%5Fapp");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.password, "p@ss");
  EXPECT_EQ(c.host, "h");
  EXPECT_EQ(c.port, 1);
  EXPECT_EQ(c.database, 3);
  EXPECT_EQ(c.protocol, 2);
  EXPECT_EQ(c.client_name, "my_app");
}

TEST(config_test, client_name_the_server_would_refuse_is_an_error) {
  // CLIENT SETNAME refuses spaces; refusing here says so before any connection is made.
  const std::string why =
      expect_invalid("redis://user:p%40ss@h:1/3?protocol=2&client_name=my%20app");
  EXPECT_NE(why.find("client_name 'my app'"), std::string::npos) << why;
  expect_invalid("redis://h?client_name=a%0Ab");
  expect_invalid("redis://h?client_name=%C3%A9");
}

TEST(config_test, client_name_keeps_plus_and_may_be_empty) {
  EXPECT_EQ(parse_ok("redis://h?client_name=a+b").client_name, "a+b");
  EXPECT_EQ(parse_ok("redis://h?client_name=", preset()).client_name, "");
}

TEST(config_test, password_only_userinfo) {
  const config c = parse_ok("redis://:secret@h");
  EXPECT_EQ(c.username, "");
  EXPECT_EQ(c.password, "secret");
  EXPECT_EQ(c.host, "h");
}

TEST(config_test, userinfo_without_colon_is_the_password_as_in_redis_cli) {
  const config c = parse_ok("redis://secret@h", preset());
  EXPECT_EQ(c.username, "");
  EXPECT_EQ(c.password, "secret");
}

TEST(config_test, userinfo_sets_both_credentials_and_its_absence_neither) {
  const config with = parse_ok("redis://:pw@h", preset());
  EXPECT_EQ(with.username, "");
  EXPECT_EQ(with.password, "pw");
  const config empty = parse_ok("redis://@h", preset());
  EXPECT_EQ(empty.username, "");
  EXPECT_EQ(empty.password, "");
  const config without = parse_ok("redis://h", preset());
  EXPECT_EQ(without.username, "preset-user");
  EXPECT_EQ(without.password, "preset-password");
}

// The details tell ":pw@" (an empty user name) from "pw@" (none), and a port from none.
TEST(config_test, details_say_which_parts_the_uri_gave) {
  const auto details_of = [](std::string_view uri) {
    config cfg;
    respool::uri_details d;
    d.userinfo = d.username = d.port = true;  // all overwritten
    EXPECT_FALSE(parse_uri(uri, cfg, d)) << uri;
    return d;
  };
  const respool::uri_details empty_user = details_of("redis://:pw@h");
  EXPECT_TRUE(empty_user.userinfo);
  EXPECT_TRUE(empty_user.username);
  EXPECT_FALSE(empty_user.port);
  const respool::uri_details password_only = details_of("redis://pw@h:7000");
  EXPECT_TRUE(password_only.userinfo);
  EXPECT_FALSE(password_only.username);
  EXPECT_TRUE(password_only.port);
  const respool::uri_details bare = details_of("rediss://[::1]/2");
  EXPECT_FALSE(bare.userinfo);
  EXPECT_FALSE(bare.username);
  EXPECT_FALSE(bare.port);
  EXPECT_TRUE(details_of("unix://u:@/tmp/s").username);
}

TEST(config_test, raw_at_and_colon_in_the_password) {
  const config at = parse_ok("redis://u:p@ss@h:7");
  EXPECT_EQ(at.username, "u");
  EXPECT_EQ(at.password, "p@ss");
  EXPECT_EQ(at.host, "h");
  EXPECT_EQ(at.port, 7);
  const config colon = parse_ok("redis://u:a:b@h");
  EXPECT_EQ(colon.username, "u");
  EXPECT_EQ(colon.password, "a:b");
}

TEST(config_test, user_and_password_are_percent_decoded) {
  const config c = parse_ok("redis://us%3Aer:%2F%3F%23%25%20@h");
  EXPECT_EQ(c.username, "us:er");
  EXPECT_EQ(c.password, "/?#% ");
}

TEST(config_test, rediss_turns_tls_on_and_leaves_server_name_empty) {
  const config c = parse_ok("rediss://h");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_TRUE(c.tls.verify_peer);
  EXPECT_TRUE(c.tls.server_name.empty());
  EXPECT_EQ(c.host, "h");
  EXPECT_EQ(c.port, 6379);
}

TEST(config_test, insecure_switches_verification_off) {
  const config c = parse_ok("rediss://h?insecure");
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_FALSE(c.tls.verify_peer);
  EXPECT_TRUE(c.tls.server_name.empty());
  EXPECT_FALSE(parse_ok("rediss://h?insecure=true").tls.verify_peer);
  EXPECT_FALSE(parse_ok("rediss://h?insecure=1").tls.verify_peer);
  EXPECT_TRUE(parse_ok("rediss://h?insecure=false", preset()).tls.verify_peer);
  EXPECT_TRUE(parse_ok("rediss://h?insecure=0", preset()).tls.verify_peer);
}

TEST(config_test, bracketed_ipv6_with_and_without_port) {
  const config with_port = parse_ok("redis://[::1]:6380");
  EXPECT_EQ(with_port.host, "::1");
  EXPECT_EQ(with_port.port, 6380);
  const config without_port = parse_ok("redis://[::1]");
  EXPECT_EQ(without_port.host, "::1");
  EXPECT_EQ(without_port.port, 6379);
  EXPECT_EQ(parse_ok("redis://[::ffff:192.0.2.1]/4").host, "::ffff:192.0.2.1");
}

TEST(config_test, ipv6_zone_id_is_decoded) {
  const config c = parse_ok("redis://[fe80::1%25eth0]:6380");
  EXPECT_EQ(c.host, "fe80::1%eth0");
  EXPECT_EQ(c.port, 6380);
}

TEST(config_test, unix_socket_with_db_option) {
  const config c = parse_ok("unix:///run/redis.sock?db=4", preset());
  EXPECT_EQ(c.unix_socket, "/run/redis.sock");
  EXPECT_EQ(c.database, 4);
  EXPECT_FALSE(c.tls.enabled);
  // Host and port are not used with a socket, so they are left alone.
  EXPECT_EQ(c.host, "preset.example");
  EXPECT_EQ(c.port, 1234);
}

TEST(config_test, redis_plus_unix_path_is_percent_decoded) {
  EXPECT_EQ(parse_ok("redis+unix:///tmp/r%20s.sock").unix_socket, "/tmp/r s.sock");
}

TEST(config_test, unix_socket_may_carry_credentials) {
  const config c = parse_ok("unix://u:pw@/run/redis.sock");
  EXPECT_EQ(c.unix_socket, "/run/redis.sock");
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "pw");
}

TEST(config_test, scheme_is_case_insensitive) {
  const config upper = parse_ok("REDIS://Host:6380");
  EXPECT_EQ(upper.host, "Host");
  EXPECT_EQ(upper.port, 6380);
  EXPECT_FALSE(upper.tls.enabled);
  EXPECT_TRUE(parse_ok("ReDiSs://h").tls.enabled);
  EXPECT_EQ(parse_ok("UNIX:///s.sock").unix_socket, "/s.sock");
  EXPECT_EQ(parse_ok("Redis+Unix:///s.sock").unix_socket, "/s.sock");
}

TEST(config_test, scheme_chooses_the_transport) {
  const config tcp = parse_ok("redis://h", preset());
  EXPECT_TRUE(tcp.unix_socket.empty());
  EXPECT_FALSE(tcp.tls.enabled);
  const config tls = parse_ok("rediss://h", preset());
  EXPECT_TRUE(tls.unix_socket.empty());
  EXPECT_TRUE(tls.tls.enabled);
  EXPECT_FALSE(parse_ok("unix:///s.sock", preset()).tls.enabled);
}

TEST(config_test, fields_the_uri_does_not_mention_are_kept) {
  const config c = parse_ok("redis://h", preset());
  EXPECT_EQ(c.database, 7);
  EXPECT_EQ(c.protocol, 2);
  EXPECT_EQ(c.client_name, "preset-name");
  EXPECT_FALSE(c.tls.verify_peer);
  EXPECT_EQ(c.tls.server_name, "preset-sni");
  EXPECT_EQ(c.connect_timeout, std::chrono::milliseconds(4321));
  // A path of "/" names no database.
  EXPECT_EQ(parse_ok("redis://h/", preset()).database, 7);
  // The port is not kept: a TCP URI without one means 6379.
  EXPECT_EQ(c.port, 6379);
}

TEST(config_test, database_from_query_or_path) {
  EXPECT_EQ(parse_ok("redis://h?db=5").database, 5);
  EXPECT_EQ(parse_ok("redis://h/?db=5").database, 5);
  EXPECT_EQ(parse_ok("redis://h/5?db=5").database, 5);
  EXPECT_EQ(parse_ok("redis://h/0?db=0", preset()).database, 0);
  EXPECT_EQ(parse_ok("redis://h/2147483647").database, INT_MAX);
  EXPECT_EQ(parse_ok("redis://h/%32").database, 2);
}

TEST(config_test, port_bounds) {
  EXPECT_EQ(parse_ok("redis://h:1").port, 1);
  EXPECT_EQ(parse_ok("redis://h:65535").port, 65535);
  EXPECT_EQ(parse_ok("redis://h:06379").port, 6379);
}

TEST(config_test, protocol_option) {
  EXPECT_EQ(parse_ok("redis://h?protocol=2").protocol, 2);
  EXPECT_EQ(parse_ok("redis://h?protocol=3", preset()).protocol, 3);
}

TEST(config_test, empty_options_are_ignored) {
  EXPECT_EQ(parse_ok("redis://h?").host, "h");
  const config c = parse_ok("redis://h?&protocol=2&&db=1&");
  EXPECT_EQ(c.protocol, 2);
  EXPECT_EQ(c.database, 1);
}

TEST(config_test, host_is_percent_decoded) {
  EXPECT_EQ(parse_ok("redis://my%2Dhost:1").host, "my-host");
}

// URIs parse_uri must refuse: the scheme, the authority, the port, the path's database, the
// query's parameters and the unix form, each broken in the ways seen in the wild.
constexpr std::string_view malformed_uris[] = {
    "",
    "localhost",
    "localhost:6379",
    "http://h",
    "redis:h",
    "redis:/h",
    "redis://",
    "redis://:6380",
    "redis://?db=1",
    "redis://u:p@",
    "rediss://",
    "redis://h:",
    "redis://h:0",
    "redis://h:65536",
    "redis://h:99999",
    "redis://h:99999999999999999999999",
    "redis://h:-1",
    "redis://h:+1",
    "redis://h:12a",
    "redis://h: 1",
    "redis://[::1",
    "redis://[::1]x",
    "redis://[::1]:",
    "redis://[]",
    "redis://[zz::1]",
    "redis://[127.0.0.1]",
    "redis://[fe80::1%eth0]",
    "redis://[fe80::1%25]",
    "redis://[fe80::1%25e%zz]",
    "redis://::1",
    "redis://h:1:2",
    "redis://ho^st",
    "redis://h]",
    "redis://h%zz",
    "redis://h%00",
    "redis://h/x",
    "redis://h/1/2",
    "redis://h//1",
    "redis://h/-1",
    "redis://h/+1",
    "redis://h/2147483648",
    "redis://h/%zz",
    "redis://h#frag",
    "redis://h/1#",
    "redis://h\x01",
    "redis://h\t",
    "redis://u:%4@h",
    "redis://u:%zz@h",
    "redis://%zz:p@h",
    "redis://h?foo=1",
    "redis://h?DB=1",
    "redis://h?protocol=4",
    "redis://h?protocol=",
    "redis://h?protocol",
    "redis://h?protocol=2&protocol=2",
    "redis://h?db=x",
    "redis://h?db=-1",
    "redis://h?db=",
    "redis://h?db",
    "redis://h?db=2147483648",
    "redis://h/1?db=2",
    "redis://h?db=1&db=2",
    "redis://h?client_name",
    "redis://h?client_name=%4",
    "redis://h?insecure",
    "rediss://h?insecure=yes",
    "unix:///s.sock?insecure",
    "unix:relative.sock",
    "unix://",
    "unix:///",
    "unix:///tmp/",
    "unix://host/s.sock",
    "unix://u:p@host/s.sock",
    "unix:///a%00b",
    "unix:///tmp/x%2",
    "unix:///s.sock?db=x",
    "redis+unix://?db=1",
};

TEST(config_test, malformed_uris_are_refused_and_leave_cfg_unchanged) {
  int checked = 0;
  for (const std::string_view uri : malformed_uris) {
    SCOPED_TRACE(::testing::Message() << "uri: " << uri);
    expect_invalid(uri);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(config_test, reasons_name_the_problem) {
  EXPECT_EQ(expect_invalid("redis://h:99999"), "invalid port '99999' in 'redis://h:99999'");
  EXPECT_NE(expect_invalid("http://h").find("unsupported scheme 'http'"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://:6380").find("missing host"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h:").find("empty port"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://[::1").find("unterminated '['"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h?foo=1").find("unknown option 'foo'"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h?insecure").find("rediss://"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h/1?db=2").find("differs"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h#x").find("fragment"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h?db=1&db=1").find("given twice"), std::string::npos);
  EXPECT_NE(expect_invalid("redis://h/x%zz").find("'%zz'"), std::string::npos);
}

TEST(config_test, reasons_do_not_show_the_password) {
  for (const std::string_view uri :
       {"redis://user:hunter2@h:99999", "redis://hunter2@h:0", "redis://:hunter2@h?nope",
        "redis://u:hun%zzter2@h", "rediss://u:hunter2@h?insecure=maybe"}) {
    const std::string why = expect_invalid(uri);
    EXPECT_EQ(why.find("hunter2"), std::string::npos) << why;
    EXPECT_EQ(why.find("hun%zzter2"), std::string::npos) << why;
  }
  EXPECT_NE(expect_invalid("redis://user:hunter2@h:0").find("redis://user:***@h:0"),
            std::string::npos);
}

TEST(config_test, reasons_are_bounded_and_printable) {
  const std::string long_uri = "redis://" + std::string(100000, 'a') + ":0";
  EXPECT_LT(expect_invalid(long_uri).size(), 1000u);
  const std::string why = expect_invalid("redis://h\x01x");
  for (const char c : why) EXPECT_GE(static_cast<unsigned char>(c), 0x20u) << why;
}

TEST(config_test, why_may_be_omitted) {
  config cfg = preset();
  EXPECT_EQ(parse_uri("http://h", cfg), error::invalid_uri);
  EXPECT_TRUE(fields(cfg) == fields(preset()));
  EXPECT_FALSE(parse_uri("redis://h:6380", cfg));
  EXPECT_EQ(cfg.port, 6380);
}

TEST(config_test, config_from_uri_returns_the_parsed_config) {
  const config c = respool::config_from_uri("rediss://:pw@cache.example:6390/1?insecure");
  EXPECT_EQ(c.host, "cache.example");
  EXPECT_EQ(c.port, 6390);
  EXPECT_EQ(c.password, "pw");
  EXPECT_EQ(c.database, 1);
  EXPECT_TRUE(c.tls.enabled);
  EXPECT_FALSE(c.tls.verify_peer);
  EXPECT_EQ(c.connect_timeout, config{}.connect_timeout);
}

TEST(config_test, config_from_uri_throws_with_the_reason) {
  try {
    (void)respool::config_from_uri("http://h");
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::invalid_uri);
    EXPECT_NE(std::string_view(e.what()).find("unsupported scheme 'http'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
