#include "analyzer/service.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/codec.h"

namespace lineup::analyzer {
namespace {

using std::chrono::milliseconds;

const WallTime kT0 = FromUnixNanos(1'700'000'000'000'000'000);

std::vector<store::Event> Samples(int from, int to, double rtt_ms) {
  std::vector<store::Event> out;
  for (int i = from; i < to; ++i) {
    const WallTime t = kT0 + milliseconds(100) * i;
    store::ProbeSample p;
    p.sequence = static_cast<std::uint32_t>(i);
    p.t1_ns = ToUnixNanos(t);
    p.t2_ns = p.t1_ns + static_cast<std::int64_t>(rtt_ms * 5e5);
    p.t3_ns = p.t2_ns + 1000;
    p.t4_ns = p.t3_ns + static_cast<std::int64_t>(rtt_ms * 5e5);
    out.push_back({t, "session/a", p, {}, {}});
  }
  return out;
}

AnalyzerConfig Config() {
  AnalyzerConfig c;
  SlaClass voice;
  voice.name = "voice";
  voice.window = {5, Nanos(0)};
  voice.thresholds = {{Metric::kLatency, Statistic::kMean, 50, 40}};
  c.classes = {voice};
  return c;
}

void WaitFor(const AnalyzerService& s, std::uint64_t position) {
  for (int i = 0; i < 500 && s.next_position() < position; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_GE(s.next_position(), position);
}

std::vector<std::string> Outputs(const store::EventLog& log) {
  std::vector<std::string> out;
  EXPECT_TRUE(log.ReadPositions(0, UINT64_MAX, store::ReadFilter::WithoutSamples(),
                                [&](const store::LogEntry& e) {
                                  std::string bytes;
                                  store::EncodeRecord(e.event->event, 0, bytes);
                                  out.push_back(bytes);
                                  return true;
                                }));
  return out;
}

TEST(AnalyzerServiceTest, FollowsLiveAndRestartsWhereItStopped) {
  auto log = store::MakeMemoryLog();
  ASSERT_TRUE(log->Append(Samples(0, 20, 30)));
  {
    auto service = AnalyzerService::Start(*log, Config());
    ASSERT_TRUE(service) << service.error().message;
    ASSERT_TRUE(log->Append(Samples(20, 30, 80)));  // violates while the service runs
    WaitFor(**service, 30);
    (*service)->Stop();
    EXPECT_FALSE((*service)->Ranking("voice").front().compliant);
    EXPECT_FALSE((*service)->last_error());
  }
  const auto after_first = Outputs(*log);
  EXPECT_FALSE(after_first.empty());
  {
    // Nothing new in the log: the restarted service's state is rebuilt, not reset.
    auto service = AnalyzerService::Start(*log, Config());
    ASSERT_TRUE(service);
    WaitFor(**service, log->head());
    (*service)->Stop();
    EXPECT_FALSE((*service)->Ranking("voice").front().compliant);
  }
  ASSERT_EQ(Outputs(*log), after_first);          // and it wrote nothing again
  ASSERT_TRUE(log->Append(Samples(30, 40, 20)));  // recovers while the service is down
  {
    auto service = AnalyzerService::Start(*log, Config());
    ASSERT_TRUE(service);
    WaitFor(**service, log->head());
    (*service)->Stop();
    EXPECT_TRUE((*service)->Ranking("voice").front().compliant);
  }
  // Nothing from before the restart was repeated, and the whole output is what
  // an offline fold of the input gives.
  const auto live = Outputs(*log);
  ASSERT_GT(live.size(), after_first.size());
  EXPECT_TRUE(std::equal(after_first.begin(), after_first.end(), live.begin()));
  Analyzer offline(Config());
  std::vector<store::Event> expected;
  ASSERT_TRUE(log->ReadPositions(0, UINT64_MAX, store::ReadFilter::SamplesOnly(),
                                 [&](const store::LogEntry& e) {
                                   offline.Apply(*e.event, expected);
                                   return true;
                                 }));
  ASSERT_EQ(expected.size(), live.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    std::string bytes;
    store::EncodeRecord(expected[i], 0, bytes);
    EXPECT_EQ(bytes, live[i]) << i;
  }
}

}  // namespace
}  // namespace lineup::analyzer
