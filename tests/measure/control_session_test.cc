// The TWAMP-Control state machines against each other over a fake
// transport (bytes handed across in memory), in every mode, and against a
// client that misbehaves.
#include "measure/control_session.h"

#include <gtest/gtest.h>

#include <random>

namespace lineup::measure::control {
namespace {

const ip::address kServerAddress = ip::make_address("192.0.2.10");
const ip::address kClientAddress = ip::make_address("198.51.100.20");

struct Pair {
  FakeClock clock{FromUnixNanos(1'767'225'600'000'000'000)};
  std::vector<SessionRequest> requests;
  std::vector<std::vector<Block>> started, stopped;
  SessionGrant grant{Accept::kOk, 40000, 0};
  ControlServer server;
  ControlClient client;

  Pair(std::uint32_t offered, ClientOptions options,
       Secrets secrets = {{"edge-1", "correct horse"}},
       std::optional<WallTime> server_started = std::nullopt)
      : server(ServerOptions{offered, secrets, 1024, server_started},
               ServerHooks{[this](const SessionRequest& r, const Block&) {
                             requests.push_back(r);
                             SessionGrant g = grant;
                             g.port = static_cast<std::uint16_t>(grant.port + requests.size());
                             return g;
                           },
                           [this](const std::vector<Block>& sids) { started.push_back(sids); },
                           [this](const std::vector<Block>& sids) { stopped.push_back(sids); }},
               clock, kServerAddress, kClientAddress),
        client(std::move(options)) {}

  // Client bytes to the server; the server's answer.
  std::vector<std::byte> ToServer(const std::vector<std::byte>& bytes, bool byte_by_byte = false) {
    std::vector<std::byte> out;
    if (byte_by_byte) {
      for (auto b : bytes) {
        auto ok = server.Receive(std::span(&b, 1), out);
        EXPECT_TRUE(ok) << ok.error().message;
      }
    } else {
      auto ok = server.Receive(bytes, out);
      EXPECT_TRUE(ok) << ok.error().message;
    }
    return out;
  }

  void Connect() {
    auto greeting = server.Greeting();
    ASSERT_TRUE(greeting);
    auto setup = client.OnGreeting(*greeting);
    ASSERT_TRUE(setup) << setup.error().message;
    auto start = ToServer(*setup);
    ASSERT_EQ(start.size(), kServerStartLength);
    auto ok = client.OnServerStart(start);
    ASSERT_TRUE(ok) << ok.error().message;
  }

  ControlClient::Accepted Request(const RequestTwSession& r) {
    auto bytes = client.RequestSession(r);
    EXPECT_TRUE(bytes);
    auto reply = ToServer(*bytes);
    EXPECT_EQ(reply.size(), kAcceptSessionLength);
    auto accepted = client.OnAcceptSession(reply);
    EXPECT_TRUE(accepted) << accepted.error().message;
    return accepted.value_or(ControlClient::Accepted{});
  }

  void StartAndStop(std::uint32_t sessions) {
    auto start = client.StartSessions();
    ASSERT_TRUE(start);
    auto ack = ToServer(*start);
    ASSERT_EQ(ack.size(), kStartAckLength);
    ASSERT_TRUE(client.OnStartAck(ack));
    auto stop = client.StopSessions(sessions);
    ASSERT_TRUE(stop);
    EXPECT_TRUE(ToServer(*stop, true).empty());  // no answer to Stop-Sessions
  }
};

RequestTwSession Request(const char* sender = "0.0.0.0", const char* receiver = "0.0.0.0") {
  RequestTwSession r;
  r.sender = ip::make_address(sender);
  r.receiver = ip::make_address(receiver);
  r.sender_port = 50000;
  r.receiver_port = 862;
  r.padding_length = 27;
  r.type_p = TypePForDscp(46);
  r.timeout = {2, 0};
  return r;
}

class EveryModeTest : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(EveryModeTest, ConnectsRequestsStartsAndStopsTwiceOnOneConnection) {
  const std::uint32_t mode = GetParam();
  Pair p(kUnauthenticated | kAuthenticated | kEncrypted | kMixed | kReflectOctets,
         ClientOptions{mode, "edge-1", "correct horse", true});
  p.Connect();
  EXPECT_EQ(p.client.mode() & kSecurityModes, mode);
  EXPECT_EQ(p.server.mode(), p.client.mode());
  EXPECT_TRUE((p.client.mode() & kReflectOctets) != 0);
  if (EncryptsControl(mode)) {
    EXPECT_EQ(p.server.key_id(), "edge-1");
  }

