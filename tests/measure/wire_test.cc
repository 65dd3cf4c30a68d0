// Byte-exact vectors written out by hand from the RFC 5357 §4.1.2/§4.2.1 and
// RFC 8762 §4.2.1/§4.3.1 diagrams.
#include "measure/wire.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/measure/test_util.h"

namespace lineup::measure {
namespace {

using lineup::testing::Bytes;

TEST(ErrorEstimateTest, PacksBitsAsRfc4656) {
  // S=1, Z=0, Scale=0b000001, Multiplier=0x02 -> 1000 0001 0000 0010
  EXPECT_EQ((ErrorEstimate{true, false, 1, 2}.Pack()), 0x8102);
  // S=0, Z=1, Scale=63, Multiplier=255
  EXPECT_EQ((ErrorEstimate{false, true, 63, 255}.Pack()), 0x7FFF);
  EXPECT_EQ(ErrorEstimate::Unpack(0x8102), (ErrorEstimate{true, false, 1, 2}));
  EXPECT_EQ(ErrorEstimate::Unpack(0x7FFF), (ErrorEstimate{false, true, 63, 255}));
  for (int bits = 0; bits <= 0xffff; ++bits) {
    ASSERT_EQ(ErrorEstimate::Unpack(static_cast<std::uint16_t>(bits)).Pack(), bits);
  }
}

TEST(ErrorEstimateTest, ValueAndSmallestCover) {
  // 1 * 2^(32-32) s = 1 s
  EXPECT_EQ((ErrorEstimate{false, false, 32, 1}.Error()), std::chrono::seconds(1));
  for (std::int64_t ns : {0LL, 1LL, 233LL, 1'000LL, 999'999LL, 15'000'000LL, 3'000'000'000LL}) {
    const auto e = ErrorEstimate::FromError(Nanos(ns), true);
    EXPECT_TRUE(e.synchronized);
    EXPECT_GE(e.multiplier, 1);
    EXPECT_GE(e.Error().count(), ns);
    // Smallest: one step down the multiplier no longer covers it.
    if (e.multiplier > 1) {
      ErrorEstimate less = e;
      --less.multiplier;
      // Compare exactly: Error() rounds up to whole nanoseconds.
      EXPECT_LT(double(less.multiplier) * std::ldexp(1.0, less.scale - 32) * 1e9, double(ns)) << ns;
    }
  }
  EXPECT_EQ((ErrorEstimate{false, false, 63, 255}.Error()), Nanos(INT64_MAX));  // saturates
}

TEST(SenderPacketTest, EncodesByteExact) {
  SenderPacket p;
  p.sequence = 0x01020304;
  p.timestamp = {0xE1B65F80, 0x40000000};
  p.error_estimate = {true, false, 0, 1};
  p.ssid = 0xBEEF;
  p.length = 44;
  std::vector<std::byte> out(64, std::byte{0xAA});
  ASSERT_EQ(Encode(p, out).value(), 44u);
  auto expected = Bytes({0x01, 0x02, 0x03, 0x04,                          // sequence
                         0xE1, 0xB6, 0x5F, 0x80, 0x40, 0x00, 0x00, 0x00,  // timestamp
                         0x80, 0x01,                                      // S=1, multiplier 1
                         0xBE, 0xEF});                                    // SSID
  expected.resize(44, std::byte{0});                                      // MBZ
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + 44), expected);
  EXPECT_EQ(out[44], std::byte{0xAA});  // nothing written past the length

  auto back = DecodeSenderPacket(std::span(out).first(44));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sequence, p.sequence);
  EXPECT_EQ(back->timestamp, p.timestamp);
  EXPECT_EQ(back->error_estimate, p.error_estimate);
  EXPECT_EQ(back->ssid, 0xBEEF);
  EXPECT_EQ(back->length, 44u);
}

TEST(SenderPacketTest, MinimalTwampPacketIs14Bytes) {
  auto in = Bytes({0, 0, 0, 7, 0x83, 0xAA, 0x7E, 0x80, 0, 0, 0, 0, 0x00, 0x01});
  auto p = DecodeSenderPacket(in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->sequence, 7u);
  EXPECT_EQ(p->ssid, 0);
  EXPECT_EQ(p->length, 14u);
  EXPECT_FALSE(DecodeSenderPacket(std::span(in).first(13)));
}

TEST(SenderPacketTest, RejectsBadLengths) {
  std::vector<std::byte> out(100);
  SenderPacket p;
  p.length = 13;
  EXPECT_FALSE(Encode(p, out));
  p.length = 101;
  EXPECT_FALSE(Encode(p, out));
  p.length = 15;
  p.ssid = 1;
  EXPECT_FALSE(Encode(p, out));
}

