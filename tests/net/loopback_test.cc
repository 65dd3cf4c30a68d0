// Real sockets on loopback: our reflector and sender end to end, IPv4 and
// IPv6, with port 0 and a bounded run time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

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

// The status lists the senders that sent the most, most first, and counts
// the rest: a full table (65,536 senders) would be a 7 MB report otherwise.
TEST(LoopbackTest, TheStatusListsTheTopSendersAndCountsTheRest) {
  Loopback lo;
  const auto to = lo.Start("127.0.0.1");
  constexpr std::size_t kSenders = ListenerStatus::kTopSenders + 5;
  std::vector<std::unique_ptr<asio::ip::udp::socket>> sockets;
  std::vector<std::byte> probe(44);
  ASSERT_TRUE(Encode(SenderPacket{}, probe));
  for (std::size_t i = 0; i < kSenders; ++i) {
    sockets.push_back(std::make_unique<asio::ip::udp::socket>(
        lo.io, UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0)));
    for (std::size_t n = 0; n <= i; ++n) sockets.back()->send_to(asio::buffer(probe), to);
  }
  const std::size_t all = kSenders * (kSenders + 1) / 2;
  for (int i = 0; i < 200 && lo.reflector->Status()[0].counters.received < all; ++i) {
    lo.io.run_for(milliseconds(10));
  }
  const auto status = lo.reflector->Status()[0];
  ASSERT_EQ(status.counters.received, all);
  EXPECT_EQ(status.active_senders, kSenders);
  ASSERT_EQ(status.senders.size(), ListenerStatus::kTopSenders);
  EXPECT_EQ(status.SendersNotListed(), 5u);
  for (std::size_t i = 0; i < status.senders.size(); ++i) {  // the last socket sent the most
    EXPECT_EQ(status.senders[i].first.peer, sockets[kSenders - 1 - i]->local_endpoint()) << i;
    EXPECT_EQ(status.senders[i].second.received, kSenders - i);
  }
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
  auto config = Session(to, 100);
  config.interval = milliseconds(5);
  auto r = lo.Run(config);
  ASSERT_EQ(r.packets.size(), 100u);
  // Sends are scheduled on absolute times (start + i * interval): a send the
  // machine delays is followed by on-time ones, so lateness never builds up.
  // On a loaded machine any single send may be late; never early (beyond the
  // 1 ms pacing slack), and not all of the last ten late. Scheduled relative
  // to the previous send instead, each timer's wakeup latency (50 us or more)
  // would add up to more than 5 ms over the 99 gaps.
  Nanos best_recent = Nanos::max();
  for (std::size_t i = 1; i < r.packets.size(); ++i) {
    const Nanos lateness = (r.packets[i].t1 - r.packets[0].t1) - config.interval * i;
    EXPECT_GT(lateness, -std::chrono::microseconds(1500)) << i;
    if (i >= r.packets.size() - 10) best_recent = std::min(best_recent, lateness);
  }
  EXPECT_LT(best_recent, milliseconds(3)) << "every one of the last ten sends was late: drift";
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

namespace lineup::measure {
namespace {

// Sends one UDP datagram to 127.0.0.1:`to` that claims to come from
// 127.0.0.1:`from` (a raw socket: needs CAP_NET_RAW). False when not allowed.
bool SendSpoofed(std::uint16_t from, std::uint16_t to, const std::vector<std::byte>& payload) {
  const int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
  if (fd < 0) return false;
  std::vector<std::uint8_t> datagram(8 + payload.size());
  const auto length = static_cast<std::uint16_t>(datagram.size());
  datagram[0] = static_cast<std::uint8_t>(from >> 8);
  datagram[1] = static_cast<std::uint8_t>(from);
  datagram[2] = static_cast<std::uint8_t>(to >> 8);
  datagram[3] = static_cast<std::uint8_t>(to);
  datagram[4] = static_cast<std::uint8_t>(length >> 8);
  datagram[5] = static_cast<std::uint8_t>(length);  // checksum 0: none (IPv4)
  std::memcpy(datagram.data() + 8, payload.data(), payload.size());
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool sent =
      sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&at),
             sizeof(at)) == static_cast<ssize_t>(datagram.size());
  close(fd);
  return sent;
}

// The attacks that made reflectors loop, on real sockets: one datagram
// spoofed from a reflector's own address and port, and one spoofed from a
// second reflector of ours (which would have ping-ponged at ~57k packets/s).
// Each is answered by nobody, and counted.
TEST(LoopbackTest, ASpoofedDatagramFromOurOwnReflectorsStartsNoLoop) {
  asio::io_context io;
  RealClock clock;
  ReflectorConfig config;
  config.format = ReflectorFormat::kTwampLight;
  auto server = ReflectorServer::Create(
      io, clock, {ParseEndpoint("127.0.0.1:0").value(), ParseEndpoint("127.0.0.1:0").value()},
      config);
  ASSERT_TRUE(server) << server.error().message;
  const auto status = (*server)->Status();
  const std::uint16_t a = status[0].local.port(), b = status[1].local.port();
  std::vector<std::byte> probe(44);
  SenderPacket p;
  p.sequence = 7;
  p.length = probe.size();
  ASSERT_TRUE(Encode(p, probe));
  if (!SendSpoofed(a, a, probe)) GTEST_SKIP() << "raw sockets need CAP_NET_RAW";
  ASSERT_TRUE(SendSpoofed(b, a, probe));
  io.run_for(milliseconds(300));
  const auto after = (*server)->Status();
  const auto own = static_cast<std::size_t>(DropReason::kOwnAddress);
  EXPECT_EQ(after[0].counters.received, 2u);
  EXPECT_EQ(after[0].counters.dropped[own], 2u);
  EXPECT_EQ(after[0].counters.reflected, 0u);
  EXPECT_EQ(after[1].counters.received, 0u);  // nothing bounced on to the second
  (*server)->Stop();
}

}  // namespace
}  // namespace lineup::measure
