#include "daemon/session_totals.h"

#include <algorithm>

namespace lineup::daemon {

void DelayHistogram::Observe(Nanos delay) {
  const double seconds = std::chrono::duration<double>(delay).count();
  const auto bound =
      std::lower_bound(kDelayBucketsSeconds.begin(), kDelayBucketsSeconds.end(), seconds);
  ++counts[static_cast<std::size_t>(bound - kDelayBucketsSeconds.begin())];
  sum_seconds += seconds;
  ++count;
}

void SessionTotals::Add(const measure::SessionResult& result) {
  if (result.error) return;  // no run took place
  ++runs;
  last_measurement = result.finished;
  const auto& s = result.summary;
  sent += s.sent;
  received += s.received;
  duplicates += s.duplicates;
  if (s.lost_forward && s.lost_backward) {
    lost_outbound += *s.lost_forward;
    lost_inbound += *s.lost_backward;
  } else {
    lost_unknown += s.lost;
  }
  for (const auto& p : result.packets) {
    if (!p.reply) continue;
    round_trip.Observe(p.reply->RoundTrip(p.t1));
    if (p.reply->clocks_synchronized) {
      outbound.Observe(p.reply->Forward(p.t1));
      inbound.Observe(p.reply->Backward());
    }
  }
}

}  // namespace lineup::daemon