TEST(ReflectorPacketTest, EncodesByteExact) {
  ReflectorPacket p;
  p.sequence = 0x0000000A;
  p.timestamp = {0x11111111, 0x22222222};
  p.error_estimate = {true, false, 2, 3};
  p.ssid = 0x0102;
  p.receive_timestamp = {0x33333333, 0x44444444};
  p.sender_sequence = 0x0000000B;
  p.sender_timestamp = {0x55555555, 0x66666666};
  p.sender_error_estimate = {false, false, 0, 1};
  p.sender_ttl = 254;
  p.length = 48;
  std::vector<std::byte> out(48, std::byte{0xFF});
  ASSERT_EQ(Encode(p, out).value(), 48u);
  auto expected =
      Bytes({0x00, 0x00, 0x00, 0x0A,                          // 0: sequence
             0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,  // 4: timestamp (T3)
             0x82, 0x03,                                      // 12: S=1 scale 2 mult 3
             0x01, 0x02,                                      // 14: SSID
             0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0x44, 0x44,  // 16: receive timestamp (T2)
             0x00, 0x00, 0x00, 0x0B,                          // 24: sender sequence
             0x55, 0x55, 0x55, 0x55, 0x66, 0x66, 0x66, 0x66,  // 28: sender timestamp (T1)
             0x00, 0x01,                                      // 36: sender error estimate
             0x00, 0x00,                                      // 38: MBZ
             0xFE,                                            // 40: sender TTL
             0x00, 0x00, 0x00,                                // 41: MBZ (STAMP) / padding
             0x00, 0x00, 0x00, 0x00});                        // 44: padding
  EXPECT_EQ(out, expected);

  auto back = DecodeReflectorPacket(out);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sequence, 10u);
  EXPECT_EQ(back->timestamp, p.timestamp);
  EXPECT_EQ(back->error_estimate, p.error_estimate);
  EXPECT_EQ(back->ssid, 0x0102);
  EXPECT_EQ(back->receive_timestamp, p.receive_timestamp);
  EXPECT_EQ(back->sender_sequence, 11u);
  EXPECT_EQ(back->sender_timestamp, p.sender_timestamp);
  EXPECT_EQ(back->sender_error_estimate, p.sender_error_estimate);
  EXPECT_EQ(back->sender_ttl, 254);
  EXPECT_EQ(back->length, 48u);
}

TEST(ReflectorPacketTest, SendsAtLeast41BytesAndReadsAShort38ByteReply) {
  std::vector<std::byte> out(41);
  ReflectorPacket p;
  p.length = 41;
  p.sender_ttl = 7;
  EXPECT_TRUE(Encode(p, out));
  EXPECT_TRUE(DecodeReflectorPacket(out)->HasSenderTtl());
  EXPECT_EQ(DecodeReflectorPacket(out)->sender_ttl, 7);
  p.length = 40;
  EXPECT_FALSE(Encode(p, out));

  // A responder that ends its reply after the Sender Error Estimate.
  auto short_reply =
      Bytes({0x00, 0x00, 0x00, 0x05,                          // 0: sequence
             0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,  // 4: timestamp (T3)
             0x80, 0x01,                                      // 12: S=1 mult 1
             0x00, 0x00,                                      // 14: MBZ
             0x33, 0x33, 0x33, 0x33, 0x44, 0x44, 0x44, 0x44,  // 16: receive timestamp (T2)
             0x00, 0x00, 0x00, 0x06,                          // 24: sender sequence
             0x55, 0x55, 0x55, 0x55, 0x66, 0x66, 0x66, 0x66,  // 28: sender timestamp (T1)
             0x80, 0x02});                                    // 36: sender error estimate
  auto back = DecodeReflectorPacket(short_reply);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->length, 38u);
  EXPECT_FALSE(back->HasSenderTtl());
  EXPECT_EQ(back->sequence, 5u);
  EXPECT_EQ(back->sender_sequence, 6u);
  EXPECT_EQ(back->sender_timestamp, (NtpTimestamp{0x55555555, 0x66666666}));
  EXPECT_EQ(back->sender_error_estimate, (ErrorEstimate{true, false, 0, 2}));
  EXPECT_FALSE(DecodeReflectorPacket(std::span(short_reply).first(37)));
}

TEST(ReflectorPacketTest, PatchTimestampTouchesOnlyBytes4To11) {
  std::vector<std::byte> out(44, std::byte{0});
  PatchTimestamp(out, {0xA1A2A3A4, 0xB1B2B3B4});
  auto expected = Bytes({0, 0, 0, 0, 0xA1, 0xA2, 0xA3, 0xA4, 0xB1, 0xB2, 0xB3, 0xB4});
  expected.resize(44, std::byte{0});
  EXPECT_EQ(out, expected);
}

TEST(TimestampFormatTest, ZBitSelectsPtp) {
  const WallTime t = FromUnixNanos(1'700'000'000'500'000'000);
  const NtpTimestamp ptp = EncodeTimestamp(t, true);
  EXPECT_EQ(ptp.seconds, 1'700'000'000u);
  EXPECT_EQ(ptp.fraction, 500'000'000u);
  EXPECT_EQ(DecodeTimestamp(ptp, true), t);
  EXPECT_EQ(DecodeTimestamp(EncodeTimestamp(t, false), false), t);
}

}  // namespace
}  // namespace lineup::measure
