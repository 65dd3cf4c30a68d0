#include "measure/metrics.h"

#include <gtest/gtest.h>

#include <random>

namespace lineup::measure {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

const WallTime kStart = FromUnixNanos(1'700'000'000'000'000'000);

WallTime SendTime(std::uint32_t seq) { return kStart + milliseconds(10) * seq; }

ProbeReply Reply(std::uint32_t seq, std::uint32_t reflector_seq, Nanos forward = milliseconds(5),
                 Nanos backward = milliseconds(7), Nanos hold = microseconds(30)) {
  ProbeReply r;
  r.t2 = SendTime(seq) + forward;
  r.t3 = r.t2 + hold;
  r.t4 = r.t3 + backward;
  r.reflector_sequence = reflector_seq;
  r.clocks_synchronized = true;
  return r;
}

RunRecorder Sent(std::uint32_t n) {
  RunRecorder rec;
  for (std::uint32_t i = 0; i < n; ++i) rec.OnSent(i, SendTime(i));
  return rec;
}

TEST(DelayStatsTest, NearestRankPercentilesAndMoments) {
  std::vector<Nanos> v;
  for (int i = 1; i <= 100; ++i) v.push_back(Nanos(i));
  auto s = ComputeDelayStats(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, Nanos(1));
  EXPECT_EQ(s.max, Nanos(100));
  EXPECT_EQ(s.median, Nanos(50));
  EXPECT_EQ(s.p95, Nanos(95));
  EXPECT_EQ(s.p99, Nanos(99));
  EXPECT_EQ(s.mean, Nanos(51));    // 50.5 rounds half away from zero
  EXPECT_EQ(s.stddev, Nanos(29));  // sqrt(833.25)
  EXPECT_EQ(ComputeDelayStats({}).count, 0u);
  EXPECT_EQ(ComputeDelayStats({Nanos(7)}).p99, Nanos(7));
}

TEST(RunRecorderTest, CleanRun) {
  RunRecorder rec = Sent(10);
  for (std::uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(rec.OnReply(i, Reply(i, i)), RunRecorder::Verdict::kAccepted);
  }
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.sent, 10u);
  EXPECT_EQ(s.received, 10u);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(*s.lost_forward, 0u);
  EXPECT_EQ(*s.lost_backward, 0u);
  EXPECT_EQ(s.forward.delay.mean, milliseconds(5));
  EXPECT_EQ(s.backward.delay.mean, milliseconds(7));
  EXPECT_EQ(s.round_trip.delay.mean, milliseconds(12));
  EXPECT_EQ(s.round_trip.jitter.mean_abs, Nanos(0));
  EXPECT_TRUE(s.one_way_synchronized);
}

TEST(RunRecorderTest, ForwardLossFromReflectorNumbering) {
  // Packets 3 and 6 never reach the reflector: it numbers the rest 0..7.
  RunRecorder rec = Sent(10);
  std::uint32_t r = 0;
  for (std::uint32_t i = 0; i < 10; ++i) {
    if (i == 3 || i == 6) continue;
    rec.OnReply(i, Reply(i, r++));
  }
  auto s = rec.Summarize(ReflectorNumbering::kAuto);
  EXPECT_TRUE(s.stateful_reflector);  // detected from the numbering
  EXPECT_EQ(s.lost, 2u);
  EXPECT_EQ(*s.lost_forward, 2u);
  EXPECT_EQ(*s.lost_backward, 0u);
}

TEST(RunRecorderTest, BackwardLossFromReflectorNumbering) {
  // The reflector saw all ten (numbers 0..9) but replies 2, 5 and 8 are lost.
  RunRecorder rec = Sent(10);
  for (std::uint32_t i = 0; i < 10; ++i) {
    if (i == 2 || i == 5 || i == 8) continue;
    rec.OnReply(i, Reply(i, i));
  }
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.lost, 3u);
  EXPECT_EQ(*s.lost_forward, 0u);
  EXPECT_EQ(*s.lost_backward, 3u);
}

TEST(RunRecorderTest, MixedLossAndLeadingForwardLoss) {
  // 0 and 1 lost forward; 4 lost forward; reply to 7 lost backward.
  RunRecorder rec = Sent(10);
  std::uint32_t r = 0;
  for (std::uint32_t i = 0; i < 10; ++i) {
    if (i == 0 || i == 1 || i == 4) continue;
    const std::uint32_t n = r++;
    if (i == 7) continue;
    rec.OnReply(i, Reply(i, n));
  }
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.lost, 4u);
  EXPECT_EQ(*s.lost_forward, 3u);
  EXPECT_EQ(*s.lost_backward, 1u);
}

