#include "analyzer/analyzer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "analyzer/evidence.h"

#include "analyzer/mos.h"
#include "store/codec.h"
#include "store/event_log.h"
#include "store/measurements.h"

namespace lineup::analyzer {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const WallTime kT0 = FromUnixNanos(1'700'000'000'000'000'000);

// Feeds probe samples for one session and collects what the analyzer says.
class Feed {
 public:
  explicit Feed(AnalyzerConfig config) : analyzer_(std::move(config)) {}

  // A probe answered with this round trip (split evenly), or lost.
  std::vector<store::Event> Probe(const std::string& session, double rtt_ms, bool lost = false) {
    store::ProbeSample s;
    s.sequence = seq_[session]++;
    s.t1_ns = ToUnixNanos(now_);
    s.lost = lost;
    if (!lost) {
      const auto half = static_cast<std::int64_t>(rtt_ms * 1e6 / 2);
      s.t2_ns = s.t1_ns + half;
      s.t3_ns = s.t2_ns + 10'000;
      s.t4_ns = s.t3_ns + half;
    }
    store::RecordedEvent e;
    e.position = position_++;
    e.event = {now_, "session/" + session, s, {}, {}};
    now_ += milliseconds(100);
    std::vector<store::Event> out;
    analyzer_.Apply(e, out);
    all_.insert(all_.end(), out.begin(), out.end());
    return out;
  }

  // Any other event (a session configured or deleted), at the current time.
  std::vector<store::Event> Event(const std::string& stream, store::Payload payload) {
    store::RecordedEvent e;
    e.position = position_++;
    e.event = {now_, stream, std::move(payload), {}, {}};
    std::vector<store::Event> out;
    analyzer_.Apply(e, out);
    all_.insert(all_.end(), out.begin(), out.end());
    return out;
  }
  void Configure(const std::string& session, const std::string& tunnel, std::uint8_t dscp = 0) {
    store::SessionConfigured c;
    c.session = session;
    c.tunnel = tunnel;
    c.dscp = dscp;
    Event("session/" + session, c);
  }

  Analyzer& analyzer() { return analyzer_; }
  const std::vector<store::Event>& all() const { return all_; }

 private:
  Analyzer analyzer_;
  WallTime now_ = kT0;
  std::uint64_t position_ = 0;
  std::map<std::string, std::uint32_t> seq_;
  std::vector<store::Event> all_;
};

std::size_t Count(const std::vector<store::Event>& events, store::EventType type) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.type() == type; }));
}

SlaClass Voice(double enter = 50, double exit = 40) {
  SlaClass c;
  c.name = "voice";
  c.window = {5, Nanos(0)};
  c.min_samples = 5;
  c.thresholds = {{Metric::kLatency, Statistic::kMean, enter, exit},
                  {Metric::kLoss, Statistic::kMean, 10, 5}};
  return c;
}

AnalyzerConfig Config(std::vector<SlaClass> classes) {
  AnalyzerConfig c;
  c.classes = std::move(classes);
  c.ranking_interval = Nanos(0);
  EXPECT_TRUE(Validate(c));
  return c;
}

TEST(WindowTest, CountWindowStatisticsAndEviction) {
  SampleWindow w({4, Nanos(0)});
  for (double v : {10.0, 20.0, 30.0, 40.0, 50.0}) w.Add({kT0, false, v, v, true, 10});
  EXPECT_EQ(w.size(), 4u);  // 10 evicted
  EXPECT_DOUBLE_EQ(w.Latency(Statistic::kMean), 35);
  EXPECT_DOUBLE_EQ(w.Latency(Statistic::kMedian), 30);
  EXPECT_DOUBLE_EQ(w.Latency(Statistic::kP95), 50);
  EXPECT_DOUBLE_EQ(w.Latency(Statistic::kMax), 50);
  EXPECT_DOUBLE_EQ(w.Jitter(), 10);
  w.Add({kT0, true, 0, 0, false, 0});
  EXPECT_DOUBLE_EQ(w.LossPercent(), 25);
  EXPECT_EQ(w.received(), 3u);
}

