// The harness end to end: the scenario library, determinism per seed, the
// fidelity of the simulated impairments, and the log it writes.
#include "sim/harness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "autoflow/replay.h"
#include "base/time_text.h"
#include "report/report.h"
#include "tests/store/temp_dir.h"

namespace lineup::sim {
namespace {

using namespace std::chrono_literals;

Scenario Parse(const std::string& yaml) {
  auto s = ParseScenario(yaml, "test.yaml");
  EXPECT_TRUE(s) << s.error().message;
  return s ? *s : Scenario{};
}

std::string Failures(const RunOutcome& run) {
  std::string out;
  for (const auto& r : run.results) {
    if (!r.passed) out += r.expectation.text + ": " + r.what + ": " + r.detail + "\n";
  }
  return out;
}

// A test name from a string parameter: what is not a letter or digit
// becomes '_'.
std::string Identifier(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) == 0; }, '_');
  return name;
}

std::vector<std::string> LibraryScenarios() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(LINEUP_SCENARIOS)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().stem().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(HarnessTest, TheScenarioLibraryIsThere) { EXPECT_GE(LibraryScenarios().size(), 8u); }

// One test per scenario of the library, so that a failure names it and each
// runs (and is timed) on its own.
class LibraryScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LibraryScenarioTest, MeetsItsExpectations) {
  const auto file = std::filesystem::path(LINEUP_SCENARIOS) / (GetParam() + ".yaml");
  auto scenario = LoadScenario(file.string());
  ASSERT_TRUE(scenario) << scenario.error().message;
  EXPECT_FALSE(scenario->expectations.empty());
  auto run = RunScenario(*scenario);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_TRUE(run->passed()) << Failures(*run);
  EXPECT_FALSE(run->decisions.empty());
}

INSTANTIATE_TEST_SUITE_P(Library, LibraryScenarioTest, ::testing::ValuesIn(LibraryScenarios()),
                         Identifier);

// Expectations measured as the probes come (no probe kept, flat memory)
// read exactly what they read from the kept probes.
TEST(HarnessTest, ExpectationsMeasureTheSameWithoutKeepingProbes) {
  auto scenario = LoadScenario(std::string(LINEUP_SCENARIOS) + "/brownout-random-loss.yaml");
  ASSERT_TRUE(scenario) << scenario.error().message;
  RunOptions kept;
  RunOptions streamed;
  streamed.keep_probes = false;
  auto a = RunScenario(*scenario, kept);
  auto b = RunScenario(*scenario, streamed);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->probes_by_session.empty());
  EXPECT_TRUE(b->probes_by_session.empty());
  EXPECT_EQ(a->events, b->events);
  ASSERT_EQ(a->results.size(), b->results.size());
  std::size_t measured = 0;
  for (std::size_t k = 0; k < a->results.size(); ++k) {
    EXPECT_EQ(a->results[k].passed, b->results[k].passed) << a->results[k].expectation.text;
    EXPECT_EQ(a->results[k].detail, b->results[k].detail) << a->results[k].expectation.text;
    if (a->results[k].detail.find("measured") != std::string::npos) ++measured;
  }
  EXPECT_GE(measured, 1u);  // the scenario checks measured figures, not only moves
}

const char* kLossy = R"(name: lossy
duration: 3m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
links:
  a: {delay: 20ms, jitter: 5ms, loss_percent: 5}
  b: {delay: 30ms}
probes: {interval: 50ms}
)";

