#include "net/accept_backoff.h"

#include <fmt/format.h>

#include <algorithm>

namespace lineup::net {

AcceptBackoff::Step AcceptBackoff::Failed(const boost::system::error_code& ec) {
  ++failures_;
  ++unlogged_;
  delay_ = delay_ == Nanos(0) ? kFirstDelay : std::min(delay_ * 2, kMaxDelay);
  Step step;
  step.delay = delay_;
  const MonoTime now = clock_.Monotonic();
  if (!last_log_ || now - *last_log_ >= kLogInterval) {
    step.log = fmt::format(
        "accept failed: {} ({} time{} since the last report); pausing up to {} ms between tries "
        "(out of file descriptors? raise LimitNOFILE= or ulimit -n)",
        ec.message(), unlogged_, unlogged_ == 1 ? "" : "s",
        std::chrono::duration_cast<std::chrono::milliseconds>(kMaxDelay).count());
    last_log_ = now;
    unlogged_ = 0;
  }
  return step;
}

}  // namespace lineup::net
