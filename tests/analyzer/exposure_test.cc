#include "analyzer/exposure.h"

#include <gtest/gtest.h>

namespace lineup::analyzer {
namespace {

using namespace std::chrono_literals;

SlaClass Voice() {
  SlaClass c;
  c.name = "voice";
  c.window = {10, Nanos(0)};
  c.thresholds = {{Metric::kLatency, Statistic::kMean, 100, 80},
                  {Metric::kLoss, Statistic::kMean, 5, 2}};
  return c;
}

store::ProbeSample Sample(std::uint32_t seq, double rtt_ms, bool lost = false) {
  store::ProbeSample s;
  s.sequence = seq;
  s.lost = lost;
  s.t1_ns = 0;
  s.t2_ns = static_cast<std::int64_t>(rtt_ms * 5e5);
  s.t3_ns = s.t2_ns;
  s.t4_ns = static_cast<std::int64_t>(rtt_ms * 1e6);
  return s;
}

const WallTime kStart = FromUnixNanos(1'767'225'600'000'000'000);

// One probe a second: 20 ms until 60 s, 170 ms from 60 s to 120 s, 20 ms after.
// The window of 10 breaks its 100 ms mean only at the sixth slow probe, but
// the line was out of SLA from the first slow probe to the first fast one.
TEST(ExposureTest, ALatencyStepIsOutOfSlaFromItsFirstSampleToItsEnd) {
  ExposureJudge judge({Voice()});
  for (std::uint32_t i = 0; i < 180; ++i) {
    const double rtt = i >= 60 && i < 120 ? 170 : 20;
    judge.Add("mpls-1", "mpls", kStart + std::chrono::seconds(i), Sample(i, rtt));
  }
  const auto spans = judge.OutOfSla("voice", "mpls", kStart + 180s);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].from, kStart + 60s);
  EXPECT_EQ(spans[0].to, kStart + 120s);
  EXPECT_EQ(Overlap(spans, kStart, kStart + 90s), 30s);
  EXPECT_TRUE(judge.OutOfSla("voice", "inet", kStart + 180s).empty());
  EXPECT_TRUE(judge.OutOfSla("bulk", "mpls", kStart + 180s).empty());
}

// A dark line is out of SLA from its first lost probe; one lost probe in a
// window of ten (10 %) breaks a 5 % limit too, and is out for its own second.
TEST(ExposureTest, AnOutageCountsFromItsFirstLostProbeAndStaysOpenAtTheEnd) {
  ExposureJudge judge({Voice()});
  for (std::uint32_t i = 0; i < 100; ++i) {
    const bool lost = i == 20 || i >= 70;
    judge.Add("mpls-1", "mpls", kStart + std::chrono::seconds(i), Sample(i, 20, lost));
  }
  const auto spans = judge.OutOfSla("voice", "mpls", kStart + 100s);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].from, kStart + 20s);
  EXPECT_EQ(spans[0].to, kStart + 21s);
  EXPECT_EQ(spans[1].from, kStart + 70s);
  EXPECT_EQ(spans[1].to, kStart + 100s);  // still dark: closed at the end
}

TEST(ExposureTest, UnionMergesOverlappingSpans) {
  const auto merged = Union({{{kStart, kStart + 10s}, {kStart + 20s, kStart + 30s}},
                             {{kStart + 5s, kStart + 22s}},
                             {{kStart + 40s, kStart + 40s}}});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].from, kStart);
  EXPECT_EQ(merged[0].to, kStart + 30s);
}

}  // namespace
}  // namespace lineup::analyzer
