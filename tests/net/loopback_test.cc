// Real sockets on loopback: our reflector and sender end to end, IPv4 and
// IPv6, with port 0 and a bounded run time.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "net/reflector_server.h"
#include "net/sender_runner.h"
#include "net/udp_io.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

struct Loopback {
  asio::io_context io;
  RealClock clock;
  std::unique_ptr<ReflectorServer> reflector;

  UdpEndpoint Start(const char* address, ReflectorConfig config = {}) {
    auto r = ReflectorServer::Create(io, clock, {ParseEndpoint(address, 0).value()}, config);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    reflector = std::move(*r);
    return reflector->Status().front().local;
  }

  SessionResult Run(SessionConfig config) {
    SessionResult out;
    SenderRunner runner(io, clock);
    bool done = false;
    auto started = runner.Start(config, [&](SessionResult r) {
      out = std::move(r);
      done = true;
    });
    EXPECT_TRUE(started) << (started ? "" : started.error().message);
    for (int i = 0; i < 500 && !done; ++i) io.run_for(milliseconds(10));
    EXPECT_TRUE(done);
    return out;
  }
};

SessionConfig Session(UdpEndpoint to, std::uint32_t count = 20) {
  SessionConfig c;
  c.destination = to;
  c.count = count;
  c.interval = milliseconds(2);
  c.wait = milliseconds(300);
  return c;
}

void ExpectClean(const SessionResult& r, std::uint32_t count) {
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.summary.sent, count);
  EXPECT_EQ(r.summary.received, count);
  EXPECT_EQ(r.summary.lost, 0u);
  EXPECT_EQ(*r.summary.lost_forward, 0u);
  EXPECT_GT(r.summary.round_trip.delay.min.count(), 0);
  EXPECT_LT(r.summary.round_trip.delay.max, milliseconds(200));
  for (const auto& p : r.packets) {
    ASSERT_TRUE(p.reply);
    EXPECT_EQ(p.reply->RoundTrip(p.t1), p.reply->Forward(p.t1) + p.reply->Backward());
    EXPECT_GE(p.reply->t2, p.t1);  // one clock on loopback: causality holds
    EXPECT_GE(p.reply->t3, p.reply->t2);
    EXPECT_GE(p.reply->t4, p.reply->t3);
  }
}

TEST(LoopbackTest, Ipv4EndToEnd) {
  Loopback lo;
  auto to = lo.Start("127.0.0.1");
  auto config = Session(to);
  config.dscp = 46;
  config.ttl = 200;
  config.dont_fragment = true;
  auto r = lo.Run(config);
  ExpectClean(r, 20);
  EXPECT_EQ(r.summary.ttl_at_reflector_min, 200);  // our TTL as the reflector saw it
  EXPECT_EQ(r.summary.dscp_changed, 0u);           // EF copied back
  EXPECT_EQ(r.packets[0].reply->reply_tos >> 2, 46);
  EXPECT_EQ(r.packets[0].reply->length, 44u);
  auto status = lo.reflector->Status();
  EXPECT_EQ(status[0].counters.received, 20u);
  EXPECT_EQ(status[0].counters.reflected, 20u);
  EXPECT_EQ(status[0].active_senders, 1u);
  EXPECT_EQ(status[0].senders[0].second.reflected, 20u);
}

