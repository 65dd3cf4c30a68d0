#include "autoflow/controller.h"

#include <gtest/gtest.h>

#include "store/codec.h"
#include "tests/autoflow/stream.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;
using testing::Config;
using testing::Stream;

const std::string kBest = "  - {name: voice, sla_class: voice, strategy: best}\n";

TEST(ControllerTest, FirstDecisionIsTheBestCompliantLine) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"inet", 0.7, true}, {"mpls", 0.9, true}, {"lte", 0.95, false}});
  ASSERT_EQ(s.Switches().size(), 1u);
  EXPECT_EQ(s.Switches()[0]->from, "");
  EXPECT_EQ(s.Switches()[0]->to, "mpls");
  EXPECT_EQ(s.Switches()[0]->rule, "initial");
  EXPECT_EQ(s.decisions()[0].stream, "traffic/voice");
  EXPECT_EQ(s.decisions()[0].event_id, "autoflow/0/0");
}

TEST(ControllerTest, TheFirstDecisionWaitsForEveryLineOrTheInitialWait) {
  const std::string policy =
      "{min_dwell: 30s, failback_delay: 2m, max_switches: 4, switch_period: 10m, initial_wait: 5s}";
  {  // every line judged before the wait is over: decided then, on the best
    Stream s(Config(kBest, policy));
    s.Ranking("voice", {{"inet", 0.7, true}});
    s.At(1s);
    EXPECT_TRUE(s.Switches().empty());  // mpls and lte have no verdict yet
    s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
    EXPECT_TRUE(s.Switches().empty());
    s.At(2s);
    s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}, {"lte", 0.5, true}});
    ASSERT_EQ(s.Switches().size(), 1u);
    EXPECT_EQ(s.Switches()[0]->to, "mpls");
    EXPECT_EQ(s.decisions()[0].time, testing::kT0 + 2s);
  }
  {  // a line that never gets a verdict holds the start back no longer than the wait
    Stream s(Config(kBest, policy));
    s.Ranking("voice", {{"inet", 0.7, true}});
    s.At(4s);
    EXPECT_TRUE(s.Switches().empty());
    s.At(6s);
    ASSERT_EQ(s.Switches().size(), 1u);
    EXPECT_EQ(s.Switches()[0]->to, "inet");
    EXPECT_EQ(s.Switches()[0]->rule, "initial");
    EXPECT_EQ(s.decisions()[0].time, testing::kT0 + 5s);  // the first event past the wait
  }
}

TEST(ControllerTest, BrownoutMovesAtOnceWhateverTheDwell) {
  // Safety first: the dwell restrains optional moves only.
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
  s.At(10s);
  s.Violated("mpls", "voice", "round_trip_p95");
  ASSERT_EQ(s.Switches().size(), 2u);
  const auto& sw = *s.Switches()[1];
  EXPECT_EQ(sw.from, "mpls");
  EXPECT_EQ(sw.to, "inet");
  EXPECT_EQ(sw.rule, "brownout");
  EXPECT_NE(sw.reason.find("mpls score 0.900, violated: round_trip_p95 5.000 over 1"),
            std::string::npos)
      << sw.reason;
  EXPECT_NE(sw.reason.find("inet score 0.700, compliant"), std::string::npos) << sw.reason;
  EXPECT_EQ(s.decisions()[1].time, testing::kT0 + 10s);
}

TEST(ControllerTest, BlackoutMovesAtOnceWhateverTheDwell) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
  s.At(2s);
  s.Down("mpls");
  ASSERT_EQ(s.Switches().size(), 2u);
  EXPECT_EQ(s.Switches()[1]->rule, "blackout");
  EXPECT_EQ(s.Switches()[1]->to, "inet");
  EXPECT_NE(s.Switches()[1]->reason.find("mpls down"), std::string::npos);
  EXPECT_EQ(s.decisions()[1].time, testing::kT0 + 2s);
}

