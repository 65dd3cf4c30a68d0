// The daemon engine on loopback with a real RocksDB log: responders up,
// sessions on their schedules, runs logged, rankings and decisions, runs on
// demand, reloads, and a restart that neither repeats nor loses anything.
#include "daemon/daemon.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/store/temp_dir.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace lineup::daemon {
namespace {

using namespace std::chrono_literals;

// The far ends' port: free on all three addresses when the suite starts.
std::uint16_t Port() {
  static const std::uint16_t port =
      lineup::testing::FreeUdpPort({"127.0.1.1", "127.0.1.2", "127.0.1.3"});
  return port;
}

// A session's id: from this host to far end 127.0.1.<n>.
std::string Id(int n) { return fmt::format("127.0.0.1_0-127.0.1.{}_{}", n, Port()); }

std::string Config(const std::string& log_dir, const std::string& tunnels) {
  return fmt::format(R"(daemon:
  log_dir: {0}
  schedule: {{every: 1s}}
tunnels:
{1}
sessions:
  probe: {{count: 5, interval: 10ms, port: {2}, wait: 200ms}}
reflectors:
  - {{listen: "127.0.1.1:{2}"}}
  - {{listen: "127.0.1.2:{2}"}}
  - {{listen: "127.0.1.3:{2}"}}
)",
                     log_dir, tunnels, Port());
}

const std::string kThree =
    R"(  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.1, probes: [probe]}
  b: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.2, probes: [probe]}
  c: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.3, probes: [probe]})";

using lineup::testing::WaitFor;

std::size_t Count(store::EventLog& log, store::EventType type) {
  std::size_t n = 0;
  EXPECT_TRUE(log.ReadPositions(0, log.head(), {}, [&](const store::LogEntry& e) {
    n += e.event && e.event->event.type() == type;
    return true;
  }));
  return n;
}

TEST(DaemonTest, RunsSessionsLogsThemRanksAndDecidesThenReloadsAndRestarts) {
  lineup::testing::TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  RealClock clock;
  auto config = ParseDaemonConfig(Config(log_dir, kThree), "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto started = Daemon::Start(*config, clock);
  ASSERT_TRUE(started) << started.error().message;
  Daemon& d = **started;

  ASSERT_EQ(d.Sessions().size(), 3u);
  // Each session runs on its schedule (every second, first within a second).
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : d.Sessions()) {
      if (s.runs < 2) return false;
    }
    return true;
  }));
  for (const auto& s : d.Sessions()) {
    ASSERT_TRUE(s.last);
    EXPECT_FALSE(s.last->error) << *s.last->error;
    EXPECT_EQ(s.last->summary.sent, 5u);
    EXPECT_EQ(s.last->summary.received, 5u);
    EXPECT_EQ(s.last->trigger, "schedule");
    EXPECT_TRUE(s.next_run);
    EXPECT_EQ(s.schedule, "global: every 1s");
  }
  // Every run's samples and summary are in the log; the configuration too.
  EXPECT_GE(Count(d.log(), store::EventType::kRunSummary), 6u);
  EXPECT_GE(Count(d.log(), store::EventType::kProbeSample), 30u);
  EXPECT_EQ(Count(d.log(), store::EventType::kSessionConfigured), 3u);
  EXPECT_EQ(Count(d.log(), store::EventType::kPolicyChanged), 1u);

  // The responders count what they reflected.
  const auto responders = d.Responders();
  ASSERT_EQ(responders.size(), 3u);
  for (const auto& r : responders) {
    ASSERT_EQ(r.listeners.size(), 1u);
    EXPECT_GE(r.listeners[0].counters.reflected, 10u);
  }

  // A run on demand reports its result.
  const std::string id = Id(2);
  std::mutex m;
  std::condition_variable cv;
  std::optional<RunResult> result;
  ASSERT_TRUE(d.RunNow(id, [&](const RunResult& r) {
    std::lock_guard lock(m);
    result = r;
    cv.notify_all();
  }));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return result.has_value(); }));
  }
  EXPECT_EQ(result->summary.received, 5u);
  EXPECT_FALSE(d.RunNow("nope", nullptr));
  EXPECT_GE(d.History(id).size(), 3u);

  // The analyzer ranks the three lines and the controller picks one per class.
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& [cls, ranking] : d.Rankings()) {
      if (ranking.size() < 3 || !ranking[0].judged) return false;
    }
    return !d.Paths().empty();
  }));
  for (const auto& [cls, a] : d.Paths()) EXPECT_FALSE(a.to.empty()) << cls;
  const std::size_t switches = Count(d.log(), store::EventType::kPathSwitched);
  EXPECT_GE(switches, 1u);

  // Reload: c leaves, d arrives; a and b go on untouched.
  auto next = ParseDaemonConfig(
      Config(log_dir,
             R"(  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.1, probes: [probe]}
  b: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.2, probes: [probe]}
  d: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.1.3, probes: [probe]})"),
      "test.yaml");
  ASSERT_TRUE(next) << next.error().message;
  const auto runs_of_a = d.Session(Id(1))->runs;
  ASSERT_TRUE(d.Reload(*next));
  ASSERT_EQ(d.Sessions().size(), 3u);
  EXPECT_EQ(d.Session(Id(3))->config.tunnel, "d");
  EXPECT_GE(d.Session(Id(1))->runs, runs_of_a);  // kept its history
  EXPECT_EQ(Count(d.log(), store::EventType::kSessionDeleted), 1u);
  EXPECT_EQ(Count(d.log(), store::EventType::kPolicyChanged), 2u);
  ASSERT_TRUE(WaitFor([&] { return d.Session(Id(3))->runs >= 1; }));

  // A responder that cannot bind refuses the reload with the reason.
  auto clash = *next;
  clash.responders.push_back(clash.responders[0]);
  clash.responders.back().id = "responder:other";
  auto refused = d.Reload(clash);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find(fmt::format("cannot listen on 127.0.1.1:{}", Port())),
            std::string::npos)
      << refused.error().message;

  const std::uint64_t head = d.log().head();
  d.Stop();
  started->reset();

  // A restart on the same log: nothing recorded twice, nothing re-decided.
  auto again = Daemon::Start(*next, clock);
  ASSERT_TRUE(again) << again.error().message;
  Daemon& d2 = **again;
  EXPECT_GE(d2.log().head(), head);
  EXPECT_EQ(Count(d2.log(), store::EventType::kSessionConfigured), 4u);  // a, b, c, d once each
  EXPECT_EQ(Count(d2.log(), store::EventType::kPolicyChanged), 2u);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : d2.Sessions()) {
      if (s.runs < 1) return false;
    }
    return true;
  }));
  d2.Stop();
}

