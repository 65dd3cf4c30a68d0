// Full TWAMP on loopback: our Control-Client and Session-Senders against our
// Server and Session-Reflectors over real TCP and UDP sockets, in the modes,
// IPv4 and IPv6, and with clients that misbehave.
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include <array>
#include <cstdio>

#include "measure/wire.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TwampServerConfig ServerConfig(const char* address = "127.0.0.1") {
  TwampServerConfig c;
  c.listen.push_back({TcpEndpoint(asio::ip::make_address(address), 0), ""});
  c.secrets = {{"edge-1", "correct horse"}};
  c.port_low = 31000;
  c.port_high = 31999;
  return c;
}

TwampTestOptions ClientOptions(const TcpEndpoint& server, std::uint32_t mode = 0) {
  TwampTestOptions o;
  o.server = server;
  o.control.mode = mode;
  o.session.count = 20;
  o.session.interval = std::chrono::milliseconds(5);
  o.session.wait = std::chrono::milliseconds(300);
  o.reply_timeout = std::chrono::seconds(5);
  return o;
}

struct Fixture {
  asio::io_context io;
  RealClock clock;
  std::unique_ptr<TwampServer> server;
  std::optional<Result<TwampTestResult>> running;  // the client test Start() began

  explicit Fixture(TwampServerConfig config) {
    auto created = TwampServer::Create(io, clock, std::move(config));
    EXPECT_TRUE(created) << created.error().message;
    if (created) server = std::move(*created);
  }
  TcpEndpoint Endpoint() const { return server->Status().listening.at(0); }

  // Runs one client test to its end.
  Result<TwampTestResult> Test(TwampTestOptions options) {
    Start(std::move(options));
    return Finish();
  }

  // Starts a client test and returns at once, so a test can look at the
  // server (or attack it) while the client measures; Finish() runs it out.
  void Start(TwampTestOptions options) {
    running.reset();
    RunTwampTest(io, clock, std::move(options),
                 [this](Result<TwampTestResult> r) { running = std::move(r); });
  }
  // A test of 100 probes 10 ms apart: one second of traffic to look at.
  void StartSecondOfProbes() {
    auto o = ClientOptions(Endpoint());
    o.session.count = 100;
    o.session.interval = std::chrono::milliseconds(10);
    Start(std::move(o));
  }
  Result<TwampTestResult> Finish() {
    while (!running && io.run_one_for(std::chrono::seconds(20)) > 0) {
    }
    if (!running) return Fail(ErrorCode::kInternal, "the test did not finish");
    return std::move(*running);
  }

  void RunFor(Nanos d) {
    asio::steady_timer t(io, d);
    bool done = false;
    t.async_wait([&](auto) { done = true; });
    while (!done && io.run_one() > 0) {
    }
  }
};

void ExpectAllAnswered(const TwampTestResult& r, std::size_t tests, std::size_t sessions) {
  ASSERT_EQ(r.tests.size(), tests);
  for (const auto& test : r.tests) {
    ASSERT_EQ(test.size(), sessions);
    for (const auto& s : test) {
      EXPECT_FALSE(s.error) << s.error->message;
      EXPECT_EQ(s.summary.sent, 20u);
      EXPECT_EQ(s.summary.received, 20u);
      EXPECT_EQ(s.summary.lost, 0u);
    }
  }
}

