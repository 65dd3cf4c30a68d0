#include "autoflow/replay.h"

#include <gtest/gtest.h>

#include <thread>

#include "analyzer/service.h"
#include "autoflow/service.h"
#include "base/time_text.h"
#include "tests/support/synthetic.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;
using lineup::testing::Impairment;
using lineup::testing::SyntheticTunnel;

WallTime At(const char* hhmmss) {
  return *ParseTime(std::string("2026-11-24T") + hhmmss + "Z", {});
}

const char* kPolicy = R"(tunnels:
  mpls: {site: paris, sessions: [mpls-1]}
  inet: {site: paris, sessions: [inet-1]}
analyzer: {ranking_interval: 10s}
sla_classes:
  - name: voice
    window: 10
    min_samples: 5
    latency_ms: {enter: 100, exit: 80}
policy: {min_dwell: 5m, failback_delay: 10m, min_improvement_percent: 20}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [mpls, inet]}
)";

template <class S>
void CatchUp(const S& service, const store::EventLog& log) {
  for (int i = 0; i < 2000 && service.next_position() < log.head(); ++i)
    std::this_thread::sleep_for(2ms);
}

// An hour of two tunnels with the analyzer and the controller following the
// log live, as the daemon runs them. mpls has three brownouts.
std::unique_ptr<store::EventLog> LiveLog() {
  auto log = store::MakeMemoryLog();
  auto config = ParseConfig(kPolicy, "lineup.yaml");
  EXPECT_TRUE(config) << config.error().message;
  EXPECT_TRUE(RecordPolicy(*log, "lineup.yaml", *config, At("09:59:00")));
  auto analyzer = analyzer::AnalyzerService::Start(*log, config->analysis);
  static const RealClock clock;
  auto controller = ControllerService::Start(*log, nullptr, clock);
  EXPECT_TRUE(analyzer && controller);
  SyntheticTunnel mpls{"mpls-1",
                       20,
                       2,
                       0,
                       {{At("10:05:00"), At("10:07:00"), Impairment::kDelay, 150},
                        {At("10:20:00"), At("10:21:00"), Impairment::kDelay, 150},
                        {At("10:40:00"), At("10:48:00"), Impairment::kDelay, 150}}};
  SyntheticTunnel inet{"inet-1", 45, 5, 0.002, {}};
  auto samples = lineup::testing::Samples({mpls, inet}, At("10:00:00"), At("11:00:00"), 1s);
  for (std::size_t i = 0; i < samples.size(); i += 500) {
    const auto end = std::min(samples.size(), i + 500);
    EXPECT_TRUE(log->Append(std::vector<store::Event>(samples.begin() + i, samples.begin() + end)));
    CatchUp(**analyzer, *log);
    CatchUp(**controller, *log);
  }
  CatchUp(**analyzer, *log);
  CatchUp(**controller, *log);
  (*analyzer)->Stop();
  (*controller)->Stop();
  return log;
}

TEST(ReplayTest, ReplayReproducesTheLiveDecisionsByteForByte) {
  auto log = LiveLog();
  auto r = Replay(*log, std::nullopt);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(r->recorded.decisions.size(), 5u);  // initial, then away and back twice or more
  EXPECT_TRUE(r->identical) << "first difference at " << r->first_difference.value_or(0);
  ASSERT_EQ(r->recorded.classes.size(), 1u);
  const auto& voice = r->recorded.classes[0];
  EXPECT_EQ(voice.switches + 1, r->recorded.decisions.size());
  // A long failback delay keeps it on inet for most of the hour.
  EXPECT_GT(voice.time_on.at("mpls"), 10min);
  EXPECT_GT(voice.time_on.at("inet"), 30min);
  EXPECT_EQ(voice.time_on.at("mpls") + voice.time_on.at("inet"), voice.assigned);
  EXPECT_LT(voice.assigned, 60min);
  // Safety first: each brownout is left at its verdict, whatever the 5 min dwell.
  EXPECT_EQ(voice.out_of_sla, 0s);
}

