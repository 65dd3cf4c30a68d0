// The policy in the log is data: it round-trips exactly, a damaged record is
// refused with its field, and a golden log written by this version replays to
// the decisions it recorded without reading the YAML text at all.
#include "autoflow/policy_record.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "autoflow/controller.h"
#include "store/codec.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRich = R"(tunnels:
  mpls: {site: paris, peer: hub, sessions: [mpls-voice, mpls-bulk]}
  inet: {site: paris, peer: hub, sessions: [inet-voice]}
  lte: {site: paris, peer: hub, sessions: [lte-voice]}
hubs: [hub]
analyzer: {stale_after: 90s}
sla_classes:
  - name: voice
    window: 200
    latency_ms: {enter: 150, exit: 120, statistic: p95}
    jitter_ms: {enter: 30, exit: 20}
    loss_percent: {enter: 1, exit: 0.5}
    min_samples: 20
    confidence: 0.99
    dscp: [46]
  - name: bulk
    loss_percent: {enter: 5, exit: 3}
policy: {min_dwell: 20s, failback_delay: 1m, max_switches: 5, switch_period: 30m, initial_wait: 0s,
         damping: {penalty: 900, suppress: 1800, reuse: 600, half_life: 10m, max_suppress: 40m}}
traffic_classes:
  - {name: voice, sla_class: voice, strategy: priority, preferred: [mpls, inet], tunnels: [mpls, inet, lte]}
  - {name: backup, sla_class: bulk, strategy: load_balance, best_of_worst: false}
)";

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

ConstByteSpan Span(const std::string& s) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

store::PolicyChanged ThroughTheCodec(const store::PolicyChanged& p) {
  std::string record;
  store::EncodeRecord(store::Event{FromUnixNanos(1), "policy", p, {}, {}}, 0, record);
  auto back = store::DecodeRecord(0, Span(record));
  EXPECT_TRUE(back) << back.error().message;
  return std::get<store::PolicyChanged>(back->event.payload);
}

TEST(PolicyRecordTest, ThePolicyRoundTripsThroughTheLogExactly) {
  auto loaded = ParseConfig(kRich, "lineup.yaml");
  ASSERT_TRUE(loaded) << loaded.error().message;
  const store::PolicyChanged event = PolicyEvent("lineup.yaml", *loaded);
  ASSERT_TRUE(event.policy);
  const store::PolicyChanged back = ThroughTheCodec(event);
  EXPECT_EQ(back, event);
  auto read = FromEvent(back);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->policy, loaded->policy);
  // The analyzer's part, compared through its record (every field of it).
  EXPECT_EQ(ToRecord(read->analysis, read->policy), ToRecord(loaded->analysis, loaded->policy));
  EXPECT_EQ(read->analysis.stale_after, 90s);
  EXPECT_EQ(read->analysis.tunnel_of_session.at("mpls-bulk"), "mpls");
  EXPECT_EQ(read->policy.classes[0].anti_flap.damping.half_life, 10min);
  EXPECT_EQ(read->policy.classes[1].strategy, Strategy::kLoadBalance);
}

TEST(PolicyRecordTest, ADamagedRecordIsRefusedWithItsField) {
  auto loaded = ParseConfig(kRich, "lineup.yaml");
  ASSERT_TRUE(loaded) << loaded.error().message;
  store::PolicyChanged event = PolicyEvent("lineup.yaml", *loaded);
  event.policy->classes[1].strategy = 9;
  auto read = FromEvent(event);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("traffic_classes[1].strategy: unknown code 9"),
            std::string::npos)
      << read.error().message;

  event = PolicyEvent("lineup.yaml", *loaded);
  event.policy->classes[0].sla_class = "gold";
  read = FromEvent(event);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("unknown SLA class 'gold'"), std::string::npos);

  event = PolicyEvent("lineup.yaml", *loaded);
  event.policy->sla_classes[0].thresholds[0].enter = -5;  // what a file would be refused for
  EXPECT_FALSE(FromEvent(event));
}

TEST(PolicyRecordTest, AVersionOneEventIsReadFromItsDocument) {
  store::PolicyChanged v1{"lineup.yaml", kRich, std::nullopt};
  auto read = FromEvent(v1);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->policy.classes.size(), 2u);
}