TEST(RunRecorderTest, LeftoverReflectorNumberingIsSubtracted) {
  // The reflector already counted 1000 packets from this sender address.
  RunRecorder rec = Sent(5);
  rec.OnReply(0, Reply(0, 1000));
  rec.OnReply(1, Reply(1, 1001));
  rec.OnReply(3, Reply(3, 1002));  // 2 lost forward
  rec.OnReply(4, Reply(4, 1003));
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(*s.lost_forward, 1u);
  EXPECT_EQ(*s.lost_backward, 0u);
}

TEST(RunRecorderTest, StatelessGivesTotalOnly) {
  RunRecorder rec = Sent(4);
  rec.OnReply(0, Reply(0, 0));
  rec.OnReply(2, Reply(2, 2));
  auto s = rec.Summarize(ReflectorNumbering::kStateless);
  EXPECT_EQ(s.lost, 2u);
  EXPECT_FALSE(s.lost_forward);
  EXPECT_FALSE(s.lost_backward);
  // Auto with numbers equal to ours cannot prove statefulness either.
  EXPECT_FALSE(rec.Summarize(ReflectorNumbering::kAuto).lost_forward);
}

TEST(RunRecorderTest, DuplicatesAreCountedNotReceived) {
  RunRecorder rec = Sent(3);
  EXPECT_EQ(rec.OnReply(0, Reply(0, 0)), RunRecorder::Verdict::kAccepted);
  EXPECT_EQ(rec.OnReply(0, Reply(0, 0)), RunRecorder::Verdict::kDuplicate);
  EXPECT_EQ(rec.OnReply(0, Reply(0, 1)), RunRecorder::Verdict::kDuplicate);  // dup forward
  rec.OnReply(1, Reply(1, 2));
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.received, 2u);
  EXPECT_EQ(s.duplicates, 2u);
  EXPECT_EQ(s.lost, 1u);
  // The reflector counted 3 for 2 distinct packets: loss is clamped, never negative.
  EXPECT_EQ(*s.lost_forward + *s.lost_backward, s.lost);
}

TEST(RunRecorderTest, ReorderingRfc4737) {
  RunRecorder rec = Sent(6);
  // Arrival order 0 1 3 2 5 4: 2 and 4 arrive after a higher number.
  for (std::uint32_t i : {0u, 1u, 3u, 2u, 5u, 4u}) rec.OnReply(i, Reply(i, i));
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.reordered, 2u);
  EXPECT_EQ(*s.reordered_forward, 0u);  // reflector saw them in order
  EXPECT_EQ(s.lost, 0u);

  // Forward reordering: the reflector got 1 before 0.
  RunRecorder fwd = Sent(3);
  fwd.OnReply(1, Reply(1, 0));
  fwd.OnReply(0, Reply(0, 1));
  fwd.OnReply(2, Reply(2, 2));
  auto f = fwd.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(*f.reordered_forward, 1u);
  EXPECT_EQ(f.reordered, 1u);
  EXPECT_EQ(*f.lost_forward, 0u);
}

TEST(RunRecorderTest, LateAndUnexpectedReplies) {
  RunRecorder rec = Sent(3);
  rec.OnReply(0, Reply(0, 0));
  EXPECT_EQ(rec.OnReply(7, Reply(7, 1)), RunRecorder::Verdict::kUnexpected);
  rec.Close();
  EXPECT_EQ(rec.OnReply(1, Reply(1, 1)), RunRecorder::Verdict::kLate);
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.received, 1u);
  EXPECT_EQ(s.lost, 2u);
  EXPECT_EQ(s.late, 1u);
  EXPECT_EQ(s.unexpected, 1u);
}

TEST(RunRecorderTest, IpdvAndRfc3550Jitter) {
  RunRecorder rec = Sent(4);
  // Forward delays 5, 7, 4, 4 ms; backward constant.
  rec.OnReply(0, Reply(0, 0, milliseconds(5)));
  rec.OnReply(1, Reply(1, 1, milliseconds(7)));
  rec.OnReply(2, Reply(2, 2, milliseconds(4)));
  rec.OnReply(3, Reply(3, 3, milliseconds(4)));
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.forward.jitter.pairs, 3u);
  EXPECT_EQ(s.forward.jitter.min, milliseconds(-3));
  EXPECT_EQ(s.forward.jitter.max, milliseconds(2));
  EXPECT_EQ(s.forward.jitter.mean_abs, Nanos(5'000'000 / 3));
  // J1 = 2/16 ms; J2 = J1 + (3 - J1)/16; J3 = J2 - J2/16
  double j = 0;
  for (double d : {2.0, 3.0, 0.0}) j += (d - j) / 16;
  EXPECT_NEAR(double(s.forward.jitter.rfc3550.count()), j * 1e6, 1);
  EXPECT_EQ(s.backward.jitter.mean_abs, Nanos(0));
  EXPECT_EQ(s.round_trip.jitter.max, milliseconds(2));
}

