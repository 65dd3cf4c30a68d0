// Probe samples of made-up tunnels with scripted impairments (added delay,
// loss, silence), in time order, for tests and benchmarks. Deterministic for
// a seed.
#pragma once

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "store/events.h"

namespace lineup::testing {

struct Impairment {
  enum Kind { kDelay, kLoss, kSilence };  // silence: no probe sent at all (a gap)
  WallTime from, to;
  Kind kind = kDelay;
  double value = 0;  // kDelay: ms added to the round trip; kLoss: share lost (0..1)
};

struct SyntheticTunnel {
  std::string session;
  double rtt_ms = 20;
  double jitter_ms = 1;  // uniform +- this around rtt_ms
  double loss = 0;       // background share lost
  std::vector<Impairment> impairments;
};

// Calls `emit` for each probe of every tunnel, every `interval` from `from`
// (inclusive) to `to` (exclusive), tunnels interleaved in time order.
inline void ForEachSample(const std::vector<SyntheticTunnel>& tunnels, WallTime from, WallTime to,
                          Nanos interval, std::uint64_t seed,
                          const std::function<void(store::Event&&)>& emit) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return double(rng() >> 11) / double(1ULL << 53); };
  std::vector<std::uint32_t> sequence(tunnels.size(), 0);
  const std::vector<std::string> streams = [&] {
    std::vector<std::string> s;
    for (const auto& t : tunnels) s.push_back("session/" + t.session);
    return s;
  }();
  for (WallTime t = from; t < to; t += interval) {
    for (std::size_t i = 0; i < tunnels.size(); ++i) {
      const auto& tunnel = tunnels[i];
      // Tunnels are offset slightly so their probes do not share a time.
      const WallTime at = t + Nanos(static_cast<std::int64_t>(i) * 1000);
      double rtt = tunnel.rtt_ms + (2 * uniform() - 1) * tunnel.jitter_ms;
      double loss = tunnel.loss;
      bool silent = false;
      for (const auto& imp : tunnel.impairments) {
        if (at < imp.from || at >= imp.to) continue;
        if (imp.kind == Impairment::kDelay) rtt += imp.value;
        if (imp.kind == Impairment::kLoss) loss = imp.value;
        if (imp.kind == Impairment::kSilence) silent = true;
      }
      const bool lost = loss > 0 && uniform() < loss;
      if (silent) continue;
      store::ProbeSample p;
      p.sequence = sequence[i]++;
      p.t1_ns = ToUnixNanos(at);
      p.lost = lost;
      if (!lost) {
        const auto half = static_cast<std::int64_t>(rtt * 5e5);
        p.t2_ns = p.t1_ns + half;
        p.t3_ns = p.t2_ns + 10'000;
        p.t4_ns = p.t3_ns + half;
      }
      emit(store::Event{at, streams[i], p, {}, {}});
    }
  }
}

inline std::vector<store::Event> Samples(const std::vector<SyntheticTunnel>& tunnels, WallTime from,
                                         WallTime to, Nanos interval, std::uint64_t seed = 1) {
  std::vector<store::Event> out;
  ForEachSample(tunnels, from, to, interval, seed,
                [&](store::Event&& e) { out.push_back(std::move(e)); });
  return out;
}

}  // namespace lineup::testing
