#include "measure/reflector.h"

#include <gtest/gtest.h>

#include <vector>

namespace lineup::measure {
namespace {

std::vector<std::byte> SenderBytes(std::uint32_t seq, std::size_t length, std::uint16_t ssid = 0) {
  std::vector<std::byte> out(length);
  SenderPacket p;
  p.sequence = seq;
  p.timestamp = {0x83AA7E80 + seq, 0x12345678};
  p.error_estimate = {true, false, 0, 9};
  p.ssid = length >= 16 ? ssid : 0;
  p.length = length;
  EXPECT_TRUE(Encode(p, out));
  return out;
}

ReceivedMeta Meta(const char* addr, std::uint16_t port, int ttl = 64, int tos = 0) {
  return {UdpEndpoint(boost::asio::ip::make_address(addr), port),
          FromUnixNanos(1'700'000'000'000'000'000), ttl, tos, false};
}

TEST(ReflectorCoreTest, CopiesSenderFieldsAndReceiveTime) {
  ReflectorConfig config;
  config.error_estimate = {true, false, 0, 5};
  ReflectorCore core(config);
  auto request = SenderBytes(42, 44, 0x0707);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto meta = Meta("127.0.0.1", 5000, 61, 0xB8);
  auto plan = core.Reflect(request, meta, reply);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->length, 44u);
  EXPECT_EQ(plan->tos, 0xB8);  // EF copied
  auto p = DecodeReflectorPacket(std::span(reply).first(plan->length)).value();
  EXPECT_EQ(p.sequence, 0u);  // stateful: our own numbering
  EXPECT_EQ(p.sender_sequence, 42u);
  EXPECT_EQ(p.sender_timestamp, (NtpTimestamp{0x83AA7E80 + 42, 0x12345678}));
  EXPECT_EQ(p.sender_error_estimate, (ErrorEstimate{true, false, 0, 9}));
  EXPECT_EQ(p.error_estimate, (ErrorEstimate{true, false, 0, 5}));
  EXPECT_EQ(p.receive_timestamp, ToNtp(meta.receive_time));
  EXPECT_EQ(p.sender_ttl, 61);
  EXPECT_EQ(p.ssid, 0x0707);
  EXPECT_EQ(p.timestamp, (NtpTimestamp{0, 0}));  // left for PatchTimestamp
  EXPECT_EQ(core.counters().received, 1u);
  EXPECT_EQ(core.counters().reflected, 1u);
}

// A datagram "from" one of our own reflectors is never answered: one spoofed
// from the reflector itself would otherwise be answered forever, and two
// reflectors pointed at each other would ping-pong.
TEST(ReflectorCoreTest, NeverAnswersItsOwnReflectors) {
  ReflectorConfig config;
  config.never_answer = {UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), 862)};
  ReflectorCore core(config);
  core.NeverAnswer({UdpEndpoint(boost::asio::ip::make_address("::1"), 8620),
                    UdpEndpoint(boost::asio::ip::make_address("127.0.0.2"), 0)});
  const auto request = SenderBytes(1, 44);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  EXPECT_FALSE(core.Reflect(request, Meta("127.0.0.1", 862), reply));
  EXPECT_FALSE(core.Reflect(request, Meta("::ffff:127.0.0.1", 862), reply));  // dual stack
  EXPECT_FALSE(core.Reflect(request, Meta("::1", 8620), reply));
  EXPECT_EQ(core.counters().dropped[static_cast<std::size_t>(DropReason::kOwnAddress)], 3u);
  EXPECT_STREQ(ToString(DropReason::kOwnAddress), "own_address");
  // Other ports of the same host, and port 0 (nothing bound), are senders.
  EXPECT_TRUE(core.Reflect(request, Meta("127.0.0.1", 863), reply));
  EXPECT_TRUE(core.Reflect(request, Meta("127.0.0.2", 40000), reply));
  EXPECT_TRUE(core.Reflect(request, Meta("192.0.2.1", 862), reply));
}

