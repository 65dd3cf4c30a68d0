// The report scenario: one hour, three tunnels at two sites, a brownout, a
// blackout, a measurement gap and two path switches. Shared by the report
// tests and the browser test.
#pragma once

#include <gtest/gtest.h>

#include "base/time_text.h"
#include "report/report.h"
#include "store/event_log.h"
#include "tests/support/synthetic.h"

namespace lineup::analyzer::scenario {

using namespace std::chrono_literals;
using lineup::testing::Impairment;
using lineup::testing::SyntheticTunnel;

inline WallTime At(const char* hhmmss) {
  return *ParseTime(std::string("2026-11-24T") + hhmmss + "Z", {});
}

inline AnalyzerConfig Config() {
  AnalyzerConfig c;
  SlaClass voice;
  voice.name = "voice";
  voice.window = {10, Nanos(0)};
  voice.min_samples = 5;
  voice.thresholds = {{Metric::kLatency, Statistic::kMean, 100, 80}};
  c.classes = {voice};
  c.blackout_after_lost = 3;
  c.tunnel_of_session = {{"mpls-1", "mpls"}, {"inet-1", "inet"}, {"lte-1", "lte"}};
  c.site_of_tunnel = {{"mpls", "paris"}, {"inet", "paris"}};
  return c;
}

inline store::Event Switch(const char* at, const char* from, const char* to) {
  store::PathSwitched s;
  s.traffic_class = "voice";
  s.from = from;
  s.to = to;
  s.reason = "test";
  return store::Event{At(at), "class/voice", s, {}, {}};
}

// One hour at one probe per second. mpls: a 5-minute brownout (+200 ms) at
// 10:10, a 2-minute blackout at 10:30, no probes 10:40-10:45. inet: clean.
// lte: clean, no site. Two path switches.
inline std::unique_ptr<store::EventLog> ScenarioLog() {
  SyntheticTunnel mpls{"mpls-1",
                       20,
                       0,
                       0,
                       {{At("10:10:00"), At("10:15:00"), Impairment::kDelay, 200},
                        {At("10:30:00"), At("10:32:00"), Impairment::kLoss, 1.0},
                        {At("10:40:00"), At("10:45:00"), Impairment::kSilence, 0}}};
  SyntheticTunnel inet{"inet-1", 40, 0, 0, {}};
  SyntheticTunnel lte{"lte-1", 60, 0, 0, {}};
  auto log = store::MakeMemoryLog();
  auto samples = lineup::testing::Samples({mpls, inet, lte}, At("10:00:00"), At("11:00:00"), 1s);
  samples.push_back(Switch("10:10:05", "mpls", "inet"));
  samples.push_back(Switch("10:16:00", "inet", "mpls"));
  EXPECT_TRUE(log->Append(samples));
  return log;
}

// The whole hour.
struct Range {
  ReportOptions Options() const {
    ReportOptions o;
    o.from = At("10:00:00");
    o.to = At("11:00:00");
    return o;
  }
};

}  // namespace lineup::analyzer::scenario
