// Lines, not sessions, on loopback through the whole daemon: a tunnel judged
// from all its sessions (one dead port is a session fault, not an outage),
// an ad-hoc session that is never a path candidate, a deleted line that
// leaves the rankings and the metrics at once, and a line without fresh
// measurements that becomes unknown and is left.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <thread>

#include "daemon/api.h"
#include "daemon/daemon.h"
#include "tests/store/temp_dir.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace lineup::daemon {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kFarEnds = {"127.0.2.1", "127.0.2.2", "127.0.2.3"};

// The reflectors' port, free on every far end.
std::uint16_t Port() {
  static const std::uint16_t port = lineup::testing::FreeUdpPort(kFarEnds);
  return port;
}
// A port where nothing listens on the far ends (found free, never bound).
std::uint16_t DeadPort() {
  static const std::uint16_t port = [] {
    for (;;) {
      const std::uint16_t p = lineup::testing::FreeUdpPort(kFarEnds);
      if (p != Port()) return p;
    }
  }();
  return port;
}

// The head of every configuration: fast runs, a small voice class, no
// timers that restrain moves, `stale_after` short enough for a test.
std::string Config(const std::string& log_dir, const std::string& rest) {
  return fmt::format(R"(daemon:
  log_dir: {0}
  schedule: {{every: 1s}}
analyzer: {{blackout_after_lost: 3, stale_after: 3s}}
sla_classes:
  - name: voice
    window: 20
    min_samples: 5
    latency_ms: {{enter: 150, exit: 130}}
    loss_percent: {{enter: 5, exit: 2}}
policy: {{min_dwell: 0s, failback_delay: 0s, initial_wait: 0s}}
sessions:
  voice: {{count: 5, interval: 10ms, port: {1}, wait: 200ms, dscp: ef}}
  bulk: {{count: 5, interval: 10ms, port: {2}, wait: 200ms}}
reflectors:
  - {{listen: "127.0.2.1:{1}"}}
  - {{listen: "127.0.2.2:{1}"}}
  - {{listen: "127.0.2.3:{1}"}}
{3})",
                     log_dir, Port(), DeadPort(), rest);
}

// Lines take a few runs to judge: a longer limit than the default.
bool WaitFor(const std::function<bool()>& ready, Nanos limit = 20s) {
  return lineup::testing::WaitFor(ready, limit);
}

std::vector<store::Event> Events(store::EventLog& log, store::EventType type,
                                 std::uint64_t from = 0) {
  std::vector<store::Event> out;
  EXPECT_TRUE(log.ReadPositions(from, log.head(), store::ReadFilter::WithoutSamples(),
                                [&](const store::LogEntry& e) {
                                  if (e.event && e.event->event.type() == type)
                                    out.push_back(e.event->event);
                                  return true;
                                }));
  return out;
}

std::vector<analyzer::Verdict> Voice(const Daemon& d) {
  for (const auto& [cls, ranking] : d.Rankings()) {
    if (cls == "voice") return ranking;
  }
  return {};
}

// A copy: the rankings are snapshots.
std::optional<analyzer::Verdict> VerdictOf(const std::vector<analyzer::Verdict>& ranking,
                                           const std::string& tunnel) {
  for (const auto& v : ranking) {
    if (v.tunnel == tunnel) return v;
  }
  return std::nullopt;
}

std::string PathOf(const Daemon& d, const std::string& cls) {
  for (const auto& [name, a] : d.Paths()) {
    if (name == cls) return a.to;
  }
  return "";
}

std::unique_ptr<Daemon> Start(const std::string& text, const Clock& clock) {
  auto config = ParseDaemonConfig(text, "lines.yaml");
  EXPECT_TRUE(config) << config.error().message;
  if (!config) return nullptr;
  auto started = Daemon::Start(*config, clock);
  EXPECT_TRUE(started) << started.error().message;
  return started ? std::move(*started) : nullptr;
}