// A negotiated session answers the sender it agreed with, on the agreed
// port only, and keeps that one sender's state however many others try.
TEST(ReflectorCoreTest, ANegotiatedSessionAnswersOnlyItsSender) {
  ReflectorConfig config;
  config.only_sender = UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), 40000);
  ReflectorCore core(config);
  const auto request = SenderBytes(1, 44);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  EXPECT_TRUE(core.Reflect(request, Meta("127.0.0.1", 40000), reply));
  EXPECT_TRUE(core.Reflect(request, Meta("::ffff:127.0.0.1", 40000), reply));  // dual stack
  EXPECT_FALSE(core.Reflect(request, Meta("127.0.0.1", 40001), reply));        // another process
  EXPECT_FALSE(core.Reflect(request, Meta("127.0.0.2", 40000), reply));
  for (std::uint16_t port = 1; port <= 1000; ++port) {
    EXPECT_FALSE(core.Reflect(request, Meta("127.0.0.1", port), reply));
  }
  EXPECT_EQ(core.counters().Dropped(DropReason::kNotNegotiated), 1002u);
  EXPECT_STREQ(ToString(DropReason::kNotNegotiated), "not_negotiated");
  EXPECT_LE(core.senders().size(), 1u);
  EXPECT_EQ(core.config().max_senders, 1u);
}

// A sender table keyed by what senders choose is hashed with the process's
// key: the same keys land elsewhere under another key.
TEST(ReflectorCoreTest, TheSenderHashIsKeyed) {
  SenderKeyHash hash;
  const SenderKey a{UdpEndpoint(boost::asio::ip::make_address("192.0.2.1"), 1), 7};
  const SenderKey b{UdpEndpoint(boost::asio::ip::make_address("192.0.2.1"), 2), 7};
  EXPECT_NE(hash(a), hash(b));
  const SenderKey mapped{UdpEndpoint(boost::asio::ip::make_address("::ffff:192.0.2.1"), 1), 7};
  EXPECT_EQ(hash(a), hash(mapped));  // the same sender however the socket saw it
}

// One sender gets at most max_replies_per_sender replies a second (bursts
// of a tenth of that): a loop with a reflector we do not know is bounded.
TEST(ReflectorCoreTest, RepliesToOneSenderAreRateLimited) {
  ReflectorConfig config;
  config.max_replies_per_sender = 1000;  // bursts of 100
  ReflectorCore core(config);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto meta = Meta("192.0.2.1", 5000);
  std::size_t answered = 0;
  for (int i = 0; i < 1000; ++i) {  // 1000 at once: the burst passes
    answered += core.Reflect(SenderBytes(1, 44), meta, reply).has_value();
  }
  EXPECT_EQ(answered, 100u);
  EXPECT_EQ(core.counters().Dropped(DropReason::kRateLimited), 900u);
  // Another sender has its own allowance.
  EXPECT_TRUE(core.Reflect(SenderBytes(1, 44), Meta("192.0.2.2", 5000), reply));
  // A second later, one second's worth (capped at the burst) again.
  std::size_t later = 0;
  for (int i = 0; i < 1000; ++i) {  // 1000 over 1 s (1 ms apart): all within the rate
    meta.receive_time += std::chrono::milliseconds(1);
    later += core.Reflect(SenderBytes(1, 44), meta, reply).has_value();
  }
  EXPECT_GE(later, 999u);
  EXPECT_STREQ(ToString(DropReason::kRateLimited), "rate_limited");
  // 0: unlimited.
  config.max_replies_per_sender = 0;
  ReflectorCore open(config);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(open.Reflect(SenderBytes(1, 44), meta, reply));
}

TEST(ReflectorCoreTest, SymmetricSizeAndNoAmplification) {
  ReflectorConfig config;
  config.format = ReflectorFormat::kTwampLight;
  ReflectorCore core(config);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto big = SenderBytes(1, 1000);
  EXPECT_EQ(core.Reflect(big, Meta("127.0.0.1", 1), reply)->length, 1000u);
  auto small = SenderBytes(2, 20);
  EXPECT_FALSE(core.Reflect(small, Meta("127.0.0.1", 1), reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kNoAmplify), 1u);

  config.allow_larger_reply = true;
  ReflectorCore permissive(config);
  EXPECT_EQ(permissive.Reflect(small, Meta("127.0.0.1", 1), reply)->length, 41u);
}

TEST(ReflectorCoreTest, TwampLightZeroesSsidStampEchoesIt) {
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto request = SenderBytes(1, 44, 0xABCD);
  ReflectorConfig light;
  light.format = ReflectorFormat::kTwampLight;
  ReflectorCore a(light);
  a.Reflect(request, Meta("127.0.0.1", 1), reply);
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->ssid, 0);
  ReflectorCore b(ReflectorConfig{});
  b.Reflect(request, Meta("127.0.0.1", 1), reply);
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->ssid, 0xABCD);
}

