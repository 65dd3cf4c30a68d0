#include "base/ntp.h"

#include <gtest/gtest.h>

#include <random>

namespace lineup {
namespace {

using std::chrono::seconds;

TEST(NtpTest, UnixEpochIsNtpOffset) {
  const NtpTimestamp ntp = ToNtp(FromUnixNanos(0));
  EXPECT_EQ(ntp.seconds, 0x83AA7E80u);  // 2208988800
  EXPECT_EQ(ntp.fraction, 0u);
  EXPECT_EQ(FromNtp(ntp), FromUnixNanos(0));
}

TEST(NtpTest, KnownInstants) {
  // 2020-01-01T00:00:00.25Z
  const NtpTimestamp a = ToNtp(FromUnixNanos(1'577'836'800'250'000'000));
  EXPECT_EQ(a.seconds, 0xE1B65F80u);
  EXPECT_EQ(a.fraction, 0x40000000u);
  // 123456789 ns -> round(0.123456789 * 2^32)
  const NtpTimestamp b = ToNtp(FromUnixNanos(123'456'789));
  EXPECT_EQ(b.fraction, 0x1F9ADD37u);
}

TEST(NtpTest, RoundTripIsExactForEveryNanosecond) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> ns(0, std::int64_t{4'000'000'000} * 1'000'000'000);
  for (int i = 0; i < 200'000; ++i) {
    const WallTime t = FromUnixNanos(ns(rng));
    ASSERT_EQ(FromNtp(ToNtp(t)), t) << ToUnixNanos(t);
  }
  for (std::int64_t sub = 999'999'990; sub < 1'000'000'000; ++sub) {
    const WallTime t = FromUnixNanos(1'700'000'000'000'000'000 + sub);
    ASSERT_EQ(FromNtp(ToNtp(t)), t);
  }
}

TEST(NtpTest, FractionRoundingCarriesIntoSeconds) {
  const NtpTimestamp ntp = ToNtp(FromUnixNanos(999'999'999'999));  // .999999999 s
  EXPECT_EQ(FromNtp(ntp), FromUnixNanos(999'999'999'999));
  const NtpTimestamp top{0x83AA7E80u, 0xFFFFFFFFu};
  EXPECT_EQ(FromNtp(top), FromUnixNanos(1'000'000'000));  // rounds up to the next second
}

TEST(NtpTest, Era1AfterFebruary2036) {
  // 2036-02-07T06:28:16Z wraps the NTP seconds field to 0.
  const WallTime wrap = FromUnixNanos(std::int64_t{2'085'978'496} * 1'000'000'000);
  EXPECT_EQ(ToNtp(wrap).seconds, 0u);
  EXPECT_EQ(FromNtp(ToNtp(wrap)), wrap);
  EXPECT_EQ(FromNtp(ToNtp(wrap + seconds(100))), wrap + seconds(100));
}

TEST(NtpTest, ShortFormat) {
  EXPECT_EQ(ToNtpShort(std::chrono::milliseconds(1500)), (NtpShort{1, 0x8000}));
  EXPECT_EQ(FromNtpShort({2, 0x4000}), std::chrono::milliseconds(2250));
  // 1 fraction unit is ~15.26 us: round trip within half a unit.
  for (std::int64_t us = 0; us < 5'000'000; us += 977) {
    const Nanos d = std::chrono::microseconds(us);
    EXPECT_LE(std::abs((FromNtpShort(ToNtpShort(d)) - d).count()), 7'630);
  }
}

TEST(NtpTest, PtpFormat) {
  const WallTime t = FromUnixNanos(1'700'000'000'123'456'789);
  const PtpTimestamp p = ToPtp(t);
  EXPECT_EQ(p.seconds, 1'700'000'000u);
  EXPECT_EQ(p.nanoseconds, 123'456'789u);
  EXPECT_EQ(FromPtp(p), t);
}

}  // namespace
}  // namespace lineup
