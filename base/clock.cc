#include "base/clock.h"

#include <time.h>

namespace lineup {

WallTime RealClock::Now() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return FromUnixNanos(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
}

}  // namespace lineup
