// The stall watch alone, on made-up times: when a count that stops moving becomes a stall,
// and how the stall is worded.
#include "stall_watch.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace rb = respool::benchmark;
using namespace std::chrono_literals;

namespace {

const rb::stall_watch::clock::time_point t0{};

}  // namespace

TEST(benchmark_stall_watch_test, a_count_that_stays_still_for_the_limit_is_a_stall) {
  rb::stall_watch w(1000ms, t0);
  EXPECT_FALSE(w.stalled(0, t0 + 250ms));
  EXPECT_FALSE(w.stalled(0, t0 + 999ms));
  EXPECT_TRUE(w.stalled(0, t0 + 1000ms));
  EXPECT_TRUE(w.stalled(0, t0 + 5000ms));
}

TEST(benchmark_stall_watch_test, progress_restarts_the_clock) {
  rb::stall_watch w(1000ms, t0);
  EXPECT_FALSE(w.stalled(5, t0 + 900ms));
  EXPECT_FALSE(w.stalled(5, t0 + 1800ms));
  EXPECT_FALSE(w.stalled(6, t0 + 1900ms));
  EXPECT_FALSE(w.stalled(6, t0 + 2800ms));
  EXPECT_TRUE(w.stalled(6, t0 + 2900ms));
  // The count moving again after a stall is progress too.
  EXPECT_FALSE(w.stalled(7, t0 + 3000ms));
}

TEST(benchmark_stall_watch_test, a_zero_limit_waits_forever) {
  rb::stall_watch w(0ms, t0);
  EXPECT_FALSE(w.stalled(0, t0 + 24h));
  rb::stall_watch negative(-5ms, t0);
  EXPECT_FALSE(negative.stalled(0, t0 + 24h));
}

TEST(benchmark_stall_watch_test, the_message_says_for_how_long_the_server_was_silent) {
  EXPECT_EQ(rb::stall_message(10s),
            "no reply from the server for 10 seconds with requests outstanding");
  EXPECT_EQ(rb::stall_message(1s),
            "no reply from the server for 1 second with requests outstanding");
  EXPECT_EQ(rb::stall_message(1500ms),
            "no reply from the server for 1.5 seconds with requests outstanding");
  EXPECT_EQ(rb::stall_message(250ms),
            "no reply from the server for 0.25 seconds with requests outstanding");
  EXPECT_EQ(rb::stall_message(2005ms),
            "no reply from the server for 2.005 seconds with requests outstanding");
}
