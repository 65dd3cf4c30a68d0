#include "net/clock_sync.h"

#include <sys/timex.h>

namespace lineup::measure {

ErrorEstimate LocalErrorEstimate() {
  timex tx{};
  const int state = ntp_adjtime(&tx);
  const bool synchronized = state != -1 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  const long error_us = state == -1 ? 16'000'000 : (synchronized ? tx.esterror : tx.maxerror);
  return ErrorEstimate::FromError(std::chrono::microseconds(error_us), synchronized);
}

}  // namespace lineup::measure
