// A sliding window of probe results, updated per probe in O(log n): running
// sums for means and loss, an order-statistics tree for percentiles.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>
#include <utility>

#include "analyzer/sla.h"
#include "measure/metrics.h"
#include "store/events.h"

namespace lineup::analyzer {

struct Probe {
  WallTime time;
  bool lost = false;
  double latency_ms = 0;     // of the window's latency kind
  double round_trip_ms = 0;  // for MOS
  bool has_ipdv = false;     // an IPDV to the previous sequence number (measure::IpdvChain)
  double abs_ipdv_ms = 0;
};

// A sample's latencies in ms, indexed by LatencyKind: round trip (outbound
// plus inbound: the reflector's own time is not the line's), outbound, inbound.
std::array<double, 3> Latencies(const store::ProbeSample& sample);

// One session's IPDV chains, one per LatencyKind (measure::IpdvChain, the one
// jitter), and the window entry a sample makes for a kind.
struct ProbeMaker {
  measure::IpdvChain<double> ipdv[3];
  // Feeds the chains with `sample`; the probes for each kind.
  std::array<Probe, 3> Next(WallTime at, const store::ProbeSample& sample);
  void Reset() {
    for (auto& chain : ipdv) chain.Reset();
  }
};

class SampleWindow {
 public:
  explicit SampleWindow(Window spec) : spec_(spec) {}

  void Add(const Probe& probe);

  std::size_t size() const { return entries_.size(); }
  // The time of the oldest probe in the window (meaningless when empty).
  WallTime oldest() const { return entries_.empty() ? WallTime{} : entries_.front().first.time; }
  std::size_t received() const { return latencies_.size(); }
  std::uint64_t lost() const { return lost_; }
  std::uint64_t ipdv_count() const { return ipdv_count_; }
  double latency_sum() const { return latency_sum_; }
  double round_trip_sum() const { return round_trip_sum_; }
  double ipdv_sum() const { return ipdv_sum_; }
  void Clear() { *this = SampleWindow(spec_); }
  double LossPercent() const;
  double Latency(Statistic s) const;  // ms; 0 when nothing was received
  double MeanRoundTrip() const;
  double Jitter() const;  // mean |IPDV|, ms

 private:
  void Remove(const Probe& probe, std::uint64_t id);

  using Tree =
      __gnu_pbds::tree<std::pair<double, std::uint64_t>, __gnu_pbds::null_type, std::less<>,
                       __gnu_pbds::rb_tree_tag, __gnu_pbds::tree_order_statistics_node_update>;
  Window spec_;
  std::deque<std::pair<Probe, std::uint64_t>> entries_;
  Tree latencies_;
  std::uint64_t next_id_ = 0;
  std::uint64_t lost_ = 0;
  double latency_sum_ = 0, round_trip_sum_ = 0, ipdv_sum_ = 0;
  std::uint64_t ipdv_count_ = 0;
};

}  // namespace lineup::analyzer