TEST(TwampTest, EveryModeMeasuresOverIpv4AndIpv6) {
  for (const char* address : {"127.0.0.1", "::1"}) {
    for (std::uint32_t mode : {control::kUnauthenticated, control::kMixed, control::kAuthenticated,
                               control::kEncrypted}) {
      SCOPED_TRACE(fmt::format("{} {}", address, control::SecurityModeName(mode)));
      Fixture f(ServerConfig(address));
      auto o = ClientOptions(f.Endpoint(), mode);
      o.sessions = 2;
      if (mode != control::kUnauthenticated) {
        o.control.key_id = "edge-1";
        o.control.secret = "correct horse";
      }
      auto r = f.Test(o);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->mode & control::kSecurityModes, mode);
      ExpectAllAnswered(*r, 1, 2);
      const bool secure = control::SecuresTest(mode);
      for (const auto& s : r->tests[0]) {
        // 30 octets of padding after the 14- or 48-octet sender header.
        EXPECT_EQ(s.config.PacketLength(), secure ? 78u : 44u);
        EXPECT_EQ(s.summary.malformed, 0u);
        EXPECT_EQ(s.summary.round_trip.delay.count, 20u);
        EXPECT_EQ(s.summary.lost_forward, std::optional<std::uint32_t>(0));
      }
      for (auto port : r->ports) {
        EXPECT_GE(port, 31000);
        EXPECT_LE(port, 31999);
      }
      EXPECT_NE(r->ports[0], r->ports[1]);
      const auto status = f.server->Status();
      EXPECT_EQ(status.counters.connections, 1u);
      EXPECT_EQ(status.counters.sessions, 2u);
    }
  }
}

TEST(TwampTest, RepeatedTestsRunOnOneControlConnection) {
  Fixture f(ServerConfig());
  auto o = ClientOptions(f.Endpoint());
  o.tests = 3;
  o.test_interval = std::chrono::milliseconds(200);
  auto r = f.Test(o);
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 3, 1);
  EXPECT_EQ(f.server->Status().counters.connections, 1u);
  EXPECT_EQ(f.server->Status().counters.sessions, 3u);
}

// The Start Time asked for in Request-TW-Session is when the senders begin.
TEST(TwampTest, SendersBeginAtTheRequestedStartTime) {
  Fixture f(ServerConfig());
  auto o = ClientOptions(f.Endpoint());
  o.start_delay = std::chrono::milliseconds(400);
  const WallTime asked = f.clock.Now();
  auto r = f.Test(o);
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 1, 1);
  const auto& s = r->tests.at(0).at(0);
  ASSERT_FALSE(s.packets.empty());
  // The pacer may send up to 1 ms early (it coalesces sends due together).
  EXPECT_GE(s.packets[0].t1 - asked, std::chrono::milliseconds(398));
  EXPECT_LT(s.packets[0].t1 - asked, std::chrono::milliseconds(1400));
}

// RFC 5357 senders may send bare 14-octet probes (the reference twping does
// by default): a negotiated session answers them with the 41-octet reply.
TEST(TwampTest, ProbesWithoutPaddingAreAnsweredInFull) {
  Fixture f(ServerConfig());
  auto o = ClientOptions(f.Endpoint());
  o.session.padding = 0;
  auto r = f.Test(o);
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 1, 1);
  const auto& s = r->tests.at(0).at(0);
  EXPECT_EQ(s.config.PacketLength(), 14u);
  ASSERT_FALSE(s.packets.empty());
  ASSERT_TRUE(s.packets[0].reply);
  EXPECT_EQ(s.packets[0].reply->length, 41u);
}

// A listener bound to a device (an interface or VRF) binds its test
// sessions' reflectors to it too: `ss` shows the reflector as ADDRESS%DEVICE.
TEST(TwampTest, TestSessionsBindToTheirListenersDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "SO_BINDTODEVICE needs root or CAP_NET_RAW";
  auto config = ServerConfig();
  config.listen[0].device = "lo";
  Fixture f(std::move(config));
  auto o = ClientOptions(f.Endpoint());
  std::string sockets;
  o.on_started = [&] {
    std::array<char, 4096> chunk;
    FILE* ss = ::popen("ss -uanH 2>/dev/null", "r");
    if (ss == nullptr) return;
    for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), ss)) > 0;)
      sockets.append(chunk.data(), n);
    ::pclose(ss);
  };
  auto r = f.Test(o);
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 1, 1);
  if (sockets.empty()) GTEST_SKIP() << "ss (iproute2) is not available to look at the sockets";
  EXPECT_NE(sockets.find(fmt::format("127.0.0.1%lo:{}", r->ports.at(0))), std::string::npos)
      << sockets;
}

