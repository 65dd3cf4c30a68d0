#include "net/clock_sync.h"

#include <gtest/gtest.h>
#include <sys/timex.h>

namespace lineup::measure {
namespace {

TEST(ClockSyncTest, SynchronizedStatesTheEstimatedError) {
  const auto e = ErrorEstimateOf({TIME_OK, 0, 250, 40'000, 1});
  EXPECT_TRUE(e.synchronized);
  EXPECT_GE(e.Error(), std::chrono::microseconds(250));
  EXPECT_LT(e.Error(), std::chrono::microseconds(500));
}

TEST(ClockSyncTest, UnsynchronizedStatesTheGrownBoundButNotTheKernelsUnknown) {
  // Lost synchronization a while ago: the maximum error is a real bound.
  const auto drifting = ErrorEstimateOf({TIME_ERROR, STA_UNSYNC, 16'000'000, 300'000, 1});
  EXPECT_FALSE(drifting.synchronized);
  EXPECT_GE(drifting.Error(), std::chrono::milliseconds(300));
  EXPECT_LT(drifting.Error(), std::chrono::milliseconds(600));

  // Never synchronized: the kernel's 16 s ceiling means "unknown", which S=0
  // already says; the estimate is the clock's precision, not 16 s.
  const auto never = ErrorEstimateOf({TIME_ERROR, STA_UNSYNC, 16'000'000, 16'000'000, 1});
  EXPECT_FALSE(never.synchronized);
  EXPECT_LT(never.Error(), std::chrono::microseconds(5));
}

TEST(ClockSyncTest, WithoutInformationNotSynchronizedWithALargeError) {
  const auto e = ErrorEstimateOf({-1, 0, 0, 0, 0});
  EXPECT_FALSE(e.synchronized);
  EXPECT_GE(e.Error(), std::chrono::seconds(16));
}

TEST(ClockSyncTest, ThisHostGivesAnEstimate) {
  const auto e = LocalErrorEstimate();
  EXPECT_GT(e.Error(), Nanos(0));
}

}  // namespace
}  // namespace lineup::measure
