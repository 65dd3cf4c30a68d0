#include "base/time_text.h"

#include <gtest/gtest.h>

namespace lineup {
namespace {

using namespace std::chrono_literals;

TEST(TimeTextTest, DurationsWithEveryUnit) {
  EXPECT_EQ(*ParseDuration("100ms"), 100ms);
  EXPECT_EQ(*ParseDuration("1.5s"), 1500ms);
  EXPECT_EQ(*ParseDuration("2"), 2s);
  EXPECT_EQ(*ParseDuration("250us"), 250us);
  EXPECT_EQ(*ParseDuration("500ns"), 500ns);
  EXPECT_EQ(*ParseDuration("2m"), 120s);
  EXPECT_EQ(*ParseDuration("1h"), 3600s);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400s);
  for (const char* bad : {"", "ms", "-1s", "10 parsecs", "1e300s", "nan"}) {
    auto d = ParseDuration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find("e.g. 100ms"), std::string::npos);
  }
}

TEST(TimeTextTest, DurationsPrintShortAndReadBack) {
  EXPECT_EQ(FormatDuration(100ms), "100ms");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(120s), "2m");
  EXPECT_EQ(FormatDuration(86400s), "1d");
  EXPECT_EQ(FormatDuration(1234ns), "1234ns");
  EXPECT_EQ(FormatDuration(0ns), "0ns");
  for (Nanos d : {Nanos(100ms), Nanos(1500ms), Nanos(1234ns), Nanos(2500us), Nanos(90s)}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(d)), d) << FormatDuration(d);
  }
}

TEST(TimeTextTest, TimesRoundTripAndRelativeTimes) {
  const WallTime t = FromUnixNanos(1'795'000'000'123'456'789);
  EXPECT_EQ(FormatTime(t), "2026-11-18T11:06:40.123456789Z");
  EXPECT_EQ(*ParseTime(FormatTime(t), {}), t);
  EXPECT_EQ(*ParseTime("-10m", t), t - 10min);
  EXPECT_EQ(*ParseTime("1795000000123456789", {}), t);
  EXPECT_FALSE(ParseTime("yesterday", t));
  EXPECT_FALSE(ParseTime("2026-13-01T00:00:00Z", t));
  // A whole minute without seconds, as a browser's datetime-local input gives it.
  EXPECT_EQ(*ParseTime("2026-11-18T11:06Z", {}),
            FromUnixNanos(1'795'000'000'000'000'000 - 40'000'000'000));
  EXPECT_FALSE(ParseTime("2026-11-18T11:06", t));
}

}  // namespace
}  // namespace lineup

namespace lineup {
namespace {

TEST(TimeTextTest, DurationsOfSeveralUnitsFromTheLargestDown) {
  using namespace std::chrono_literals;
  EXPECT_EQ(*ParseDuration("1m30s"), 90s);
  EXPECT_EQ(*ParseDuration("2h15m"), 135min);
  EXPECT_EQ(*ParseDuration("2m10.5s"), 130500ms);
  EXPECT_EQ(*ParseDuration("1s250ms"), 1250ms);
  for (const char* bad : {"30s1m", "1m1m", "1m 30s", "1m30", "30 s", "1m-5s", "", "m", "1mx"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
  EXPECT_EQ(FormatElapsed(970ms), "0.97s");
  EXPECT_EQ(FormatElapsed(120650ms), "2m0.65s");
  EXPECT_EQ(FormatElapsed(3720s), "1h2m");
  EXPECT_EQ(FormatElapsed(0s), "0s");
  for (Nanos d : {Nanos(970ms), Nanos(120650ms), Nanos(3720s), Nanos(3725500ms)}) {
    EXPECT_EQ(*ParseDuration(FormatElapsed(d)), d) << FormatElapsed(d);
  }
}

}  // namespace
}  // namespace lineup
