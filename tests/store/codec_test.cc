#include "store/codec.h"

// The store's own string loaders, as the codec has them (cereal's would be a
// second definition of the same template, and could replace the bounded one).
#include "store/bounded_types.h"

#include <cereal/archives/portable_binary.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/store/sample_events.h"

namespace lineup::store {
namespace {

using testing::OneOfEach;

ConstByteSpan Span(const std::string& s) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(CodecTest, EveryEventTypeRoundTrips) {
  std::uint64_t revision = 0;
  for (const auto& e : OneOfEach()) {
    std::string record;
    EncodeRecord(e, revision, record);
    auto back = DecodeRecord(42, Span(record));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->position, 42u);
    EXPECT_EQ(back->revision, revision);
    EXPECT_EQ(back->event.time, e.time);
    EXPECT_EQ(back->event.stream, e.stream);
    EXPECT_EQ(back->event.type(), e.type());
    EXPECT_TRUE(back->event.payload == e.payload) << ToString(e.type());
    EXPECT_EQ(PeekType(Span(record)), e.type());
    ++revision;
  }
}

// Records written by this build's format, checked in: they must stay readable
// by every later build. Regenerate only for a new golden file, never to make
// a failing test pass (LINEUP_WRITE_GOLDEN=1 writes them).
TEST(CodecTest, GoldenRecordsStayReadable) {
  const std::string path = std::string(LINEUP_SOURCE_DIR) + "/tests/store/golden/records-v1.hex";
  const auto events = OneOfEach();
  if (std::getenv("LINEUP_WRITE_GOLDEN")) {
    std::ofstream out(path);
    for (std::size_t i = 0; i < events.size(); ++i) {
      std::string record;
      EncodeRecord(events[i], i, record);
      out << Hex(record) << "\n";
    }
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::string line;
  std::size_t i = 0;
  while (std::getline(in, line)) {
    ASSERT_LT(i, events.size());
    auto decoded = DecodeRecord(i, Span(Unhex(line)));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_TRUE(decoded->event.payload == events[i].payload) << ToString(events[i].type());
    EXPECT_EQ(decoded->event.stream, events[i].stream);
    EXPECT_EQ(decoded->revision, i);
    std::string again;
    EncodeRecord(events[i], i, again);
    // Same schema version: the same bytes. A newer version must still read the old record (above).
    if (again.substr(4, 2) == Unhex(line).substr(4, 2)) {
      EXPECT_EQ(Hex(again), line) << "the record format of " << ToString(events[i].type())
                                  << " changed: bump its schema version and keep reading v1";
    }
    ++i;
  }
  EXPECT_EQ(i, events.size());
}

TEST(CodecTest, RankingV3CarriesEvidenceAndSessionFaultsRoundTrip) {
  RankingChanged r{"voice",
                   {{"a", 0.9, true}, {"b", -18, false}},
                   {{10, 1, 0}, {12, 2, 19}},
                   {{0, 3.6, 0.25, 100, false}, {13.1, 26.6, -18, 100, false}}};
  SessionFault f;
  f.session = "a-voice";
  f.tunnel = "a";
  f.consecutive_lost = 3;
  f.detail = "dead port";
  SessionRecovered back_again;
  back_again.session = "a-voice";
  back_again.tunnel = "a";
  for (const Payload& payload : {Payload(r), Payload(f), Payload(back_again)}) {
    std::string record;
    EncodeRecord(Event{FromUnixNanos(1), "class/voice", payload, {}, {}}, 0, record);
    auto back = DecodeRecord(0, Span(record));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(back->event.payload == payload);
  }
}

TEST(CodecTest, PathSwitchedV2CarriesWeightsAndPath) {
  PathSwitched p{"video", "a", "a+b", "load_balance", "both compliant", {{"a", 0.6}, {"b", 0.4}},
                 {}};
  PathSwitched hub{"voice", "a", "c>d", "hub_path", "no direct line", {}, {"c", "d"}};
  for (const auto& payload : {p, hub}) {
    std::string record;
    EncodeRecord(Event{FromUnixNanos(1), "class/video", payload, {}, {}}, 0, record);
    auto back = DecodeRecord(0, Span(record));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(back->event.payload == Payload(payload));
  }
}

TEST(CodecTest, SessionConfiguredV2CarriesTheTunnelAndV1RecordsOfLineupRunGiveItToo) {
  SessionConfigured c{
      "web-probe", "127.0.0.1:862",       "",      10, 20'000'000, false, 30, 46, 64,
      true,        "id=x protocol=light", "line-b"};
  std::string record;
  EncodeRecord(Event{FromUnixNanos(1), "session/web-probe", c, {}, {}}, 0, record);
  auto back = DecodeRecord(0, Span(record));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->event.payload == Payload(c));

  // Version 1 had no field; lineup run wrote "tunnel=NAME" into the settings.
  for (const auto& [settings, tunnel] :
       {std::pair{"id=x tunnel=line-b protocol=light", "line-b"},
        std::pair{"id=x tunnel= protocol=light", ""}, std::pair{"{}", ""}}) {
    SessionConfigured v1 = c;
    v1.settings = settings;
    std::stringstream bytes;
    {
      cereal::PortableBinaryOutputArchive out(bytes);
      v1.Fields(out, 1);
    }
    SessionConfigured read;
    internal::g_payload_budget = bytes.str().size();  // as the codec sets it per record
    cereal::PortableBinaryInputArchive in(bytes);
    read.Fields(in, 1);
    EXPECT_EQ(read.tunnel, tunnel) << settings;
    EXPECT_EQ(read.settings, settings);
    EXPECT_EQ(read.dscp, 46);
  }
}

TEST(CodecTest, DamageIsReportedWithThePosition) {
  std::string record;
  EncodeRecord(testing::Sample("s", 1), 0, record);
  std::string flipped = record;
  flipped[30] = static_cast<char>(flipped[30] ^ 0x40);
  auto r = DecodeRecord(1234, Span(flipped));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("position 1234"), std::string::npos);
  EXPECT_NE(r.error().message.find("checksum"), std::string::npos);
  for (std::size_t n = 0; n < record.size(); ++n) {
    EXPECT_FALSE(DecodeRecord(1, Span(record.substr(0, n)))) << n;
  }
}