TEST(WindowTest, TimeWindowEvictsByEventTime) {
  SampleWindow w({0, seconds(10)});
  for (int i = 0; i < 30; ++i) w.Add({kT0 + seconds(i), false, double(i), double(i), false, 0});
  EXPECT_EQ(w.size(), 10u);  // (19, 29] s
  EXPECT_DOUBLE_EQ(w.Latency(Statistic::kMean), 24.5);
}

TEST(MosTest, SimplifiedEModelReferencePoints) {
  EXPECT_NEAR(Mos(0, 0, 0), 4.4044, 1e-4);
  EXPECT_NEAR(Mos(20, 5, 1), 4.3316, 1e-4);
  EXPECT_NEAR(Mos(150, 10, 0), 4.2645, 1e-4);
  EXPECT_NEAR(Mos(300, 30, 5), 2.8752, 1e-4);
  EXPECT_DOUBLE_EQ(Mos(0, 0, 60), 1.0);
}

TEST(SlaValidationTest, ImpossibleClassesAreRefusedClearly) {
  auto expect = [](SlaClass c, const std::string& needle) {
    auto r = Validate(c);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  auto c = Voice(50, 60);
  expect(c, "exit 60 is worse than its enter 50");
  c = Voice();
  c.thresholds.push_back({Metric::kLoss, Statistic::kMean, 120, 100});
  expect(c, "0-100");
  c = Voice();
  c.thresholds = {{Metric::kMos, Statistic::kMean, 6, 6}};
  expect(c, "between 1 and 5");
  c = Voice();
  c.window = {0, Nanos(0)};
  expect(c, "one of the two");
  c = Voice();
  c.thresholds.clear();
  expect(c, "no thresholds");
  c = Voice();
  c.min_samples = 50;
  expect(c, "larger than the 5-probe window");
  AnalyzerConfig twice;
  twice.classes = {Voice(), Voice()};
  EXPECT_FALSE(Validate(twice));
}

// A session the configuration does not list (added at run time, or deleted
// since) measures the tunnel its SessionConfigured event named.
TEST(AnalyzerTest, ASessionsTunnelComesFromItsConfigurationInTheLog) {
  Feed feed(Config({Voice()}));
  store::SessionConfigured c;
  c.session = "web-probe";
  c.tunnel = "line-b";
  store::RecordedEvent e;
  e.position = 1000;
  e.event = {kT0, "session/web-probe", c, {}, {}};
  std::vector<store::Event> out;
  feed.analyzer().Apply(e, out);
  EXPECT_EQ(feed.analyzer().TunnelOf("session/web-probe"), "line-b");
  // Tunnels are known now: a session on none is diagnostic, never a line.
  EXPECT_EQ(feed.analyzer().TunnelOf("session/other"), "");
  for (int i = 0; i < 6; ++i) feed.Probe("web-probe", 10);
  const auto ranking = feed.analyzer().Ranking("voice");
  ASSERT_EQ(ranking.size(), 1u);
  EXPECT_EQ(ranking[0].tunnel, "line-b");
  // The configuration's word wins over the log's.
  AnalyzerConfig mapped = Config({Voice()});
  mapped.tunnel_of_session["web-probe"] = "line-a";
  Analyzer configured(mapped);
  configured.Apply(e, out);
  EXPECT_EQ(configured.TunnelOf("session/web-probe"), "line-a");
  // No tunnel named: the session is its own.
  c.tunnel = "";
  e.event.payload = c;
  Analyzer plain(Config({Voice()}));
  plain.Apply(e, out);
  EXPECT_EQ(plain.TunnelOf("session/web-probe"), "web-probe");
}

TEST(AnalyzerTest, HysteresisKeepsAHoveringTunnelFromToggling) {
  Feed f(Config({Voice(50, 40)}));
  for (int i = 0; i < 5; ++i) f.Probe("a", 30);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 0u);
  for (int i = 0; i < 5; ++i) f.Probe("a", 60);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 1u);
  for (int i = 0; i < 40; ++i) f.Probe("a", i % 2 ? 46 : 54);  // hovers around 50
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 1u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaRecovered), 0u);
  for (int i = 0; i < 5; ++i) f.Probe("a", 30);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaRecovered), 1u);
  const auto& v =
      std::get<store::SlaViolated>(std::find_if(f.all().begin(), f.all().end(), [](const auto& e) {
                                     return e.type() == store::EventType::kSlaViolated;
                                   })->payload);
  EXPECT_EQ(v.metric, "round_trip_mean");
  EXPECT_GT(v.value, 50);
  EXPECT_EQ(v.threshold, 50);
  EXPECT_NE(v.detail.find("brownout"), std::string::npos);
}

