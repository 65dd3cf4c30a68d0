#include "net/timer.h"

namespace lineup::net {

namespace asio = boost::asio;

Timer::Timer(asio::any_io_executor ex, const Clock& clock)
    : ex_(std::move(ex)), clock_(clock), queue_(clock.Timers()) {
  if (!queue_) real_.emplace(ex_, asio::steady_timer::time_point::max());
}

Timer::~Timer() {
  *alive_ = false;
  try {
    Cancel();
  } catch (const std::exception&) {
    // A destructor must not throw: the waits it would cancel die with it.
  }
}

std::size_t Timer::ExpiresAt(MonoTime at) {
  expiry_ = at;
  if (real_) return real_->expires_at(at);
  const std::size_t cancelled = Cancel();
  expiry_ = at;
  return cancelled;
}

std::size_t Timer::Cancel() {
  if (real_) return real_->cancel();
  if (scheduled_) {
    queue_->Cancel(*scheduled_);
    scheduled_.reset();
  }
  const std::size_t n = waiters_.size();
  Complete(asio::error::operation_aborted);
  return n;
}

void Timer::Park(Waiter waiter) {
  waiters_.push_back(std::move(waiter));
  if (expiry_ <= clock_.Monotonic()) {  // due already: completes at once, as on real time
    Complete({});
    return;
  }
  if (scheduled_ || expiry_ == MonoTime::max()) return;
  // The clock fires on the thread that moves it; the timer's state is only
  // touched on its executor, so the firing hops there first.
  const std::uint64_t generation = ++generation_;
  scheduled_ = queue_->Schedule(expiry_, [this, alive = alive_, ex = ex_, generation] {
    asio::post(ex, [this, alive, generation] {
      if (!*alive || generation != generation_) return;  // gone, or re-armed since
      scheduled_.reset();
      Complete({});
    });
  });
}

// Waiters complete on the timer's executor, never inside the clock's advance
// or the caller of Cancel, as with an Asio timer.
void Timer::Complete(boost::system::error_code ec) {
  for (auto& w : waiters_) asio::post(ex_, [w = std::move(w), ec] { w(ec); });
  waiters_.clear();
}

}  // namespace lineup::net
