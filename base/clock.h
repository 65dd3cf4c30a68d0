// The injected time source: wall time, monotonic time and timers. Nothing
// outside RealClock reads the system's clocks, so the protocol core, the
// socket adapters, the analyzer and the controller run the same under a fake
// clock advanced by hand, under the ns-3 simulator, and in production.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace lineup {

// Wall-clock time with nanosecond resolution, since the Unix epoch (UTC).
using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;
using Nanos = std::chrono::nanoseconds;
// Monotonic time: never steps, only differences mean anything. Its clock type
// is steady_clock so that a real event loop can wait for it directly.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, std::chrono::nanoseconds>;

// Timers run by a clock that moves on its own terms (the fake, the ns-3
// simulator): `fire` runs when that clock reaches `at`, on the thread that
// moves it, unless cancelled first.
class TimerQueue {
 public:
  using Id = std::uint64_t;
  virtual ~TimerQueue() = default;
  virtual Id Schedule(MonoTime at, std::function<void()> fire) = 0;
  // Cancelling a timer that fired or was cancelled already does nothing.
  virtual void Cancel(Id id) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
  virtual MonoTime Monotonic() const = 0;
  // The timers this clock runs itself, or nullptr for real time, where the
  // caller's event loop waits on CLOCK_MONOTONIC (net::Timer does both).
  virtual TimerQueue* Timers() const { return nullptr; }
};

// CLOCK_REALTIME and CLOCK_MONOTONIC. Thread-safe.
class RealClock final : public Clock {
 public:
  WallTime Now() const override;
  MonoTime Monotonic() const override;
};

// A clock that moves only when told to, with its own timers. Wall and
// monotonic time advance together; Set moves the wall time alone (a step of
// the system clock). Thread-safe: event loops on other threads may read it
// and set timers while a test advances it; timers fire on the advancing
// thread, one at a time, with the clock standing at each one's time.
class FakeClock final : public Clock, public TimerQueue {
 public:
  explicit FakeClock(WallTime start = WallTime(Nanos(0))) : wall_(start) {}

  WallTime Now() const override;
  MonoTime Monotonic() const override;
  TimerQueue* Timers() const override { return const_cast<FakeClock*>(this); }

  Id Schedule(MonoTime at, std::function<void()> fire) override;
  void Cancel(Id id) override;

  void Set(WallTime t);
  // Moves to `until`, firing every timer due on the way in time order. A
  // timer set by a firing one fires too if it falls due before `until`.
  void Advance(Nanos d) { AdvanceTo(Monotonic() + d); }
  void AdvanceTo(MonoTime until);
  // Moves to the earliest pending timer and fires it; false when none is
  // pending.
  bool FireNext();
  std::optional<MonoTime> NextDue() const;
  std::size_t Pending() const;

 private:
  void MoveToLocked(MonoTime t);

  mutable std::mutex mutex_;
  WallTime wall_;
  MonoTime mono_{Nanos(1'000'000'000)};
  Id next_id_ = 1;
  std::map<std::pair<MonoTime, Id>, std::function<void()>> timers_;  // fires in (time, order)
  std::map<Id, MonoTime> due_;
};

// Blocks the calling thread until `clock` reaches `at`: a real sleep on real
// time, a wait for the timer on a clock that runs its own (so a test moves
// a worker thread along by advancing the fake clock).
void SleepUntil(const Clock& clock, MonoTime at);
inline void SleepFor(const Clock& clock, Nanos d) { SleepUntil(clock, clock.Monotonic() + d); }

inline std::int64_t ToUnixNanos(WallTime t) { return t.time_since_epoch().count(); }
inline WallTime FromUnixNanos(std::int64_t ns) { return WallTime(Nanos(ns)); }

}  // namespace lineup
