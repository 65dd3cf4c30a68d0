#include "measure/session.h"

#include <gtest/gtest.h>

#include "measure/reflector.h"

namespace lineup::measure {
namespace {

SessionConfig Basic() {
  SessionConfig c;
  c.destination = ParseEndpoint("127.0.0.1:862").value();
  return c;
}

TEST(SessionConfigTest, ValidatesEachParameterWithItsRange) {
  EXPECT_TRUE(Validate(Basic()));
  auto expect_error = [](SessionConfig c, const std::string& needle) {
    auto r = Validate(c);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  auto c = Basic();
  c.dscp = 64;
  expect_error(c, "DSCP 64 is out of range 0-63");
  c = Basic();
  c.ttl = 0;
  expect_error(c, "TTL must be 1-255");
  c = Basic();
  c.padding = 26;
  expect_error(c, "padding must be 27-");
  c = Basic();
  c.count = 0;
  expect_error(c, "count must be");
  c = Basic();
  c.interval = Nanos(5);
  expect_error(c, "interval must be");
  c = Basic();
  c.destination = ParseEndpoint("127.0.0.1:0").value();
  expect_error(c, "port must not be 0");
  c = Basic();
  c.destination = ParseEndpoint("0.0.0.0").value();
  expect_error(c, "unspecified");
  c = Basic();
  c.source = ParseEndpoint("::1:0").value();
  expect_error(c, "both be IPv4 or both IPv6");
  c = Basic();
  c.ssid = 5;
  c.padding = 28;
  expect_error(c, "SSID");
  c = Basic();
  c.ecn = 4;
  expect_error(c, "ECN");
}

TEST(SenderSessionTest, ProbeThroughReflectorCoreAndBack) {
  SessionConfig config = Basic();
  config.count = 3;
  config.padding = 100;
  config.ssid = 9;
  config.error_estimate = {true, false, 0, 1};
  SenderSession session(config);
  ReflectorConfig rc;
  rc.error_estimate = {true, false, 0, 1};
  ReflectorCore reflector(rc);

  const WallTime t0 = FromUnixNanos(1'700'000'000'000'000'000);
  std::vector<std::byte> probe(config.PacketLength());
  std::vector<std::byte> reply(kMaxTestPacketLength);
  for (int i = 0; i < 3; ++i) {
    const WallTime t1 = t0 + std::chrono::milliseconds(100 * i);
    ASSERT_EQ(session.BuildProbe(t1, probe), 114u);
    auto sent = DecodeSenderPacket(probe).value();
    EXPECT_EQ(sent.sequence, std::uint32_t(i));
    EXPECT_EQ(sent.ssid, 9);
    const WallTime t2 = t1 + std::chrono::microseconds(1500);
    auto plan =
        reflector.Reflect(probe, {ParseEndpoint("127.0.0.1:4000").value(), t2, 255, 0}, reply);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->length, 114u);  // symmetric
    PatchTimestamp(reply, ToNtp(t2 + std::chrono::microseconds(20)));
    const WallTime t4 = t2 + std::chrono::microseconds(20 + 2500);
    EXPECT_EQ(session.OnDatagram(std::span(reply).first(plan->length), t4, 60, 0),
              RunRecorder::Verdict::kAccepted);
  }
  EXPECT_TRUE(session.AllSent());
  auto s = session.Summarize();
  EXPECT_EQ(s.received, 3u);
  EXPECT_EQ(s.forward.delay.mean, std::chrono::microseconds(1500));
  EXPECT_EQ(s.backward.delay.mean, std::chrono::microseconds(2500));
  EXPECT_EQ(s.round_trip.delay.mean, std::chrono::microseconds(4000));
  EXPECT_TRUE(s.one_way_synchronized);
  EXPECT_EQ(s.ttl_at_reflector_min, 255);

  EXPECT_EQ(session.OnDatagram(std::span(reply).first(20), FromUnixNanos(0), -1, -1),
            RunRecorder::Verdict::kUnexpected);
  EXPECT_EQ(session.Summarize().malformed, 1u);
}

TEST(SenderSessionTest, AShort38OctetReplyIsAnAnswerWithoutTtl) {
  SessionConfig config = Basic();
  config.count = 2;
  SenderSession session(config);
  ReflectorCore reflector(ReflectorConfig{});
  const WallTime t0 = FromUnixNanos(1'700'000'000'000'000'000);
  std::vector<std::byte> probe(config.PacketLength());
  std::vector<std::byte> reply(kMaxTestPacketLength);
  for (int i = 0; i < 2; ++i) {
    const WallTime t1 = t0 + std::chrono::milliseconds(100 * i);
    ASSERT_TRUE(session.BuildProbe(t1, probe));
    const WallTime t2 = t1 + std::chrono::milliseconds(1);
    auto plan =
        reflector.Reflect(probe, {ParseEndpoint("127.0.0.1:4000").value(), t2, 250, 0}, reply);
    ASSERT_TRUE(plan);
    PatchTimestamp(reply, ToNtp(t2));
    // The first reply cut to 38 octets, as a responder that omits MBZ and TTL sends it.
    const std::size_t length = i == 0 ? kShortReflectorLength : plan->length;
    EXPECT_EQ(session.OnDatagram(std::span(reply).first(length), t2 + std::chrono::milliseconds(1),
                                 60, 0),
              RunRecorder::Verdict::kAccepted);
  }
  auto s = session.Summarize();
  EXPECT_EQ(s.received, 2u);
  EXPECT_EQ(s.lost, 0u);
  EXPECT_EQ(s.malformed, 0u);
  EXPECT_EQ(s.short_replies, 1u);
  EXPECT_EQ(s.ttl_at_reflector_min, 250);  // from the full reply only
  EXPECT_EQ(s.ttl_at_reflector_max, 250);
}

TEST(SenderSessionTest, PoissonGapsAreSeededAndHaveTheMean) {
  SessionConfig config = Basic();
  config.interval_kind = IntervalKind::kPoisson;
  config.interval = std::chrono::milliseconds(10);
  config.seed = 99;
  SenderSession a(config);
  SenderSession b(config);
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const Nanos gap = a.NextGap();
    ASSERT_EQ(gap, b.NextGap());
    ASSERT_GE(gap.count(), 0);
    sum += double(gap.count());
  }
  EXPECT_NEAR(sum / n, 10e6, 10e6 * 0.03);
  config.interval_kind = IntervalKind::kPeriodic;
  EXPECT_EQ(SenderSession(config).NextGap(), std::chrono::milliseconds(10));
}

}  // namespace
}  // namespace lineup::measure
