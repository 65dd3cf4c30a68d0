// An independent check of our wire format: Wireshark's TWAMP-Test dissector
// decodes a capture of our sender and reflector on loopback, and every field
// it shows must be what we sent. Skips (with the reason) where tshark is
// missing or capturing is not permitted.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "net/reflector_server.h"
#include "net/sender_runner.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"
#include "tests/support/subprocess.h"

namespace lineup::measure {
namespace {

using lineup::testing::FindProgram;
using lineup::testing::RunAndCapture;
using lineup::testing::Subprocess;

// One decoded packet: field name -> (show, value) in PDML order; a field that
// occurs twice (the error-estimate sub-fields) keeps its first occurrence.
using Fields = std::map<std::string, std::pair<std::string, std::string>>;

std::vector<Fields> ParsePdml(const std::string& pdml) {
  std::vector<Fields> packets;
  const std::regex field(R"re(<field name="([^"]+)"[^>]*? show="([^"]*)" value="([^"]*)")re");
  std::size_t at = 0;
  while ((at = pdml.find("<packet>", at)) != std::string::npos) {
    const std::size_t end = pdml.find("</packet>", at);
    const std::string body = pdml.substr(at, end - at);
    Fields f;
    for (std::sregex_iterator it(body.begin(), body.end(), field), stop; it != stop; ++it) {
      f.emplace((*it)[1], std::make_pair((*it)[2], (*it)[3]));
    }
    packets.push_back(std::move(f));
    at = end;
  }
  return packets;
}

NtpTimestamp Hex64(const std::string& hex) {
  return NtpTimestamp::FromRaw(std::stoull(hex, nullptr, 16));
}

TEST(TsharkTest, DissectorAgreesWithWhatWeSent) {
  const std::string tshark = FindProgram("tshark");
  if (tshark.empty()) GTEST_SKIP() << "tshark is not installed (scripts/setup installs it)";

  boost::asio::io_context io;
  RealClock clock;
  ReflectorConfig rc;
  rc.error_estimate = {true, false, 3, 17};
  auto server = ReflectorServer::Create(io, clock, {ParseEndpoint("127.0.0.1:0").value()}, rc);
  ASSERT_TRUE(server) << server.error().message;
  const std::uint16_t port = (*server)->Status()[0].local.port();

  char pcap_template[] = "/tmp/lineup-tshark-XXXXXX";
  ASSERT_NE(mkdtemp(pcap_template), nullptr);
  const std::string pcap = std::string(pcap_template) + "/capture.pcap";
  Subprocess capture({tshark, "-i", "lo", "-f", "udp port " + std::to_string(port), "-w", pcap});
  ASSERT_TRUE(capture.started());
  if (!capture.WaitForOutput("Capturing on", 20'000)) {
    GTEST_SKIP() << "tshark cannot capture on lo here (needs root or CAP_NET_RAW): "
                 << capture.Stderr();
  }
  // dumpcap says "Capturing on" a moment before its filter is live.
  capture.WaitForOutput("Capture started", 5'000);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  SessionConfig config;
  config.destination = (*server)->Status()[0].local;
  config.count = 5;
  config.interval = std::chrono::milliseconds(5);
  config.padding = 100;
  config.dscp = 46;
  config.ttl = 200;
  config.wait = std::chrono::milliseconds(200);
  config.error_estimate = {true, false, 1, 7};
  SenderRunner runner(io, clock);
  SessionResult result;
  bool done = false;
  ASSERT_TRUE(runner.Start(config, [&](SessionResult r) {
    result = std::move(r);
    done = true;
  }));
  for (int i = 0; i < 300 && !done; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(done);
  ASSERT_EQ(result.summary.received, 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the capture flush
  capture.Signal(SIGINT);
  ASSERT_GE(capture.Wait(10'000), 0);

  int status = -1;
  const std::string pdml = RunAndCapture(
      {tshark, "-r", pcap, "-d", "udp.port==" + std::to_string(port) + ",twamp.test", "-T", "pdml"},
      30'000, &status);
  ASSERT_EQ(status, 0);
  const auto packets = ParsePdml(pdml);
  ASSERT_EQ(packets.size(), 10u) << pdml.substr(0, 2000);

  int requests = 0;
  int replies = 0;
  for (const auto& f : packets) {
    ASSERT_TRUE(f.count("twamp.test.seq_number")) << "not dissected as TWAMP-Test";
    const auto seq = static_cast<std::uint32_t>(std::stoul(f.at("twamp.test.seq_number").first));
    EXPECT_EQ(f.at("ip.dsfield.dscp").first, "46");       // ours, and copied back
    EXPECT_EQ(f.at("udp.length").first, "122");           // 8 + 114: symmetric
    if (std::stoul(f.at("udp.dstport").first) == port) {  // sender -> reflector
      ++requests;
      ASSERT_LT(seq, 5u);
      const PacketRecord& sent = result.packets[seq];
      EXPECT_EQ(Hex64(f.at("twamp.test.timestamp").second), ToNtp(sent.t1));
      EXPECT_EQ(f.at("twamp.test.error_estimate").second, "8107");  // S=1 scale 1 mult 7
      EXPECT_EQ(f.at("ip.ttl").first, "200");
    } else {  // reflector -> sender: every field of RFC 5357 §4.2.1
      ++replies;
      const auto sender_seq =
          static_cast<std::uint32_t>(std::stoul(f.at("twamp.test.sender_seq_number").first));
      ASSERT_LT(sender_seq, 5u);
      const PacketRecord& sent = result.packets[sender_seq];
      ASSERT_TRUE(sent.reply);
      EXPECT_EQ(seq, sent.reply->reflector_sequence);
      EXPECT_EQ(Hex64(f.at("twamp.test.sender_timestamp").second), ToNtp(sent.t1));
      EXPECT_EQ(FromNtp(Hex64(f.at("twamp.test.receive_timestamp").second)), sent.reply->t2);
      EXPECT_EQ(FromNtp(Hex64(f.at("twamp.test.timestamp").second)), sent.reply->t3);
      EXPECT_EQ(f.at("twamp.test.error_estimate").second, "8311");         // reflector's own
      EXPECT_EQ(f.at("twamp.test.sender_error_estimate").second, "8107");  // copied
      EXPECT_EQ(f.at("twamp.test.sender_ttl").first, "200");
      EXPECT_EQ(f.at("twamp.test.mbz1").first, "0");
      EXPECT_EQ(f.at("twamp.test.mbz2").first, "0");
      EXPECT_EQ(f.at("ip.ttl").first, "255");
    }
  }
  EXPECT_EQ(requests, 5);
  EXPECT_EQ(replies, 5);
  std::remove(pcap.c_str());
  std::remove(pcap_template);
}

// Splits tshark's `-T fields -E separator=|` output into rows of columns.
std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> row;
    std::size_t from = 0;
    for (std::size_t bar; (bar = line.find('|', from)) != std::string::npos; from = bar + 1) {
      row.push_back(line.substr(from, bar - from));
    }
    row.push_back(line.substr(from));
    rows.push_back(std::move(row));
  }
  return rows;
}

// Wireshark's TWAMP-Control dissector reads our control exchange (in the
// unauthenticated mode it can see): the modes offered and chosen, each
// Request-TW-Session's parameters, the port each Accept-Session gives, and
// the Stop-Sessions count.
TEST(TsharkTest, ControlDissectorSeesModesSessionsPortsAndTheStopCount) {
  const std::string tshark = FindProgram("tshark");
  if (tshark.empty()) GTEST_SKIP() << "tshark is not installed (scripts/setup installs it)";

  boost::asio::io_context io;
  RealClock clock;
  TwampServerConfig sc;
  sc.listen.push_back({TcpEndpoint(boost::asio::ip::make_address("127.0.0.1"), 0), ""});
  sc.modes = control::kUnauthenticated | control::kMixed | control::kReflectOctets;
  sc.secrets = {{"edge-1", "secret"}};
  sc.port_low = 32000;
  sc.port_high = 32999;
  auto server = TwampServer::Create(io, clock, sc);
  ASSERT_TRUE(server) << server.error().message;
  const std::uint16_t port = (*server)->Status().listening.at(0).port();

  char pcap_template[] = "/tmp/lineup-tshark-XXXXXX";
  ASSERT_NE(mkdtemp(pcap_template), nullptr);
  const std::string pcap = std::string(pcap_template) + "/control.pcap";
  Subprocess capture({tshark, "-i", "lo", "-f", "tcp port " + std::to_string(port), "-w", pcap});
  if (!capture.WaitForOutput("Capturing on", 20'000)) {
    GTEST_SKIP() << "tshark cannot capture on lo here (needs root or CAP_NET_RAW): "
                 << capture.Stderr();
  }
  capture.WaitForOutput("Capture started", 5'000);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  TwampTestOptions o;
  o.server = (*server)->Status().listening.at(0);
  o.control.mode = control::kUnauthenticated;
  o.sessions = 2;
  o.session.count = 3;
  o.session.interval = std::chrono::milliseconds(5);
  o.session.padding = 100;
  o.session.dscp = 46;
  // Whole seconds: Wireshark 4.0 shows a Timeout's fraction as if it were
  // microseconds (0.5 s reads as 0.0005 s), which is its bug, not ours.
  o.session.wait = std::chrono::seconds(1);
  std::optional<Result<TwampTestResult>> out;
  RunTwampTest(io, clock, o, [&](Result<TwampTestResult> r) { out = std::move(r); });
  for (int i = 0; i < 1000 && !out; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(out && *out) << (out ? out->error().message : "did not finish");
  // Let the server read Stop-Sessions, then the capture flush.
  for (int i = 0; i < 50; ++i) io.run_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  capture.Signal(SIGINT);
  ASSERT_GE(capture.Wait(10'000), 0);

  int status = -1;
  const std::string text = RunAndCapture({tshark,
                                          "-r",
                                          pcap,
                                          "-d",
                                          "tcp.port==" + std::to_string(port) + ",twamp.control",
                                          "-Y",
                                          "twamp.control",
                                          "-T",
                                          "fields",
                                          "-E",
                                          "separator=|",
                                          "-e",
                                          "twamp.control.command",
                                          "-e",
                                          "twamp.control.modes",
                                          "-e",
                                          "twamp.control.mode",
                                          "-e",
                                          "twamp.control.accept",
                                          "-e",
                                          "twamp.control.padding_length",
                                          "-e",
                                          "twamp.control.sender_port",
                                          "-e",
                                          "twamp.control.receiver_port",
                                          "-e",
                                          "twamp.control.type-p",
                                          "-e",
                                          "twamp.control.numsessions",
                                          "-e",
                                          "twamp.control.sender_ipv4",
                                          "-e",
                                          "twamp.control.timeout"},
                                         30'000, &status);
  ASSERT_EQ(status, 0);
  const auto rows = Rows(text);
  ASSERT_EQ(rows.size(), 10u)
      << text;  // greeting, set-up, server-start, 2x(request, accept), start, ack, stop
  for (const auto& r : rows) ASSERT_EQ(r.size(), 11u) << text;
  EXPECT_EQ(rows[0][1], std::to_string(sc.modes)) << "Server Greeting's Modes";
  EXPECT_EQ(rows[1][2], "1") << "Set-Up-Response's Mode";
  EXPECT_EQ(rows[2][3], "0") << "Server-Start's Accept";
  const auto& sessions = (*out)->tests.at(0);
  for (int i = 0; i < 2; ++i) {
    const auto& request = rows[3 + 2 * i];
    const auto& accept = rows[4 + 2 * i];
    EXPECT_EQ(request[0], "5") << "Request-TW-Session";
    EXPECT_EQ(request[4], "100");
    EXPECT_EQ(request[5], std::to_string(sessions[i].local.port()));
    EXPECT_EQ(request[7], "0x2e000000");  // DSCP 46 (EF) as RFC 4656 §3.5 places it
    EXPECT_EQ(request[9], "127.0.0.1");
    EXPECT_EQ(request[10], "1.000000000");
    EXPECT_EQ(accept[3], "0") << "Accept-Session's Accept";
    EXPECT_EQ(accept[6], std::to_string((*out)->ports[i]));
  }
  EXPECT_EQ(rows[7][0], "2") << "Start-Sessions";
  EXPECT_EQ(rows[8][3], "0") << "Start-Ack";
  EXPECT_EQ(rows[9][0], "3") << "Stop-Sessions";
  EXPECT_EQ(rows[9][8], "2") << "the exact session count";
  std::remove(pcap.c_str());
  std::remove(pcap_template);
}

}  // namespace
}  // namespace lineup::measure