// A session bound to a device (an interface or VRF) sends through it only:
// through lo it is answered; a device that does not exist is a clear error.
TEST(LoopbackTest, SessionsBindToTheirDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "SO_BINDTODEVICE needs root or CAP_NET_RAW";
  Loopback lo;
  auto config = Session(lo.Start("127.0.0.1"));
  config.device = "lo";
  ExpectClean(lo.Run(config), 20);
  config.device = "nosuchdev0";
  SenderRunner runner(lo.io, lo.clock);
  auto refused = runner.Start(config, [](SessionResult) {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("cannot bind to device nosuchdev0"), std::string::npos)
      << refused.error().message;
}

TEST(LoopbackTest, Ipv6EndToEnd) {
  Loopback lo;
  asio::ip::udp::socket probe(lo.io);
  boost::system::error_code ec;
  probe.open(asio::ip::udp::v6(), ec);
  if (!ec) probe.bind(ParseEndpoint("[::1]:0").value(), ec);
  if (ec) GTEST_SKIP() << "IPv6 loopback is not available here: " << ec.message();
  auto to = lo.Start("::1");
  auto config = Session(to);
  config.padding = 500;
  config.dscp = 10;
  config.ttl = 9;
  auto r = lo.Run(config);
  ExpectClean(r, 20);
  EXPECT_EQ(r.packets[0].reply->length, 514u);   // symmetric size
  EXPECT_EQ(r.summary.ttl_at_reflector_min, 9);  // hop limit
  EXPECT_EQ(r.packets[0].reply->reply_tos >> 2, 10);
}

TEST(LoopbackTest, PoissonAndStatelessReflector) {
  Loopback lo;
  ReflectorConfig config;
  config.stateful = false;
  auto to = lo.Start("127.0.0.1", config);
  auto session = Session(to, 30);
  session.interval_kind = IntervalKind::kPoisson;
  auto r = lo.Run(session);
  EXPECT_EQ(r.summary.received, 30u);
  EXPECT_FALSE(r.summary.stateful_reflector);
  EXPECT_EQ(r.summary.lost_forward, 0u);  // nothing lost: the split is known anyway
}

TEST(LoopbackTest, PeriodicScheduleHoldsWithoutDrift) {
  Loopback lo;
  auto to = lo.Start("127.0.0.1");
  auto config = Session(to, 30);
  config.interval = milliseconds(10);
  auto r = lo.Run(config);
  ASSERT_EQ(r.packets.size(), 30u);
  for (std::size_t i = 1; i < r.packets.size(); ++i) {
    const auto gap = r.packets[i].t1 - r.packets[i - 1].t1;
    EXPECT_GT(gap, milliseconds(5)) << i;  // pacing slack is 1 ms; allow a loaded machine
    EXPECT_LT(gap, milliseconds(25)) << i;
  }
  // Sends are scheduled on absolute times: 29 gaps take 290 ms, not more.
  const auto span = r.packets.back().t1 - r.packets.front().t1;
  EXPECT_GT(span, milliseconds(285));
  EXPECT_LT(span, milliseconds(300));
}

TEST(LoopbackTest, AllowListRefusesAndCounts) {
  Loopback lo;
  ReflectorConfig config;
  config.allow = {Prefix::Parse("127.0.0.2/32").value()};
  auto to = lo.Start("127.0.0.1", config);
  auto session = Session(to, 5);
  session.wait = milliseconds(100);
  auto r = lo.Run(session);
  EXPECT_EQ(r.summary.received, 0u);
  EXPECT_EQ(r.summary.lost, 5u);
  EXPECT_EQ(lo.reflector->Status()[0].counters.Dropped(DropReason::kNotAllowed), 5u);
}

TEST(LoopbackTest, GarbageIsCountedAndServiceGoesOn) {
  Loopback lo;
  auto to = lo.Start("127.0.0.1");
  asio::ip::udp::socket junk(lo.io, asio::ip::udp::v4());
  std::vector<std::byte> small(10, std::byte{1});
  std::vector<std::byte> big(kMaxDatagram + 100, std::byte{2});
  junk.send_to(asio::buffer(small), to);
  junk.send_to(asio::buffer(big), to);
  junk.send_to(asio::buffer(small.data(), 0), to);
  auto r = lo.Run(Session(to, 10));
  ExpectClean(r, 10);
  const auto c = lo.reflector->Status()[0].counters;
  EXPECT_EQ(c.Dropped(DropReason::kTooShort), 2u);
  EXPECT_EQ(c.Dropped(DropReason::kTooLong), 1u);
  EXPECT_EQ(c.received, 13u);
}

TEST(LoopbackTest, NoReflectorMeansTotalLossNotAnError) {
  Loopback lo;
  asio::ip::udp::socket hole(lo.io,
                             asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto to = hole.local_endpoint();
  hole.close();
  auto session = Session(to, 5);
  session.wait = milliseconds(50);
  auto r = lo.Run(session);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.summary.lost, 5u);
  EXPECT_GT(r.icmp_errors, 0u);  // port unreachable is reported
}

TEST(LoopbackTest, BadSessionIsRefusedBeforeAnySocket) {
  Loopback lo;
  SenderRunner runner(lo.io, lo.clock);
  auto config = Session(ParseEndpoint("127.0.0.1:862").value());
  config.dscp = 99;
  auto r = runner.Start(config, [](SessionResult) {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("DSCP"), std::string::npos);
  EXPECT_EQ(runner.active(), 0u);
}

TEST(LoopbackTest, ManySessionsOnOneThread) {
  Loopback lo;
  auto to = lo.Start("127.0.0.1");
  SenderRunner runner(lo.io, lo.clock);
  int done = 0;
  std::uint32_t received = 0;
  for (int i = 0; i < 300; ++i) {
    auto config = Session(to, 5);
    config.interval = milliseconds(20);
    ASSERT_TRUE(runner.Start(
        config,
        [&](SessionResult r) {
          ++done;
          received += r.summary.received;
        },
        milliseconds(i % 20)));
  }
  for (int i = 0; i < 500 && done < 300; ++i) lo.io.run_for(milliseconds(10));
  EXPECT_EQ(done, 300);
  EXPECT_EQ(received, 1500u);
  EXPECT_EQ(lo.reflector->Status()[0].active_senders, 300u);
}

}  // namespace
}  // namespace lineup::measure
