// The injected wall clock. Nothing outside RealClock reads the system time, so
// the protocol core, analyzer and controller run the same under a fake or a
// simulated clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace lineup {

// Wall-clock time with nanosecond resolution, since the Unix epoch (UTC).
using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;
using Nanos = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;
};

// CLOCK_REALTIME. Thread-safe.
class RealClock final : public Clock {
 public:
  WallTime Now() const override;
};

// A clock that moves only when told to. Not thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(Nanos(0))) : now_(start) {}
  WallTime Now() const override { return now_; }
  void Set(WallTime t) { now_ = t; }
  void Advance(Nanos d) { now_ += d; }

 private:
  WallTime now_;
};

inline std::int64_t ToUnixNanos(WallTime t) { return t.time_since_epoch().count(); }
inline WallTime FromUnixNanos(std::int64_t ns) { return WallTime(Nanos(ns)); }

}  // namespace lineup