// A log of a day's trouble on three lines: verdicts and outages as the
// analyzer writes them, with time moving by probe samples.
std::vector<store::Event> TroubleLog(const store::PolicyChanged& policy) {
  const WallTime t0 = FromUnixNanos(1'795'000'000'000'000'000);
  std::vector<store::Event> in;
  WallTime now = t0;
  auto at = [&](Nanos t) {
    while (now + 1s < t0 + t) {
      now += 1s;
      in.push_back({now, "session/mpls-voice", store::ProbeSample{}, {}, {}});
    }
    now = t0 + t;
  };
  auto add = [&](store::Payload p, std::string stream) {
    in.push_back({now, std::move(stream), std::move(p), {}, {}});
  };
  auto ranking = [&](const std::string& sla, std::vector<store::RankedTunnel> r) {
    add(store::RankingChanged{sla, std::move(r), {}, {}}, "class/" + sla);
  };
  add(policy, "policy");
  ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.8, true}, {"lte", 0.5, true}});
  ranking("bulk", {{"inet", 0.9, true}, {"mpls", 0.85, true}, {"lte", 0.4, true}});
  at(60s);
  add(store::SlaViolated{{"mpls", "voice", "loss", 4, 1, "brownout"}}, "tunnel/mpls");
  ranking("voice", {{"inet", 0.8, true}, {"lte", 0.5, true}, {"mpls", -3, false}});
  at(70s);
  add(store::TunnelDown{{"inet", 3, "3 lost in a row"}}, "tunnel/inet");
  ranking("voice", {{"lte", 0.5, true}, {"mpls", -3, false}, {"inet", -1000, false}});
  ranking("bulk", {{"mpls", 0.85, true}, {"lte", 0.4, true}, {"inet", -1000, false}});
  at(200s);
  add(store::TunnelUp{{"inet", 0, ""}}, "tunnel/inet");
  add(store::SlaRecovered{{"mpls", "voice", "loss", 0.2, 0.5, ""}}, "tunnel/mpls");
  ranking("voice", {{"mpls", 0.9, true}, {"inet", 0.8, true}, {"lte", 0.5, true}});
  ranking("bulk", {{"inet", 0.9, true}, {"mpls", 0.85, true}, {"lte", 0.4, true}});
  at(600s);
  return in;
}

// Feeds a log's inputs to a controller that takes its policy from the log;
// returns every event, decisions after the input that caused them.
std::vector<store::Event> Decide(const std::vector<store::Event>& inputs) {
  Controller controller;
  std::vector<store::Event> all, out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    store::RecordedEvent r{i, 0, inputs[i]};
    out.clear();
    controller.Apply(r, out);
    all.push_back(inputs[i]);
    all.insert(all.end(), out.begin(), out.end());
  }
  return all;
}

// Written by this version's code and checked in (LINEUP_WRITE_GOLDEN=1
// rewrites it: only for a new golden file, never to make this test pass).
// However the YAML grammar changes later, the recorded policy must replay to
// the recorded decisions; the test also replaces the document with text no
// grammar reads, so it proves the decisions come from the data.
TEST(PolicyRecordTest, AGoldenLogReplaysToItsRecordedDecisions) {
  const std::string path = std::string(LINEUP_SOURCE_DIR) + "/tests/autoflow/golden/policy-v2.hex";
  if (std::getenv("LINEUP_WRITE_GOLDEN")) {
    auto loaded = ParseConfig(kRich, "lineup.yaml");
    ASSERT_TRUE(loaded) << loaded.error().message;
    std::ofstream out(path);
    for (const auto& e : Decide(TroubleLog(PolicyEvent("lineup.yaml", *loaded)))) {
      std::string record;
      store::EncodeRecord(e, 0, record);
      out << Hex(record) << "\n";
    }
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::vector<store::Event> inputs, recorded;
  std::string line;
  for (std::uint64_t position = 0; std::getline(in, line); ++position) {
    auto decoded = store::DecodeRecord(position, Span(Unhex(line)));
    ASSERT_TRUE(decoded) << decoded.error().message;
    if (std::holds_alternative<store::PathSwitched>(decoded->event.payload)) {
      recorded.push_back(decoded->event);
    } else {
      inputs.push_back(decoded->event);
    }
  }
  ASSERT_GE(recorded.size(), 4u) << "the golden log should hold several decisions";
  for (bool garble : {false, true}) {
    std::vector<store::Event> feed = inputs;
    if (garble) {
      for (auto& e : feed) {
        if (auto* p = std::get_if<store::PolicyChanged>(&e.payload)) {
          ASSERT_TRUE(p->policy) << "the golden policy must be recorded as data";
          p->document = "sla_classes: {this is: [not, a grammar any version reads";
        }
      }
    }
    std::vector<store::Event> replayed;
    for (const auto& e : Decide(feed)) {
      if (std::holds_alternative<store::PathSwitched>(e.payload)) replayed.push_back(e);
    }
    ASSERT_EQ(replayed.size(), recorded.size()) << (garble ? "garbled document" : "as recorded");
    for (std::size_t i = 0; i < recorded.size(); ++i) {
      const auto& a = std::get<store::PathSwitched>(recorded[i].payload);
      const auto& b = std::get<store::PathSwitched>(replayed[i].payload);
      EXPECT_EQ(a.traffic_class, b.traffic_class) << i;
      EXPECT_EQ(a.to, b.to) << i;
      EXPECT_EQ(a.from, b.from) << i;
      EXPECT_EQ(a.rule, b.rule) << i;
      EXPECT_EQ(recorded[i].time, replayed[i].time) << i;
    }
  }
}

}  // namespace
}  // namespace lineup::autoflow
