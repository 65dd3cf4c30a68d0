#include "analyzer/evidence.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

namespace lineup::analyzer {

double OneSidedZ(double confidence) {
  const double c = std::clamp(confidence, 0.5, 1 - 1e-12);
  return boost::math::quantile(boost::math::normal_distribution<double>(0, 1), c);
}

LossBounds WilsonBounds(std::uint64_t lost, std::uint64_t total, double z) {
  if (total == 0) return {};
  const double n = double(total);
  const double p = double(std::min(lost, total)) / n;
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double centre = (p + z2 / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
  return {100 * std::max(0.0, centre - half), 100 * std::min(1.0, centre + half)};
}

}  // namespace lineup::analyzer
