// TWAMP-Control codecs against byte-exact vectors written from the layouts
// of RFC 4656 §3.1 and RFC 5357 §3 (and RFC 6038's reflect-octets fields),
// plus randomized robustness of every decoder.
#include "measure/control_wire.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace lineup::measure::control {
namespace {

namespace ip = boost::asio::ip;

// "00 01 ab" or "0001ab" -> bytes; "z12" is twelve zero octets.
std::vector<std::byte> Hex(const std::string& text) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
    } else if (text[i] == 'z') {
      std::size_t end = i + 1;
      while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
      out.resize(out.size() + std::stoul(text.substr(i + 1, end - i - 1)), std::byte{0});
      i = end;
    } else {
      out.push_back(static_cast<std::byte>(std::stoi(text.substr(i, 2), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

std::string fmt_hex(int v) {
  static const char* digits = "0123456789abcdef";
  return {digits[(v >> 4) & 15], digits[v & 15]};
}

Block Sequence(int first) {
  Block b;
  for (int i = 0; i < 16; ++i) b[i] = static_cast<std::byte>(first + i);
  return b;
}

template <typename Message>
std::vector<std::byte> Encoded(const Message& m, std::size_t length) {
  std::vector<std::byte> out(length + 7, std::byte{0xee});
  auto n = Encode(m, out);
  EXPECT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, length);
  out.resize(length);
  return out;
}

TEST(ControlWireTest, ServerGreetingIsByteExact) {
  ServerGreeting m;
  m.modes =
      kUnauthenticated | kAuthenticated | kEncrypted | kMixed | kReflectOctets | kSymmetricalSize;
  m.challenge = Sequence(0x00);
  m.salt = Sequence(0x10);
  m.count = 1024;
  const auto bytes =
      Hex("z12 0000006f 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f 00000400 "
          "z12");
  ASSERT_EQ(bytes.size(), kServerGreetingLength);
  EXPECT_EQ(Encoded(m, kServerGreetingLength), bytes);
  auto back = DecodeServerGreeting(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->modes, m.modes);
  EXPECT_EQ(back->challenge, m.challenge);
  EXPECT_EQ(back->salt, m.salt);
  EXPECT_EQ(back->count, 1024u);
  EXPECT_FALSE(DecodeServerGreeting(std::span(bytes).first(63)));
}

TEST(ControlWireTest, SetUpResponseIsByteExact) {
  SetUpResponse m;
  m.mode = kAuthenticated;
  m.key_id = "edge-1";
  for (std::size_t i = 0; i < m.token.size(); ++i) m.token[i] = static_cast<std::byte>(0xa0 + i);
  m.client_iv = Sequence(0xf0);
  std::string token_hex;
  for (int i = 0; i < 64; ++i) token_hex += fmt_hex(0xa0 + i);
  const auto bytes =
      Hex("00000002 6564 6765 2d31 z74" + token_hex + "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  ASSERT_EQ(bytes.size(), kSetUpResponseLength);
  EXPECT_EQ(Encoded(m, kSetUpResponseLength), bytes);
  auto back = DecodeSetUpResponse(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->mode, kAuthenticated);
  EXPECT_EQ(back->key_id, "edge-1");
  EXPECT_EQ(back->token, m.token);
  EXPECT_EQ(back->client_iv, m.client_iv);

  m.key_id.assign(81, 'k');
  std::vector<std::byte> out(kSetUpResponseLength);
  auto refused = Encode(m, out);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("at most 80 fit"), std::string::npos);
  m.key_id.assign(80, 'k');  // exactly 80: no terminating zero on the wire
  auto full = DecodeSetUpResponse(Encoded(m, kSetUpResponseLength));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->key_id, m.key_id);
}

TEST(ControlWireTest, ServerStartIsByteExact) {
  ServerStart m;
  m.accept = Accept::kOk;
  m.server_iv = Sequence(0x20);
  m.start_time = {0xe9a3f2a0, 0x80000000};
  const auto bytes = Hex("z15 00 202122232425262728292a2b2c2d2e2f e9a3f2a0 80000000 z8");
  EXPECT_EQ(Encoded(m, kServerStartLength), bytes);
  auto back = DecodeServerStart(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->server_iv, m.server_iv);
  EXPECT_EQ(back->start_time, m.start_time);
  auto refused = Hex("z15 03 z32");
  auto not_supported = DecodeServerStart(refused);
  ASSERT_TRUE(not_supported);
  EXPECT_EQ(not_supported->accept, Accept::kNotSupported);
  auto undefined = DecodeServerStart(Hex("z15 06 z32"));
  ASSERT_FALSE(undefined);
  EXPECT_NE(undefined.error().message.find("Accept value 6 is not defined"), std::string::npos);
}

TEST(ControlWireTest, RequestTwSessionIsByteExactForIpv4AndIpv6) {
  RequestTwSession m;
  m.sender = ip::make_address("192.0.2.1");
  m.receiver = ip::make_address("198.51.100.1");
  m.sender_port = 50000;
  m.receiver_port = 862;
  m.padding_length = 27;
  m.start_time = {0xe9a3f2a0, 0x80000000};
  m.timeout = {2, 0};
  m.type_p = TypePForDscp(46);
  m.octets_to_reflect = 4;
  m.padding_to_reflect = 0;
  const auto bytes =
      Hex("05 04 00 00 00000000 00000000 c350 035e c0000201 z12 c6336401 z12 z16 0000001b "
          "e9a3f2a0 80000000 00000002 00000000 2e000000 0004 0000 00000000 z16");
  ASSERT_EQ(bytes.size(), kRequestTwSessionLength);
  EXPECT_EQ(Encoded(m, kRequestTwSessionLength), bytes);
  auto back = DecodeRequestTwSession(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sender, m.sender);
  EXPECT_EQ(back->receiver, m.receiver);
  EXPECT_EQ(back->sender_port, 50000);
  EXPECT_EQ(back->receiver_port, 862);
  EXPECT_EQ(back->padding_length, 27u);
  EXPECT_EQ(back->start_time, m.start_time);
  EXPECT_EQ(back->timeout, m.timeout);
  EXPECT_EQ(*DscpOfTypeP(back->type_p), 46);
  EXPECT_EQ(back->octets_to_reflect, 4);

  m.sender = ip::make_address("2001:db8::1");
  m.receiver = ip::make_address("::");  // the NAT case: use the control connection's
  const auto v6 = Encoded(m, kRequestTwSessionLength);
  EXPECT_EQ(std::to_integer<int>(v6[1]), 6);
  EXPECT_EQ(std::vector<std::byte>(v6.begin() + 16, v6.begin() + 32),
            Hex("20010db8000000000000000000000001"));
  auto back6 = DecodeRequestTwSession(v6);
  ASSERT_TRUE(back6);
  EXPECT_EQ(back6->sender, m.sender);
  EXPECT_TRUE(back6->receiver.is_unspecified());

  m.receiver = ip::make_address("198.51.100.1");
  std::vector<std::byte> out(kRequestTwSessionLength);
  EXPECT_FALSE(Encode(m, out));  // mixed families

  auto bad_version = bytes;
  bad_version[1] = std::byte{0x05};
  auto refused = DecodeRequestTwSession(bad_version);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("IP version 5"), std::string::npos);
  auto owamp = bytes;
  owamp[0] = std::byte{1};
  EXPECT_FALSE(DecodeRequestTwSession(owamp));
}

TEST(ControlWireTest, AcceptSessionStartAndStopAreByteExact) {
  AcceptSession a;
  a.port = 20000;
  a.sid = Sequence(0x01);
  a.reflected_octets = 4;
  a.server_octets = 2;
  a.hmac.fill(std::byte{0x11});
  const auto accept = Hex(
      "00 00 4e20 0102030405060708090a0b0c0d0e0f10 0004 0002 z8 11111111111111111111111111111111");
  EXPECT_EQ(Encoded(a, kAcceptSessionLength), accept);
  auto a2 = DecodeAcceptSession(accept);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->port, 20000);
  EXPECT_EQ(a2->sid, a.sid);
  EXPECT_EQ(a2->server_octets, 2);
  EXPECT_EQ(a2->hmac, a.hmac);

  StartSessions s;
  s.hmac = Sequence(0x40);
  EXPECT_EQ(Encoded(s, kStartSessionsLength), Hex("02 z15 404142434445464748494a4b4c4d4e4f"));
  EXPECT_TRUE(DecodeStartSessions(Hex("02 z15 404142434445464748494a4b4c4d4e4f")));

  StartAck ack;
  ack.accept = Accept::kTemporaryLimit;
  EXPECT_EQ(Encoded(ack, kStartAckLength), Hex("05 z15 z16"));
  EXPECT_EQ(DecodeStartAck(Hex("05 z15 z16"))->accept, Accept::kTemporaryLimit);

  StopSessions stop;
  stop.sessions = 2;
  EXPECT_EQ(Encoded(stop, kStopSessionsLength), Hex("03 00 0000 00000002 z8 z16"));
  auto stop2 = DecodeStopSessions(Hex("03 00 0000 00000002 z8 z16"));
  ASSERT_TRUE(stop2);
  EXPECT_EQ(stop2->sessions, 2u);
  EXPECT_FALSE(DecodeStopSessions(Hex("02 00 0000 00000002 z8 z16")));
}