TEST(ReflectorCoreTest, StampAnswersShorterRequestsAsTwampLightByLength) {
  ReflectorCore core(ReflectorConfig{});  // the default: STAMP
  std::vector<std::byte> reply(kMaxTestPacketLength, std::byte{0xEE});
  // What most routers send: 41 octets, with padding that need not be zero.
  auto light = SenderBytes(7, 41);
  light[14] = std::byte{0xAB};
  light[15] = std::byte{0xCD};
  auto plan = core.Reflect(light, Meta("127.0.0.1", 1), reply);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->length, 41u);  // symmetric, as the sender asked
  auto back = DecodeReflectorPacket(std::span(reply).first(plan->length));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ssid, 0);  // TWAMP's MBZ, not the sender's padding read as an SSID
  EXPECT_EQ(back->sender_sequence, 7u);
  EXPECT_EQ(back->sender_ttl, 64);
  EXPECT_EQ(core.counters().twamp_light_by_length, 1u);

  // 44 octets and more are STAMP: the SSID is echoed, nothing counted.
  ASSERT_TRUE(core.Reflect(SenderBytes(8, 44, 0x0102), Meta("127.0.0.1", 1), reply));
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->ssid, 0x0102);
  EXPECT_EQ(core.counters().twamp_light_by_length, 1u);

  // Shorter than the 41-octet reply: still no amplification; shorter than a
  // sender header: no packet at all.
  EXPECT_FALSE(core.Reflect(SenderBytes(9, 40), Meta("127.0.0.1", 1), reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kNoAmplify), 1u);
  EXPECT_FALSE(core.Reflect(std::span(light).first(13), Meta("127.0.0.1", 1), reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kTooShort), 1u);
  EXPECT_EQ(core.counters().reflected, 2u);
}

TEST(ReflectorCoreTest, NumbersPerSenderOrEchoes) {
  std::vector<std::byte> reply(kMaxTestPacketLength);
  ReflectorCore stateful(ReflectorConfig{});
  for (std::uint32_t seq : {10u, 11u, 12u}) {
    stateful.Reflect(SenderBytes(seq, 44), Meta("127.0.0.1", 1), reply);
  }
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->sequence, 2u);
  stateful.Reflect(SenderBytes(99, 44), Meta("127.0.0.1", 2), reply);  // another sender port
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->sequence, 0u);
  EXPECT_EQ(stateful.senders().size(), 2u);

  ReflectorConfig config;
  config.stateful = false;
  ReflectorCore stateless(config);
  stateless.Reflect(SenderBytes(77, 44), Meta("127.0.0.1", 1), reply);
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->sequence, 77u);
  EXPECT_TRUE(stateless.senders().empty());
}

TEST(ReflectorCoreTest, ForgetsIdleSendersAndBoundsState) {
  ReflectorConfig config;
  config.max_senders = 2;
  config.sender_idle_timeout = std::chrono::seconds(5);
  ReflectorCore core(config);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  for (std::uint16_t port = 1; port <= 3; ++port) {
    core.Reflect(SenderBytes(5, 44), Meta("127.0.0.1", port), reply);
  }
  EXPECT_EQ(core.senders().size(), 2u);
  EXPECT_EQ(core.counters().senders_over_limit, 1u);
  EXPECT_EQ(core.counters().reflected, 3u);  // still answered, numbered statelessly
  EXPECT_EQ(DecodeReflectorPacket(std::span(reply).first(44))->sequence, 5u);
  core.ForgetIdleSenders(Meta("127.0.0.1", 1).receive_time + std::chrono::seconds(6));
  EXPECT_TRUE(core.senders().empty());
}

TEST(ReflectorCoreTest, AllowListDropsOthers) {
  ReflectorConfig config;
  config.allow = {Prefix::Parse("127.0.0.0/8").value(), Prefix::Parse("::1").value()};
  ReflectorCore core(config);
  std::vector<std::byte> reply(kMaxTestPacketLength);
  EXPECT_TRUE(core.Reflect(SenderBytes(1, 44), Meta("127.9.9.9", 1), reply));
  EXPECT_TRUE(core.Reflect(SenderBytes(1, 44), Meta("::1", 1), reply));
  EXPECT_FALSE(core.Reflect(SenderBytes(1, 44), Meta("192.0.2.1", 1), reply));
  EXPECT_FALSE(core.Reflect(SenderBytes(1, 44), Meta("2001:db8::1", 1), reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kNotAllowed), 2u);
  EXPECT_EQ(core.counters().received, 4u);
  EXPECT_EQ(core.counters().reflected, 2u);
}

