// Randomized robustness tests for every decoder and for the cores that take
// bytes from the network: random bytes, and valid packets with random
// mutations and truncations. Run under ASan/UBSan in CI, so an out-of-bounds
// read fails here. The seed is printed so a failure can be reproduced.
#include <gtest/gtest.h>

#include <random>

#include "measure/endpoint.h"
#include "measure/reflector.h"
#include "measure/session.h"
#include "measure/wire.h"

namespace lineup::measure {
namespace {

constexpr std::uint64_t kSeed = 0x7e57;

std::vector<std::byte> RandomBytes(std::mt19937_64& rng, std::size_t max) {
  std::vector<std::byte> v(rng() % (max + 1));
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

void Mutate(std::mt19937_64& rng, std::vector<std::byte>& v) {
  const int edits = 1 + int(rng() % 4);
  for (int i = 0; i < edits && !v.empty(); ++i) {
    switch (rng() % 3) {
      case 0:
        v[rng() % v.size()] = static_cast<std::byte>(rng());
        break;
      case 1:
        v.resize(rng() % (v.size() + 1));
        break;
      default:
        v.resize(v.size() + rng() % 64, static_cast<std::byte>(rng()));
    }
  }
}

TEST(FuzzTest, DecodersNeverReadPastTheInput) {
  std::mt19937_64 rng(kSeed);
  SCOPED_TRACE(kSeed);
  for (int i = 0; i < 100'000; ++i) {
    auto bytes = RandomBytes(rng, 120);
    auto s = DecodeSenderPacket(bytes);
    auto r = DecodeReflectorPacket(bytes);
    ASSERT_EQ(s.has_value(), bytes.size() >= kSenderHeaderLength);
    ASSERT_EQ(r.has_value(), bytes.size() >= kShortReflectorLength);
    if (r && r->HasSenderTtl()) {  // decode -> encode reproduces every non-padding field
      std::vector<std::byte> again(r->length);
      ASSERT_TRUE(Encode(*r, again));
      ASSERT_TRUE(std::equal(again.begin(), again.begin() + 38, bytes.begin()));
      ASSERT_EQ(again[40], bytes[40]);
    }
  }
}

TEST(FuzzTest, ReflectorAndSenderTakeAnyDatagram) {
  std::mt19937_64 rng(kSeed + 1);
  ReflectorConfig rc;
  rc.allow = {Prefix::Parse("127.0.0.0/8").value()};
  ReflectorCore reflector(rc);
  ReflectorConfig lc;
  lc.format = ReflectorFormat::kTwampLight;
  lc.allow_larger_reply = true;
  ReflectorCore light(lc);
  SessionConfig sc;
  sc.destination = ParseEndpoint("127.0.0.1").value();
  sc.count = 50;
  SenderSession session(sc);
  std::vector<std::byte> probe(sc.PacketLength());
  for (std::uint32_t i = 0; i < sc.count; ++i) session.BuildProbe(FromUnixNanos(i), probe);

  std::vector<std::byte> reply(kMaxTestPacketLength);
  for (int i = 0; i < 50'000; ++i) {
    std::vector<std::byte> bytes(probe);
    if (rng() % 4 == 0) {
      bytes = RandomBytes(rng, 200);
    } else {
      Mutate(rng, bytes);
    }
    const ReceivedMeta meta{
        UdpEndpoint(boost::asio::ip::address_v4(std::uint32_t(rng())), std::uint16_t(rng())),
        FromUnixNanos(std::int64_t(rng() >> 2)), int(rng() % 300) - 10, int(rng() % 300) - 10,
        rng() % 50 == 0};
    for (ReflectorCore* core : {&reflector, &light}) {
      if (auto plan = core->Reflect(bytes, meta, reply)) {
        ASSERT_GE(plan->length, kReflectorHeaderLength);
        ASSERT_TRUE(core == &light || plan->length <= bytes.size());  // no amplification
        session.OnDatagram(std::span(reply).first(plan->length), meta.receive_time, meta.ttl,
                           meta.tos);
      }
    }
    auto garbage = RandomBytes(rng, 100);
    session.OnDatagram(garbage, FromUnixNanos(std::int64_t(rng() >> 2)), -1, -1);
  }
  const auto& c = reflector.counters();
  EXPECT_EQ(c.received, c.reflected + c.DroppedTotal());
  auto s = session.Summarize();
  EXPECT_LE(s.received, s.sent);
  EXPECT_EQ(s.lost, s.sent - s.received);
}

TEST(FuzzTest, AddressParsersTakeAnyText) {
  std::mt19937_64 rng(kSeed + 2);
  const std::string alphabet = "0123456789abcdef:./[]%x -";
  for (int i = 0; i < 50'000; ++i) {
    std::string text(rng() % 24, ' ');
    for (auto& ch : text) ch = alphabet[rng() % alphabet.size()];
    auto e = ParseEndpoint(text);
    if (e) {
      ASSERT_FALSE(FormatEndpoint(*e).empty());
    }
    auto p = Prefix::Parse(text);
    if (p) {
      ASSERT_FALSE(p->ToString().empty());
    }
  }
}

}  // namespace
}  // namespace lineup::measure