TEST(RunRecorderTest, IpdvSkipsGapsInSequence) {
  RunRecorder rec = Sent(3);
  rec.OnReply(0, Reply(0, 0, milliseconds(5)));
  rec.OnReply(2, Reply(2, 1, milliseconds(9)));
  EXPECT_EQ(rec.Summarize(ReflectorNumbering::kStateful).forward.jitter.pairs, 0u);
}

TEST(RunRecorderTest, UnsynchronizedClocksAreFlagged) {
  RunRecorder rec = Sent(2);
  rec.OnReply(0, Reply(0, 0));
  ProbeReply r = Reply(1, 1);
  r.clocks_synchronized = false;
  rec.OnReply(1, r);
  EXPECT_FALSE(rec.Summarize(ReflectorNumbering::kStateful).one_way_synchronized);
}

TEST(RunRecorderTest, DscpRemarkingAndTtlRange) {
  RunRecorder rec(46);
  rec.OnSent(0, SendTime(0));
  rec.OnSent(1, SendTime(1));
  ProbeReply a = Reply(0, 0);
  a.reply_tos = 46 << 2;
  a.ttl_at_reflector = 250;
  a.reply_ttl = 60;
  ProbeReply b = Reply(1, 1);
  b.reply_tos = 0;  // remarked to best effort on the way
  b.ttl_at_reflector = 252;
  b.reply_ttl = 61;
  rec.OnReply(0, a);
  rec.OnReply(1, b);
  auto s = rec.Summarize(ReflectorNumbering::kStateful);
  EXPECT_EQ(s.dscp_changed, 1u);
  EXPECT_EQ(s.ttl_at_reflector_min, 250);
  EXPECT_EQ(s.ttl_at_reflector_max, 252);
  EXPECT_EQ(s.reply_ttl_min, 60);
  EXPECT_EQ(s.reply_ttl_max, 61);
}

// Property: whatever arrives (loss, duplicates, reordering, late, garbage
// numbers), loss is never negative, the parts add up, and for every packet the
// round trip equals forward plus backward exactly.
TEST(RunRecorderTest, RandomizedInvariants) {
  std::mt19937_64 rng(2024);
  for (int run = 0; run < 500; ++run) {
    const auto n = static_cast<std::uint32_t>(1 + rng() % 200);
    RunRecorder rec = Sent(n);
    std::uniform_int_distribution<std::int64_t> delay(0, 50'000'000);
    std::vector<std::pair<std::uint32_t, ProbeReply>> replies;
    std::uint32_t reflector = static_cast<std::uint32_t>(rng() % 3 == 0 ? rng() % 100000 : 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (rng() % 10 == 0) continue;  // forward loss
      const std::uint32_t r = reflector++;
      if (rng() % 10 == 0) continue;  // backward loss
      ProbeReply p = Reply(i, r, Nanos(delay(rng)), Nanos(delay(rng)), Nanos(delay(rng) / 100));
      replies.emplace_back(i, p);
      if (rng() % 20 == 0) replies.emplace_back(i, p);  // duplicate
    }
    std::shuffle(replies.begin(), replies.end(), rng);
    if (rng() % 5 == 0) replies.emplace_back(n + 5, Reply(0, 0));  // never sent
    const std::size_t close_at = replies.size() - std::min<std::size_t>(replies.size(), rng() % 3);
    for (std::size_t k = 0; k < replies.size(); ++k) {
      if (k == close_at) rec.Close();
      rec.OnReply(replies[k].first, replies[k].second);
    }
    for (auto numbering : {ReflectorNumbering::kAuto, ReflectorNumbering::kStateful,
                           ReflectorNumbering::kStateless}) {
      auto s = rec.Summarize(numbering);
      ASSERT_LE(s.received, s.sent);
      ASSERT_EQ(s.lost, s.sent - s.received);
      if (s.lost_forward) {
        ASSERT_EQ(*s.lost_forward + *s.lost_backward, s.lost);
      }
      ASSERT_LE(s.reordered, s.received);
    }
    for (const auto& p : rec.packets()) {
      if (!p.reply) continue;
      ASSERT_EQ(p.reply->RoundTrip(p.t1), p.reply->Forward(p.t1) + p.reply->Backward());
    }
  }
}

}  // namespace
}  // namespace lineup::measure
