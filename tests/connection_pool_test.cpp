// connection_pool and optimistic transactions against the test server.
#include "connection_support.hpp"
#include "stress.hpp"
#include <respool/client/connection_pool.hpp>
#include <respool/client/sync_client.hpp>
#include <respool/protocol/error.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using respool::error;
namespace cmd = respool::cmd;

respool::connection_pool_config pool_for_tests(std::size_t size) {
  respool::connection_pool_config p;
  p.connection = respool::test::server_config();
  p.connection.request_timeout = 10s;
  p.size = size;
  return p;
}

#define RESPOOL_POOL_SERVER_OR_SKIP(pool)                                         \
  do {                                                                            \
    std::error_code probe_ec;                                                     \
    auto probe = (pool).acquire(probe_ec);                                        \
    if (!probe_ec) probe->exec<std::string>(probe_ec, "PING");                    \
    if (probe_ec) {                                                               \
      if (respool::test::server_required()) {                                     \
        FAIL() << "test server required but unreachable: " << probe_ec.message(); \
      }                                                                           \
      GTEST_SKIP() << "no Redis server: " << probe_ec.message();                  \
    }                                                                             \
  } while (false)

TEST(connection_pool_test, eight_threads_ten_thousand_operations_each) {
  respool::connection_pool_config cfg = pool_for_tests(4);
  // Eight threads share four connections: on a loaded machine, under the sanitizers, a thread
  // may wait for one well over the default second. A wait that long is not what this checks.
  cfg.wait_timeout = 30s;
  respool::connection_pool pool(cfg);
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  pool.acquire()->exec<long long>("DEL", "cp:counter");
  constexpr int rounds = respool::test::stress_rounds(10000);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        std::error_code ec;
        auto c = pool.acquire(ec);
        if (ec) {
          ++failures;
          continue;
        }
        c->exec(ec, cmd::incr("cp:counter"));
        if (ec) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pool.acquire()->exec(cmd::get("cp:counter")), std::to_string(8 * rounds));
  const auto s = pool.stats();
  EXPECT_LE(s.created, 4u);
  EXPECT_EQ(s.timeouts, 0u);
}

TEST(connection_pool_test, acquire_waits_then_times_out) {
  auto cfg = pool_for_tests(1);
  cfg.wait_timeout = 50ms;
  respool::connection_pool pool(cfg);
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  auto held = pool.acquire();
  std::error_code ec;
  auto second = pool.acquire(ec);
  EXPECT_EQ(ec, error::pool_timeout);
  EXPECT_FALSE(second);
  EXPECT_THROW((void)pool.acquire(), std::system_error);
  EXPECT_EQ(pool.stats().timeouts, 2u);
  // Given back from another thread, the waiting acquire gets it.
  cfg.wait_timeout = 5s;
  respool::connection_pool patient(cfg);
  auto first = patient.acquire();
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    first.reset();
  });
  auto got = patient.acquire(ec);
  releaser.join();
  EXPECT_FALSE(ec);
  EXPECT_TRUE(got);
  EXPECT_EQ(patient.stats().created, 1u);
}

TEST(connection_pool_test, old_and_idle_connections_are_replaced) {
  auto cfg = pool_for_tests(2);
  cfg.max_lifetime = 20ms;
  respool::connection_pool pool(cfg);
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  const std::size_t before = pool.stats().replaced;  // the probe's, if it was slow
  {
    auto c = pool.acquire();
    std::this_thread::sleep_for(40ms);  // older than max_lifetime when it comes back
  }
  EXPECT_EQ(pool.stats().replaced, before + 1);
  EXPECT_EQ(pool.idle(), 0u);
  auto cfg2 = pool_for_tests(2);
  cfg2.max_idle = 20ms;
  respool::connection_pool idle_pool(cfg2);
  RESPOOL_POOL_SERVER_OR_SKIP(idle_pool);
  EXPECT_EQ(idle_pool.idle(), 1u);
  std::this_thread::sleep_for(40ms);
  auto c = idle_pool.acquire();  // the idle one is closed, a new one made
  EXPECT_EQ(c->exec(cmd::ping()), "PONG");
  EXPECT_EQ(idle_pool.stats().replaced, 1u);
  EXPECT_EQ(idle_pool.stats().created, 2u);
}

