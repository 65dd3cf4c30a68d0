// Scenario files: what a user writes wrong gets the file, line and field.
#include "sim/scenario.h"

#include <gtest/gtest.h>

namespace lineup::sim {
namespace {

using namespace std::chrono_literals;

const std::string kBase = R"(name: t
duration: 2m
tunnels:
  a: {site: paris, peer: hub}
  b: {site: paris, peer: hub}
traffic_classes:
  - {name: voice, sla_class: voice}
)";

std::string ErrorOf(const std::string& extra) {
  auto s = ParseScenario(kBase + extra, "t.yaml");
  return s ? "" : s.error().message;
}

TEST(ScenarioTest, ReadsLinksTimelinesProbesAndExpectations) {
  auto s = ParseScenario(kBase + R"(links:
  a:
    rate_mbps: 10
    delay: 20ms
    jitter: 2ms
    loss_percent: 1
    burst: {enter_percent: 2, leave_percent: 25, loss_in_bad_percent: 80}
    timeline:
      - {at: 30s, outage: true, for: 10s}
      - {at: 1m, delay: 50ms, cross_mbps: 5}
probes: {interval: 50ms, padding: 100, dscp: ef, tunnels: [a], loss_timeout: 300ms}
expect:
  - {traffic_class: voice, on: b, at: 35s, after: 30s}
  - {traffic_class: voice, max_switches: 1, from: 10s}
  - {tunnel: a, forward_loss_percent: [0.5, 1.5], to: 30s}
  - {tunnel: a, down: true, from: 30s, to: 31s}
)",
                         "t.yaml");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->duration, 2min);
  ASSERT_EQ(s->network.links.size(), 2u);
  const auto& a = s->network.links[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.a, "paris");
  EXPECT_EQ(a.b, "hub");
  for (const auto* d : {&a.forward, &a.backward}) {
    EXPECT_EQ(d->delay_ns, 20'000'000);
    EXPECT_DOUBLE_EQ(d->loss, 0.01);
    EXPECT_DOUBLE_EQ(d->to_bad, 0.02);
    EXPECT_DOUBLE_EQ(d->to_good, 0.25);
    EXPECT_DOUBLE_EQ(d->loss_bad, 0.8);
  }
  EXPECT_TRUE(a.reorder);  // jitter reorders, as netem does
  EXPECT_EQ(a.queue, net::QueueDiscipline::kDropTail);
  EXPECT_EQ(a.cross_pattern, net::CrossPattern::kPoisson);
  EXPECT_EQ(s->network.links[1].forward.delay_ns, 10'000'000);  // b: the defaults
  // The outage, its end restoring loss and bursts as they were, the change.
  ASSERT_EQ(s->network.changes.size(), 3u);
  EXPECT_EQ(s->network.changes[0].at_ns, 30'000'000'000);
  EXPECT_DOUBLE_EQ(s->network.changes[0].forward.loss, 1);
  EXPECT_DOUBLE_EQ(s->network.changes[0].backward.loss, 1);
  EXPECT_DOUBLE_EQ(s->network.changes[0].forward.to_bad, 0);
  EXPECT_EQ(s->network.changes[1].at_ns, 40'000'000'000);
  EXPECT_DOUBLE_EQ(s->network.changes[1].forward.loss, 0.01);
  EXPECT_DOUBLE_EQ(s->network.changes[1].backward.to_bad, 0.02);
  EXPECT_EQ(s->network.changes[1].forward.delay_ns, -1);  // untouched
  EXPECT_EQ(s->network.changes[2].forward.delay_ns, 50'000'000);
  EXPECT_EQ(s->network.changes[2].backward.delay_ns, 50'000'000);
  EXPECT_EQ(s->network.changes[2].ramp_ns, 0);
  EXPECT_EQ(s->probe_interval, 50ms);
  EXPECT_EQ(s->loss_timeout, 300ms);
  EXPECT_EQ(s->dscp, 46);
  EXPECT_EQ(s->probed, std::vector<std::string>{"a"});
  ASSERT_EQ(s->expectations.size(), 4u);
  EXPECT_EQ(s->expectations[0].kind, Expectation::kOn);
  EXPECT_EQ(s->expectations[0].after, 30s);
  EXPECT_EQ(s->expectations[0].text, "t.yaml:20");
  EXPECT_EQ(s->expectations[1].to, 2min);  // the end by default
  EXPECT_EQ(s->expectations[2].kind, Expectation::kForwardLoss);
  EXPECT_DOUBLE_EQ(s->expectations[2].high, 1.5);
  // The policy part is kept as text, for the log.
  EXPECT_NE(s->config.text.find("traffic_classes"), std::string::npos);
  EXPECT_EQ(s->config.text.find("links"), std::string::npos);
}

// One direction, a ramp, the queue and the cross traffic's shape.
TEST(ScenarioTest, ReadsDirectionsRampsQueuesAndCrossTraffic) {
  auto s = ParseScenario(kBase + R"(links:
  a:
    delay: 20ms
    forward: {loss_percent: 3, jitter: 4ms}
    backward: {delay: 30ms}
    reorder: false
    queue: {discipline: fq_codel, packets: 50}
    cross: {pattern: on_off, packet_bytes: 1500, on: 200ms, off: 800ms}
    timeline:
      - {at: 30s, over: 1m, delay: 120ms, backward: {loss_percent: 2}}
      - {at: 1m30s, forward: {loss_percent: 0}, cross_mbps: 8, for: 10s}
)",
                         "t.yaml");
  ASSERT_TRUE(s) << s.error().message;
  const auto& a = s->network.links[0];
  EXPECT_EQ(a.forward.delay_ns, 20'000'000);
  EXPECT_EQ(a.backward.delay_ns, 30'000'000);
  EXPECT_DOUBLE_EQ(a.forward.loss, 0.03);
  EXPECT_DOUBLE_EQ(a.backward.loss, 0);
  EXPECT_EQ(a.forward.jitter_ns, 4'000'000);
  EXPECT_EQ(a.backward.jitter_ns, 0);
  EXPECT_FALSE(a.reorder);
  EXPECT_EQ(a.queue, net::QueueDiscipline::kFqCoDel);
  EXPECT_EQ(a.queue_packets, 50u);
  EXPECT_EQ(a.cross_pattern, net::CrossPattern::kOnOff);
  EXPECT_EQ(a.cross_packet_bytes, 1500u);
  EXPECT_EQ(a.cross_on_ns, 200'000'000);
  EXPECT_EQ(a.cross_off_ns, 800'000'000);
  ASSERT_EQ(s->network.changes.size(), 3u);
  const auto& ramp = s->network.changes[0];
  EXPECT_EQ(ramp.ramp_ns, 60'000'000'000);
  EXPECT_EQ(ramp.forward.delay_ns, 120'000'000);
  EXPECT_EQ(ramp.backward.delay_ns, 120'000'000);
  EXPECT_DOUBLE_EQ(ramp.backward.loss, 0.02);
  EXPECT_DOUBLE_EQ(ramp.forward.loss, -1);  // untouched
  // The end of the `for` restores the forward loss and the cross rate only.
  const auto& restore = s->network.changes[2];
  EXPECT_EQ(restore.at_ns, 100'000'000'000);
  EXPECT_DOUBLE_EQ(restore.forward.loss, 0.03);
  EXPECT_DOUBLE_EQ(restore.backward.loss, -1);
  EXPECT_DOUBLE_EQ(restore.cross_mbps, 0);
}

TEST(ScenarioTest, MistakesNameTheFileLineAndField) {
  EXPECT_EQ(ErrorOf("links:\n  a: {delay: 20ms, colour: red}\n"),
            "t.yaml:9:20: links.a.colour: unknown key (known here: backward, burst, cross, delay, "
            "forward, jitter, loss_percent, queue, rate_mbps, reorder, timeline)");
  EXPECT_EQ(ErrorOf("links:\n  c: {delay: 20ms}\n"),
            "t.yaml:9:6: links.c: 'c' is no tunnel of the scenario (tunnels: a, b)");
  EXPECT_EQ(ErrorOf("links:\n  a: {loss_percent: 150}\n"),
            "t.yaml:9:21: links.a.loss_percent: 150 is out of range: use 0 to 100");
  EXPECT_EQ(ErrorOf("links:\n  a: {timeline: [{at: 5m, delay: 1s}]}\n"),
            "t.yaml:9:23: links.a.timeline[0].at: is after the end of the scenario (duration)");
  EXPECT_EQ(
      ErrorOf(
          "links:\n  a: {timeline: [{at: 30s, outage: true, for: 20s}, {at: 40s, delay: 1s}]}\n"),
      "t.yaml:9:58: links.a.timeline[1].at: falls inside the previous change, which lasts "
      "until 50s: start later or shorten its 'for' or 'over'");
  // Ramps: within the scenario, not cut short by their `for`, and nothing
  // else on the link while they run.
  EXPECT_EQ(ErrorOf("links:\n  a: {timeline: [{at: 1m30s, over: 1m, delay: 1s}]}\n"),
            "t.yaml:9:36: links.a.timeline[0].over: the ramp would end at 150s, after the end of "
            "the scenario (2m)");
  EXPECT_EQ(ErrorOf("links:\n  a: {timeline: [{at: 10s, over: 1m, delay: 1s, for: 30s}]}\n"),
            "t.yaml:9:54: links.a.timeline[0].for: is shorter than the ramp ('over'): the values "
            "would go back mid-ramp");
  EXPECT_NE(ErrorOf("links:\n  a: {timeline: [{at: 10s, over: 1m, delay: 1s}, {at: 30s, delay: "
                    "2s}]}\n")
                .find("lasts until 70s"),
            std::string::npos);
  EXPECT_NE(ErrorOf("links:\n  a: {queue: {discipline: sfq}}\n").find("links.a.queue.discipline"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("links:\n  a: {cross: {pattern: constant, on: 1s}}\n"),
            "t.yaml:9:38: links.a.cross.on: only the on_off pattern has on and off periods");
  EXPECT_NE(ErrorOf("links:\n  a: {forward: {loss: 5}}\n").find("links.a.forward.loss"),
            std::string::npos);
  // A class's volume: a traffic class of the scenario, in Mbit/s.
  EXPECT_EQ(ErrorOf("traffic:\n  bulk: {mbps: 8}\n"),
            "t.yaml:9:9: traffic.bulk: 'bulk' is no traffic class of the scenario (traffic "
            "classes: voice)");
  EXPECT_EQ(ErrorOf("traffic:\n  voice: {rate: 8}\n"),
            "t.yaml:9:10: traffic.voice: 'mbps' is required: the class's volume, e.g. mbps: 8\n"
            "t.yaml:9:11: traffic.voice.rate: unknown key (known here: mbps)");
  EXPECT_EQ(ErrorOf("traffic:\n  voice: {mbps: 0.5}\n"), "");
  EXPECT_EQ(ErrorOf("expect:\n  - {tunnel: c, down: true}\n"),
            "t.yaml:9:14: expect[0].tunnel: unknown tunnel 'c'");
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, on: a}\n"),
            "t.yaml:9:5: expect[0]: 'on' needs 'at' (the time the class must be on that line) or "
            "'at_most' (the longest it may be on it in [from, to))");
  EXPECT_EQ(ErrorOf("expect:\n  - {tunnel: a, loss_percent: [6, 4]}\n"),
            "t.yaml:9:31: expect[0].loss_percent: low is above high");
  EXPECT_EQ(ErrorOf("probes: {interval: 0s}\n"),
            "t.yaml:8:20: probes.interval: 0s is out of range: use 1ms to 1h");
  // Several at once, each on its line.
  const std::string both = ErrorOf("links:\n  a: {delay: -1ms}\nprobes: {dscp: gold}\n");
  EXPECT_NE(both.find("t.yaml:9:"), std::string::npos) << both;
  EXPECT_NE(both.find("t.yaml:10:"), std::string::npos) << both;
}

// What used to pass silently, or fail only at the end of a run, is an error
// at load with its place (exit 2 from lineup sim).
TEST(ScenarioTest, ChecksThatWouldPassSilentlyAreErrorsAtLoad) {
  // A line that is no tunnel (a typo), in a path through hubs too.
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, on: inte, at: 1m}\n"),
            "t.yaml:9:32: expect[0].on: 'inte' is no tunnel of the scenario (tunnels: a, b; a path "
            "through hubs is its tunnels joined by '>')");
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, on: a>c, at: 1m}\n").find("'c' is no"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, on: a>b, at: 1m}\n"), "");
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, on: inte, at_most: 1m}\n").find("'inte'"),
            std::string::npos);
  // Times past the end of the scenario (2m).
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, on: a, at: 10m}\n"),
            "t.yaml:9:39: expect[0].at: 10m is after the end of the scenario (2m): the check "
            "would see nothing there");
  EXPECT_NE(ErrorOf("expect:\n  - {tunnel: a, rtt_ms: [1, 2], to: 3m}\n")
                .find("expect[0].to: 3m is after"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("expect:\n  - {tunnel: a, rtt_ms: [1, 2], from: 5m}\n").find("expect[0].from: 5m"),
      std::string::npos);
  // The move checked after the time it is checked at.
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, on: a, at: 30s, after: 1m}\n"),
            "t.yaml:9:51: expect[0].after: 1m is later than 'at' (30s): the move must come before "
            "the time it is checked");
  // A duration without a unit (0 needs none).
  EXPECT_EQ(ErrorOf("links:\n  a: {delay: 10}\n"),
            "t.yaml:9:14: links.a.delay: 10 has no unit: write 10s, 10ms or another unit (ns, us, "
            "ms, s, m, h, d)");
  EXPECT_EQ(ErrorOf("links:\n  a: {delay: 0}\n"), "");
  // The richer expectations check their lines and needs too.
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, on_any_of: [a, x], at: 1m}\n")
                .find("expect[0].on_any_of: 'x' is no tunnel"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("expect:\n  - {traffic_class: voice, not_on: x}\n").find("expect[0].not_on: 'x'"),
      std::string::npos);
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, on: a, at: 1m, time_to_switch_max: 2s}\n")
                .find("the time to switch counts from 'after'"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, max_time_on_violated: 2s}\n"), "");
  // Only moves by a rule, and the rule is one the controller has.
  EXPECT_EQ(ErrorOf("expect:\n  - {traffic_class: voice, max_switches: 0, rule: brownout}\n"), "");
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, max_switches: 0, rule: brownot}\n")
                .find("expect[0].rule: 'brownot' is no rule of the controller (rules: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("expect:\n  - {traffic_class: voice, on: a, at: 1m, after: 30s, rule: x}\n")
                .find("'x' is no rule"),
            std::string::npos);
}