TEST(AnalyzerTest, WithoutHysteresisTheSameSignalToggles) {
  Feed f(Config({Voice(50, 50)}));
  for (int i = 0; i < 5; ++i) f.Probe("a", 30);
  for (int i = 0; i < 40; ++i) f.Probe("a", (i / 3) % 2 ? 40 : 60);
  EXPECT_GT(Count(f.all(), store::EventType::kSlaViolated), 2u);
}

TEST(AnalyzerTest, BlackoutDetectedAtTheNthLostProbe) {
  SlaClass latency_only = Voice();
  latency_only.thresholds.pop_back();  // no loss threshold: only the blackout can violate
  auto config = Config({latency_only});
  config.blackout_after_lost = 3;
  Feed f(config);
  for (int i = 0; i < 5; ++i) f.Probe("a", 20);
  EXPECT_EQ(Count(f.Probe("a", 0, true), store::EventType::kTunnelDown), 0u);
  EXPECT_EQ(Count(f.Probe("a", 0, true), store::EventType::kTunnelDown), 0u);
  auto third = f.Probe("a", 0, true);  // the 3rd in a row: within 3 probe intervals
  ASSERT_EQ(Count(third, store::EventType::kTunnelDown), 1u);
  const auto violated = std::find_if(third.begin(), third.end(), [](const auto& e) {
    return e.type() == store::EventType::kSlaViolated;
  });
  ASSERT_NE(violated, third.end());
  EXPECT_EQ(std::get<store::SlaViolated>(violated->payload).metric, "blackout");
  EXPECT_LE(f.analyzer().Ranking("voice").front().score,
            -1000);  // below any line that carries packets
  EXPECT_TRUE(f.analyzer().Ranking("voice").front().down);
  EXPECT_EQ(Count(f.Probe("a", 0, true), store::EventType::kTunnelDown), 0u);  // once
  auto back = f.Probe("a", 20);
  EXPECT_EQ(Count(back, store::EventType::kTunnelUp), 1u);
}

TEST(AnalyzerTest, BrownoutByLossIsNotABlackout) {
  SlaClass point = Voice();
  point.confidence = 0.5;  // the bound is the point estimate: a 5-probe window can violate
  Feed f(Config({point}));
  for (int i = 0; i < 5; ++i) f.Probe("a", 20);
  for (int i = 0; i < 10; ++i) f.Probe("a", 20, i % 3 == 0);  // ~33 % loss, never 3 in a row
  EXPECT_EQ(Count(f.all(), store::EventType::kTunnelDown), 0u);
  ASSERT_EQ(Count(f.all(), store::EventType::kSlaViolated), 1u);
  const auto v = std::find_if(f.all().begin(), f.all().end(), [](const auto& e) {
    return e.type() == store::EventType::kSlaViolated;
  });
  EXPECT_EQ(std::get<store::SlaViolated>(v->payload).metric, "loss");
  EXPECT_NE(std::get<store::SlaViolated>(v->payload).detail.find("brownout"), std::string::npos);
}