// Re-seals a record whose header was edited, so the checksum passes and the
// decoder has to judge the content.
std::string Reseal(std::string record) {
  record.resize(record.size() - 4);
  {
    std::uint32_t crc = 0xFFFFFFFF;
    for (unsigned char c : record) {
      crc ^= c;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xFFFFFFFF;
    for (int i = 3; i >= 0; --i) record.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  return record;
}

// A true/false field is one byte, 0 or 1: any other value under a good
// checksum is a damaged record, refused, not read as a bool (which was
// undefined behaviour; fuzz/event_record.cc found it).
TEST(CodecTest, ATrueFalseFieldHoldingAnotherByteIsRefused) {
  Event e;
  e.time = FromUnixNanos(1'795'000'000'000'000'000);
  e.stream = "policy";
  e.payload = PolicyChanged{"p", "d", std::nullopt};  // ends with 'policy present?'
  std::string record;
  EncodeRecord(e, 0, record);
  ASSERT_TRUE(DecodeRecord(0, Span(record)));
  const std::size_t present = record.size() - 5;
  ASSERT_EQ(record[present], 0);
  for (int byte : {2, 0x7f, 0xff}) {
    std::string damaged = record;
    damaged[present] = static_cast<char>(byte);
    auto r = DecodeRecord(0, Span(Reseal(damaged)));
    ASSERT_FALSE(r) << byte;
    EXPECT_NE(r.error().message.find("true/false field holds " + std::to_string(byte)),
              std::string::npos)
        << r.error().message;
  }
  record[present] = 1;  // 1 is true: the policy then runs past the record
  EXPECT_FALSE(DecodeRecord(0, Span(Reseal(record))));
}

TEST(CodecTest, UnknownTypeAndNewerSchemaAreClearErrors) {
  std::string record;
  EncodeRecord(testing::Sample("s", 1), 0, record);
  std::string unknown = record;
  unknown[2] = 0x03;
  unknown[3] = static_cast<char>(0xE7);  // type 999
  auto a = DecodeRecord(5, Span(Reseal(unknown)));
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("unknown event type 999"), std::string::npos)
      << a.error().message;

  std::string newer = record;
  newer[5] = 9;  // schema version 9
  auto b = DecodeRecord(6, Span(Reseal(newer)));
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("schema version 9 is newer"), std::string::npos)
      << b.error().message;
  EXPECT_NE(b.error().message.find("position 6"), std::string::npos);
}

TEST(CodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(11);
  std::string good;
  EncodeRecord(OneOfEach()[3], 0, good);
  for (int i = 0; i < 20'000; ++i) {
    std::string bytes = good;
    const int edits = 1 + int(rng() % 4);
    for (int k = 0; k < edits; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) bytes.resize(rng() % bytes.size());
    (void)DecodeRecord(0, Span(Reseal(bytes.size() >= 4 ? bytes : good)));
    (void)DecodeRecord(0, Span(bytes));
  }
}

}  // namespace
}  // namespace lineup::store
