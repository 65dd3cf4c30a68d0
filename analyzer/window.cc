#include "analyzer/window.h"

#include <algorithm>
#include <cmath>

#include "measure/metrics.h"

namespace lineup::analyzer {

std::array<double, 3> Latencies(const store::ProbeSample& sample) {
  const double outbound = double(sample.t2_ns - sample.t1_ns) / 1e6;
  const double inbound = double(sample.t4_ns - sample.t3_ns) / 1e6;
  return {outbound + inbound, outbound, inbound};
}

std::array<Probe, 3> ProbeMaker::Next(WallTime at, const store::ProbeSample& sample) {
  const auto latency = Latencies(sample);
  std::array<Probe, 3> probes;
  for (std::size_t k = 0; k < 3; ++k) {
    const auto d = ipdv[k].Next(sample.sequence,
                                sample.lost ? std::nullopt : std::optional<double>(latency[k]));
    Probe& p = probes[k];
    p.time = at;
    p.lost = sample.lost;
    if (!sample.lost) {
      p.latency_ms = latency[k];
      p.round_trip_ms = latency[0];
      p.has_ipdv = d.has_value();
      p.abs_ipdv_ms = d ? std::abs(*d) : 0;
    }
  }
  return probes;
}

void SampleWindow::Add(const Probe& probe) {
  const std::uint64_t id = next_id_++;
  entries_.emplace_back(probe, id);
  if (probe.lost) {
    ++lost_;
  } else {
    latencies_.insert({probe.latency_ms, id});
    latency_sum_ += probe.latency_ms;
    round_trip_sum_ += probe.round_trip_ms;
  }
  if (probe.has_ipdv) {
    ipdv_sum_ += probe.abs_ipdv_ms;
    ++ipdv_count_;
  }
  // Evict by count, or by event time relative to the newest probe.
  while (!entries_.empty() && ((spec_.samples > 0 && entries_.size() > spec_.samples) ||
                               (spec_.duration > Nanos(0) &&
                                entries_.front().first.time <= probe.time - spec_.duration))) {
    Remove(entries_.front().first, entries_.front().second);
    entries_.pop_front();
  }
}

void SampleWindow::Remove(const Probe& probe, std::uint64_t id) {
  if (probe.lost) {
    --lost_;
  } else {
    latencies_.erase({probe.latency_ms, id});
    latency_sum_ -= probe.latency_ms;
    round_trip_sum_ -= probe.round_trip_ms;
  }
  if (probe.has_ipdv) {
    ipdv_sum_ -= probe.abs_ipdv_ms;
    --ipdv_count_;
  }
  if (latencies_.empty()) latency_sum_ = round_trip_sum_ = 0;  // no drift when empty
  if (ipdv_count_ == 0) ipdv_sum_ = 0;
}

double SampleWindow::LossPercent() const {
  return entries_.empty() ? 0 : 100.0 * double(lost_) / double(entries_.size());
}

double SampleWindow::Latency(Statistic s) const {
  const std::size_t n = latencies_.size();
  if (n == 0) return 0;
  auto nth = [&](double p) {
    return latencies_.find_by_order(measure::NearestRankIndex(n, p))->first;
  };
  switch (s) {
    case Statistic::kMean:
      return latency_sum_ / double(n);
    case Statistic::kMedian:
      return nth(0.5);
    case Statistic::kP95:
      return nth(0.95);
    case Statistic::kP99:
      return nth(0.99);
    case Statistic::kMax:
      return std::prev(latencies_.end())->first;
  }
  return 0;
}

double SampleWindow::MeanRoundTrip() const {
  return latencies_.empty() ? 0 : round_trip_sum_ / double(latencies_.size());
}

double SampleWindow::Jitter() const {
  return ipdv_count_ == 0 ? 0 : ipdv_sum_ / double(ipdv_count_);
}

}  // namespace lineup::analyzer
