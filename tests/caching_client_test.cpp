// caching_client against the test server: hits, invalidations pushed by the server when
// another connection writes, eviction at the bound, a flush on reconnection, tracking switched
// on without config::client_tracking, and reads made while the connection comes up.
#include "connection_support.hpp"
#include <respool/client/caching_client.hpp>
#include <respool/client/sync_client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using respool::test::run_until;
namespace cmd = respool::cmd;

class caching_client_test : public ::testing::Test {
 protected:
  void SetUp() override {
    respool::config cfg = respool::test::server_config();
    cfg.client_tracking = true;
    conn_ = std::make_unique<respool::connection>(ioc_, cfg);
    conn_->async_run([this](std::error_code ec) {
      ended_ = true;
      run_ec_ = ec;
    });
    if (!run_until(
            ioc_, [&] { return conn_->is_connected() || ended_; }, 5s) ||
        !conn_->is_connected()) {
      if (respool::test::server_required()) FAIL() << "server unreachable: " << run_ec_.message();
      GTEST_SKIP() << "no Redis server: " << run_ec_.message();
    }
    writer_ = std::make_unique<respool::sync_client>(respool::test::server_config());
  }
  void TearDown() override {
    if (!conn_) return;
    conn_->cancel();
    run_until(
        ioc_, [&] { return ended_; }, 5s);
  }

  // One GET through the cache, run to completion.
  std::optional<std::string> get(respool::caching_client& cache, std::string_view key) {
    std::optional<std::string> out;
    bool done = false;
    cache.async_get(key, [&](std::error_code ec, std::optional<std::string> v) {
      EXPECT_FALSE(ec) << ec.message();
      out = std::move(v);
      done = true;
    });
    EXPECT_TRUE(run_until(ioc_, [&] { return done; }));
    return out;
  }

  asio::io_context ioc_;
  std::unique_ptr<respool::connection> conn_;
  std::unique_ptr<respool::sync_client> writer_;
  bool ended_ = false;
  std::error_code run_ec_;
};

TEST_F(caching_client_test, hits_until_the_server_invalidates) {
  respool::caching_client cache(*conn_, 100);
  writer_->exec(cmd::set("cc:k", "v1"));
  writer_->exec(cmd::del("cc:missing"));
  EXPECT_EQ(get(cache, "cc:k"), "v1");
  EXPECT_EQ(get(cache, "cc:k"), "v1");
  EXPECT_EQ(get(cache, "cc:missing"), std::nullopt);
  EXPECT_EQ(get(cache, "cc:missing"), std::nullopt);  // a missing key is cached too
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 2u);
  EXPECT_EQ(cache.size(), 2u);

  // Another connection writes: the server pushes an invalidation, the value goes.
  writer_->exec(cmd::set("cc:k", "v2"));
  ASSERT_TRUE(run_until(ioc_, [&] { return cache.stats().invalidations >= 1; }));
  EXPECT_EQ(get(cache, "cc:k"), "v2");
  EXPECT_EQ(cache.stats().misses, 3u);
  writer_->exec(cmd::set("cc:missing", "now here"));
  ASSERT_TRUE(run_until(ioc_, [&] { return cache.stats().invalidations >= 2; }));
  EXPECT_EQ(get(cache, "cc:missing"), "now here");
  // Invalidations did not reach async_receive.
  EXPECT_EQ(conn_->queued_pushes(), 0u);
}

TEST_F(caching_client_test, stays_within_its_bound) {
  respool::caching_client cache(*conn_, 2);
  for (const char* k : {"cc:a", "cc:b", "cc:c"}) writer_->exec(cmd::set(k, k));
  get(cache, "cc:a");
  get(cache, "cc:b");
  get(cache, "cc:a");  // a is now the most recently used
  get(cache, "cc:c");  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.stats().evictions, 1u);
  const auto hits = cache.stats().hits;
  get(cache, "cc:a");
  EXPECT_EQ(cache.stats().hits, hits + 1);
  get(cache, "cc:b");
  EXPECT_EQ(cache.stats().hits, hits + 1);  // b was evicted: a miss
}