TEST(ControllerTest, FailbackOnlyAfterTheDampeningDelay) {
  // Flap damping off: this is the failback delay alone (damping has its own tests).
  Stream s(Config("  - {name: voice, strategy: priority, preferred: [mpls, inet]}\n",
                  "{min_dwell: 30s, failback_delay: 2m, max_switches: 4, switch_period: 10m, "
                  "initial_wait: 0s, damping: {enabled: false}}"));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
  s.At(40s);
  s.Violated("mpls", "voice");
  ASSERT_EQ(s.Using("voice"), "inet");
  s.At(60s);
  s.Recovered("mpls", "voice");
  s.At(60s + 2min - 1s);
  EXPECT_EQ(s.Using("voice"), "inet");  // mpls must stay clean for 2 minutes
  s.At(60s + 2min + 1s);
  EXPECT_EQ(s.Using("voice"), "mpls");
  EXPECT_EQ(s.Switches().back()->rule, "preferred");
  EXPECT_EQ(s.decisions().back().time, testing::kT0 + 60s + 2min);
  // A violation during the delay restarts it.
  s.At(4min);
  s.Violated("mpls", "voice");
  s.At(5min);
  s.Recovered("mpls", "voice");
  s.At(6min);
  s.Violated("mpls", "voice");  // mpls is not in use: nothing to do
  s.Recovered("mpls", "voice");
  s.At(7min + 59s);
  EXPECT_EQ(s.Using("voice"), "inet");
  s.At(8min + 1s);
  EXPECT_EQ(s.Using("voice"), "mpls");
}

TEST(ControllerTest, NoMoveWithinTheDwellOrForASmallImprovement) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.80, true}, {"inet", 0.70, true}});
  s.At(5s);
  s.Ranking("voice", {{"inet", 0.95, true}, {"mpls", 0.80, true}});  // +19 %, but dwell
  EXPECT_EQ(s.Using("voice"), "mpls");
  s.At(31s);
  EXPECT_EQ(s.Using("voice"), "inet");
  EXPECT_EQ(s.Switches().back()->rule, "better");
  EXPECT_NE(s.Switches().back()->reason.find("(score +0.150 beyond noise, 0.080 needed)"),
            std::string::npos)
      << s.Switches().back()->reason;
  s.At(2min);
  s.Ranking("voice", {{"mpls", 1.0, true}, {"inet", 0.95, true}});  // +5 %: stays
  s.At(5min);
  EXPECT_EQ(s.Using("voice"), "inet");
}

TEST(ControllerTest, AMetricHoveringAroundItsThresholdDoesNotFlap) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.85, true}});
  // mpls toggles every 5 s for 20 minutes; inet holds.
  for (int i = 1; i <= 240; ++i) {
    s.At(5s * i);
    if (i % 2) {
      s.Violated("mpls", "voice");
    } else {
      s.Recovered("mpls", "voice");
    }
  }
  // One move away; never back, since mpls is never clean for 2 minutes.
  EXPECT_EQ(s.Switches().size(), 2u);
  EXPECT_EQ(s.Using("voice"), "inet");
}

TEST(ControllerTest, TheSwitchCapHoldsMovesBack) {
  Stream s(Config(kBest,
                  "{min_dwell: 1s, failback_delay: 1s, max_switches: 2, switch_period: 10m, "
                  "initial_wait: 0s}"));
  s.Ranking("voice", {{"mpls", 0.5, true}, {"inet", 0.4, true}});
  for (int i = 1; i <= 10; ++i) {  // the better line alternates every 10 s
    s.At(10s * i);
    if (i % 2) {
      s.Ranking("voice", {{"inet", 0.9, true}, {"mpls", 0.5, true}});
    } else {
      s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.5, true}});
    }
  }
  EXPECT_EQ(s.Switches().size(), 1u + 2u);  // the first decision, then the cap of 2 in 10 minutes
  s.At(10min + 10s);
  s.Ranking("voice", {{"lte", 2.0, true}, {"mpls", 0.9, true}, {"inet", 0.5, true}});
  EXPECT_EQ(s.Switches().size(), 4u);  // the period has passed
}