TEST(ReflectorCoreTest, ConfiguredDscpOverridesAndEcnIsNotCopied) {
  std::vector<std::byte> reply(kMaxTestPacketLength);
  ReflectorCore copy(ReflectorConfig{});
  EXPECT_EQ(copy.Reflect(SenderBytes(1, 44), Meta("127.0.0.1", 1, 64, 0x2B), reply)->tos, 0x28);
  ReflectorConfig config;
  config.reply_dscp = 46;
  ReflectorCore fixed(config);
  EXPECT_EQ(fixed.Reflect(SenderBytes(1, 44), Meta("127.0.0.1", 1, 64, 0x28), reply)->tos, 0xB8);
  config.reply_dscp = 64;
  EXPECT_FALSE(Validate(config));
}

TEST(ReflectorCoreTest, TruncatedDatagramsAreDropped) {
  ReflectorCore core(ReflectorConfig{});
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto meta = Meta("127.0.0.1", 1);
  meta.truncated = true;
  EXPECT_FALSE(core.Reflect(SenderBytes(1, 44), meta, reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kTooLong), 1u);
}

// An encrypted full-TWAMP session: the sender's sealed probe is answered
// with a sealed 112-byte reply the sender can open; a probe sealed with
// another key, or changed on the way, is dropped as auth_failed.
TEST(ReflectorCoreTest, SecureSessionsOpenRequestsAndSealReplies) {
  TestKeys keys;
  for (int i = 0; i < 16; ++i) keys.aes[i] = std::byte(i);
  for (int i = 0; i < 32; ++i) keys.hmac[i] = std::byte(100 + i);
  auto cipher = TestCipher::Create(keys, TestSecurity::kEncrypted);
  ASSERT_TRUE(cipher);
  ReflectorConfig config;
  config.format = ReflectorFormat::kTwampLight;
  config.security = *cipher;
  ReflectorCore core(config);

  auto probe = [&](TestCipher& with, std::uint32_t seq) {
    std::vector<std::byte> out(48 + 10);
    SenderPacket p;
    p.sequence = seq;
    p.timestamp = {0x83AA7E80, 7};
    p.length = out.size();
    EXPECT_TRUE(EncodeSecure(p, out));
    EXPECT_TRUE(with.Seal(out, PacketKind::kSender));
    return out;
  };
  std::vector<std::byte> reply(kMaxTestPacketLength);
  auto plan = core.Reflect(probe(**cipher, 9), Meta("127.0.0.1", 1, 60), reply);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->length, 112u);  // at least the secure reflector header
  core.Stamp(std::span(reply).first(plan->length), NtpTimestamp{0x83AA7E81, 5});
  std::vector<std::byte> wire(reply.begin(), reply.begin() + 112);
  ASSERT_TRUE((*cipher)->Open(wire, PacketKind::kReflector));
  auto back = DecodeSecureReflectorPacket(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sender_sequence, 9u);
  EXPECT_EQ(back->sender_ttl, 60);
  EXPECT_EQ(back->timestamp, (NtpTimestamp{0x83AA7E81, 5}));
  EXPECT_EQ(back->sender_timestamp, (NtpTimestamp{0x83AA7E80, 7}));

  TestKeys other = keys;
  other.aes[3] ^= std::byte{1};
  auto stranger = TestCipher::Create(other, TestSecurity::kEncrypted);
  EXPECT_FALSE(core.Reflect(probe(**stranger, 10), Meta("127.0.0.1", 1), reply));
  auto changed = probe(**cipher, 11);
  changed[20] ^= std::byte{0x80};
  EXPECT_FALSE(core.Reflect(changed, Meta("127.0.0.1", 1), reply));
  EXPECT_FALSE(core.Reflect(std::vector<std::byte>(47), Meta("127.0.0.1", 1), reply));
  EXPECT_EQ(core.counters().Dropped(DropReason::kAuthFailed), 2u);
  EXPECT_EQ(core.counters().Dropped(DropReason::kTooShort), 1u);
  EXPECT_EQ(core.counters().reflected, 1u);
}

}  // namespace
}  // namespace lineup::measure