TEST(connection_pool_test, optimistic_transactions_retry_on_a_watch_conflict) {
  respool::connection_pool pool(pool_for_tests(2));
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  auto c = pool.acquire();
  c->exec(cmd::set("cp:balance", "100"));
  const std::string_view keys[] = {"cp:balance"};
  int calls = 0;
  std::string next;  // the command views its arguments: they live outside the body
  auto [stored] = respool::optimistic_transaction(*c, keys, [&](respool::sync_client& own) {
    const long long balance = std::stoll(*own.exec(cmd::get("cp:balance")));
    if (++calls == 1) {
      // Another connection changes the key between WATCH and EXEC: the first EXEC aborts.
      pool.acquire()->exec(cmd::set("cp:balance", "150"));
    }
    next = std::to_string(balance - 30);
    return cmd::transaction(cmd::set("cp:balance", next));
  });
  EXPECT_TRUE(stored);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c->exec(cmd::get("cp:balance")), "120");  // 150 - 30: the retry saw the change

  // A conflict on every attempt: too_many_conflicts.
  int n = 0;
  try {
    respool::optimistic_transaction(
        *c, keys,
        [&](respool::sync_client&) {
          pool.acquire()->exec(cmd::incr("cp:balance"));
          ++n;
          return cmd::transaction(cmd::incr("cp:balance"));
        },
        3);
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::too_many_conflicts);
  }
  EXPECT_EQ(n, 3);
}

TEST(connection_pool_test, a_watch_left_by_a_lease_does_not_abort_the_next_transaction) {
  respool::connection_pool pool(pool_for_tests(1));
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  respool::sync_client other(respool::test::server_config());
  {
    auto c = pool.acquire();
    c->exec<std::string>("WATCH", "cp:watched");
  }  // ends between WATCH and EXEC, as an exception would
  other.exec(cmd::set("cp:watched", "changed"));
  auto c = pool.acquire();
  // The same connection (the pool holds one), and its transaction watched nothing.
  EXPECT_EQ(pool.stats().created, 1u);
  const auto done = c->exec(cmd::transaction(cmd::set("cp:plain", "1")));
  ASSERT_TRUE(done.has_value()) << "aborted by a WATCH left by the previous lease";
  EXPECT_TRUE(std::get<0>(*done));
  EXPECT_EQ(pool.stats().discarded, 0u);
}

TEST(connection_pool_test, a_lease_dropped_inside_multi_does_not_pass_it_on) {
  respool::connection_pool pool(pool_for_tests(1));
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  respool::sync_client other(respool::test::server_config());
  other.exec(cmd::del("cp:queued"));
  {
    auto c = pool.acquire();
    c->exec<std::string>("MULTI");
    EXPECT_EQ(c->exec<std::string>("SET", "cp:queued", "never"), "QUEUED");
  }
  // Closed rather than lent again: the queued SET never runs.
  EXPECT_EQ(pool.stats().discarded, 1u);
  EXPECT_EQ(pool.idle(), 0u);
  auto c = pool.acquire();
  const auto done = c->exec(cmd::transaction(cmd::set("cp:queued", "mine")));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(c->exec(cmd::get("cp:queued")), "mine");
  EXPECT_EQ(pool.stats().created, 2u);
}

TEST(connection_pool_test, subscribed_or_blocked_connections_are_closed_on_return) {
  auto cfg = pool_for_tests(1);
  cfg.connection.request_timeout = 200ms;
  respool::connection_pool pool(cfg);
  RESPOOL_POOL_SERVER_OR_SKIP(pool);
  {
    auto c = pool.acquire();
    c->exec<respool::ignore_t>("SUBSCRIBE", "cp:channel");  // done once written (RESP3)
  }
  EXPECT_EQ(pool.stats().discarded, 1u);
  {
    auto c = pool.acquire();
    c->exec<long long>("DEL", "cp:empty");
    std::error_code ec;
    (void)c->exec<std::optional<std::string>>(ec, "BLPOP", "cp:empty", 0);
    EXPECT_EQ(ec, error::request_timeout);  // still blocked on the server
  }
  EXPECT_EQ(pool.stats().discarded, 2u);
  // The next borrower is not stuck behind the blocked pop, nor subscribed.
  auto c = pool.acquire();
  EXPECT_EQ(c->exec(cmd::ping()), "PONG");
  EXPECT_EQ(pool.stats().created, 3u);
}

}  // namespace