TEST(ControlWireTest, CommandsAreRecognisedAndOwampOnesNamed) {
  EXPECT_EQ(*PeekCommand(Hex("05")), Command::kRequestTwSession);
  EXPECT_EQ(CommandLength(Command::kRequestTwSession), 112u);
  EXPECT_EQ(CommandLength(Command::kStopSessions), 32u);
  auto owamp = PeekCommand(Hex("01"));
  ASSERT_FALSE(owamp);
  EXPECT_NE(owamp.error().message.find("OWAMP Request-Session"), std::string::npos);
  EXPECT_FALSE(PeekCommand(Hex("09")));
  EXPECT_FALSE(PeekCommand({}));
  EXPECT_EQ(Describe(Accept::kPermanentLimit),
            "cannot perform the request due to permanent resource limitations (4)");
  EXPECT_EQ(SecurityModeName(kMixed | kReflectOctets), "mixed");
  EXPECT_FALSE(DscpOfTypeP(0x40000000));  // a PHB ID
  EXPECT_FALSE(DscpOfTypeP(0x2e000001));  // bits beyond the DSCP
  EXPECT_FALSE(DscpOfTypeP(0x0000002e));  // a DSCP in the wrong place
  EXPECT_EQ(*DscpOfTypeP(0x2e000000), 46);
  EXPECT_EQ(*DscpOfTypeP(0), 0);
}

