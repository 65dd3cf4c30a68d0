#include "store/measurements.h"

#include <gtest/gtest.h>

#include "store/event_log.h"

namespace lineup::store {
namespace {

measure::SessionResult ThreePackets() {
  measure::SessionResult r;
  r.config.name = "line-a";
  r.config.destination = measure::ParseEndpoint("192.0.2.1").value();
  r.config.count = 3;
  r.started = FromUnixNanos(1'000'000'000);
  r.finished = FromUnixNanos(2'000'000'000);
  measure::RunRecorder rec;
  for (std::uint32_t i = 0; i < 3; ++i) rec.OnSent(i, FromUnixNanos(1'000'000'000 + i * 1000));
  for (std::uint32_t i : {0u, 2u}) {
    measure::ProbeReply reply;
    reply.t2 = FromUnixNanos(1'000'000'000 + i * 1000 + 500);
    reply.t3 = reply.t2 + Nanos(10);
    reply.t4 = reply.t3 + Nanos(700);
    reply.reflector_sequence = i;
    rec.OnReply(i, reply);
  }
  r.packets = rec.packets();
  r.summary = rec.Summarize(measure::ReflectorNumbering::kStateful);
  return r;
}

// Samples in sequence order, each timed once it and every probe before it
// are known: seq 0 at its reply, seq 1 (lost) at T1 + the wait, seq 2
// (answered long before) with it.
TEST(MeasurementsTest, OneSamplePerPacketThenTheSummary) {
  const auto run = ThreePackets();
  const auto events = EventsFromRun(run);
  ASSERT_EQ(events.size(), 4u);
  for (const auto& e : events) EXPECT_EQ(e.stream, "session/line-a");
  EXPECT_EQ(std::get<ProbeSample>(events[0].payload).sequence, 0u);
  EXPECT_EQ(events[0].time, run.packets[0].reply->t4);
  const auto& lost = std::get<ProbeSample>(events[1].payload);
  EXPECT_TRUE(lost.lost);
  EXPECT_EQ(events[1].time, run.packets[1].t1 + run.config.wait);
  const auto& got = std::get<ProbeSample>(events[2].payload);
  EXPECT_EQ(got.sequence, 2u);
  EXPECT_EQ(got.t2_ns - got.t1_ns, 500);
  EXPECT_EQ(got.t4_ns - got.t3_ns, 700);
  EXPECT_EQ(events[2].time, events[1].time);
  const auto& summary = std::get<RunSummary>(events[3].payload);
  EXPECT_EQ(summary.sent, 3u);
  EXPECT_EQ(summary.lost, 1u);
  EXPECT_EQ(summary.round_trip.mean_ns, 1200);
  EXPECT_EQ(events[3].time, run.finished);
  EXPECT_FALSE(events[3].event_id.empty());
  EXPECT_EQ(Describe(events[1]), "seq 1 lost");
  EXPECT_EQ(Describe(events[2]), "seq 2 rtt 0.001 ms (out 0.001, in 0.001)");
}

// A reply later than the wait after its probe is a lost sample, known lost
// at T1 + wait (twping -L); with a wait of 0 there is no threshold.
TEST(MeasurementsTest, AReplyLaterThanTheWaitIsALostSample) {
  measure::PacketRecord packet;
  packet.sequence = 4;
  packet.t1 = FromUnixNanos(10'000'000'000);
  measure::ProbeReply reply;
  reply.t2 = packet.t1 + std::chrono::milliseconds(1500);
  reply.t3 = reply.t2;
  reply.t4 = reply.t3 + std::chrono::milliseconds(1500);
  packet.reply = reply;
  const Event late = SampleEvent("session/a", packet, std::chrono::seconds(2));
  EXPECT_TRUE(std::get<ProbeSample>(late.payload).lost);
  EXPECT_EQ(late.time, packet.t1 + std::chrono::seconds(2));
  EXPECT_EQ(KnownAt(packet, std::chrono::seconds(2)), late.time);
  const Event in_time = SampleEvent("session/a", packet, std::chrono::seconds(3));
  EXPECT_FALSE(std::get<ProbeSample>(in_time.payload).lost);
  EXPECT_EQ(in_time.time, reply.t4);
  EXPECT_FALSE(std::get<ProbeSample>(SampleEvent("session/a", packet, Nanos(0)).payload).lost);
}

TEST(MeasurementsTest, LoggingARunTwiceWritesItsSummaryOnce) {
  auto log = MakeMemoryLog();
  const auto events = EventsFromRun(ThreePackets());
  ASSERT_TRUE(log->Append(events));
  auto again = log->Append(std::span<const Event>(events).last(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->front(), 3u);
  EXPECT_EQ(log->head(), 4u);
}

}  // namespace
}  // namespace lineup::store