TEST(HarnessTest, TheSameSeedGivesTheSameRunAnotherSeedAnIndependentOne) {
  const Scenario s = Parse(kLossy);
  RunOptions first, again, other;
  first.seed = again.seed = 7;
  other.seed = 8;
  auto r1 = RunScenario(s, first);
  auto r2 = RunScenario(s, again);
  auto r3 = RunScenario(s, other);
  ASSERT_TRUE(r1 && r2 && r3);
  const auto& p1 = r1->probes_by_session.at("a");
  const auto& p2 = r2->probes_by_session.at("a");
  const auto& p3 = r3->probes_by_session.at("a");
  ASSERT_EQ(p1.size(), 3600u);
  ASSERT_EQ(p1.size(), p2.size());
  std::size_t same_fate = 0;
  for (std::size_t i = 0; i < p1.size(); ++i) {
    ASSERT_EQ(p1[i].lost, p2[i].lost) << i;
    ASSERT_EQ(p1[i].rtt_ms, p2[i].rtt_ms) << i;
    same_fate += p1[i].lost == p3[i].lost && p1[i].rtt_ms == p3[i].rtt_ms;
  }
  EXPECT_LT(same_fate, p1.size() / 10);  // another seed: other delays, other losses
  EXPECT_EQ(r1->events, r2->events);
  ASSERT_EQ(r1->decisions.size(), r2->decisions.size());
  for (std::size_t i = 0; i < r1->decisions.size(); ++i) {
    EXPECT_EQ(r1->decisions[i].at, r2->decisions[i].at);
    EXPECT_EQ(r1->decisions[i].reason, r2->decisions[i].reason);
  }
}

// Each seed draws where its probes fall in the first interval, so the time
// to leave a blackout varies with the seed as it does on a real line (the
// outage starts anywhere between two probes): over 20 seeds at 1 s probes
// it spans at least half an interval (with a fixed phase, every seed gave
// the same figure).
TEST(HarnessTest, SeedsVaryTheProbePhaseSoTimeToSwitchSpreads) {
  const Scenario s = Parse(R"(name: phase
duration: 2m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
policy: {min_dwell: 10s, failback_delay: 30s}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [a, b]}
links:
  a: {timeline: [{at: 1m, outage: true}]}
probes: {interval: 1s}
expect:
  - {traffic_class: voice, on: b, at: 1m30s, after: 1m}
)");
  auto seeds = RunSeeds(s, 1, 20);
  ASSERT_TRUE(seeds) << seeds.error().message;
  ASSERT_EQ(seeds->expectations.size(), 1u);
  const auto& times = seeds->expectations[0].times_to_switch;
  ASSERT_EQ(times.size(), 20u);
  const auto [low, high] = std::minmax_element(times.begin(), times.end());
  EXPECT_GE(*high - *low, 500ms) << "from " << FormatElapsed(*low) << " to "
                                 << FormatElapsed(*high);
}

// The expectations a reviewer of a controller asks for: on any of several
// lines, never on one, a bound on the time to switch, and at most so long on
// a line the analyzer itself holds down or violated (the controller's own
// delay, which a stuck class shows); and a one-way figure.
TEST(HarnessTest, RicherExpectationsPassAndFailWhereTheyShould) {
  const Scenario s = Parse(R"(name: richer
duration: 2m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
  c: {site: x, peer: y}
  solo: {site: x, peer: z}
policy: {min_dwell: 10s, failback_delay: 30s}
traffic_classes:
  - {name: voice, sla_class: voice, strategy: priority, preferred: [a, b, c], tunnels: [a, b, c]}
  - {name: lonely, sla_class: voice, tunnels: [solo]}
links:
  a: {delay: 10ms, timeline: [{at: 1m, outage: true}]}
  solo: {timeline: [{at: 1m, outage: true, for: 30s}]}
probes: {interval: 100ms}
expect:
  - {traffic_class: voice, on_any_of: [b, c], at: 1m30s, after: 1m, time_to_switch_max: 5s}
  - {traffic_class: voice, not_on: c}
  - {traffic_class: voice, max_time_on_violated: 1s}
  - {tunnel: a, forward_delay_ms: [9.9, 10.1], to: 1m}
  - {traffic_class: voice, on: b, at: 1m30s, after: 1m, time_to_switch_max: 1ms}
  - {traffic_class: voice, not_on: b}
  - {traffic_class: lonely, max_time_on_violated: 5s}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->results.size(), 7u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(run->results[i].passed) << run->results[i].what << ": " << run->results[i].detail;
  }
  for (std::size_t i = 4; i < 7; ++i) {
    EXPECT_FALSE(run->results[i].passed) << run->results[i].what << ": " << run->results[i].detail;
  }
  EXPECT_NE(run->results[4].detail.find(", more than 0.001s"), std::string::npos)
      << run->results[4].detail;
  EXPECT_EQ(run->results[1].what, "voice never on c in [0s, 2m)");
  // The lonely class has nowhere to go: it sits out the 30 s outage.
  EXPECT_NE(run->results[6].detail.find("on a line down or out of voice for 3"), std::string::npos)
      << run->results[6].detail;
}