TEST(ScenarioTest, AMissingFileSaysSo) {
  auto s = LoadScenario("/nonexistent/scenario.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "cannot read the scenario '/nonexistent/scenario.yaml': No such file or directory");
}

// Several sessions per tunnel: each named TUNNEL/NAME, to a reflector port
// of its own, with its own marking and interval, and spans in which its
// port does not answer; tunnel expectations about a tunnel's state, and
// figures per session.
TEST(ScenarioTest, ReadsSeveralSessionsPerTunnelAndTheirDeadPorts) {
  auto s = ParseScenario(kBase + R"(probes:
  interval: 50ms
  sessions:
    voice: {dscp: ef}
    bulk:
      dscp: af11
      interval: 1s
      tunnels: [a]
      dead: [{from: 30s, to: 1m}]
expect:
  - {tunnel: a, session_fault: true}
  - {tunnel: b, down: false}
  - {session: a/bulk, loss_percent: [0, 100]}
)",
                         "t.yaml");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->sessions.size(), 3u);
  EXPECT_EQ(s->sessions[0].name, "a/voice");
  EXPECT_EQ(s->sessions[1].name, "b/voice");
  EXPECT_EQ(s->sessions[0].dscp, 46);
  EXPECT_FALSE(s->sessions[0].interval);
  const ProbeSession& bulk = s->sessions[2];
  EXPECT_EQ(bulk.name, "a/bulk");
  EXPECT_EQ(bulk.tunnel, "a");
  EXPECT_EQ(bulk.dscp, 10);
  EXPECT_EQ(bulk.interval, 1s);
  EXPECT_NE(bulk.port, s->sessions[0].port);
  EXPECT_EQ(s->sessions[0].port, s->sessions[1].port);  // the same session on two tunnels
  ASSERT_EQ(bulk.dead.size(), 1u);
  EXPECT_EQ(bulk.dead[0], std::make_pair(Nanos(30s), Nanos(1min)));
  EXPECT_EQ(s->expectations[0].kind, Expectation::kSessionFault);
  EXPECT_EQ(s->expectations[1].kind, Expectation::kNotDown);
  EXPECT_EQ(s->expectations[2].subject, "a/bulk");

  // Without `sessions`, one per tunnel, named after it.
  auto plain = ParseScenario(kBase, "t.yaml");
  ASSERT_TRUE(plain) << plain.error().message;
  ASSERT_EQ(plain->sessions.size(), 2u);
  EXPECT_EQ(plain->sessions[1].name, "b");
  EXPECT_TRUE(plain->sessions[1].dead.empty());

  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v: {tunnels: [x]}\n")
                .find("probes.sessions.v.tunnels: unknown tunnel 'x'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v: {tunnels: [a], dead: [{tunnels: [b]}]}\n")
                .find("the session has no probes on 'b' (its tunnels: a)"),
            std::string::npos);
  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v: {dead: [{from: 1m, to: 30s}]}\n")
                .find("is not after 'from'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v: {dead: [{from: 5m}]}\n")
                .find("5m is after the end of the scenario"),
            std::string::npos);
  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v/x: {}\n").find("'v/x' cannot name a session"),
            std::string::npos);
  EXPECT_NE(ErrorOf("probes:\n  sessions:\n    v: {dscp: nope}\n").find("sessions.v.dscp"),
            std::string::npos);
  EXPECT_NE(ErrorOf("expect:\n  - {session: a/v, rtt_ms: [1, 2]}\n")
                .find("unknown session 'a/v' (sessions: a, b)"),
            std::string::npos);
  EXPECT_NE(ErrorOf("expect:\n  - {session: a, down: true}\n").find("give 'tunnel'"),
            std::string::npos);
}

}  // namespace
}  // namespace lineup::sim
