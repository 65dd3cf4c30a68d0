// Authenticated and encrypted TWAMP-Test packets. The expected bytes were
// computed independently of this code with the `openssl enc -nopad` and
// `openssl dgst -sha1 -mac HMAC` commands from the plaintext layouts.
#include "measure/test_security.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

namespace lineup::measure {
namespace {

template <typename Bytes>
std::string ToHex(const Bytes& bytes) {
  std::string s;
  for (auto b : bytes) s += fmt::format("{:02x}", std::to_integer<int>(b));
  return s;
}

// SID 00..0f, AES Session-key 10..1f, HMAC Session-key 20..3f.
TestKeys Keys() {
  control::Block sid;
  control::SessionKeys session;
  for (int i = 0; i < 16; ++i) {
    sid[i] = std::byte(i);
    session.aes[i] = std::byte(0x10 + i);
  }
  for (int i = 0; i < 32; ++i) session.hmac[i] = std::byte(0x20 + i);
  auto keys = DeriveTestKeys(sid, session);
  EXPECT_TRUE(keys.has_value());
  return *keys;
}

SenderPacket Probe() {
  SenderPacket p;
  p.sequence = 7;
  p.timestamp = NtpTimestamp::FromRaw(0x0102030405060708);
  p.error_estimate = ErrorEstimate::Unpack(0x8001);
  p.length = 48;
  return p;
}

ReflectorPacket Reply() {
  ReflectorPacket r;
  r.sequence = 3;
  r.timestamp = NtpTimestamp::FromRaw(0x1111111122222222);
  r.error_estimate = ErrorEstimate::Unpack(0x0001);
  r.receive_timestamp = NtpTimestamp::FromRaw(0x3333333344444444);
  r.sender_sequence = 7;
  r.sender_timestamp = NtpTimestamp::FromRaw(0x0102030405060708);
  r.sender_error_estimate = ErrorEstimate::Unpack(0x8001);
  r.sender_ttl = 64;
  r.length = 112;
  return r;
}

TEST(TestSecurityTest, KeysAreTheSessionKeysEncryptedUnderTheSid) {
  const TestKeys keys = Keys();
  EXPECT_EQ(ToHex(keys.aes), "07feef74e1d5036e900eee118e949293");
  EXPECT_EQ(ToHex(keys.hmac), "5be87e2e5b447c944b21c9af7756c0d82506b7d83eb9978a6bb9f22aa1c146b1");
}

TEST(TestSecurityTest, PlaintextLayoutsAreByteExact) {
  std::vector<std::byte> sender(48);
  ASSERT_TRUE(EncodeSecure(Probe(), sender));
  EXPECT_EQ(ToHex(sender),
            "00000007000000000000000000000000"
            "01020304050607088001000000000000"
            "00000000000000000000000000000000");
  std::vector<std::byte> reflector(112);
  ASSERT_TRUE(EncodeSecure(Reply(), reflector));
  EXPECT_EQ(ToHex(reflector),
            "00000003000000000000000000000000"
            "11111111222222220001000000000000"
            "33333333444444440000000000000000"
            "00000007000000000000000000000000"
            "01020304050607088001000000000000"
            "40000000000000000000000000000000"
            "00000000000000000000000000000000");
  auto back = DecodeSecureReflectorPacket(reflector);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sender_sequence, 7u);
  EXPECT_EQ(back->sender_ttl, 64);
  EXPECT_EQ(back->receive_timestamp.Raw(), 0x3333333344444444u);
  EXPECT_FALSE(DecodeSecureSenderPacket(std::span(sender).first(47)));
  EXPECT_FALSE(DecodeSecureReflectorPacket(std::span(reflector).first(111)));
}

TEST(TestSecurityTest, AuthenticatedModeEncryptsTheFirstBlockAndMacsIt) {
  auto cipher = TestCipher::Create(Keys(), TestSecurity::kAuthenticated);
  ASSERT_TRUE(cipher);
  std::vector<std::byte> sender(48);
  ASSERT_TRUE(EncodeSecure(Probe(), sender));
  ASSERT_TRUE((*cipher)->Seal(sender, PacketKind::kSender));
  EXPECT_EQ(ToHex(sender),
            "121a85db77e9bdaa435f973038aaaf0b"
            "01020304050607088001000000000000"
            "03f9e3bf27f97a8e580ff29b215e2781");

  std::vector<std::byte> reflector(112);
  ASSERT_TRUE(EncodeSecure(Reply(), reflector));
  ASSERT_TRUE((*cipher)->Seal(reflector, PacketKind::kReflector));
  EXPECT_EQ(ToHex(std::span(reflector).first(16)), "cf9b66561f86b14d90d7f631cdd47b43");
  EXPECT_EQ(ToHex(std::span(reflector).subspan(16, 80)),
            "11111111222222220001000000000000"
            "33333333444444440000000000000000"
            "00000007000000000000000000000000"
            "01020304050607088001000000000000"
            "40000000000000000000000000000000");
  EXPECT_EQ(ToHex(std::span(reflector).subspan(96, 16)), "a9bf1d89c6b1ce66677ae448aa8497c7");

  ASSERT_TRUE((*cipher)->Open(sender, PacketKind::kSender));
  EXPECT_EQ(DecodeSecureSenderPacket(sender)->sequence, 7u);
}

TEST(TestSecurityTest, EncryptedModeChainsTheFixedPartAndMacsIt) {
  auto cipher = TestCipher::Create(Keys(), TestSecurity::kEncrypted);
  ASSERT_TRUE(cipher);
  std::vector<std::byte> sender(48 + 8);  // with 8 octets of padding, left alone
  SenderPacket probe = Probe();
  probe.length = sender.size();
  ASSERT_TRUE(EncodeSecure(probe, sender));
  ASSERT_TRUE((*cipher)->Seal(sender, PacketKind::kSender));
  EXPECT_EQ(ToHex(sender),
            "121a85db77e9bdaa435f973038aaaf0b"
            "12a33f9d7a7026cbfa1bce9dc8559f47"
            "d1ff683b5b65920c7a87a843f9ed8294"
            "0000000000000000");

  std::vector<std::byte> reflector(112);
  ASSERT_TRUE(EncodeSecure(Reply(), reflector));
  ASSERT_TRUE((*cipher)->Seal(reflector, PacketKind::kReflector));
  EXPECT_EQ(ToHex(reflector),
            "cf9b66561f86b14d90d7f631cdd47b43aafb517226f10130a0e47f0c331f8fd0274825855d3e90c6b01372"
            "ee7fde0274"
            "1f2162947d8cc6a664be6d8dd2ef40bbf9b269ec5735ab0793e539e31e3d3c461ec81c9f4576666b67089c"
            "7ac4035882"
            "7405688e68a9a8677b1f8a74355c82f1");
  ASSERT_TRUE((*cipher)->Open(reflector, PacketKind::kReflector));
  auto back = DecodeSecureReflectorPacket(reflector);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->timestamp.Raw(), 0x1111111122222222u);
  EXPECT_EQ(back->sender_ttl, 64);
}

