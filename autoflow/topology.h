// The overlay: sites and hubs as vertices, tunnels as edges with their live
// figures, in a Boost.Graph graph. For a site pair without a usable direct
// tunnel, the best paths through hubs under an SLA's limits: latency adds up,
// loss combines (1 - product of deliveries), jitter is the worst hop's. The
// search is Boost's resource-constrained shortest paths
// (r_c_shortest_paths), which returns every Pareto-optimal feasible path; the
// k best of them by latency are the alternatives.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autoflow/policy.h"

namespace lineup::autoflow {

struct PathFigures {
  double latency_ms = 0;
  double loss_percent = 0;
  double jitter_ms = 0;
};

struct Path {
  std::vector<std::string> tunnels;  // in order from the source
  std::vector<std::string> places;   // the source, the hubs crossed, the destination
  PathFigures figures;
};

struct Limits {
  double latency_ms = std::numeric_limits<double>::infinity();
  double loss_percent = 100;
  double jitter_ms = std::numeric_limits<double>::infinity();
};

class Topology {
 public:
  explicit Topology(const std::map<std::string, TunnelEnd>& tunnels);
  ~Topology();
  Topology(Topology&&) noexcept;
  Topology& operator=(Topology&&) noexcept;

  std::size_t places() const;
  // A tunnel's current figures; nullopt: not usable (down or not judged).
  void SetLine(const std::string& tunnel, std::optional<PathFigures> figures);
  // Up to `k` feasible paths, best first (latency, then loss, then hops).
  std::vector<Path> Best(const std::string& from, const std::string& to, const Limits& limits,
                         std::size_t k) const;

 private:
  struct Graph;
  std::unique_ptr<Graph> g_;
};

}  // namespace lineup::autoflow