TEST(ControllerTest, LoadBalanceWeightsFollowScores) {
  Stream s(Config("  - {name: voice, strategy: load_balance, tunnels: [mpls, inet]}\n"));
  s.Ranking("voice", {{"mpls", 0.6, true}, {"inet", 0.2, true}, {"lte", 0.9, true}});
  ASSERT_EQ(s.Switches().size(), 1u);
  const auto& lb = *s.Switches()[0];
  EXPECT_EQ(lb.to, "inet+mpls");  // lte is not allowed
  ASSERT_EQ(lb.weights.size(), 2u);
  EXPECT_EQ(lb.weights[0].tunnel, "inet");
  EXPECT_DOUBLE_EQ(lb.weights[0].weight, 0.25);
  EXPECT_DOUBLE_EQ(lb.weights[1].weight, 0.75);
  s.At(40s);
  s.Violated("inet", "voice");
  ASSERT_EQ(s.Switches().size(), 2u);
  EXPECT_EQ(s.Switches()[1]->to, "mpls");
  EXPECT_EQ(s.Switches()[1]->rule, "brownout");
  EXPECT_DOUBLE_EQ(s.Switches()[1]->weights[0].weight, 1.0);
}

TEST(ControllerTest, BestOfWorstWhenNoLineIsCompliant) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.3, false}, {"inet", 0.1, false}});
  ASSERT_EQ(s.Switches().size(), 1u);
  EXPECT_EQ(s.Switches()[0]->to, "mpls");
  EXPECT_EQ(s.Switches()[0]->rule, "initial_best_of_worst");
  s.At(1min);
  s.Ranking("voice", {{"inet", 0.6, false}, {"mpls", 0.3, false}});
  EXPECT_EQ(s.Using("voice"), "inet");
  EXPECT_EQ(s.Switches().back()->rule, "best_of_worst");
  s.At(2min);
  s.Down("inet");
  EXPECT_EQ(s.Using("voice"), "mpls");  // the least bad line that is up
  EXPECT_EQ(s.Switches().back()->rule, "blackout");
  s.Down("mpls");
  EXPECT_EQ(s.Using("voice"), "mpls");  // nothing is up: no move to nowhere
  Stream off(Config("  - {name: voice, best_of_worst: false}\n"));
  off.Ranking("voice", {{"mpls", 0.3, false}});
  EXPECT_TRUE(off.Switches().empty());
}

TEST(ControllerTest, AHubPathWhenTheDirectTunnelFails) {
  Stream s(R"(hubs: [hub-a, hub-b]
tunnels:
  direct: {site: paris, peer: berlin}
  paris-a: {site: paris, peer: hub-a}
  berlin-a: {site: berlin, peer: hub-a}
  paris-b: {site: paris, peer: hub-b}
  berlin-b: {site: berlin, peer: hub-b}
sla_classes:
  - {name: voice, latency_ms: {enter: 150, exit: 120}, loss_percent: {enter: 2, exit: 1}}
policy: {min_dwell: 30s, failback_delay: 2m, initial_wait: 0s}
traffic_classes:
  - {name: to-berlin, sla_class: voice, source: paris, destination: berlin}
)");
  s.Ranking("voice",
            {{"direct", 0.9, true},
             {"paris-a", 0.8, true},
             {"berlin-a", 0.8, true},
             {"paris-b", 0.7, true},
             {"berlin-b", 0.7, true}},
            {{20, 1, 0}, {30, 2, 1.5}, {40, 3, 0}, {50, 1, 0}, {60, 1, 0}});
  ASSERT_EQ(s.Using("to-berlin"), "direct");
  s.At(5s);
  s.Down("direct");
  ASSERT_EQ(s.Switches().size(), 2u);
  const auto& via = *s.Switches()[1];
  EXPECT_EQ(via.rule, "blackout");
  EXPECT_EQ(via.to, "paris-a>berlin-a");  // 70 ms, 1.5 % loss: within the limits
  EXPECT_EQ(via.path, (std::vector<std::string>{"paris-a", "berlin-a"}));
  EXPECT_NE(via.reason.find("via paris > hub-a > berlin: 70.000 ms, loss 1.500 %"),
            std::string::npos)
      << via.reason;
  // hub-a's lines get lossy: the path breaks the loss limit, so through hub-b.
  s.At(60s);
  s.Ranking("voice",
            {{"paris-a", 0.5, true},
             {"berlin-a", 0.5, true},
             {"paris-b", 0.7, true},
             {"berlin-b", 0.7, true},
             {"direct", -1000, false}},
            {{30, 2, 1.5}, {40, 3, 1.5}, {50, 1, 0}, {60, 1, 0}, {0, 0, 100}});
  EXPECT_EQ(s.Using("to-berlin"), "paris-b>berlin-b");
  EXPECT_EQ(s.Switches().back()->rule, "brownout");
  // The direct tunnel comes back: used again once the dwell allows.
  s.At(70s);
  s.Up("direct");
  s.Ranking("voice",
            {{"direct", 0.9, true},
             {"paris-a", 0.5, true},
             {"berlin-a", 0.5, true},
             {"paris-b", 0.7, true},
             {"berlin-b", 0.7, true}},
            {{20, 1, 0}, {30, 2, 1.5}, {40, 3, 1.5}, {50, 1, 0}, {60, 1, 0}});
  EXPECT_EQ(s.Using("to-berlin"), "paris-b>berlin-b");
  s.At(95s);
  EXPECT_EQ(s.Using("to-berlin"), "direct");
  EXPECT_EQ(s.Switches().back()->rule, "direct");
}

