// The benchmark executable against a private TLS-only redis-server: the TLS flags and
// rediss:// URIs reach the connection, and the certificate is verified unless --insecure.
#include "benchmark_process.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>

#include <sys/wait.h>

using respool::test::server_options;

namespace {

using respool::test::process_output;
using respool::test::run_benchmark;

server_options tls_only() {
  server_options o;
  o.tls = true;
  return o;
}

}  // namespace

TEST(benchmark_tls_test, runs_over_tls_with_flags_and_with_a_rediss_uri) {
  RESPOOL_START_SERVER_OR_SKIP(server, tls_only());
  const std::string port = std::to_string(server->port());
  const std::string ca = " --cacert '" + server->ca_file() + "'";

  const process_output flags =
      run_benchmark("-h 127.0.0.1 -p " + port + " --tls" + ca + " -n 300 -c 3 -t set,get --csv");
  ASSERT_EQ(flags.status, 0) << flags.out;
  const std::regex row("\"(SET|GET)\",\"\\d+\\.\\d\\d\"(,\"\\d+\\.\\d\\d\\d\"){6}\n");
  EXPECT_EQ(std::distance(std::sregex_iterator(flags.out.begin(), flags.out.end(), row),
                          std::sregex_iterator()),
            2)
      << flags.out;

  // The URI switches TLS on; a client certificate goes along when given.
  const process_output uri = run_benchmark("-u rediss://localhost:" + port + ca + " --cert '" +
                                           server->client_cert_file() + "' --key '" +
                                           server->client_key_file() + "' -n 100 -c 1 -t ping -q");
  ASSERT_EQ(uri.status, 0) << uri.out;
  EXPECT_NE(uri.out.find("PING_MBULK: "), std::string::npos) << uri.out;
}

TEST(benchmark_tls_test, the_server_certificate_is_verified_unless_insecure) {
  RESPOOL_START_SERVER_OR_SKIP(server, tls_only());
  const std::string where = "-h 127.0.0.1 -p " + std::to_string(server->port()) + " --tls";

  // The test CA is not among the system's: the chain does not verify.
  const process_output untrusted = run_benchmark(where + " -n 10 -c 1 -t ping -q");
  EXPECT_EQ(untrusted.status, 1) << untrusted.out;
  EXPECT_NE(untrusted.out.find("Could not connect to Redis at 127.0.0.1:"), std::string::npos)
      << untrusted.out;

  // The name checked is --sni's, which the certificate does not carry.
  const process_output wrong_name = run_benchmark(where + " --cacert '" + server->ca_file() +
                                                  "' --sni wrong.example -n 10 -c 1 -t ping -q");
  EXPECT_EQ(wrong_name.status, 1) << wrong_name.out;

  const process_output insecure = run_benchmark(where + " --insecure -n 10 -c 1 -t ping -q");
  EXPECT_EQ(insecure.status, 0) << insecure.out;
  EXPECT_NE(insecure.out.find("PING_INLINE: "), std::string::npos) << insecure.out;
}
