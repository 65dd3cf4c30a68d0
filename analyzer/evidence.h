// Evidence for loss verdicts: a window of N probes with K lost says the loss
// ratio lies in an interval, not that it is K/N. The Wilson score interval is
// used because it stays inside [0, 1] and behaves at K = 0 and small N, where
// the normal approximation claims certainty it does not have.
#pragma once

#include <cstdint>

namespace lineup::analyzer {

// A ratio's bounds, in percent.
struct LossBounds {
  double low = 0;
  double high = 100;
};

// The one-sided standard normal quantile for `confidence` (0.5..1): the z of
// the bounds below. 0.95 -> 1.645, 0.999 -> 3.090.
double OneSidedZ(double confidence);

// Wilson score bounds for `lost` of `total` (each bound one-sided at the z
// given): the loss is above `low` and below `high`, each with that confidence.
// total == 0 gives [0, 100].
LossBounds WilsonBounds(std::uint64_t lost, std::uint64_t total, double z);

}  // namespace lineup::analyzer