TEST(TwampTest, AWrongSecretIsRejected) {
  Fixture f(ServerConfig());
  auto o = ClientOptions(f.Endpoint(), control::kMixed);
  o.control.key_id = "edge-1";
  o.control.secret = "battery staple";
  auto r = f.Test(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the server refused the connection: failure"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(f.server->Status().counters.closed_protocol, 1u);
}

TEST(TwampTest, AnAddressOutsideTheAllowListIsRefused) {
  auto config = ServerConfig();
  config.allow.push_back(*Prefix::Parse("10.0.0.0/8"));
  Fixture f(std::move(config));
  auto r = f.Test(ClientOptions(f.Endpoint()));
  ASSERT_FALSE(r);
  EXPECT_NE(
      r.error().message.find("closed the control connection while waiting for the Server Greeting"),
      std::string::npos)
      << r.error().message;
  EXPECT_EQ(f.server->Status().counters.refused_not_allowed, 1u);
}

TEST(TwampTest, AClientOverTheLimitsIsGreetedWithNoMode) {
  auto config = ServerConfig();
  config.max_connections_per_client = 1;
  Fixture f(std::move(config));
  tcp::socket holder(f.io);
  holder.connect(f.Endpoint());
  f.RunFor(std::chrono::milliseconds(50));
  auto r = f.Test(ClientOptions(f.Endpoint()));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the server refuses this client"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(f.server->Status().counters.refused_limit, 1u);
}

TEST(TwampTest, AStalledClientTimesOutAndGarbageIsClosedWhileOthersGoOn) {
  auto config = ServerConfig();
  config.servwait = std::chrono::milliseconds(300);
  Fixture f(std::move(config));
  // A client that connects and says nothing.
  tcp::socket stalled(f.io);
  stalled.connect(f.Endpoint());
  // A client that reads the greeting and answers with garbage.
  tcp::socket garbage(f.io);
  garbage.connect(f.Endpoint());
  std::array<std::byte, 64> greeting;
  std::vector<std::byte> junk(164, std::byte{0x5a});
  asio::async_read(garbage, asio::buffer(greeting), [&](boost::system::error_code ec, std::size_t) {
    ASSERT_FALSE(ec);
    asio::async_write(garbage, asio::buffer(junk), [](boost::system::error_code, std::size_t) {});
  });
  // A good client measures meanwhile.
  auto o = ClientOptions(f.Endpoint());
  o.session.count = 20;
  auto r = f.Test(o);
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 1, 1);
  f.RunFor(std::chrono::milliseconds(600));
  const auto status = f.server->Status();
  EXPECT_EQ(status.counters.closed_protocol, 1u);  // the garbage
  EXPECT_EQ(status.counters.closed_idle, 1u);      // the stalled one
  EXPECT_TRUE(status.connections.empty());
  const std::string table = FormatTwampServerStatus(status);
  EXPECT_NE(table.find("1 protocol errors, 1 idle"), std::string::npos) << table;
}

TEST(TwampTest, TheLiveTableShowsConnectionsAndSessions) {
  Fixture f(ServerConfig());
  f.StartSecondOfProbes();
  f.RunFor(std::chrono::milliseconds(400));
  const auto status = f.server->Status();
  ASSERT_EQ(status.connections.size(), 1u);
  EXPECT_EQ(status.connections[0].state, "running");
  EXPECT_EQ(status.connections[0].mode, "unauthenticated");
  ASSERT_EQ(status.sessions.size(), 1u);
  EXPECT_EQ(status.sessions[0].state, "running");
  EXPECT_GT(status.sessions[0].reflected, 10u);
  EXPECT_EQ(status.sessions[0].sid.size(), 32u);
  const auto r = f.Finish();
  ASSERT_TRUE(r) << r.error().message;
}

