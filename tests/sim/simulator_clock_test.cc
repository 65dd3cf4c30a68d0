// The ns-3 implementation of the time source. Built as C++17, like the
// ns-3 side of the harness, since it drives the simulator itself.
#include <gtest/gtest.h>
#include <ns3/core-module.h>

#include <utility>
#include <vector>

#include "sim/netsim.h"

namespace lineup::sim::net {
namespace {

using namespace std::chrono_literals;

TEST(SimulatorClockTest, TimersAreSimulatorEventsAndTimeIsSimulatedTime) {
  const WallTime epoch = FromUnixNanos(1'795'000'000'000'000'000);
  auto clock = MakeSimulatorClock(epoch);
  TimerQueue* timers = clock->Timers();
  ASSERT_NE(timers, nullptr);
  std::vector<std::pair<int, Nanos>> fired;
  auto note = [&](int id) {
    return [&, id] {
      fired.emplace_back(id, clock->Monotonic().time_since_epoch());
      EXPECT_EQ(clock->Now(), epoch + clock->Monotonic().time_since_epoch());
    };
  };
  timers->Schedule(MonoTime(3s), note(3));
  const auto cancelled = timers->Schedule(MonoTime(2s), note(2));
  timers->Schedule(MonoTime(1s), [&] {
    fired.emplace_back(1, clock->Monotonic().time_since_epoch());
    timers->Schedule(clock->Monotonic() + 500ms, note(15));
    timers->Cancel(cancelled);
  });
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  EXPECT_EQ(fired, (std::vector<std::pair<int, Nanos>>{{1, 1s}, {15, 1500ms}, {3, 3s}}));
}

}  // namespace
}  // namespace lineup::sim::net
