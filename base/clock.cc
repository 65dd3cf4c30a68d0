#include "base/clock.h"

#include <time.h>

#include <condition_variable>
#include <memory>
#include <thread>

namespace lineup {
namespace {

std::int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

WallTime RealClock::Now() const { return FromUnixNanos(Read(CLOCK_REALTIME)); }

// steady_clock is CLOCK_MONOTONIC on Linux; reading it through the same
// clock type lets an Asio steady_timer wait for a MonoTime directly.
MonoTime RealClock::Monotonic() const { return MonoTime(Nanos(Read(CLOCK_MONOTONIC))); }

WallTime FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

MonoTime FakeClock::Monotonic() const {
  std::lock_guard lock(mutex_);
  return mono_;
}

void FakeClock::Set(WallTime t) {
  std::lock_guard lock(mutex_);
  wall_ = t;
}

void SleepUntil(const Clock& clock, MonoTime at) {
  TimerQueue* timers = clock.Timers();
  if (!timers) {
    std::this_thread::sleep_until(at);
    return;
  }
  struct Wake {
    std::mutex mutex;
    std::condition_variable cv;
    bool fired = false;
  };
  auto wake = std::make_shared<Wake>();
  timers->Schedule(at, [wake] {
    std::lock_guard lock(wake->mutex);
    wake->fired = true;
    wake->cv.notify_all();
  });
  std::unique_lock lock(wake->mutex);
  wake->cv.wait(lock, [&] { return wake->fired; });
}

TimerQueue::Id FakeClock::Schedule(MonoTime at, std::function<void()> fire) {
  std::lock_guard lock(mutex_);
  const Id id = next_id_++;
  timers_.emplace(std::pair{at, id}, std::move(fire));
  due_.emplace(id, at);
  return id;
}

void FakeClock::Cancel(Id id) {
  std::lock_guard lock(mutex_);
  const auto it = due_.find(id);
  if (it == due_.end()) return;
  timers_.erase({it->second, id});
  due_.erase(it);
}

std::optional<MonoTime> FakeClock::NextDue() const {
  std::lock_guard lock(mutex_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

std::size_t FakeClock::Pending() const {
  std::lock_guard lock(mutex_);
  return timers_.size();
}

void FakeClock::MoveToLocked(MonoTime t) {
  if (t <= mono_) return;
  wall_ += t - mono_;
  mono_ = t;
}

bool FakeClock::FireNext() {
  std::function<void()> fire;
  {
    std::lock_guard lock(mutex_);
    if (timers_.empty()) return false;
    auto node = timers_.extract(timers_.begin());
    MoveToLocked(node.key().first);
    due_.erase(node.key().second);
    fire = std::move(node.mapped());
  }
  fire();  // unlocked: it may set or cancel timers
  return true;
}

void FakeClock::AdvanceTo(MonoTime until) {
  for (;;) {
    const auto next = NextDue();
    if (!next || *next > until) break;
    FireNext();
  }
  std::lock_guard lock(mutex_);
  MoveToLocked(until);
}

}  // namespace lineup
