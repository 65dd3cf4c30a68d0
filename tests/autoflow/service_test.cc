#include "autoflow/service.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/autoflow/stream.h"
#include "tests/store/temp_dir.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;

void WaitFor(const ControllerService& s, std::uint64_t position) {
  for (int i = 0; i < 1000 && s.next_position() < position; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_GE(s.next_position(), position);
}

std::size_t Decisions(const store::EventLog& log) {
  std::size_t n = 0;
  EXPECT_TRUE(log.ReadPositions(0, UINT64_MAX, store::ReadFilter::WithoutSamples(),
                                [&](const store::LogEntry& e) {
                                  n += e.event->event.type() == store::EventType::kPathSwitched;
                                  return true;
                                }));
  return n;
}

std::size_t Lines(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

store::Event At(Nanos t, store::Payload p) {
  return store::Event{testing::kT0 + t, "x", std::move(p), {}, {}};
}

TEST(ControllerServiceTest, RestartsWithoutSwitchingAgainOrReplayingTheActuator) {
  lineup::testing::TempDir dir;
  const RealClock clock;
  auto log = store::MakeMemoryLog();
  const std::string policy = testing::Config("  - {name: voice, strategy: best}\n");
  auto config = ParseConfig(policy, "lineup.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_TRUE(*RecordPolicy(*log, "lineup.yaml", *config, testing::kT0));
  EXPECT_FALSE(*RecordPolicy(*log, "lineup.yaml", *config, testing::kT0));  // unchanged: not again
  ASSERT_TRUE(log->Append(std::vector<store::Event>{
      At(1s, store::RankingChanged{"voice", {{"mpls", 0.9, true}, {"inet", 0.7, true}}, {}, {}}),
      At(60s, store::SlaViolated{{"mpls", "voice", "loss", 4, 1, "brownout"}}),
  }));
  {
    auto service = ControllerService::Start(
        *log, *MakeActuator("jsonl:" + dir / "first", 1s, 0, clock), clock);
    ASSERT_TRUE(service) << service.error().message;
    WaitFor(**service, log->head());
    (*service)->actuator().Drain();
    (*service)->Stop();
    EXPECT_EQ((*service)->Assignments().at(0).second.to, "inet");
    const auto stats = (*service)->actuator().stats();
    EXPECT_EQ(stats.applied + stats.superseded, 2u);  // both reached it, or the latest did
  }
  EXPECT_EQ(Decisions(*log), 2u);  // initial, brownout
  EXPECT_GE(Lines(dir / "first"), 1u);

  // Restarted: state rebuilt, nothing decided or actuated again...
  auto service =
      ControllerService::Start(*log, *MakeActuator("jsonl:" + dir / "second", 1s, 0, clock), clock);
  ASSERT_TRUE(service);
  EXPECT_EQ((*service)->Assignments().at(0).second.to, "inet");
  // ... until something new happens.
  store::TunnelDown down;
  down.tunnel = "inet";
  ASSERT_TRUE(log->Append(std::vector<store::Event>{At(70s, down)}));
  WaitFor(**service, log->head());
  (*service)->actuator().Drain();
  (*service)->Stop();
  EXPECT_EQ(Decisions(*log), 3u);
  EXPECT_EQ(Lines(dir / "second"), 1u);
  EXPECT_EQ((*service)->Assignments().at(0).second.to, "mpls");  // best of worst, up
}

}  // namespace
}  // namespace lineup::autoflow
