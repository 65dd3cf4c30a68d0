// What the kernel says about this host's clock synchronization, stated as an
// RFC 4656 Error Estimate for the packets we send.
#pragma once

#include "measure/wire.h"

namespace lineup::measure {

// S is set when the kernel clock is disciplined (NTP/PTP daemon, STA_UNSYNC
// clear); the error is the kernel's estimated error, or its maximum error
// when unsynchronized. Never fails: without information, S=0 and a large error.
ErrorEstimate LocalErrorEstimate();

}  // namespace lineup::measure
