// script without a server: the SHA1, the two encodings, and when a run falls back to the source.
#include <respool/protocol/adapt.hpp>
#include <respool/protocol/error.hpp>
#include <respool/protocol/request.hpp>
#include <respool/protocol/script.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace {

using respool::adapt_error;
using respool::error;
using respool::script;

std::string bytes_of(const respool::request& req) {
  std::string out;
  req.flatten_into(out);
  return out;
}

adapt_error server_says(std::string message) {
  adapt_error e;
  e.code = error::server_error;
  e.message = std::move(message);
  return e;
}

TEST(script_test, sha1_is_the_lower_case_hex_digest_of_the_source) {
  const script s("return 1");
  EXPECT_EQ(s.source(), "return 1");
  EXPECT_EQ(s.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(script_test, encodes_evalsha_or_eval_with_keys_then_args) {
  const script s("return 1");
  const std::string_view keys[] = {"k"}, args[] = {"a", "b"};
  respool::request by_sha, by_source;
  s.encode(by_sha, keys, args, false);
  s.encode(by_source, keys, args, true);
  EXPECT_EQ(bytes_of(by_sha),
            "*6\r\n$7\r\nEVALSHA\r\n$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n"
            "$1\r\n1\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(bytes_of(by_source),
            "*6\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n1\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST(script_test, noscript_brings_one_attempt_by_source) {
  script::attempts run;
  EXPECT_FALSE(run.by_source());
  EXPECT_TRUE(run.retry(server_says("NOSCRIPT No matching script. Please use EVAL.")));
  EXPECT_TRUE(run.by_source());
  // The source is sent once: a second NOSCRIPT ends the run.
  EXPECT_FALSE(run.retry(server_says("NOSCRIPT No matching script. Please use EVAL.")));
}

TEST(script_test, success_or_any_other_error_ends_the_run) {
  script::attempts ok;
  EXPECT_FALSE(ok.retry(adapt_error{}));
  EXPECT_FALSE(ok.by_source());
  script::attempts script_error;
  EXPECT_FALSE(script_error.retry(server_says("ERR Error running script")));
  script::attempts down;
  adapt_error not_connected;
  not_connected.code = error::not_connected;
  not_connected.message = "NOSCRIPT-looking text that is not the server's";
  EXPECT_FALSE(down.retry(not_connected));
  EXPECT_FALSE(down.by_source());
}

}  // namespace
