#include "analyzer/sla.h"

#include <fmt/format.h>

namespace lineup::analyzer {

const char* ToString(Metric m) {
  switch (m) {
    case Metric::kLatency:
      return "latency";
    case Metric::kJitter:
      return "jitter";
    case Metric::kLoss:
      return "loss";
    case Metric::kMos:
      return "mos";
  }
  return "?";
}

const char* ToString(Statistic s) {
  switch (s) {
    case Statistic::kMean:
      return "mean";
    case Statistic::kMedian:
      return "median";
    case Statistic::kP95:
      return "p95";
    case Statistic::kP99:
      return "p99";
    case Statistic::kMax:
      return "max";
  }
  return "?";
}

const char* ToString(LatencyKind k) {
  switch (k) {
    case LatencyKind::kRoundTrip:
      return "round_trip";
    case LatencyKind::kOutbound:
      return "outbound";
    case LatencyKind::kInbound:
      return "inbound";
  }
  return "?";
}

bool Worse(Metric m, double value, double limit) {
  return m == Metric::kMos ? value < limit : value > limit;
}

Result<void> Validate(const SlaClass& c) {
  auto bad = [&](const std::string& what) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("SLA class '{}': {}", c.name, what));
  };
  if (c.name.empty()) return Fail(ErrorCode::kInvalidArgument, "an SLA class needs a name");
  if (c.thresholds.empty()) return bad("has no thresholds");
  if ((c.window.samples == 0) == (c.window.duration <= Nanos(0))) {
    return bad("give the window as a number of probes or a duration (one of the two)");
  }
  if (c.window.samples > 1'000'000) return bad("a window of more than 1000000 probes");
  if (c.min_samples == 0) return bad("min_samples must be at least 1");
  if (!(c.confidence >= 0.5 && c.confidence < 1)) {
    return bad(fmt::format("confidence {} is not in [0.5, 1): e.g. 0.999", c.confidence));
  }
  for (const auto d : c.dscp) {
    if (d > 63) return bad(fmt::format("DSCP {} is not a 6-bit code point (0-63)", d));
  }
  if (c.window.samples > 0 && c.min_samples > c.window.samples) {
    return bad(fmt::format("min_samples {} is larger than the {}-probe window", c.min_samples,
                           c.window.samples));
  }
  for (const auto& t : c.thresholds) {
    const std::string metric = ToString(t.metric);
    if (t.enter < 0 || t.exit < 0) return bad(metric + " thresholds must not be negative");
    if (t.metric == Metric::kLoss && (t.enter > 100 || t.exit > 100)) {
      return bad("loss thresholds are percentages, 0-100");
    }
    if (t.metric == Metric::kMos && (t.enter < 1 || t.enter > 5 || t.exit < 1 || t.exit > 5)) {
      return bad("MOS thresholds must be between 1 and 5");
    }
    // The exit value must be at least as good as the enter value, or the
    // class would recover while still violating.
    if (Worse(t.metric, t.exit, t.enter)) {
      return bad(
          fmt::format("{} exit {} is worse than its enter {}: a tunnel would recover "
                      "while still violating",
                      metric, t.exit, t.enter));
    }
    if (t.metric == Metric::kLoss && t.enter == 0) {
      return bad("a loss threshold of 0 % can never be met with hysteresis; use e.g. 0.5");
    }
  }
  return {};
}

}  // namespace lineup::analyzer