TEST(ControllerTest, ReplayGivesTheSameDecisionsByteForByte) {
  Stream s(
      Config(kBest +
             "  - {name: video, sla_class: voice, strategy: priority, preferred: [inet, mpls]}\n"));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.8, true}});
  for (int i = 1; i < 60; ++i) {
    s.At(17s * i);
    if (i % 7 == 0) s.Violated(i % 2 ? "mpls" : "inet", "voice");
    if (i % 7 == 3) s.Recovered(i % 2 ? "inet" : "mpls", "voice");
    if (i % 11 == 0) s.Down("inet");
    if (i % 11 == 2) s.Up("inet");
    if (i % 5 == 0) s.Ranking("voice", {{"mpls", 0.5 + 0.01 * i, true}, {"inet", 0.8, true}});
  }
  ASSERT_GT(s.decisions().size(), 5u);
  Controller again(*s.controller().policy());
  std::vector<store::Event> out;
  for (const auto& in : s.inputs()) again.Apply(in, out);
  ASSERT_EQ(out.size(), s.decisions().size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::string a, b;
    store::EncodeRecord(out[i], 0, a);
    store::EncodeRecord(s.decisions()[i], 0, b);
    EXPECT_EQ(a, b) << i;
  }
}

TEST(ControllerTest, ThePolicyComesFromTheLogAndABadOneIsKeptOut) {
  Controller c;
  std::vector<store::Event> out;
  auto feed = [&, position = std::uint64_t{0}](store::Payload p) mutable {
    store::RecordedEvent r;
    r.position = position++;
    r.event = store::Event{testing::kT0, "x", std::move(p), {}, {}};
    c.Apply(r, out);
  };
  feed(store::RankingChanged{"voice", {{"mpls", 0.9, true}}, {}, {}});
  EXPECT_TRUE(out.empty());  // no policy yet
  feed(store::PolicyChanged{"lineup.yaml", Config(kBest), {}});
  ASSERT_TRUE(c.policy());
  feed(store::RankingChanged{"voice", {{"mpls", 0.9, true}}, {}, {}});
  ASSERT_EQ(out.size(), 1u);
  feed(store::PolicyChanged{
      "broken.yaml", "traffic_classes: [{name: voice, strategy: fastest}]", {}});
  EXPECT_EQ(c.rejected_policies(), 1u);
  EXPECT_EQ(c.policy()->classes[0].strategy, Strategy::kBest);
  EXPECT_EQ(c.Current("voice")->to, "mpls");  // a new policy keeps the line in use
}