  // Two sessions, one with zero addresses.
  auto plain = Request("0.0.0.0", "0.0.0.0");
  const auto a1 = p.Request(plain);
  const auto a2 = p.Request(Request("198.51.100.21", "192.0.2.11"));
  EXPECT_EQ(a1.port, 40001);
  EXPECT_EQ(a2.port, 40002);
  EXPECT_NE(a1.sid, a2.sid);
  ASSERT_EQ(p.requests.size(), 2u);
  // Zero addresses mean the control connection's (the NAT case).
  EXPECT_EQ(p.requests[0].sender, kClientAddress);
  EXPECT_EQ(p.requests[0].reflector, kServerAddress);
  EXPECT_EQ(p.requests[1].sender, ip::make_address("198.51.100.21"));
  EXPECT_EQ(p.requests[0].dscp, 46);
  EXPECT_EQ(p.requests[0].timeout, std::chrono::seconds(2));
  EXPECT_EQ(p.requests[0].padding_length, 27u);

  p.StartAndStop(2);
  ASSERT_EQ(p.started.size(), 1u);
  EXPECT_EQ(p.started[0].size(), 2u);
  EXPECT_EQ(p.stopped.size(), 1u);
  EXPECT_EQ(p.server.state(), ControlServer::State::kIdle);

  // A second test on the same connection (repeated tests, as routers run them).
  p.Request(plain);
  p.StartAndStop(1);
  EXPECT_EQ(p.stopped.size(), 2u);
  EXPECT_EQ(p.stopped[1].size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, EveryModeTest,
                         ::testing::Values(kUnauthenticated, kAuthenticated, kEncrypted, kMixed),
                         [](const auto& mode_info) { return SecurityModeName(mode_info.param); });

TEST(ControlSessionTest, TheControlStreamIsEncryptedInTheSecureModes) {
  for (std::uint32_t mode : {kUnauthenticated, kEncrypted}) {
    Pair p(kUnauthenticated | kEncrypted, ClientOptions{mode, "edge-1", "correct horse", false});
    p.Connect();
    auto wire = p.client.RequestSession(Request());
    ASSERT_TRUE(wire);
    std::vector<std::byte> plain(kRequestTwSessionLength);
    ASSERT_TRUE(Encode(Request(), plain));
    if (mode == kUnauthenticated) {
      EXPECT_EQ(*wire, plain);
    } else {
      EXPECT_NE(std::vector<std::byte>(wire->begin(), wire->begin() + 96),
                std::vector<std::byte>(plain.begin(), plain.begin() + 96));
    }
  }
}

TEST(ControlSessionTest, ChoosesTheStrongestCommonMode) {
  const std::uint32_t all = kUnauthenticated | kAuthenticated | kEncrypted | kMixed;
  EXPECT_EQ(ChooseMode(all, 0, true), kEncrypted);
  EXPECT_EQ(ChooseMode(kUnauthenticated | kAuthenticated | kMixed, 0, true), kAuthenticated);
  EXPECT_EQ(ChooseMode(kUnauthenticated | kMixed, 0, true), kMixed);
  EXPECT_EQ(ChooseMode(all, 0, false), kUnauthenticated);
  EXPECT_EQ(ChooseMode(all, kMixed, true), kMixed);
  EXPECT_EQ(ChooseMode(kEncrypted, kUnauthenticated, true), 0u);
}

TEST(ControlSessionTest, AWrongSecretOrUnknownIdentityIsRefusedWithAReason) {
  for (const auto& [id, secret, why] :
       {std::tuple{"edge-1", "battery staple", "wrong shared secret for key identity 'edge-1'"},
        std::tuple{"edge-9", "correct horse", "unknown key identity 'edge-9'"}}) {
    Pair p(kAuthenticated, ClientOptions{0, id, secret, false});
    auto greeting = p.server.Greeting();
    auto setup = p.client.OnGreeting(*greeting);
    ASSERT_TRUE(setup);
    std::vector<std::byte> out;
    auto refused = p.server.Receive(*setup, out);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find(why), std::string::npos) << refused.error().message;
    ASSERT_EQ(out.size(), kServerStartLength);  // the refusal, before closing
    auto seen = p.client.OnServerStart(out);
    ASSERT_FALSE(seen);
    EXPECT_NE(seen.error().message.find(
                  "the server refused the connection: failure, reason unspecified (1) "
                  "(check the key identity and secret)"),
              std::string::npos)
        << seen.error().message;
  }
}

TEST(ControlSessionTest, NoCommonModeSaysWhatEachSideHas) {
  Pair p(kEncrypted, ClientOptions{0, "", "", false});
  auto greeting = p.server.Greeting();
  auto setup = p.client.OnGreeting(*greeting);
  ASSERT_FALSE(setup);
  EXPECT_NE(
      setup.error().message.find("no common mode: the server offers encrypted; asked for any "
                                 "(authenticated, encrypted and mixed need --key-id and a secret)"),
      std::string::npos)
      << setup.error().message;
}

TEST(ControlSessionTest, RefusedSessionsAndWrongStopCountsAreReported) {
  Pair p(kUnauthenticated | kEncrypted,
         ClientOptions{kEncrypted, "edge-1", "correct horse", false});
  p.Connect();
  p.grant.accept = Accept::kTemporaryLimit;
  auto bytes = p.client.RequestSession(Request());
  auto reply = p.ToServer(*bytes);
  auto refused = p.client.OnAcceptSession(reply);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("temporary resource limitations (5)"), std::string::npos);