TEST(AnalyzerTest, RankingByComplianceScoreThenName) {
  Feed f(Config({Voice()}));
  for (int i = 0; i < 5; ++i) {
    f.Probe("c", 30);
    f.Probe("b", 10);
    f.Probe("a", 10);  // ties with b
    f.Probe("d", 80);  // violating
  }
  const auto r = f.analyzer().Ranking("voice");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].tunnel, "a");
  EXPECT_EQ(r[1].tunnel, "b");
  EXPECT_EQ(r[2].tunnel, "c");
  EXPECT_EQ(r[3].tunnel, "d");
  EXPECT_FALSE(r[3].compliant);
  EXPECT_DOUBLE_EQ(r[0].score, r[1].score);
  EXPECT_GT(r[1].score, r[2].score);
  // The last announced ranking says the same.
  const auto last = std::find_if(f.all().rbegin(), f.all().rend(), [](const auto& e) {
    return e.type() == store::EventType::kRankingChanged;
  });
  ASSERT_NE(last, f.all().rend());
  const auto& announced = std::get<store::RankingChanged>(last->payload).ranking;
  ASSERT_EQ(announced.size(), 4u);
  EXPECT_EQ(announced[0].tunnel, "a");
  EXPECT_EQ(announced[3].tunnel, "d");
}

TEST(AnalyzerTest, TwentyClassesAreJudgedIndependently) {
  // Class k violates above 20 + 5k ms: a 62 ms tunnel violates classes 0-8.
  std::vector<SlaClass> classes;
  for (int k = 0; k < 20; ++k) {
    SlaClass c = Voice(20 + 5 * k, 18 + 5 * k);
    c.name = fmt::format("class-{:02}", k);
    c.window = k % 2 ? Window{5, Nanos(0)} : Window{0, milliseconds(2000)};
    classes.push_back(c);
  }
  Feed f(Config(classes));
  for (int i = 0; i < 10; ++i) {
    f.Probe("a", 62);
    f.Probe("b", 10);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 9u);
  for (int k = 0; k < 20; ++k) {
    const auto ranking = f.analyzer().Ranking(fmt::format("class-{:02}", k));
    ASSERT_EQ(ranking.size(), 2u);
    EXPECT_EQ(ranking[0].tunnel, "b") << k;
    EXPECT_EQ(ranking[1].compliant, k > 8) << k;
  }
}

TEST(AnalyzerTest, RankingsAreThrottledButNewVerdictsAnnouncedAtOnce) {
  AnalyzerConfig config = Config({Voice()});
  config.ranking_interval = std::chrono::seconds(10);
  Feed f(config);
  // Within one second: a and b get their first verdicts (5 probes each).
  for (int i = 0; i < 5; ++i) {
    f.Probe("a", 30);
    f.Probe("b", 20);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kRankingChanged), 2u);  // a judged, then b
  // b gets worse than a without changing compliance: re-ranked only after 10 s.
  for (int i = 0; i < 20; ++i) {
    f.Probe("a", 30);
    f.Probe("b", 40);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kRankingChanged), 2u);
  for (int i = 0; i < 40; ++i) {
    f.Probe("a", 30);
    f.Probe("b", 40);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kRankingChanged), 3u);
  EXPECT_EQ(f.analyzer().Ranking("voice").front().tunnel, "a");
}

TEST(AnalyzerTest, SessionsMapToTunnels) {
  auto config = Config({Voice()});
  config.tunnel_of_session = {{"probe-1", "ipsec-a"}};
  Feed f(config);
  for (int i = 0; i < 5; ++i) f.Probe("probe-1", 20);
  EXPECT_EQ(f.analyzer().Ranking("voice").front().tunnel, "ipsec-a");
}

