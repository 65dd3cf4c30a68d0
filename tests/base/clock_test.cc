#include "base/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace lineup {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, TimersFireInTimeOrderWithTheClockAtTheirTime) {
  FakeClock clock(FromUnixNanos(1'000'000'000'000'000'000));
  const MonoTime t0 = clock.Monotonic();
  std::vector<std::pair<int, Nanos>> fired;
  auto note = [&](int id) { return [&, id] { fired.emplace_back(id, clock.Monotonic() - t0); }; };
  clock.Schedule(t0 + 3s, note(3));
  clock.Schedule(t0 + 1s, note(1));
  const auto cancelled = clock.Schedule(t0 + 2s, note(2));
  clock.Schedule(t0 + 1s, note(11));  // same time: in the order set
  clock.Cancel(cancelled);
  clock.Cancel(cancelled);  // twice: nothing
  // A timer that sets another inside the window sees it fire in turn.
  clock.Schedule(t0 + 1500ms, [&] {
    fired.emplace_back(15, clock.Monotonic() - t0);
    clock.Schedule(clock.Monotonic() + 1s, note(25));
  });
  clock.Advance(2600ms);
  EXPECT_EQ(fired,
            (std::vector<std::pair<int, Nanos>>{{1, 1s}, {11, 1s}, {15, 1500ms}, {25, 2500ms}}));
  EXPECT_EQ(clock.Monotonic() - t0, 2600ms);
  EXPECT_EQ(clock.Now(), FromUnixNanos(1'000'000'002'600'000'000));  // wall moves along
  EXPECT_EQ(clock.Pending(), 1u);
  EXPECT_TRUE(clock.FireNext());
  EXPECT_EQ(fired.back(), (std::pair<int, Nanos>{3, 3s}));
  EXPECT_FALSE(clock.FireNext());
  // A step of the system clock moves the wall time alone.
  clock.Set(FromUnixNanos(5));
  EXPECT_EQ(clock.Now(), FromUnixNanos(5));
  EXPECT_EQ(clock.Monotonic() - t0, 3s);
}

TEST(FakeClockTest, ASleepingThreadWakesWhenTheTestMovesTheClock) {
  FakeClock clock;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    SleepFor(clock, 10s);
    woke = true;
  });
  while (clock.Pending() == 0) std::this_thread::yield();
  clock.Advance(9999ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(woke);
  clock.Advance(1ms);
  sleeper.join();
  EXPECT_TRUE(woke);
}

TEST(RealClockTest, MonotonicTimeMovesAndSleepsOnIt) {
  const RealClock clock;
  const MonoTime before = clock.Monotonic();
  SleepFor(clock, 2ms);
  EXPECT_GE(clock.Monotonic() - before, 2ms);
  EXPECT_EQ(clock.Timers(), nullptr);  // the event loop waits on the kernel's clock
}

}  // namespace
}  // namespace lineup
