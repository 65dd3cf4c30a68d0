// SLA classes: thresholds on latency, jitter, loss and MOS, each on a stated
// statistic over a window, with separate enter and exit values (hysteresis).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace lineup::analyzer {

enum class Metric {
  kLatency,  // milliseconds, of the class's latency kind
  kJitter,   // milliseconds, mean |IPDV| of consecutive answered probes
  kLoss,     // percent of probes lost in the window
  kMos,      // 1..5, lower is worse (E-model, see mos.h)
};
enum class Statistic { kMean, kMedian, kP95, kP99, kMax };
enum class LatencyKind { kRoundTrip, kOutbound, kInbound };

const char* ToString(Metric m);
const char* ToString(Statistic s);
const char* ToString(LatencyKind k);

struct Threshold {
  Metric metric = Metric::kLatency;
  Statistic statistic =
      Statistic::kMean;  // latency only; jitter and loss are means, MOS is one figure
  double enter = 0;      // violated when the value gets worse than this
  double exit = 0;       // compliant again only when it is better than this
};

// The window a class judges over: the last N probes, or the probes of the
// last T of event time (one of the two).
struct Window {
  std::uint32_t samples = 0;
  Nanos duration{0};
  bool operator==(const Window&) const = default;
};

struct SlaClass {
  std::string name;
  LatencyKind latency = LatencyKind::kRoundTrip;
  Window window{100, Nanos(0)};
  std::vector<Threshold> thresholds;
  std::uint32_t min_samples = 5;  // no verdict before this many probes in the window
  // How sure the evidence must be before a loss violation is declared: the
  // one-sided confidence of the Wilson bound compared with the enter value
  // (see evidence.h and docs/analyzer.md for the figures it gives).
  double confidence = 0.999;
  // The DSCP values of the probes that speak for this class (e.g. 46 for
  // voice). A line's sessions with one of these markings judge it for the
  // class; a line with none of them is judged from all its sessions.
  std::vector<std::uint8_t> dscp;
};

// Higher is worse for every metric but MOS.
bool Worse(Metric m, double value, double limit);

// Catches impossible classes: no thresholds, exit on the wrong side of enter,
// loss above 100 %, MOS outside 1-5, negative values, an empty window.
[[nodiscard]] Result<void> Validate(const SlaClass& c);

}  // namespace lineup::analyzer