// Configured impairments against what the real TWAMP cores measure, over
// enough probes for tight bounds: 3 standard deviations of each estimate.
TEST(HarnessTest, MeasuredLossDelayAndJitterMatchTheConfiguration) {
  const Scenario s = Parse(R"(name: fidelity
duration: 10m
tunnels:
  a: {site: x, peer: y}
links:
  a: {rate_mbps: 100, delay: 20ms, jitter: 5ms, loss_percent: 5}
probes: {interval: 20ms}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  const Measured m = Measure(run->probes_by_session.at("a"), 0s, s.duration);
  ASSERT_EQ(m.sent, 30000u);
  // Forward loss p = 5 %: sigma = sqrt(p (1 - p) / n) = 0.126 points.
  EXPECT_NEAR(m.forward_loss_percent, 5.0, 3 * 0.126);
  // Round trip: 1 - 0.95^2 = 9.75 %, sigma 0.171 points.
  EXPECT_NEAR(m.loss_percent, 9.75, 3 * 0.171);
  // Replies lost of the probes that arrived: 5 %, sigma 0.13 points.
  EXPECT_NEAR(m.backward_loss_percent, 5.0, 3 * 0.13);
  // One-way delay: 20 ms + 5.9 us serialization (74 bytes at 100 Mbit/s);
  // uniform +-5 ms: stddev 5 / sqrt(3) = 2.887 ms, so the mean's sigma over
  // 28,500 answered probes is 0.017 ms.
  EXPECT_NEAR(m.forward_mean_ms, 20.006, 3 * 0.017);
  EXPECT_NEAR(m.forward_stddev_ms, 2.887, 0.05);
  EXPECT_NEAR(m.rtt_mean_ms, 40.012, 3 * 0.024);
  // Jitter: |IPDV| of the round trip, the difference of two sums of two
  // uniforms: E = 4.66 ms.
  EXPECT_NEAR(m.jitter_ms, 4.66, 0.15);
}

// Jitter is an independent delay per packet, so what is measured does not
// depend on the probe rate: +-50 ms uniform each way has a one-way mean
// |IPDV| of 2/3 * 50 = 33.3 ms and a round-trip one of 14/15 * 50 = 46.7 ms
// (the difference of two sums of two uniforms), and leaves the mean delay
// where it is. The in-order option keeps packets in order and so cannot.
TEST(HarnessTest, JitterMeansWhatItSaysAtAnyProbeRate) {
  for (const int interval_ms : {20, 50, 100}) {
    SCOPED_TRACE(interval_ms);
    const std::string duration = std::to_string(interval_ms * 6) + "s";  // 6000 probes
    const Scenario s = Parse(fmt::format(R"(name: jitter
duration: {}
tunnels:
  a: {{site: x, peer: y}}
links:
  a: {{delay: 100ms, jitter: 50ms}}
probes: {{interval: {}ms}}
)",
                                         duration, interval_ms));
    auto run = RunScenario(s);
    ASSERT_TRUE(run) << run.error().message;
    const Measured m = Measure(run->probes_by_session.at("a"), 0s, s.duration);
    ASSERT_EQ(m.sent, 6000u);
    EXPECT_NEAR(m.forward_jitter_ms, 33.33, 3.33);
    EXPECT_NEAR(m.backward_jitter_ms, 33.33, 3.33);
    EXPECT_NEAR(m.jitter_ms, 46.67, 4.67);
    EXPECT_NEAR(m.forward_mean_ms, 100, 5);
    EXPECT_NEAR(m.backward_mean_ms, 100, 5);
    EXPECT_NEAR(m.rtt_mean_ms, 200, 10);
    // Packets overtake each other, as they do under netem, where the spread
    // of delays (100 ms) is wider than the gap between them.
    const auto& probes = run->probes_by_session.at("a");
    int overtaken = 0;
    for (std::size_t i = 1; i < probes.size(); ++i) {
      const auto arrival = [](const ProbePoint& p) {
        return double(p.sent.count()) / 1e6 + p.forward_ms;
      };
      overtaken +=
          !probes[i].lost && !probes[i - 1].lost && arrival(probes[i]) < arrival(probes[i - 1]);
    }
    if (interval_ms < 100) {
      EXPECT_GT(overtaken, 0);
    }
  }
  // In order: no packet passes another, and at 20 ms probes the wait behind
  // the one before shows as extra delay (the reason it is not the default).
  const Scenario s = Parse(R"(name: in-order
duration: 2m
tunnels:
  a: {site: x, peer: y}
links:
  a: {delay: 100ms, jitter: 50ms, reorder: false}
probes: {interval: 20ms}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  const auto& probes = run->probes_by_session.at("a");
  for (std::size_t i = 1; i < probes.size(); ++i) {
    ASSERT_GE(double(probes[i].sent.count()) / 1e6 + probes[i].forward_ms,
              double(probes[i - 1].sent.count()) / 1e6 + probes[i - 1].forward_ms - 1e-6)
        << i;
  }
  EXPECT_GT(Measure(probes, 0s, s.duration).forward_mean_ms, 110);
}

// Loss, delay and jitter given for one direction appear in that direction
// only, from the start and from a timeline change.
TEST(HarnessTest, OneDirectionsImpairmentsStayInThatDirection) {
  const Scenario s = Parse(R"(name: one-way
duration: 10m
tunnels:
  a: {site: x, peer: y}
links:
  a:
    delay: 20ms
    forward: {loss_percent: 5}
    backward: {delay: 35ms, jitter: 5ms}
    timeline:
      - {at: 5m, backward: {loss_percent: 10}, forward: {loss_percent: 0}}
probes: {interval: 20ms}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  const auto& probes = run->probes_by_session.at("a");
  const Measured before = Measure(probes, 0s, 5min);
  // 15,000 probes: sigma of 5 % is 0.18 points.
  EXPECT_NEAR(before.forward_loss_percent, 5, 3 * 0.18);
  EXPECT_EQ(before.backward_lost, 0u);
  EXPECT_NEAR(before.forward_mean_ms, 20.006, 0.01);
  EXPECT_LT(before.forward_jitter_ms, 0.01);
  // Uniform +-5 ms: sigma 2.887 ms, of the mean over ~14,000 replies 0.025 ms.
  EXPECT_NEAR(before.backward_mean_ms, 35.006, 3 * 0.025);
  EXPECT_NEAR(before.backward_jitter_ms, 3.33, 0.15);
  const Measured after = Measure(probes, 5min, 10min);
  EXPECT_EQ(after.forward_lost, 0u);
  // Of the replies of 15,000 probes: sigma of 10 % is 0.25 points.
  EXPECT_NEAR(after.backward_loss_percent, 10, 3 * 0.25);
}

// A ramp moves linearly from the value in force to the one given: measured
// along its length, every 10 s window's mean delay is the ramp's value at
// the window's middle, and a loss ramp loses its mean.
TEST(HarnessTest, ARampIsMeasuredAlongItsLength) {
  const Scenario s = Parse(R"(name: ramp
duration: 4m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
links:
  a:
    delay: 20ms
    timeline: [{at: 1m, over: 2m, delay: 220ms}]
  b:
    timeline: [{at: 1m, over: 2m, loss_percent: 20}]
probes: {interval: 20ms}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  const auto& probes = run->probes_by_session.at("a");
  EXPECT_NEAR(Measure(probes, 0s, 1min).forward_mean_ms, 20.006, 0.01);
  for (int start = 60; start < 180; start += 10) {
    SCOPED_TRACE(start);
    const Measured m =
        Measure(probes, std::chrono::seconds(start), std::chrono::seconds(start + 10));
    const double middle = (start + 5 - 60) / 120.0;  // share of the ramp done
    EXPECT_NEAR(m.forward_mean_ms, 20.006 + 200 * middle, 0.05);
  }
  // Loss, half by half (3,000 probes each): a mean of 5 % then 15 % each way.
  const auto& lossy = run->probes_by_session.at("b");
  const Measured first = Measure(lossy, 1min, 2min);
  const Measured second = Measure(lossy, 2min, 3min);
  EXPECT_NEAR(first.forward_loss_percent, 5, 3 * 0.40);
  EXPECT_NEAR(second.forward_loss_percent, 15, 3 * 0.65);
  EXPECT_NEAR(Measure(probes, 3min, 4min).forward_mean_ms, 220.006, 0.01);
}

// Cross traffic is counted in wire bits (IP header and framing included),
// Poisson by default. Model: 5.25 Mbit/s offered to a 5 Mbit/s link keeps
// the 200-packet queue at the brim, and an arrival finds it full with
// probability 1 - 5/5.25 = 4.8 % (the overload share); probes lose
// somewhat less (3.6-4.2 % over 8 seeds: service is deterministic, so a
// busy link departs a packet every 1.6 ms, and probes every 20 ms sample
// that cycle at fixed phases, more often just after a departure, when the
// queue has room, than the time average), bound here to
// within 30 % of the model, and wait behind a queue of up to 320 ms
// (200 x 1000 B at 5 Mbit/s). Replies travel the other way and lose nothing.
// At 4.9 Mbit/s (98 % load) the queue overflows only in rare Poisson
// excursions (for a 200-packet M/D/1 queue at that load, a chance of the
// order of e^-8 per arrival): well under 0.1 % is lost. The ratio, not the
// rate, is what matters; a slower link keeps the run cheap under sanitizers.
class OverloadTest : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(OverloadTest, AFivePercentOverloadCostsProbesAboutTheOverloadShare) {
  const Scenario s = Parse(fmt::format(R"(name: overload
duration: 5m
seed: {}
tunnels:
  a: {{site: x, peer: y}}
  b: {{site: x, peer: y}}
links:
  a: {{rate_mbps: 5, delay: 20ms, timeline: [{{at: 10s, cross_mbps: 5.25}}]}}
  b: {{rate_mbps: 5, delay: 20ms, timeline: [{{at: 10s, cross_mbps: 4.9}}]}}
probes: {{interval: 20ms}}
)",
                                       GetParam()));
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  const Measured full = Measure(run->probes_by_session.at("a"), 30s, s.duration);
  EXPECT_NEAR(full.forward_loss_percent, 4.76, 0.3 * 4.76);
  EXPECT_EQ(full.backward_lost, 0u);
  EXPECT_GT(full.forward_mean_ms, 20 + 0.75 * 320);
  EXPECT_LT(full.forward_mean_ms, 20 + 321);
  const Measured busy = Measure(run->probes_by_session.at("b"), 30s, s.duration);
  EXPECT_LT(busy.loss_percent, 0.1);
}

INSTANTIATE_TEST_SUITE_P(Seeds, OverloadTest, ::testing::Values(1u, 2u, 3u));  // by seed

// The queue's discipline decides who waits and who is dropped under the
// same 5 % overload: fq_codel gives the sparse probe flow its own queue
// (nothing lost, next to no wait); CoDel, RED and PIE share one queue but
// keep it short, so probes lose about the overload share (what must be
// dropped) and wait far less than behind a full 320 ms drop-tail queue.
class DisciplineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DisciplineTest, TheQueueDisciplineDecidesWhoWaitsAndWhoIsDropped) {
  const std::string discipline = GetParam();
  const Scenario s = Parse(fmt::format(R"(name: aqm
duration: 3m
tunnels:
  a: {{site: x, peer: y}}
links:
  a:
    rate_mbps: 5
    delay: 20ms
    queue: {{discipline: {}}}
    timeline: [{{at: 10s, cross_mbps: 5.25}}]
probes: {{interval: 20ms}}
)",
                                       discipline));
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_GT(run->queue_drops, 0u);
  const Measured m = Measure(run->probes_by_session.at("a"), 30s, s.duration);
  if (discipline == "fq_codel") {
    EXPECT_EQ(m.forward_lost, 0u);
    EXPECT_LT(m.forward_mean_ms, 25);
  } else {
    EXPECT_NEAR(m.forward_loss_percent, 4.76, 0.5 * 4.76);
    EXPECT_LT(m.forward_mean_ms, 20 + 80);
  }
}

