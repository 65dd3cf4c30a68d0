// A timer for Asio event loops that waits on the injected clock: on real time
// it is an Asio steady_timer waiting on CLOCK_MONOTONIC; on a clock with its
// own timers (the fake, the ns-3 simulator) it waits for that clock to reach
// the expiry and completes on the timer's executor. The interface is the part
// of asio::steady_timer this project uses, so coroutines and callbacks wait
// the same way on either. Like an Asio timer, use it on its executor's
// thread only; a fake clock may be advanced from another thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "base/clock.h"

namespace lineup::net {

class Timer {
 public:
  template <typename ExecutionContextOrExecutor>
  Timer(ExecutionContextOrExecutor&& ex, const Clock& clock)
      : Timer(boost::asio::any_io_executor(Executor(ex)), clock) {}
  Timer(boost::asio::any_io_executor ex, const Clock& clock);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  const Clock& clock() const { return clock_; }
  MonoTime Expiry() const { return expiry_; }
  // Setting the expiry cancels pending waits, which complete with
  // operation_aborted; the count of them is returned.
  std::size_t ExpiresAt(MonoTime at);
  std::size_t ExpiresAfter(Nanos d) { return ExpiresAt(clock_.Monotonic() + d); }
  std::size_t Cancel();

  // Completes with no error at the expiry, or operation_aborted when
  // cancelled or re-armed first. MonoTime::max() waits until cancelled.
  template <typename Token>
  auto AsyncWait(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (real_) {
            real_->async_wait(std::move(handler));
            return;
          }
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          Park([shared](boost::system::error_code ec) { (*shared)(ec); });
        },
        token);
  }

 private:
  template <typename T>
  static auto Executor(T& t) {
    if constexpr (requires { t.get_executor(); }) {
      return t.get_executor();
    } else {
      return t;
    }
  }
  using Waiter = std::function<void(boost::system::error_code)>;
  void Park(Waiter waiter);
  void Complete(boost::system::error_code ec);

  boost::asio::any_io_executor ex_;
  const Clock& clock_;
  TimerQueue* queue_;
  std::optional<boost::asio::steady_timer> real_;
  MonoTime expiry_ = MonoTime::max();
  std::optional<TimerQueue::Id> scheduled_;
  std::uint64_t generation_ = 0;
  std::vector<Waiter> waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lineup::net