// Replay: the same log folded twice gives the same events, byte for byte,
// and the analyzer's own outputs in the log change nothing.
TEST(AnalyzerTest, ReplayIsDeterministicByteForByte) {
  auto log = store::MakeMemoryLog();
  std::vector<store::Event> input;
  WallTime t = kT0;
  for (int i = 0; i < 400; ++i) {
    for (const char* s : {"a", "b", "c"}) {
      store::ProbeSample p;
      p.sequence = static_cast<std::uint32_t>(i);
      p.t1_ns = ToUnixNanos(t);
      p.lost = (i % 37 == 0 && s[0] == 'b') || (i > 200 && i < 206 && s[0] == 'c');
      const std::int64_t base =
          s[0] == 'a' ? 20'000'000 : (i > 100 && i < 160 ? 70'000'000 : 30'000'000);
      p.t2_ns = p.t1_ns + base / 2 + (i * 7919 % 13) * 100'000;
      p.t3_ns = p.t2_ns + 10'000;
      p.t4_ns = p.t3_ns + base / 2;
      input.push_back({t, std::string("session/") + s, p, {}, {}});
      t += milliseconds(50);
    }
  }
  ASSERT_TRUE(log->Append(input));
  auto fold = [&](const store::EventLog& l) {
    Analyzer a(Config({Voice(), [] {
                         SlaClass bulk;
                         bulk.name = "bulk";
                         bulk.window = {0, seconds(5)};
                         bulk.thresholds = {{Metric::kLoss, Statistic::kMean, 5, 2},
                                            {Metric::kLatency, Statistic::kP95, 200, 150}};
                         return bulk;
                       }()}));
    std::string bytes;
    std::vector<store::Event> out;
    EXPECT_TRUE(l.ReadPositions(0, UINT64_MAX, {}, [&](const store::LogEntry& e) {
      a.Apply(*e.event, out);
      return true;
    }));
    for (const auto& o : out) store::EncodeRecord(o, 0, bytes);
    return std::make_pair(bytes, out);
  };
  auto [first, outputs] = fold(*log);
  auto [second, unused] = fold(*log);
  EXPECT_FALSE(outputs.empty());
  EXPECT_GT(Count(outputs, store::EventType::kSlaViolated), 0u);
  EXPECT_GT(Count(outputs, store::EventType::kTunnelDown), 0u);
  EXPECT_EQ(first, second);
  ASSERT_TRUE(log->Append(outputs));
  auto [third, unused2] = fold(*log);
  EXPECT_EQ(first, third);
  ASSERT_TRUE(log->Append(outputs));  // appended twice: written once (event ids)
  EXPECT_EQ(log->head(), input.size() + outputs.size());
}

// Reference figures (computed independently from the Wilson formula).
TEST(EvidenceTest, WilsonBoundsAndZ) {
  EXPECT_NEAR(OneSidedZ(0.95), 1.6449, 1e-4);
  EXPECT_NEAR(OneSidedZ(0.999), 3.0902, 1e-4);
  const auto none = WilsonBounds(0, 100, OneSidedZ(0.95));
  EXPECT_NEAR(none.low, 0, 1e-9);
  EXPECT_NEAR(none.high, 2.635, 0.01);  // 0 of 100 cannot show a loss under 1 %
  const auto five = WilsonBounds(5, 100, OneSidedZ(0.999));
  EXPECT_NEAR(five.low, 1.38, 0.01);
  EXPECT_GT(five.high, 10);
  const auto four = WilsonBounds(4, 100, OneSidedZ(0.999));
  EXPECT_LT(four.low, 1.0);  // 4 of 100 is no evidence of more than 1 %
  EXPECT_DOUBLE_EQ(WilsonBounds(0, 0, 3).high, 100);
}

SlaClass VoiceLoss() {
  SlaClass c;
  c.name = "voice";
  c.window = {100, Nanos(0)};
  c.min_samples = 20;
  c.thresholds = {{Metric::kLatency, Statistic::kMean, 150, 130},
                  {Metric::kLoss, Statistic::kMean, 1, 0.5}};
  return c;
}