INSTANTIATE_TEST_SUITE_P(Disciplines, DisciplineTest,
                         ::testing::Values<std::string>("fq_codel", "codel", "red", "pie"),
                         Identifier);

// A traffic class's volume rides on the line the controller puts it on, so
// a move can congest its target: 8 Mbit/s of bulk failing over from a to
// the 5 Mbit/s b fills b's queue (its probes wait ~320 ms and lose ~3/8),
// and b is clean again once bulk is back on a. Without the volume, b stays
// at its 30 ms throughout.
TEST(HarnessTest, TrafficFollowsTheControllerSoAMoveCanCongestItsTarget) {
  const std::string base = R"(name: moved-load
duration: 4m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
sla_classes:
  - {name: bulk, window: 50, loss_percent: {enter: 60, exit: 50}}
policy: {min_dwell: 10s, failback_delay: 30s}
traffic_classes:
  - {name: bulk, sla_class: bulk, strategy: priority, preferred: [a, b]}
links:
  a: {rate_mbps: 100, delay: 10ms, timeline: [{at: 1m, outage: true, for: 1m}]}
  b: {rate_mbps: 5, delay: 30ms}
probes: {interval: 100ms}
)";
  auto loaded = RunScenario(Parse(base + "traffic:\n  bulk: {mbps: 8}\n"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_GE(loaded->decisions.size(), 3u);
  EXPECT_EQ(loaded->decisions[1].to, "b");
  EXPECT_EQ(loaded->decisions[2].to, "a");
  const auto& b = loaded->probes_by_session.at("b");
  EXPECT_NEAR(Measure(b, 0s, 1min).forward_mean_ms, 30, 0.5);
  const Measured congested = Measure(b, 1min + 10s, 2min);
  EXPECT_GT(congested.forward_mean_ms, 30 + 0.75 * 320);
  EXPECT_NEAR(congested.forward_loss_percent, 37.5, 10);
  EXPECT_GT(loaded->cross_packets, 0u);
  const Nanos back = loaded->decisions[2].at + 5s;
  EXPECT_NEAR(Measure(b, back, 4min).forward_mean_ms, 30, 0.5);
  EXPECT_EQ(Measure(b, back, 4min).lost, 0u);

  auto unloaded = RunScenario(Parse(base));
  ASSERT_TRUE(unloaded) << unloaded.error().message;
  EXPECT_NEAR(Measure(unloaded->probes_by_session.at("b"), 1min + 10s, 2min).forward_mean_ms, 30,
              0.5);
  EXPECT_EQ(unloaded->cross_packets, 0u);
}

// A figure over a span with no replies is no evidence: the expectation
// fails and says why, whatever its range (it used to pass with 0 ms).
TEST(HarnessTest, AnExpectationOverNoRepliesFails) {
  const Scenario s = Parse(R"(name: dark
duration: 1m
tunnels:
  a: {site: x, peer: y}
links:
  a: {timeline: [{at: 20s, outage: true, for: 20s}]}
probes: {interval: 100ms}
expect:
  - {tunnel: a, rtt_ms: [0, 1000], from: 25s, to: 35s}
  - {tunnel: a, jitter_ms: [0, 1000], from: 25s, to: 35s}
  - {tunnel: a, rtt_ms: [0, 1000], from: 45s, to: 55s}
)");
  auto run = RunScenario(s);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->results.size(), 3u);
  EXPECT_FALSE(run->results[0].passed);
  EXPECT_EQ(run->results[0].detail,
            "nothing to measure: 100 probes sent and 0 answered in [25s, 35s) (a figure needs 1 "
            "reply)");
  EXPECT_FALSE(run->results[1].passed);
  EXPECT_NE(run->results[1].detail.find("a jitter needs 2 replies in a row"), std::string::npos)
      << run->results[1].detail;
  EXPECT_TRUE(run->results[2].passed) << run->results[2].detail;  // after the outage
}

