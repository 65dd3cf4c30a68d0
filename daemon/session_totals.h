// What a session has measured since it started in this daemon, for counters
// and histograms a monitoring system can rate() and take quantiles of: the
// packets sent, answered and lost (by direction), and the distributions of
// round-trip and one-way delay. Pure: fed with runs' results.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "measure/session.h"

namespace lineup::daemon {

// Delay buckets in seconds, from a LAN's half millisecond to a satellite hop's
// 2.5 s: the edges an SLA (150 ms voice, 400 ms interactive) falls between.
inline constexpr std::array<double, 14> kDelayBucketsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5};

struct DelayHistogram {
  // Per bucket (the last one past every bound), not cumulative.
  std::array<std::uint64_t, kDelayBucketsSeconds.size() + 1> counts{};
  double sum_seconds = 0;
  std::uint64_t count = 0;

  void Observe(Nanos delay);
};

struct SessionTotals {
  std::uint64_t runs = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::uint64_t lost_outbound = 0;  // a stateful reflector tells the direction
  std::uint64_t lost_inbound = 0;
  std::uint64_t lost_unknown = 0;  // a stateless reflector: direction not known
  std::uint64_t duplicates = 0;
  DelayHistogram round_trip;
  DelayHistogram outbound, inbound;  // only packets whose clocks are both synchronized
  // The end of the last run that took place (with or without replies).
  std::optional<WallTime> last_measurement;

  void Add(const measure::SessionResult& result);
};

}  // namespace lineup::daemon