// Random bytes into every decoder: errors, never a crash (ASan in CI); what
// decodes re-encodes to a message that decodes to the same fields.
TEST(ControlWireTest, RandomBytesNeverCrashAndDecodedMessagesRoundTrip) {
  std::mt19937_64 rng(0xc0de);
  const std::size_t lengths[] = {kServerGreetingLength, kSetUpResponseLength,
                                 kServerStartLength,    kRequestTwSessionLength,
                                 kAcceptSessionLength,  kStartSessionsLength};
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::size_t length = lengths[rng() % std::size(lengths)];
    if (rng() % 4 == 0) length = rng() % 200;
    std::vector<std::byte> in(length);
    for (auto& b : in) b = static_cast<std::byte>(rng());
    if (length > 0 && rng() % 2 == 0)
      in[0] = static_cast<std::byte>(rng() % 6);  // plausible commands
    if (length > 1 && rng() % 2 == 0) in[1] = static_cast<std::byte>(rng() % 2 ? 4 : 6);
    std::vector<std::byte> out(200);
    if (auto m = DecodeServerGreeting(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeSetUpResponse(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeServerStart(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeRequestTwSession(in)) {
      ASSERT_TRUE(Encode(*m, out));
      auto again = DecodeRequestTwSession(std::span(out).first(kRequestTwSessionLength));
      ASSERT_TRUE(again);
      EXPECT_EQ(again->sender, m->sender);
      EXPECT_EQ(again->timeout, m->timeout);
      ++decoded;
    }
    if (auto m = DecodeAcceptSession(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeStartSessions(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeStartAck(in)) decoded += Encode(*m, out).has_value();
    if (auto m = DecodeStopSessions(in)) decoded += Encode(*m, out).has_value();
    (void)PeekCommand(in);
  }
  EXPECT_GT(decoded, 1000);
}

}  // namespace
}  // namespace lineup::measure::control