TEST(HarnessTest, GilbertElliottLossComesInBursts) {
  const std::string base = R"(name: bursts
duration: 10m
tunnels:
  a: {site: x, peer: y}
probes: {interval: 20ms}
links:
)";
  // Bursty: 2 % chance to enter, 25 % to leave: 7.4 % of packets each way.
  auto bursty = RunScenario(Parse(base + "  a: {burst: {enter_percent: 2, leave_percent: 25}}\n"));
  // The same loss rate without memory.
  auto random = RunScenario(Parse(base + "  a: {loss_percent: 7.4}\n"));
  ASSERT_TRUE(bursty && random);
  auto runs = [](const std::vector<ProbePoint>& probes) {
    double lost = 0, starts = 0;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      lost += probes[i].lost;
      starts += probes[i].lost && (i == 0 || !probes[i - 1].lost);
    }
    return std::pair{lost / double(probes.size()), lost / starts};
  };
  const auto [bursty_rate, bursty_run] = runs(bursty->probes_by_session.at("a"));
  const auto [random_rate, random_run] = runs(random->probes_by_session.at("a"));
  EXPECT_NEAR(bursty_rate, random_rate, 0.02);  // both about 14.3 % round trip
  EXPECT_GT(bursty_run, 2.5);                   // runs of ~1/0.25 per direction
  EXPECT_LT(random_run, 1.3);                   // independent: 1 / (1 - 0.143)
}

