#include "analyzer/mos.h"

#include <algorithm>

namespace lineup::analyzer {

double RFactor(double one_way_latency_ms, double jitter_ms, double loss_percent) {
  const double d = one_way_latency_ms + 2 * jitter_ms + 10;
  double r = d < 160 ? 93.2 - d / 40 : 93.2 - (d - 120) / 10;
  r -= 2.5 * loss_percent;
  return std::clamp(r, 0.0, 100.0);
}

double MosFromR(double r) {
  if (r <= 0) return 1.0;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

double Mos(double one_way_latency_ms, double jitter_ms, double loss_percent) {
  return MosFromR(RFactor(one_way_latency_ms, jitter_ms, loss_percent));
}

}  // namespace lineup::analyzer
