// IPFIX export: the message layout byte for byte, independent decoders
// (ipfixDump from libfixbuf-tools, and tshark's cflow dissector) reading our
// export back, and exporters over UDP and TCP to collectors on loopback.
#include "export/ipfix.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <fstream>
#include <thread>

#include "tests/store/temp_dir.h"
#include "tests/support/subprocess.h"

namespace lineup::daemon {
namespace {

const RealClock kRealClock;

namespace asio = boost::asio;
using lineup::testing::FindProgram;
using lineup::testing::RunAndCapture;
using namespace std::chrono_literals;

RunRecord Sample(const char* from, const char* to) {
  RunRecord r;
  r.started = WallTime(std::chrono::milliseconds(1'795'600'000'123));
  r.finished = r.started + 2s;
  r.source = {asio::ip::make_address(from), 40001};
  r.destination = {asio::ip::make_address(to), 862};
  r.dscp = 46;
  r.summary.sent = 100;
  r.summary.received = 97;
  r.summary.lost = 3;
  r.summary.lost_forward = 2;
  r.summary.lost_backward = 1;
  r.summary.round_trip.delay.mean = 12'345'678ns;
  r.summary.round_trip.delay.min = 10'000'000ns;
  r.summary.round_trip.delay.max = 20'000'000ns;
  r.summary.round_trip.delay.p95 = 18'000'000ns;
  r.summary.round_trip.jitter.mean_abs = 1'500'000ns;
  r.summary.forward.delay.mean = 6'000'000ns;
  r.summary.backward.delay.mean = 6'345'678ns;
  r.session = "mpls/voice";
  r.tunnel = "mpls";
  return r;
}

std::string Hex(const std::vector<std::byte>& b, std::size_t from, std::size_t n) {
  std::string s;
  for (std::size_t i = from; i < from + n && i < b.size(); ++i)
    s += fmt::format("{:02x}", std::to_integer<int>(b[i]));
  return s;
}

TEST(IpfixTest, MessageLayoutFollowsRfc7011) {
  const WallTime now = WallTime(std::chrono::seconds(1'795'600'010));
  const auto m = EncodeMessage({Sample("192.0.2.1", "198.51.100.7")}, true, 41, 7, now);
  // Header: version 10, length, export time, sequence, domain.
  EXPECT_EQ(Hex(m, 0, 2), "000a");
  EXPECT_EQ(Hex(m, 2, 2), fmt::format("{:04x}", m.size()));
  EXPECT_EQ(Hex(m, 4, 4), fmt::format("{:08x}", 1'795'600'010u));
  EXPECT_EQ(Hex(m, 8, 4), "00000029");
  EXPECT_EQ(Hex(m, 12, 4), "00000007");
  // First the RFC 5610 options template (set 3: template 258, 9 fields, 2 of
  // them scope: privateEnterpriseNumber 346 and informationElementId 303).
  EXPECT_EQ(Hex(m, 16, 2), "0003");
  EXPECT_EQ(Hex(m, 20, 14), "010200090002015a0004012f0002");
  // Then the template set (2): template 256 with 23 fields, the first
  // flowStartMilliseconds/8; enterprise fields carry the PEN (32473 = 0x7ed9).
  const std::string all = Hex(m, 0, m.size());
  const auto templates = all.find("0100001700980008");
  ASSERT_NE(templates, std::string::npos);
  EXPECT_EQ(all.substr(templates - 8, 4), "0002");  // the set's id
  EXPECT_NE(all.find("8001000800007ed9", templates), std::string::npos);
  EXPECT_NE(all.find("800dffff00007ed9", templates),
            std::string::npos);  // a string: variable length
  // The data set for template 256 ends the message: ...,"mpls/voice","mpls".
  EXPECT_EQ(Hex(m, m.size() - 16, 16), "0a6d706c732f766f696365046d706c73");
  // Without templates only the data set follows the header.
  const auto data = EncodeMessage({Sample("192.0.2.1", "198.51.100.7")}, false, 42, 7, now);
  EXPECT_EQ(Hex(data, 16, 2), "0100");
  EXPECT_EQ(Hex(data, 2, 2), fmt::format("{:04x}", data.size()));
}

TEST(IpfixTest, IpfixDumpReadsOurExport) {
  const std::string dump = FindProgram("ipfixDump");
  if (dump.empty())
    GTEST_SKIP() << "ipfixDump is not installed (scripts/setup installs libfixbuf-tools)";
  lineup::testing::TempDir dir;
  const std::string file = dir.path() + "/export.ipfix";
  {
    std::ofstream out(file, std::ios::binary);
    const WallTime now = WallTime(std::chrono::seconds(1'795'600'010));
    for (const auto& m :
         {EncodeMessage({Sample("192.0.2.1", "198.51.100.7")}, true, 0, 7, now),
          EncodeMessage({Sample("2001:db8::1", "2001:db8::2")}, false, 1, 7, now)}) {
      out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size()));
    }
  }
  int status = -1;
  const std::string text = RunAndCapture({dump, "--rfc5610", "-i", file}, 20'000, &status);
  ASSERT_EQ(status, 0) << text;
  for (const char* expected :
       {"flowStartMilliseconds", "sourceIPv4Address", "192.0.2.1", "198.51.100.7",
        "destinationTransportPort", "862", "ipDiffServCodePoint", "46", "packetDeltaCount", "100",
        "sourceIPv6Address", "2001:0db8::0001", "mpls/voice", "32473"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // The enterprise figures, by the names our type records gave them.
  for (const char* line :
       {"packetsReceived : 97", "packetsLost : 3", "packetsLostOutbound : 2",
        "rttMeanNanoseconds : 12345678", "rttP95Nanoseconds : 18000000",
        "jitterNanoseconds : 1500000", "inboundDelayMeanNanoseconds : 6345678", "lossRatio : 0.03",
        "sessionName : (len: 10) mpls/voice", "tunnelName : (len: 4) mpls"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

// An exporter to a UDP and a TCP collector on loopback: what arrives is our
// messages, templates first; tshark's dissector reads the UDP ones.
TEST(IpfixTest, ExportersDeliverOverUdpAndTcpAndTsharkDecodesThem) {
  asio::io_context io;
  asio::ip::udp::socket udp(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::acceptor tcp(io, {asio::ip::make_address("127.0.0.1"), 0});
  CollectorConfig u;
  u.address = {asio::ip::make_address("127.0.0.1"), udp.local_endpoint().port()};
  CollectorConfig t = u;
  t.address = {asio::ip::make_address("127.0.0.1"), tcp.local_endpoint().port()};
  t.tcp = true;

  const std::string tshark = FindProgram("tshark");
  lineup::testing::TempDir dir;
  const std::string pcap = dir.path() + "/ipfix.pcap";
  std::unique_ptr<lineup::testing::Subprocess> capture;
  if (!tshark.empty()) {
    capture = std::make_unique<lineup::testing::Subprocess>(std::vector<std::string>{
        tshark, "-i", "lo", "-f", fmt::format("udp port {}", u.address.port()), "-w", pcap});
    if (!capture->WaitForOutput("Capturing on", 20'000)) capture.reset();
    if (capture) {
      capture->WaitForOutput("Capture started", 5'000);
      std::this_thread::sleep_for(1s);
    }
  }

  auto ue = Exporter::Start(u, kRealClock);
  auto te = Exporter::Start(t, kRealClock);
  ASSERT_TRUE(ue && te);
  for (int i = 0; i < 3; ++i) {
    (*ue)->Export(Sample("192.0.2.1", "198.51.100.7"));
    (*te)->Export(Sample("192.0.2.1", "198.51.100.7"));
  }
  // UDP: each message is a datagram; the first carries the type records and
  // templates.
  for (int i = 0; i < 100 && (*ue)->Counters().records_sent < 3; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ((*ue)->Counters().records_sent, 3u);
  std::vector<std::byte> datagram(65536);
  udp.non_blocking(true);
  boost::system::error_code ec;
  const std::size_t n = udp.receive(asio::buffer(datagram), 0, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_GE(n, 20u);
  EXPECT_EQ(std::to_integer<int>(datagram[1]), 10);
  EXPECT_EQ(std::to_integer<int>(datagram[17]), 3) << "type records and templates first";
  // TCP: one connection, templates first, then data.
  asio::ip::tcp::socket conn = tcp.accept();
  std::vector<std::byte> head(20);
  asio::read(conn, asio::buffer(head));
  EXPECT_EQ(std::to_integer<int>(head[1]), 10);
  EXPECT_EQ(std::to_integer<int>(head[17]), 3);
  for (int i = 0; i < 100 && (*te)->Counters().records_sent < 3; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ((*te)->Counters().records_sent, 3u);
  EXPECT_EQ((*te)->Counters().connects, 1u);

  if (capture) {
    std::this_thread::sleep_for(500ms);
    capture->Signal(SIGINT);
    capture->Wait(10'000);
    int status = -1;
    const std::string text = RunAndCapture(
        {tshark, "-r", pcap, "-d", fmt::format("udp.port=={},cflow", u.address.port()), "-T",
         "fields", "-e", "cflow.version", "-e", "cflow.srcaddr", "-e", "cflow.dstport", "-e",
         "cflow.packets", "-e", "cflow.ip_dscp"},
        20'000, &status);
    EXPECT_EQ(status, 0);
    EXPECT_NE(text.find("10\t192.0.2.1"), std::string::npos) << text;
    EXPECT_NE(text.find("862"), std::string::npos) << text;
    EXPECT_NE(text.find("100"), std::string::npos) << text;
  }
}

TEST(IpfixTest, AnUnreachableCollectorNeverBlocksAndCountsWhatItDrops) {
  // Nothing listens on this TCP port: connects fail, records are dropped and
  // counted, Export returns at once.
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  CollectorConfig c;
  c.address = {asio::ip::make_address("127.0.0.1"), port};
  c.tcp = true;
  auto e = Exporter::Start(c, kRealClock);
  ASSERT_TRUE(e);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20'000; ++i) (*e)->Export(Sample("192.0.2.1", "198.51.100.7"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  for (int i = 0; i < 200 && ((*e)->Counters().records_dropped < 10'000 ||
                              (*e)->Counters().last_error.find("tcp:") == std::string::npos);
       ++i) {
    std::this_thread::sleep_for(20ms);
  }
  const auto counters = (*e)->Counters();
  EXPECT_GE(counters.records_dropped, 10'000u);
  EXPECT_EQ(counters.records_sent, 0u);
  EXPECT_NE(counters.last_error.find("tcp:127.0.0.1:"), std::string::npos) << counters.last_error;
  EXPECT_FALSE(Exporter::Start(CollectorConfig{}, kRealClock));  // no port
}

}  // namespace
}  // namespace lineup::daemon
