#include "net/clock_sync.h"

#include <sys/timex.h>

#include <algorithm>

namespace lineup::measure {

ErrorEstimate ErrorEstimateOf(const KernelClockState& clock) {
  if (clock.state == -1) {
    return ErrorEstimate::FromError(std::chrono::microseconds(kKernelMaxErrorCeilingUs), false);
  }
  const bool synchronized = clock.state != TIME_ERROR && (clock.status & STA_UNSYNC) == 0;
  long error_us = clock.esterror_us;
  if (!synchronized) {
    error_us = clock.maxerror_us < kKernelMaxErrorCeilingUs ? clock.maxerror_us
                                                            : std::max(1L, clock.precision_us);
  }
  return ErrorEstimate::FromError(std::chrono::microseconds(std::max(0L, error_us)), synchronized);
}

ErrorEstimate LocalErrorEstimate() {
  timex tx{};
  const int state = ntp_adjtime(&tx);
  return ErrorEstimateOf({state, tx.status, tx.esterror, tx.maxerror, tx.precision});
}

}  // namespace lineup::measure