TEST(DaemonTest, ABusyPortIsAClearStartError) {
  lineup::testing::TempDir dir;
  RealClock clock;
  auto config = ParseDaemonConfig(Config(dir.path() + "/log", kThree), "test.yaml");
  ASSERT_TRUE(config);
  auto first = Daemon::Start(*config, clock);
  ASSERT_TRUE(first) << first.error().message;
  auto second_config = *config;
  second_config.log_dir = dir.path() + "/log2";
  auto second = Daemon::Start(second_config, clock);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find(fmt::format("cannot listen on 127.0.1.1:{}", Port())),
            std::string::npos)
      << second.error().message;
  // The same log twice: the one-writer rule says so.
  auto third_config = *config;
  third_config.responders.clear();
  auto third = Daemon::Start(third_config, clock);
  ASSERT_FALSE(third);
  (*first)->Stop();
}

// A log holding API changes today's daemon refuses (an older build let a
// session named with a NUL in) does not stop the daemon: they are dropped
// with a warning, the configuration in force is recorded without them, and
// the next start finds nothing to drop. The file's sessions run as before.
TEST(DaemonTest, RecordedApiChangesItRefusesDoNotStopTheStart) {
  lineup::testing::TempDir dir;
  const std::string log_dir = dir.path() + "/log";
  RealClock clock;
  auto config = ParseDaemonConfig(Config(log_dir, kThree), "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  {
    auto log = store::OpenRocksLog(log_dir);
    ASSERT_TRUE(log) << log.error().message;
    store::PolicyChanged old{"lineup.yaml",
                             config->file_text +
                                 "# Changes made through lineup run's API:\napi_changes: "
                                 "{\"sessions\":{\"a\\u0000b\":{\"to\":\"127.0.1.1:" +
                                 std::to_string(Port()) + "\"}}}\n",
                             std::nullopt};
    ASSERT_TRUE((*log)->Append(
        store::Event{clock.Now(), std::string(store::kPolicyStream), old, {}, std::nullopt}));
  }
  for (int start = 0; start < 2; ++start) {
    auto started = Daemon::Start(*config, clock);
    ASSERT_TRUE(started) << started.error().message;
    Daemon& d = **started;
    EXPECT_EQ(d.config().api_changes, "{}");
    EXPECT_EQ(d.Sessions().size(), 3u);
    // The configuration in force, without the changes, is the latest record.
    std::string latest;
    ASSERT_TRUE(
        d.log().ReadStream(std::string(store::kPolicyStream), 0, [&](const store::LogEntry& e) {
          if (e.event) {
            latest = std::get<store::PolicyChanged>(e.event->event.payload).document;
          }
          return true;
        }));
    EXPECT_EQ(latest.find("api_changes"), std::string::npos) << latest;
    EXPECT_EQ(Count(d.log(), store::EventType::kPolicyChanged), 2u);  // the old one, ours once
    d.Stop();
  }
}