TEST(ReplayTest, WhatIfComparesAnotherPolicy) {
  auto log = LiveLog();
  std::string eager = kPolicy;
  eager.replace(eager.find("min_dwell: 5m, failback_delay: 10m"), 34,
                "min_dwell: 0s, failback_delay: 0s");
  auto config = ParseConfig(eager, "eager.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto r = Replay(*log, *config);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->identical);
  EXPECT_FALSE(r->rejudged);  // the same SLA classes: the recorded verdicts stand
  const auto& recorded = r->recorded.classes.at(0);
  const auto& eager_outcome = r->replayed.classes.at(0);
  // Without dwell or dampening it moves sooner and more often, and spends
  // less time out of SLA.
  EXPECT_GE(eager_outcome.switches, recorded.switches);
  EXPECT_LE(eager_outcome.out_of_sla, recorded.out_of_sla);
  EXPECT_LT(eager_outcome.time_on.at("inet"), recorded.time_on.at("inet"));
}

// kPolicy with voice's latency limit at 200 ms instead of 100 ms.
Result<LoadedConfig> LoosePolicy() {
  std::string loose = kPolicy;
  const std::string tight = "latency_ms: {enter: 100, exit: 80}";
  loose.replace(loose.find(tight), tight.size(), "latency_ms: {enter: 200, exit: 180}");
  return ParseConfig(loose, "loose.yaml");
}

// A what-if with a looser SLA class re-judges the lines from the samples and
// stays on mpls through its brownouts (170 ms is within 200 ms). By its own
// verdicts it was never out of SLA; graded against the recorded 100 ms class
// it sat about 11 minutes on a line over the limit, while the recorded
// timeline was exposed only until each brownout was detected.
TEST(ReplayTest, AWhatIfWithOtherSlaClassesIsRejudgedAndGradedOnTheSamples) {
  auto log = LiveLog();
  auto config = LoosePolicy();
  ASSERT_TRUE(config) << config.error().message;
  auto r = Replay(*log, *config);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->rejudged);
  const auto& recorded = r->recorded.classes.at(0);
  const auto& what_if = r->replayed.classes.at(0);
  EXPECT_EQ(what_if.switches, 0u) << "170 ms never breaks a 200 ms limit";
  EXPECT_EQ(what_if.out_of_sla, 0s) << "its own verdicts never called mpls violated";
  // Three brownouts of 2, 1 and 8 minutes, all spent on mpls.
  EXPECT_GT(what_if.exposed, 10min);
  EXPECT_LT(what_if.exposed, 12min);
  // The recorded controller left each brownout once it was detected: a few
  // seconds of exposure each (detection delay), never minutes.
  EXPECT_GT(recorded.exposed, 0s);
  EXPECT_LT(recorded.exposed, 1min);
  EXPECT_LE(recorded.exposed, recorded.assigned);
}

// The exposure of the recorded timeline does not depend on which policy is
// tried beside it: the yardstick is the recorded SLA.
TEST(ReplayTest, ExposureIsMeasuredAgainstTheRecordedSla) {
  auto log = LiveLog();
  auto same = Replay(*log, std::nullopt);
  auto config = LoosePolicy();
  ASSERT_TRUE(config) << config.error().message;
  auto other = Replay(*log, *config);
  ASSERT_TRUE(same && other);
  EXPECT_EQ(same->recorded.classes.at(0).exposed, other->recorded.classes.at(0).exposed);
  EXPECT_EQ(same->recorded.classes.at(0).exposed, same->replayed.classes.at(0).exposed);
}

TEST(ReplayTest, AnEmptyLogIsAClearError) {
  auto log = store::MakeMemoryLog();
  auto r = Replay(*log, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nothing to replay"), std::string::npos);
}

}  // namespace
}  // namespace lineup::autoflow