TEST_F(caching_client_test, a_new_connection_flushes_everything) {
  respool::caching_client cache(*conn_, 100);
  writer_->exec(cmd::set("cc:r", "before"));
  EXPECT_EQ(get(cache, "cc:r"), "before");
  // Kill this connection from the writer; it comes back, and the cache starts empty.
  long long id = 0;
  bool got_id = false;
  respool::client c(*conn_);
  c.async_exec<long long>("CLIENT", "ID", [&](std::error_code, long long v) {
    id = v;
    got_id = true;
  });
  ASSERT_TRUE(run_until(ioc_, [&] { return got_id; }));
  const auto flushes = cache.stats().flushes;
  writer_->exec<long long>("CLIENT", "KILL", "ID", id);
  ASSERT_TRUE(run_until(
      ioc_, [&] { return conn_->stats().connects >= 2; }, 10s));
  EXPECT_EQ(cache.stats().flushes, flushes + 1);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(get(cache, "cc:r"), "before");  // fetched again, tracked again
  writer_->exec(cmd::set("cc:r", "after"));
  ASSERT_TRUE(run_until(ioc_, [&] { return cache.stats().invalidations >= 1; }));
  EXPECT_EQ(get(cache, "cc:r"), "after");
}

TEST_F(caching_client_test, default_settings_never_serve_a_stale_value) {
  // No config::client_tracking: the caching_client switches tracking on by itself.
  respool::connection plain(ioc_, respool::test::server_config());
  bool ended = false;
  plain.async_run([&](std::error_code) { ended = true; });
  respool::caching_client cache(plain, 100);
  writer_->exec(cmd::set("cc:d", "old"));
  EXPECT_EQ(get(cache, "cc:d"), "old");
  EXPECT_EQ(get(cache, "cc:d"), "old");
  EXPECT_EQ(cache.stats().hits, 1u);

  writer_->exec(cmd::set("cc:d", "new"));
  std::optional<std::string> seen;
  const bool fresh = run_until(
      ioc_,
      [&] {
        seen = get(cache, "cc:d");
        return seen == "new";
      },
      5s);
  EXPECT_TRUE(fresh) << "still served " << seen.value_or("(nil)");
  EXPECT_EQ(cache.stats().invalidations, 1u);
  const auto hits = cache.stats().hits;
  EXPECT_EQ(get(cache, "cc:d"), "new");  // kept again, and tracked again
  EXPECT_EQ(cache.stats().hits, hits + 1);
  plain.cancel();
  run_until(
      ioc_, [&] { return ended; }, 5s);
}

TEST_F(caching_client_test, reads_made_while_the_connection_comes_up_are_kept) {
  for (const bool tracking : {true, false}) {
    SCOPED_TRACE(tracking ? "config::client_tracking" : "tracking switched on per miss");
    respool::config cfg = respool::test::server_config();
    cfg.client_tracking = tracking;
    respool::connection fresh(ioc_, cfg);
    bool ended = false;
    fresh.async_run([&](std::error_code) { ended = true; });
    respool::caching_client cache(fresh, 100);
    writer_->exec(cmd::set("cc:first", "1"));
    bool done = false;
    cache.async_get("cc:first", [&](std::error_code ec, std::optional<std::string> v) {
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(v, "1");
      done = true;
    });
    EXPECT_FALSE(fresh.is_connected());  // issued before the setup
    ASSERT_TRUE(run_until(ioc_, [&] { return done; }));
    EXPECT_EQ(cache.stats().flushes, 1u);  // the new connection's
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(get(cache, "cc:first"), "1");
    EXPECT_EQ(cache.stats().hits, 1u);
    EXPECT_EQ(cache.stats().misses, 1u);
    fresh.cancel();
    run_until(
        ioc_, [&] { return ended; }, 5s);
  }
}

TEST_F(caching_client_test, a_resp2_connection_is_refused) {
  respool::config cfg = respool::test::server_config();
  cfg.protocol = 2;
  respool::connection resp2(ioc_, cfg);
  EXPECT_THROW(respool::caching_client(resp2, 10), std::invalid_argument);
}

}  // namespace