// Every run's summary goes to the IPFIX collectors; an unreachable one
// (TCP, nothing listening) costs nothing but its own counters.
TEST(DaemonTest, RunsAreExportedOverIpfixAndADeadCollectorBlocksNothing) {
  lineup::testing::TempDir dir;
  RealClock clock;
  boost::asio::io_context io;
  boost::asio::ip::udp::socket collector(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto dead = probe.local_endpoint().port();
  probe.close();
  std::string text = Config(dir.path() + "/log", kThree);
  text.replace(
      text.find("  schedule: {every: 1s}"), std::string("  schedule: {every: 1s}").size(),
      fmt::format("  schedule: {{every: 1s}}\n  collectors:\n    - {{address: \"127.0.0.1:{}\"}}\n"
                  "    - {{address: \"127.0.0.1:{}\", transport: tcp}}",
                  collector.local_endpoint().port(), dead));
  auto config = ParseDaemonConfig(text, "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->collectors.size(), 2u);
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : (*d)->Sessions()) {
      if (s.runs < 2) return false;
    }
    return true;
  }));
  ASSERT_TRUE(WaitFor([&] { return (*d)->Collectors().at(0).second.records_sent >= 6; }));
  const auto counters = (*d)->Collectors();
  EXPECT_EQ(counters.at(1).second.records_sent, 0u);
  EXPECT_GE(counters.at(1).second.records_dropped, 1u);
  // What arrived is IPFIX naming our sessions.
  std::vector<char> datagram(65536);
  collector.non_blocking(true);
  std::string all;
  boost::system::error_code ec;
  for (std::size_t n; (n = collector.receive(boost::asio::buffer(datagram), 0, ec)) > 0 && !ec;) {
    EXPECT_EQ(datagram[1], 10);
    all.append(datagram.data(), n);
  }
  EXPECT_NE(all.find("a/probe"), std::string::npos);
  EXPECT_NE(all.find("c/probe"), std::string::npos);
  (*d)->Stop();
}

// Retention trims old probe samples (summaries stay); an actuator that hangs
// holds up neither the runs nor the decisions being logged.
TEST(DaemonTest, RetentionTrimsSamplesAndAHangingActuatorBlocksNothing) {
  lineup::testing::TempDir dir;
  RealClock clock;
  const std::string log_dir = dir.path() + "/log";
  std::string text = Config(log_dir, kThree);
  text.replace(text.find("  schedule: {every: 1s}"), std::string("  schedule: {every: 1s}").size(),
               "  schedule: {every: 1s}\n  actuator: \"hook:sleep 600\"");
  auto config = ParseDaemonConfig(text, "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  std::size_t samples = 0, summaries = 0;
  {
    auto d = Daemon::Start(*config, clock);
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_TRUE(WaitFor([&] {
      for (const auto& s : (*d)->Sessions()) {
        if (s.runs < 3) return false;
      }
      return !(*d)->Paths().empty();
    }));
    // The controller decided (and its hook hangs): runs went on regardless.
    EXPECT_GE(Count((*d)->log(), store::EventType::kPathSwitched), 1u);
    samples = Count((*d)->log(), store::EventType::kProbeSample);
    summaries = Count((*d)->log(), store::EventType::kRunSummary);
    const auto t0 = std::chrono::steady_clock::now();
    (*d)->Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0,
              15s);  // the hanging hook does not hold the stop
  }
  ASSERT_GE(samples, 45u);
  std::this_thread::sleep_for(1500ms);
  std::string kept = text;
  kept.replace(kept.find("  schedule: {every: 1s}"), std::string("  schedule: {every: 1s}").size(),
               "  schedule: {every: 1h}\n  retention: {max_age: 1s}");
  auto trimmed = ParseDaemonConfig(kept, "test.yaml");
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  auto d = Daemon::Start(*trimmed, clock);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_LT(Count((*d)->log(), store::EventType::kProbeSample), samples);
  EXPECT_GE(Count((*d)->log(), store::EventType::kRunSummary), summaries);
  (*d)->Stop();
}

}  // namespace
}  // namespace lineup::daemon