// A session runs as the daemon's do: in runs of a minute of probes, each
// closed with its summary once its last probe's fate is known. With 400 ms
// of round trip, every run's last replies arrive after the next run began;
// each must still reach its own run (none late, none unexpected), and the
// summaries must add up to exactly what the samples say, loss split by
// direction included (the reflector's numbering runs on across runs).
TEST(HarnessTest, SessionsRunInBoundedRunsEachSummarizedInTheLog) {
  const Scenario s = Parse(R"(name: runs
duration: 3m30s
tunnels:
  a: {site: x, peer: y}
links:
  a:
    delay: 200ms
    jitter: 5ms
    forward: {loss_percent: 3}
    backward: {loss_percent: 2}
probes: {interval: 100ms, loss_timeout: 1s}
)");
  testing::TempDir dir;
  auto log = store::OpenRocksLog(dir / "log");
  ASSERT_TRUE(log) << log.error().message;
  RunOptions options;
  options.log = log->get();
  auto run = RunScenario(s, options);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->runs, 4u);  // three of 600 probes, then the last 300

  std::vector<store::RunSummary> summaries;
  std::uint64_t samples = 0, lost = 0;
  std::uint32_t last_sequence = 0;
  bool in_order = true;
  auto read = (*log)->ReadStream("session/a", 0, [&](const store::LogEntry& entry) {
    EXPECT_TRUE(entry.event) << entry.event.error().message;
    if (!entry.event) return false;
    const auto& payload = entry.event->event.payload;
    if (const auto* sample = std::get_if<store::ProbeSample>(&payload)) {
      // In sequence order within a run, from 0 again in the next.
      if (samples > 0 && sample->sequence != 0) in_order &= sample->sequence == last_sequence + 1;
      last_sequence = sample->sequence;
      ++samples;
      lost += sample->lost ? 1 : 0;
    } else if (const auto* summary = std::get_if<store::RunSummary>(&payload)) {
      EXPECT_EQ(summary->sent, samples - std::accumulate(summaries.begin(), summaries.end(), 0u,
                                                         [](std::uint32_t n, const auto& r) {
                                                           return n + r.sent;
                                                         }))
          << "a summary counts the samples logged since the last";
      summaries.push_back(*summary);
    }
    return true;
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_TRUE(in_order);
  ASSERT_EQ(summaries.size(), 4u);
  std::uint64_t sent = 0, received = 0, forward = 0, backward = 0;
  for (std::size_t k = 0; k < summaries.size(); ++k) {
    const auto& r = summaries[k];
    EXPECT_EQ(r.sent, k < 3 ? 600u : run->probes - 1800) << "run " << k;
    EXPECT_EQ(r.late, 0u) << "run " << k;
    EXPECT_EQ(r.lost, r.sent - r.received);
    ASSERT_GE(r.lost_forward, 0);
    EXPECT_EQ(std::uint64_t(r.lost_forward + r.lost_backward), r.lost) << "run " << k;
    if (k > 0) {
      EXPECT_GT(r.started_ns, summaries[k - 1].started_ns);
    }
    EXPECT_GE(r.finished_ns, r.started_ns + 1'000'000'000LL * (r.sent - 1) / 10);
    // The harness's figures of the run's span are the summary's: the
    // expectations measure with the product's arithmetic.
    const Nanos start = s.start.time_since_epoch();
    const Measured m =
        Measure(run->probes_by_session.at("a"), Nanos(r.started_ns) - start,
                k + 1 < summaries.size() ? Nanos(summaries[k + 1].started_ns) - start : s.duration);
    EXPECT_EQ(m.sent, r.sent) << "run " << k;
    EXPECT_EQ(m.lost, r.lost) << "run " << k;
    EXPECT_NEAR(m.rtt_mean_ms, double(r.round_trip.mean_ns) / 1e6, 1e-5) << "run " << k;
    EXPECT_NEAR(m.forward_mean_ms, double(r.forward.mean_ns) / 1e6, 1e-5) << "run " << k;
    EXPECT_NEAR(m.jitter_ms, double(r.round_trip.jitter_ns) / 1e6, 1e-5) << "run " << k;
    EXPECT_NEAR(m.backward_jitter_ms, double(r.backward.jitter_ns) / 1e6, 1e-5) << "run " << k;
    EXPECT_GT(m.jitter_ms, 1.0);
    sent += r.sent;
    received += r.received;
    forward += std::uint64_t(r.lost_forward);
    backward += std::uint64_t(r.lost_backward);
  }
  EXPECT_EQ(sent, samples);
  EXPECT_EQ(sent, run->probes);
  EXPECT_EQ(sent - received, lost);
  // 2,100 probes: 3 % of them lost on the way out (sigma 0.37 points), 2 %
  // of the rest on the way back (sigma 0.31).
  EXPECT_NEAR(100.0 * double(forward) / double(sent), 3, 3 * 0.37);
  EXPECT_NEAR(100.0 * double(backward) / double(sent - forward), 2, 3 * 0.31);

  // Without loss every reply counts, those that cross into the next run too.
  const Scenario clean = Parse(R"(name: runs
duration: 2m30s
tunnels:
  a: {site: x, peer: y}
links:
  a: {delay: 200ms}
probes: {interval: 100ms, loss_timeout: 1s}
)");
  auto clean_run = RunScenario(clean);
  ASSERT_TRUE(clean_run) << clean_run.error().message;
  EXPECT_EQ(clean_run->runs, 3u);
  const auto& probes = clean_run->probes_by_session.at("a");
  EXPECT_EQ(probes.size(), clean_run->probes);
  EXPECT_EQ(std::count_if(probes.begin(), probes.end(), [](const auto& p) { return p.lost; }), 0);
}

TEST(HarnessTest, TheLogItWritesReplaysToTheSameDecisionsAndReports) {
  auto scenario = LoadScenario(std::string(LINEUP_SCENARIOS) + "/blackout-failover.yaml");
  ASSERT_TRUE(scenario) << scenario.error().message;
  testing::TempDir dir;
  {
    auto log = store::OpenRocksLog(dir / "log");
    ASSERT_TRUE(log) << log.error().message;
    RunOptions options;
    options.log = log->get();
    auto run = RunScenario(*scenario, options);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ((*log)->head(), run->events);
    ASSERT_GE(run->decisions.size(), 3u);

    auto replay = autoflow::Replay(**log, std::nullopt);
    ASSERT_TRUE(replay) << replay.error().message;
    EXPECT_TRUE(replay->identical);
    EXPECT_EQ(replay->replayed.decisions.size(), run->decisions.size());

    analyzer::ReportOptions ro;
    ro.from = scenario->start;
    ro.to = scenario->start + scenario->duration;
    auto report = analyzer::BuildReport(**log, scenario->config.analysis, ro);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->tunnels.size(), 2u);
    EXPECT_EQ(report->switches.size(), run->decisions.size());

    // A log that is not empty is refused.
    auto again = RunScenario(*scenario, options);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("must start empty"), std::string::npos);
  }
}

}  // namespace
}  // namespace lineup::sim