TEST(AnalyzerTest, LossAtAFifthOfTheLimitRaisesNoAlarmAndFivePercentDoes) {
  // A good analyzer: 0.2 % random loss against a 1 % limit is never a
  // violation (the point estimate of a 100-probe window reads 2-4 % now and
  // then); 5 % loss is one within about a window.
  auto config = Config({VoiceLoss()});
  Feed clean(config);
  std::mt19937 rng(7);
  std::bernoulli_distribution lose(0.002);
  for (int i = 0; i < 200'000; ++i) clean.Probe("a", 20, lose(rng));
  EXPECT_EQ(Count(clean.all(), store::EventType::kSlaViolated), 0u);

  Feed lossy(config);
  std::bernoulli_distribution lose5(0.05);
  int at = -1;
  for (int i = 0; i < 1000 && at < 0; ++i) {
    if (Count(lossy.Probe("a", 20, i >= 100 && lose5(rng)), store::EventType::kSlaViolated) > 0)
      at = i;
  }
  ASSERT_GE(at, 100);
  EXPECT_LT(at, 100 + 150) << "5 % loss found only after " << at - 100 << " probes";
  const auto v = std::find_if(lossy.all().begin(), lossy.all().end(), [](const auto& e) {
    return e.type() == store::EventType::kSlaViolated;
  });
  EXPECT_NE(std::get<store::SlaViolated>(v->payload).detail.find("with 99.9 % confidence"),
            std::string::npos);
}

TEST(AnalyzerTest, OneDeadSessionOfALineIsASessionFaultNotAnOutage) {
  auto config = Config({Voice()});
  config.tunnel_of_session = {{"a-voice", "a"}, {"a-bulk", "a"}, {"b-voice", "b"}};
  Feed f(config);
  for (int i = 0; i < 10; ++i) {
    f.Probe("a-voice", 20);
    f.Probe("a-bulk", 20);
    f.Probe("b-voice", 30);
  }
  for (int i = 0; i < 50; ++i) {  // the bulk reflector port dies
    f.Probe("a-voice", 20);
    f.Probe("a-bulk", 0, true);
    f.Probe("b-voice", 30);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kTunnelDown), 0u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 0u);
  ASSERT_EQ(Count(f.all(), store::EventType::kSessionFault), 1u);
  const auto sessions = f.analyzer().Sessions();
  const auto bulk = std::find_if(sessions.begin(), sessions.end(),
                                 [](const auto& s) { return s.session == "a-bulk"; });
  ASSERT_NE(bulk, sessions.end());
  EXPECT_TRUE(bulk->fault);
  EXPECT_TRUE(f.analyzer().Ranking("voice").front().compliant);
  // It answers again: the fault ends, and its old losses do not count.
  for (int i = 0; i < 10; ++i) {
    f.Probe("a-voice", 20);
    f.Probe("a-bulk", 20);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kSessionRecovered), 1u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSlaViolated), 0u);
  // Both sessions unanswered: that is the line down.
  for (int i = 0; i < 4; ++i) {
    f.Probe("a-voice", 0, true);
    f.Probe("a-bulk", 0, true);
  }
  EXPECT_EQ(Count(f.all(), store::EventType::kTunnelDown), 1u);
}

// At start-up the sessions of a line report in their own time. A dead
// session's first streak, before its sibling has said anything, is no proof
// that the line is dark: the sibling is pending until it reports (or until
// stale_after), and its first word decides.
TEST(AnalyzerTest, ASessionNotYetHeardFromNeitherProvesNorDisprovesAnOutage) {
  Feed f(Config({Voice()}));
  f.Configure("a-voice", "a");
  f.Configure("a-bulk", "a");
  for (int i = 0; i < 20; ++i) f.Probe("a-bulk", 0, true);  // its port is dead
  EXPECT_EQ(Count(f.all(), store::EventType::kTunnelDown), 0u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSessionFault), 0u);  // nobody answered yet
  f.Probe("a-voice", 20);
  EXPECT_EQ(Count(f.all(), store::EventType::kTunnelDown), 0u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSessionFault), 1u);
}

TEST(AnalyzerTest, APendingSiblingThatReportsLossConfirmsTheOutageAtOnce) {
  Feed f(Config({Voice()}));
  f.Configure("a-voice", "a");
  f.Configure("a-bulk", "a");
  for (int i = 0; i < 20; ++i) f.Probe("a-bulk", 0, true);
  const auto first_word = f.Probe("a-voice", 0, true);
  EXPECT_EQ(Count(first_word, store::EventType::kTunnelDown), 1u);
  EXPECT_EQ(Count(f.all(), store::EventType::kSessionFault), 0u);
}