// Tunnel a carries a voice session (answered) and a bulk session to a port
// nobody answers; b carries voice only. a stays a line that works: no
// outage, no move away from it, and the bulk session is reported at fault.
TEST(LinesTest, OneDeadSessionOfATunnelIsASessionFaultNotAnOutage) {
  lineup::testing::TempDir dir;
  RealClock clock;
  auto d = Start(Config(dir.path() + "/log", R"(tunnels:
  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.1, probes: [voice, bulk]}
  b: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.2, probes: [voice]}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [a, b]}
)"),
                 clock);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->Sessions().size(), 3u);
  ASSERT_TRUE(WaitFor([&] {
    const auto a = VerdictOf(Voice(*d), "a");
    return a && a->judged && a->compliant && !a->down && PathOf(*d, "voice") == "a";
  }));
  const std::uint64_t settled = d->log().head();
  // Enough runs that three lost probes in a row happened many times over.
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : d->Sessions()) {
      if (s.runs < 5) return false;
    }
    return true;
  }));
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : d->LineSessions()) {
      if (s.fault) return true;
    }
    return false;
  })) << "the dead session was never reported at fault";
  for (const auto& s : d->LineSessions()) {
    EXPECT_EQ(s.fault, s.session == "a/bulk") << s.session;
  }
  // Not even at start-up, when the dead session may report before the
  // answered one has said anything (it is pending until then).
  for (const auto& e : Events(d->log(), store::EventType::kTunnelDown)) {
    ADD_FAILURE() << "called down: " << std::get<store::TunnelDown>(e.payload).tunnel << ": "
                  << std::get<store::TunnelDown>(e.payload).detail;
  }
  const auto faults = Events(d->log(), store::EventType::kSessionFault);
  ASSERT_FALSE(faults.empty());
  EXPECT_EQ(std::get<store::SessionFault>(faults[0].payload).tunnel, "a");
  // Judged on the answered session: compliant, and voice stays on a.
  const auto ranking = Voice(*d);
  const auto a = VerdictOf(ranking, "a");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->compliant) << a->violated_metric;
  EXPECT_FALSE(a->down);
  EXPECT_EQ(PathOf(*d, "voice"), "a");
  EXPECT_TRUE(Events(d->log(), store::EventType::kPathSwitched, settled).empty());
  // What an operator sees: the metric and the API's tunnel list.
  const std::string metrics = Metrics(*d);
  EXPECT_NE(metrics.find("lineup_session_fault{session=\"a/bulk\",tunnel=\"a\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("lineup_session_fault{session=\"a/voice\",tunnel=\"a\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.find("lineup_tunnel_down{tunnel=\"a\"} 0"), std::string::npos);
  EXPECT_NE(metrics.find("lineup_line_state{state=\"fault\",tunnel=\"a\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("lineup_line_state{state=\"down\",tunnel=\"a\"} 0"), std::string::npos);
  d->Stop();
}

// A session on no tunnel is diagnostic: it runs and is logged, but it is
// never ranked and never carries a class, even when it is the best there is.
// Deleting a tunnel's only session takes the line out of the rankings and
// the metrics at once.
TEST(LinesTest, AnAdHocSessionIsNeverACandidateAndADeletedLineLeavesAtOnce) {
  lineup::testing::TempDir dir;
  RealClock clock;
  const std::string log_dir = dir.path() + "/log";
  const std::string tunnels = R"(tunnels:
  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.1, probes: [voice]}
  b: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.2, probes: [voice]}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [b, a]}
)";
  const std::string adhoc =
      fmt::format(R"(  adhoc: {{to: "127.0.2.3:{}", count: 5, interval: 10ms, wait: 200ms}}
)",
                  Port());
  std::string text = Config(log_dir, tunnels);
  text.replace(text.find("reflectors:"), 0, adhoc);  // one more entry under `sessions`
  auto d = Start(text, clock);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->Sessions().size(), 3u);
  ASSERT_TRUE(WaitFor([&] {
    const auto r = Voice(*d);
    return r.size() >= 2 && r[0].judged && r[1].judged && !PathOf(*d, "voice").empty();
  }));
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& s : d->Sessions()) {
      if (s.config.name == "adhoc" && s.runs >= 3) return true;
    }
    return false;
  }));
  for (const auto& v : Voice(*d)) EXPECT_TRUE(v.tunnel == "a" || v.tunnel == "b") << v.tunnel;
  EXPECT_EQ(PathOf(*d, "voice"), "b");
  for (const auto& e : Events(d->log(), store::EventType::kPathSwitched)) {
    EXPECT_NE(std::get<store::PathSwitched>(e.payload).to, "adhoc");
  }

  // b's session goes: b leaves the ranking and the metrics, voice leaves b.
  auto next = ParseDaemonConfig(Config(log_dir, R"(tunnels:
  a: {site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.1, probes: [voice]}
  b: {site: here, peer: hub}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [b, a]}
)"),
                                "lines.yaml");
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_TRUE(d->Reload(*next));
  ASSERT_TRUE(WaitFor([&] { return !VerdictOf(Voice(*d), "b"); }, 5s))
      << "a line with no session stayed in the ranking";
  ASSERT_TRUE(WaitFor([&] { return PathOf(*d, "voice") == "a"; }, 5s));
  // Its series are gone at the next scrape: the judged ones and the session's.
  const std::string metrics = Metrics(*d);
  EXPECT_NE(metrics.find("sla_class=\"voice\",tunnel=\"a\""), std::string::npos) << metrics;
  EXPECT_FALSE(std::regex_search(metrics, std::regex(R"(sla_class="[^"]*",tunnel="b")")))
      << metrics;
  EXPECT_EQ(metrics.find("session=\"b/voice\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("session=\"a/voice\""), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("tunnel=\"adhoc\""), std::string::npos) << metrics;
  d->Stop();
}

// A line whose sessions stop reporting is unknown after stale_after: never
// compliant, never a target, shown as such; the class leaves it.
TEST(LinesTest, ALineWithoutFreshMeasurementsBecomesUnknownAndIsLeft) {
  lineup::testing::TempDir dir;
  RealClock clock;
  const std::string log_dir = dir.path() + "/log";
  const auto tunnels = [](const std::string& b_schedule) {
    return fmt::format(R"(  rare: {{count: 5, interval: 10ms, port: {}, wait: 200ms, schedule: {}}}
tunnels:
  a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.1, probes: [voice]}}
  b: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.2.2, probes: [rare]}}
traffic_classes:
  - {{name: voice, strategy: priority, preferred: [b, a]}}
)",
                       Port(), b_schedule);
  };
  // `rare` is one more template under `sessions`; the rest follows it.
  auto with = [&](const std::string& b_schedule) {
    std::string text = Config(log_dir, "");
    const auto at = text.find("reflectors:");
    const std::string rest = tunnels(b_schedule);
    const auto split = rest.find("tunnels:");
    return text.substr(0, at) + rest.substr(0, split) + text.substr(at) + rest.substr(split);
  };
  auto d = Start(with("{every: 1s}"), clock);
  ASSERT_TRUE(d);
  ASSERT_TRUE(WaitFor([&] { return PathOf(*d, "voice") == "b"; }));
  // From now on b's session runs once an hour: its last run is soon stale.
  auto rare = ParseDaemonConfig(with("{every: 1h}"), "lines.yaml");
  ASSERT_TRUE(rare) << rare.error().message;
  ASSERT_TRUE(d->Reload(*rare));
  ASSERT_TRUE(WaitFor([&] {
    const auto b = VerdictOf(Voice(*d), "b");
    return b && b->unknown;
  })) << "b never became unknown";
  const auto b = VerdictOf(Voice(*d), "b");
  EXPECT_FALSE(b->compliant);
  ASSERT_TRUE(WaitFor([&] { return PathOf(*d, "voice") == "a"; }, 5s));
  bool left_for_unknown = false;
  for (const auto& e : Events(d->log(), store::EventType::kPathSwitched)) {
    const auto& p = std::get<store::PathSwitched>(e.payload);
    if (p.from == "b" && p.to == "a") left_for_unknown = p.rule == "unknown";
  }
  std::string moves;
  for (const auto& e : Events(d->log(), store::EventType::kPathSwitched)) {
    const auto& p = std::get<store::PathSwitched>(e.payload);
    moves += fmt::format("{} -> {} ({}: {})\n", p.from, p.to, p.rule, p.reason);
  }
  EXPECT_TRUE(left_for_unknown) << moves;
  EXPECT_NE(Metrics(*d).find("lineup_tunnel_unknown{tunnel=\"b\"} 1"), std::string::npos);
  d->Stop();
}

}  // namespace
}  // namespace lineup::daemon