// What a good controller does, written before running it:
// - a violated line is left at once even when the cap is used up, and the
//   move is counted;
TEST(ControllerTest, TheCapNeverPinsAClassOnAViolatedLine) {
  Stream s(Config(kBest,
                  "{min_dwell: 30s, failback_delay: 30s, max_switches: 1, switch_period: 1h, "
                  "initial_wait: 0s}"));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}, {"lte", 0.5, true}});
  s.At(10s);
  s.Down("mpls");  // an escape: counted, and the cap is now used up
  EXPECT_EQ(s.Using("voice"), "inet");
  s.At(20s);
  s.Violated("inet", "voice");  // still left at once
  EXPECT_EQ(s.Using("voice"), "lte");
  EXPECT_EQ(s.Switches().back()->rule, "brownout");
  s.At(2min);
  s.Up("mpls");
  s.Ranking("voice", {{"mpls", 0.9, true}, {"lte", 0.5, true}, {"inet", 0.1, false}});
  s.At(10min);
  EXPECT_EQ(s.Using("voice"), "lte");  // an optional move waits for the cap's period
  s.At(61min);
  EXPECT_EQ(s.Using("voice"), "mpls");
}

// - a second failure during the dwell of a failover is left at once too;
TEST(ControllerTest, TheDwellNeverHoldsAClassOnAViolatedLine) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}, {"lte", 0.5, true}});
  s.At(10s);
  s.Down("mpls");
  s.At(20s);
  s.Violated("inet", "voice");
  EXPECT_EQ(s.Using("voice"), "lte");
  EXPECT_EQ(s.decisions().back().time, testing::kT0 + 20s);
}

// - a line that only just recovered (failback delay) is still better than a
//   violated one, and is escaped to when nothing else is there;
TEST(ControllerTest, AnEscapeMayUseALineInItsFailbackDelay) {
  Stream s(Config("  - {name: voice, tunnels: [mpls, inet]}\n"));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
  s.At(10s);
  s.Violated("mpls", "voice");
  EXPECT_EQ(s.Using("voice"), "inet");
  s.At(20s);
  s.Recovered("mpls", "voice");
  s.At(30s);
  s.Violated("inet", "voice");
  EXPECT_EQ(s.Using("voice"), "mpls");
  EXPECT_EQ(s.Switches().back()->rule, "brownout");
}

// - with every line out of SLA, the least bad line, and no swapping between
//   lines the measurements cannot tell apart;
TEST(ControllerTest, BestOfWorstFollowsSeverityNotNoise) {
  Stream s(Config(kBest));
  // 19 % loss against 1.6 %: the evidence separates them.
  s.Ranking("voice", {{"inet", -0.6, false}, {"mpls", -18, false}}, {{20, 1, 1.6}, {20, 1, 19}},
            {{0.3, 7.9, -0.6, 100, false}, {11.5, 29.5, -18, 100, false}});
  EXPECT_EQ(s.Using("voice"), "inet");
  s.At(1min);
  s.Ranking("voice", {{"mpls", -0.5, false}, {"inet", -1.2, false}}, {{20, 1, 1.5}, {20, 1, 2.2}},
            {{0.3, 7.9, -0.5, 100, false}, {0.5, 9.1, -1.2, 100, false}});
  EXPECT_EQ(s.Using("voice"), "inet");  // 1.5 % and 2.2 % over 100 probes: noise
  s.At(2min);
  s.Ranking("voice", {{"mpls", -0.5, false}, {"inet", -15, false}}, {{20, 1, 1.5}, {20, 1, 16}},
            {{0.3, 7.9, -0.5, 100, false}, {9.2, 26.2, -15, 100, false}});
  EXPECT_EQ(s.Using("voice"), "mpls");  // inet got far worse: clearly
  EXPECT_EQ(s.Switches().back()->rule, "best_of_worst");
  EXPECT_EQ(s.Switches().size(), 2u);
}

