// Voice quality from network figures: the ITU-T G.107 E-model in the
// simplified form widely used by network monitoring tools (Cole and
// Rosenbluth, "Voice over IP performance monitoring", 2001):
//
//   effective latency d = one-way latency + 2 * jitter + 10 ms (codec)
//   R = 93.2 - d / 40             when d < 160 ms
//   R = 93.2 - (d - 120) / 10     otherwise
//   R = R - 2.5 * loss (percent), clamped to [0, 100]
//   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)
//
// One-way latency is half the round trip unless synchronized one-way figures
// are given (the caller decides; the analyzer uses half the round trip).
#pragma once

namespace lineup::analyzer {

double RFactor(double one_way_latency_ms, double jitter_ms, double loss_percent);
double MosFromR(double r);
double Mos(double one_way_latency_ms, double jitter_ms, double loss_percent);

}  // namespace lineup::analyzer