// A negotiated test session answers its Session-Sender's address and port
// only: another process on the client's host (another source port) gets no
// reply, and every such datagram is counted as a drop.
TEST(TwampTest, AForeignSourcePortGetsNothingFromANegotiatedSession) {
  Fixture f(ServerConfig());
  f.StartSecondOfProbes();
  f.RunFor(std::chrono::milliseconds(300));
  const auto sessions = f.server->Status().sessions;
  ASSERT_EQ(sessions.size(), 1u);
  const UdpEndpoint reflector = sessions[0].reflector;

  asio::ip::udp::socket intruder(f.io, UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::array<std::byte, 44> probe{};
  SenderPacket p;
  p.sequence = 7;
  p.length = probe.size();
  ASSERT_TRUE(Encode(p, probe));
  for (int i = 0; i < 20; ++i) intruder.send_to(asio::buffer(probe), reflector);
  f.RunFor(std::chrono::milliseconds(200));
  EXPECT_EQ(intruder.available(), 0u) << "a reply reached a port that never negotiated";
  EXPECT_GE(f.server->Status().sessions.at(0).dropped, 20u);
  const auto r = f.Finish();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tests.at(0).at(0).summary.received, 100u);  // the sender itself: all
}

std::size_t OpenDescriptors() {
  std::size_t n = 0;
  for (int fd = 0; fd < 4096; ++fd) n += ::fcntl(fd, F_GETFD) != -1;
  return n;
}

// Out of file descriptors, connections wait in the backlog and accept fails
// at once every time: the loop pauses (10 ms doubling to 1 s) instead of
// spinning and logging each try, and serves again once descriptors are back.
TEST(TwampTest, OutOfDescriptorsTheAcceptLoopPausesAndRecovers) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers' runtime needs descriptors of its own: UBSan checks that
  // memory is readable by writing it to a pipe, and with none left it
  // reports every virtual call as a bad vptr. The plain build runs this.
  GTEST_SKIP() << "out of descriptors, the sanitizers report false errors";
#endif
  Fixture f(ServerConfig());
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  std::vector<std::unique_ptr<tcp::socket>> clients;
  {
    rlimit tight = saved;
    tight.rlim_cur = OpenDescriptors() + 3;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
    for (int i = 0; i < 8; ++i) {  // until our own sockets run out too
      auto c = std::make_unique<tcp::socket>(f.io);
      boost::system::error_code ec;
      c->connect(f.Endpoint(), ec);
      if (ec) break;
      clients.push_back(std::move(c));
    }
    f.RunFor(std::chrono::milliseconds(700));
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  }
  const auto failures = f.server->Status().counters.accept_failures;
  EXPECT_GT(failures, 0u) << "the descriptors never ran out: the test proves nothing";
  EXPECT_LT(failures, 20u) << "the accept loop spun";
  clients.clear();
  auto r = f.Test(ClientOptions(f.Endpoint()));
  ASSERT_TRUE(r) << r.error().message;
  ExpectAllAnswered(*r, 1, 1);
}

TEST(TwampTest, ListenAddressesAndBadConfigurationsSayWhatIsWrong) {
  auto l = ParseTwampListen("[2001:db8::1]:8620@vrf-blue");  // parsed only
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->endpoint.port(), 8620);
  EXPECT_EQ(l->device, "vrf-blue");
  EXPECT_EQ(ParseTwampListen("0.0.0.0")->endpoint.port(), 862);
  EXPECT_FALSE(ParseTwampListen("0.0.0.0@"));
  auto c = ServerConfig();
  c.port_low = 500;
  c.port_high = 400;
  auto v = Validate(c);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("test port range 500-400"), std::string::npos);
}

}  // namespace
}  // namespace lineup::measure