  p.grant.accept = Accept::kOk;
  p.Request(Request());
  auto start = p.client.StartSessions();
  auto started_ack = p.ToServer(*start);
  ASSERT_TRUE(p.client.OnStartAck(started_ack));
  auto stop = p.client.StopSessions(3);
  std::vector<std::byte> out;
  auto wrong = p.server.Receive(*stop, out);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("Stop-Sessions counts 3 sessions; this connection runs 1"),
            std::string::npos);
  EXPECT_EQ(p.server.state(), ControlServer::State::kClosed);
}

TEST(ControlSessionTest, StartWithoutSessionsIsRefusedAndTamperingFailsTheHmac) {
  Pair p(kAuthenticated, ClientOptions{0, "edge-1", "correct horse", false});
  p.Connect();
  auto start = p.client.StartSessions();
  auto ack = p.ToServer(*start);
  auto refused = p.client.OnStartAck(ack);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("did not start the sessions: failure"), std::string::npos);

  auto request = p.client.RequestSession(Request());
  (*request)[40] ^= std::byte{0x01};
  std::vector<std::byte> out;
  auto tampered = p.server.Receive(*request, out);
  ASSERT_FALSE(tampered);
  EXPECT_NE(tampered.error().message.find("HMAC check failed"), std::string::npos);
}

// Garbage after the set-up closes the connection with a reason, never a
// crash; random bytes in any amount are handled.
TEST(ControlSessionTest, GarbageClosesTheConnectionCleanly) {
  std::mt19937_64 rng(0x7a3b);
  for (int i = 0; i < 300; ++i) {
    const std::uint32_t mode = i % 2 == 0 ? kUnauthenticated : kEncrypted;
    Pair p(kUnauthenticated | kEncrypted, ClientOptions{mode, "edge-1", "correct horse", false});
    p.Connect();
    std::vector<std::byte> junk(rng() % 300);
    for (auto& b : junk) b = static_cast<std::byte>(rng());
    if (!junk.empty() && mode == kUnauthenticated && i % 4 == 0) junk[0] = std::byte{9};
    std::vector<std::byte> out;
    auto r = p.server.Receive(junk, out);
    if (!r) {
      EXPECT_EQ(p.server.state(), ControlServer::State::kClosed);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  Pair p(kUnauthenticated, ClientOptions{});
  std::vector<std::byte> out;
  auto early = p.server.Receive(std::vector<std::byte>(10), out);
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("before the greeting"), std::string::npos);
}

// Server-Start's Start-Time is when the server started (RFC 4656 §3.1),
// not when this connection came.
TEST(ControlSessionTest, ServerStartCarriesTheServersStartTime) {
  const WallTime began = FromUnixNanos(1'767'000'000'000'000'000);
  Pair p(kUnauthenticated, ClientOptions{}, {}, began);
  p.clock.Advance(std::chrono::hours(5));
  auto greeting = p.server.Greeting();
  ASSERT_TRUE(greeting);
  auto setup = p.client.OnGreeting(*greeting);
  ASSERT_TRUE(setup) << setup.error().message;
  const auto start = p.ToServer(*setup);
  auto decoded = DecodeServerStart(start);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->start_time, ToNtp(began));
}

}  // namespace
}  // namespace lineup::measure::control