TEST(AnalyzerTest, ASiblingSilentForStaleAfterNoLongerHoldsTheLineUp) {
  auto config = Config({Voice()});
  config.stale_after = seconds(5);
  Feed f(config);
  f.Configure("a-voice", "a");
  f.Configure("a-bulk", "a");  // configured, never runs
  std::size_t down_at = 0;
  for (int i = 1; i <= 80 && down_at == 0; ++i) {  // 100 ms apart
    if (Count(f.Probe("a-voice", 0, true), store::EventType::kTunnelDown) > 0) down_at = i;
  }
  ASSERT_GT(down_at, 0u);
  EXPECT_GE(down_at, 49u);  // not before the bound (5 s)
  EXPECT_LE(down_at, 62u);  // and soon after it
}

TEST(AnalyzerTest, AClassIsJudgedFromTheSessionsWithItsMarking) {
  SlaClass voice = Voice();
  voice.dscp = {46};
  voice.confidence = 0.5;
  SlaClass bulk = Voice();
  bulk.name = "bulk";
  bulk.confidence = 0.5;
  bulk.thresholds = {{Metric::kLatency, Statistic::kMean, 50, 40}};
  Feed f(Config({voice, bulk}));
  f.Configure("a-ef", "a", 46);
  f.Configure("a-be", "a", 0);
  for (int i = 0; i < 20; ++i) {
    f.Probe("a-ef", 80);  // EF is queued behind: over voice's 50 ms
    f.Probe("a-be", 10);
  }
  const auto v = f.analyzer().Ranking("voice");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].compliant);
  EXPECT_DOUBLE_EQ(v[0].latency_ms, 80);
  const auto b = f.analyzer().Ranking("bulk");  // no marking: all sessions
  ASSERT_EQ(b.size(), 1u);
  EXPECT_DOUBLE_EQ(b[0].latency_ms, 45);
}

TEST(AnalyzerTest, AnAdHocSessionIsNeverALineAndADeletedOneLeavesAtOnce) {
  Feed f(Config({Voice()}));
  f.Configure("a-1", "a");
  f.Configure("b-1", "b");
  for (int i = 0; i < 10; ++i) {
    f.Probe("a-1", 20);
    f.Probe("b-1", 10);
    f.Probe("web-probe", 5);  // added on the page without a tunnel
  }
  auto ranking = f.analyzer().Ranking("voice");
  ASSERT_EQ(ranking.size(), 2u);
  EXPECT_EQ(ranking[0].tunnel, "b");
  EXPECT_EQ(f.analyzer().TunnelOf("session/web-probe"), "");
  store::SessionDeleted d;
  d.session = "b-1";
  const auto out = f.Event("session/b-1", d);
  ranking = f.analyzer().Ranking("voice");
  ASSERT_EQ(ranking.size(), 1u);
  EXPECT_EQ(ranking[0].tunnel, "a");
  ASSERT_EQ(Count(out, store::EventType::kRankingChanged), 1u);
  EXPECT_EQ(std::get<store::RankingChanged>(out.back().payload).ranking.size(), 1u);
}

TEST(AnalyzerTest, ALineWithoutFreshMeasurementsBecomesUnknown) {
  auto config = Config({Voice()});
  config.stale_after = seconds(30);
  Feed f(config);
  f.Configure("a-1", "a");
  f.Configure("b-1", "b");
  for (int i = 0; i < 10; ++i) {
    f.Probe("a-1", 20);
    f.Probe("b-1", 10);
  }
  for (int i = 0; i < 400; ++i) f.Probe("a-1", 20);  // 40 s of a only
  auto ranking = f.analyzer().Ranking("voice");
  ASSERT_EQ(ranking.size(), 2u);
  EXPECT_EQ(ranking[1].tunnel, "b");
  EXPECT_TRUE(ranking[1].unknown);
  EXPECT_FALSE(ranking[1].compliant);
  const auto v = std::find_if(f.all().begin(), f.all().end(), [](const auto& e) {
    return e.type() == store::EventType::kSlaViolated;
  });
  ASSERT_NE(v, f.all().end());
  EXPECT_EQ(std::get<store::SlaViolated>(v->payload).metric, "unknown");
  for (int i = 0; i < 5; ++i) f.Probe("b-1", 10);  // fresh again: judged anew
  ranking = f.analyzer().Ranking("voice");
  EXPECT_EQ(ranking[0].tunnel, "b");
  EXPECT_TRUE(ranking[0].compliant);
  EXPECT_FALSE(ranking[0].unknown);
}