// - three compliant lines a millisecond apart near the limit are never swapped;
TEST(ControllerTest, LinesNoiseCannotTellApartAreNotSwapped) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.067, true}, {"inet", 0.060, true}, {"lte", 0.053, true}});
  for (int i = 1; i <= 20; ++i) {
    s.At(30s * i);
    const double a = 0.060 + 0.007 * (i % 3), b = 0.060 + 0.007 * ((i + 1) % 3);
    s.Ranking(
        "voice",
        {{"inet", std::max(a, b), true}, {"lte", std::min(a, b), true}, {"mpls", 0.053, true}});
  }
  EXPECT_EQ(s.Switches().size(), 1u);
}

// - a line that keeps failing gets the traffic back at most twice an hour.
TEST(ControllerTest, ALineThatKeepsFailingIsSuppressed) {
  Stream s(Config("  - {name: voice, strategy: priority, preferred: [mpls, inet]}\n",
                  "{min_dwell: 10s, failback_delay: 30s, max_switches: 100, switch_period: 1h, "
                  "initial_wait: 0s}"));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}});
  for (int k = 0; k < 30; ++k) {  // dark 30 s every 2 minutes for an hour
    s.At(2min * k + 60s);
    s.Down("mpls");
    s.At(2min * k + 90s);
    s.Up("mpls");
  }
  s.At(61min);
  int back = 0;
  for (const auto* sw : s.Switches()) back += sw->to == "mpls" && sw->from == "inet";
  EXPECT_LE(back, 2);
  bool suppressed = false;
  for (const auto& d : s.controller().DampingStates(testing::kT0 + 61min)) {
    if (d.tunnel == "mpls") suppressed = d.suppressed;
  }
  EXPECT_TRUE(suppressed);
  EXPECT_NE(s.Switches().back()->reason.find("flap penalty"), std::string::npos)
      << s.Switches().back()->reason;
}

// - an over-budget detour through a hub beats a dead direct tunnel.
TEST(ControllerTest, AnOverBudgetDetourBeatsADeadDirectTunnel) {
  Stream s(R"(hubs: [hub]
tunnels:
  direct: {site: paris, peer: berlin}
  paris-hub: {site: paris, peer: hub}
  berlin-hub: {site: berlin, peer: hub}
sla_classes:
  - {name: voice, latency_ms: {enter: 150, exit: 120}}
policy: {initial_wait: 0s}
traffic_classes:
  - {name: to-berlin, sla_class: voice, source: paris, destination: berlin}
)");
  s.Ranking("voice", {{"direct", 0.9, true}, {"paris-hub", 0.5, true}, {"berlin-hub", 0.5, true}},
            {{20, 1, 0}, {80, 1, 0}, {80, 1, 0}});
  ASSERT_EQ(s.Using("to-berlin"), "direct");
  s.At(5s);
  s.Down("direct");
  EXPECT_EQ(s.Using("to-berlin"),
            "paris-hub>berlin-hub");  // 160 ms over 150, but it carries packets
  EXPECT_NE(s.Switches().back()->reason.find("least bad detour"), std::string::npos);
}

// - an unknown line is left and never chosen; a line gone from the ranking
//   (its sessions deleted) is never chosen.
TEST(ControllerTest, UnknownAndRemovedLinesAreNeverTargets) {
  Stream s(Config(kBest));
  s.Ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}, {"lte", 0.5, true}});
  s.At(10s);
  s.Ranking("voice", {{"inet", 0.7, true}, {"lte", 0.5, true}});  // mpls deleted
  EXPECT_EQ(s.Using("voice"), "inet");
  s.At(20s);
  store::SlaViolated v;
  v.tunnel = "inet";
  v.sla_class = "voice";
  v.metric = "unknown";
  s.Feed(v, "tunnel/inet");
  EXPECT_EQ(s.Using("voice"), "lte");
  EXPECT_EQ(s.Switches().back()->rule, "unknown");  // what it was: no measurement, not loss
  s.Ranking("voice", {{"lte", 0.5, true}, {"inet", 0.95, false}}, {},
            {{0, 5, 0, 0, false}, {0, 100, 0, 0, true}});
  s.At(5min);
  EXPECT_EQ(s.Using("voice"), "lte");
}

}  // namespace
}  // namespace lineup::autoflow
