// What the kernel says about this host's clock synchronization, stated as an
// RFC 4656 Error Estimate for the packets we send.
#pragma once

#include "measure/wire.h"

namespace lineup::measure {

// The kernel's clock state as ntp_adjtime(2) reports it (errors in µs).
struct KernelClockState {
  int state = -1;  // the return value; -1 when the call failed
  int status = 0;  // STA_* bits
  long esterror_us = 0;
  long maxerror_us = 0;
  long precision_us = 0;
};

// The largest maximum error the kernel keeps (NTP_PHASE_LIMIT, 16 s): a clock
// that has never been synchronized, or was stepped, sits at this ceiling.
inline constexpr long kKernelMaxErrorCeilingUs = 16'000'000;

// S is set when the kernel clock is disciplined (NTP/PTP daemon, STA_UNSYNC
// clear) and the error is then the kernel's estimated error.
//
// Unsynchronized (S=0), the error is the kernel's maximum error while that is
// a bound grown since the last synchronization. At the 16 s ceiling it is no
// bound but the kernel's "unknown", and stating it made every peer print
// err=3.2e+04 ms; S=0 already says the clock is not tied to UTC, so the
// estimate is then the clock's precision: the error of its differences, which
// is what round-trip figures use. Without information: S=0, 16 s.
ErrorEstimate ErrorEstimateOf(const KernelClockState& clock);

// ErrorEstimateOf this host's clock now.
ErrorEstimate LocalErrorEstimate();

}  // namespace lineup::measure