TEST(AnalyzerTest, LinesOutOfSlaStayOrderedByHowFarOut) {
  SlaClass c = VoiceLoss();
  c.min_samples = 5;
  Feed f(Config({c}));
  for (int i = 0; i < 1000; ++i) {
    f.Probe("bad", 20, i % 100 < 19);                       // 19 % loss
    f.Probe("worse", 20, i % 100 < 40);                     // 40 %
    f.Probe("slight", 20, i % 1000 < 16 || i % 100 == 50);  // about 2.6 %
  }
  const auto r = f.analyzer().Ranking("voice");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].tunnel, "slight");
  EXPECT_EQ(r[1].tunnel, "bad");
  EXPECT_EQ(r[2].tunnel, "worse");
  for (const auto& v : r) EXPECT_FALSE(v.compliant) << v.tunnel;
  EXPECT_GT(r[0].score, r[1].score);
  EXPECT_NEAR(r[1].score, -18, 0.01);  // 19 % over a 1 % limit
}

}  // namespace
}  // namespace lineup::analyzer

namespace lineup::analyzer {
namespace {

// One jitter: the figure a class is judged on is the probe summary's jitter
// for the same run, losses included (a gap breaks the IPDV chain in both).
TEST(AnalyzerTest, TheJitterAClassIsJudgedOnIsTheProbeSummarysJitter) {
  measure::SessionResult run;
  run.config.name = "line-a";
  run.config.destination = measure::ParseEndpoint("192.0.2.1").value();
  run.config.count = 300;
  run.started = FromUnixNanos(1'795'000'000'000'000'000);
  measure::RunRecorder recorder;
  std::mt19937 rng(11);
  for (std::uint32_t i = 0; i < 300; ++i) {
    const WallTime t1 = run.started + std::chrono::milliseconds(20) * i;
    recorder.OnSent(i, t1);
    if (i % 7 == 3 || i % 31 == 0) continue;  // lost, sometimes two in a row
    measure::ProbeReply reply;
    reply.t2 = t1 + std::chrono::microseconds(5000 + rng() % 4000);
    reply.t3 = reply.t2 + std::chrono::microseconds(30);
    reply.t4 = reply.t3 + std::chrono::microseconds(5000 + rng() % 4000);
    reply.reflector_sequence = i;
    recorder.OnReply(i, reply);
  }
  run.packets = recorder.packets();
  run.summary = recorder.Summarize(measure::ReflectorNumbering::kStateful);
  run.finished = run.started + std::chrono::seconds(7);

  AnalyzerConfig config;
  SlaClass voice;
  voice.name = "voice";
  voice.window = {1000, Nanos(0)};
  voice.thresholds = {{Metric::kJitter, Statistic::kMean, 100, 90}};
  voice.min_samples = 5;
  config.classes = {voice};
  Analyzer analyzer(config);
  std::vector<store::Event> out;
  std::uint64_t position = 0;
  for (const auto& e : store::EventsFromRun(run)) analyzer.Apply({position++, 0, e}, out);

  const auto ranking = analyzer.Ranking("voice");
  ASSERT_EQ(ranking.size(), 1u);
  const double summary_ms =
      std::chrono::duration<double, std::milli>(run.summary.round_trip.jitter.mean_abs).count();
  EXPECT_GT(run.summary.round_trip.jitter.pairs, 100u);
  EXPECT_NEAR(ranking[0].jitter_ms, summary_ms, 2e-6);  // the summary keeps whole nanoseconds
}

}  // namespace
}  // namespace lineup::analyzer