TEST(TestSecurityTest, AnyChangedCoveredBitOrAnotherKeyIsRefused) {
  for (auto security : {TestSecurity::kAuthenticated, TestSecurity::kEncrypted}) {
    auto cipher = TestCipher::Create(Keys(), security);
    ASSERT_TRUE(cipher);
    std::vector<std::byte> sealed(48);
    ASSERT_TRUE(EncodeSecure(Probe(), sealed));
    ASSERT_TRUE((*cipher)->Seal(sealed, PacketKind::kSender));
    const std::size_t covered = security == TestSecurity::kAuthenticated ? 16 : 32;
    for (std::size_t byte :
         {std::size_t{0}, std::size_t{5}, covered - 1, std::size_t{32}, std::size_t{47}}) {
      auto copy = sealed;
      copy[byte] ^= std::byte{0x01};
      auto opened = (*cipher)->Open(copy, PacketKind::kSender);
      ASSERT_FALSE(opened) << "byte " << byte;
      EXPECT_NE(opened.error().message.find("HMAC does not match"), std::string::npos);
    }
    TestKeys other = Keys();
    other.hmac[0] ^= std::byte{1};
    auto stranger = TestCipher::Create(other, security);
    auto copy = sealed;
    EXPECT_FALSE((*stranger)->Open(copy, PacketKind::kSender));
    std::vector<std::byte> short_packet(47);
    EXPECT_FALSE((*cipher)->Open(short_packet, PacketKind::kSender));
  }
}

// Random bytes must never crash Open or the decoders, and a sealed random
// packet always opens to itself.
TEST(TestSecurityTest, RandomizedRoundTripsAndGarbage) {
  std::mt19937_64 rng(42);
  for (auto security : {TestSecurity::kAuthenticated, TestSecurity::kEncrypted}) {
    auto cipher = TestCipher::Create(Keys(), security);
    ASSERT_TRUE(cipher);
    for (int i = 0; i < 2000; ++i) {
      const bool reflector = (i & 1) != 0;
      const PacketKind kind = reflector ? PacketKind::kReflector : PacketKind::kSender;
      std::vector<std::byte> bytes(rng() % 200);
      for (auto& b : bytes) b = std::byte(rng() & 0xff);
      auto garbage = bytes;
      (void)(*cipher)->Open(garbage, kind);
      (void)DecodeSecureSenderPacket(garbage);
      (void)DecodeSecureReflectorPacket(garbage);
      if (bytes.size() < TestCipher::HeaderLength(kind)) continue;
      auto sealed = bytes;
      ASSERT_TRUE((*cipher)->Seal(sealed, kind));
      ASSERT_TRUE((*cipher)->Open(sealed, kind));
      const std::size_t hmac_at = TestCipher::HeaderLength(kind) - 16;
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(hmac_at), 16,
                  sealed.begin() + static_cast<std::ptrdiff_t>(hmac_at));
      EXPECT_EQ(sealed, bytes);
    }
  }
}

}  // namespace
}  // namespace lineup::measure
