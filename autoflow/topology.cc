#include "autoflow/topology.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/r_c_shortest_paths.hpp>
#include <cmath>

namespace lineup::autoflow {
namespace {

struct Place {
  std::string name;
  std::size_t index = 0;
};
struct Line {
  std::string tunnel;
  std::size_t index = 0;
  bool usable = false;
  PathFigures figures;
};
// Each tunnel is two directed edges (either way through it).
using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Place, Line>;
using Edge = boost::graph_traits<BoostGraph>::edge_descriptor;

// What a partial path has used so far.
struct Spent {
  double latency_ms = 0;
  double delivered = 1;  // product of (1 - loss) over the hops
  double jitter_ms = 0;
  int hops = 0;
  bool operator==(const Spent& o) const {
    return latency_ms == o.latency_ms && delivered == o.delivered && jitter_ms == o.jitter_ms &&
           hops == o.hops;
  }
  bool operator<(const Spent& o) const {
    if (latency_ms != o.latency_ms) return latency_ms < o.latency_ms;
    if (delivered != o.delivered) return delivered > o.delivered;
    if (jitter_ms != o.jitter_ms) return jitter_ms < o.jitter_ms;
    return hops < o.hops;
  }
};

// Extends a path by an edge; false when the edge is unusable or the path
// would break the limits.
struct Extend {
  const Limits* limits;
  bool operator()(const BoostGraph& g, Spent& next, const Spent& prev, Edge e) const {
    const Line& line = g[e];
    if (!line.usable) return false;
    next.latency_ms = prev.latency_ms + line.figures.latency_ms;
    next.delivered = prev.delivered * (1 - line.figures.loss_percent / 100);
    next.jitter_ms = std::max(prev.jitter_ms, line.figures.jitter_ms);
    next.hops = prev.hops + 1;
    return next.latency_ms <= limits->latency_ms &&
           100 * (1 - next.delivered) <= limits->loss_percent + 1e-9 &&
           next.jitter_ms <= limits->jitter_ms;
  }
};

// a dominates b when it is no worse in every resource.
struct Dominates {
  bool operator()(const Spent& a, const Spent& b) const {
    return a.latency_ms <= b.latency_ms && a.delivered >= b.delivered &&
           a.jitter_ms <= b.jitter_ms && a.hops <= b.hops;
  }
};

}  // namespace

struct Topology::Graph {
  BoostGraph g;
  std::map<std::string, BoostGraph::vertex_descriptor> places;
  std::map<std::string, std::vector<Edge>> edges_of;  // tunnel -> its two edges
};

Topology::Topology(const std::map<std::string, TunnelEnd>& tunnels)
    : g_(std::make_unique<Graph>()) {
  auto place = [&](const std::string& name) {
    auto [it, inserted] = g_->places.try_emplace(name);
    if (inserted) it->second = boost::add_vertex(Place{name, g_->places.size() - 1}, g_->g);
    return it->second;
  };
  std::size_t index = 0;
  for (const auto& [name, end] : tunnels) {
    const auto a = place(end.site);
    const auto b = place(end.peer);
    for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
      auto [e, added] = boost::add_edge(from, to, Line{name, index++, false, {}}, g_->g);
      g_->edges_of[name].push_back(e);
    }
  }
}

Topology::~Topology() = default;
Topology::Topology(Topology&&) noexcept = default;
Topology& Topology::operator=(Topology&&) noexcept = default;

std::size_t Topology::places() const { return g_->places.size(); }

void Topology::SetLine(const std::string& tunnel, std::optional<PathFigures> figures) {
  auto it = g_->edges_of.find(tunnel);
  if (it == g_->edges_of.end()) return;
  for (const auto& e : it->second) {
    g_->g[e].usable = figures.has_value();
    if (figures) g_->g[e].figures = *figures;
  }
}

std::vector<Path> Topology::Best(const std::string& from, const std::string& to,
                                 const Limits& limits, std::size_t k) const {
  auto s = g_->places.find(from);
  auto t = g_->places.find(to);
  if (s == g_->places.end() || t == g_->places.end() || from == to) return {};
  std::vector<std::vector<Edge>> solutions;
  std::vector<Spent> spent;
  boost::r_c_shortest_paths(g_->g, boost::get(&Place::index, g_->g),
                            boost::get(&Line::index, g_->g), s->second, t->second, solutions, spent,
                            Spent{}, Extend{&limits}, Dominates{});
  std::vector<std::size_t> order(solutions.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return spent[a] < spent[b]; });
  std::vector<Path> out;
  for (std::size_t i : order) {
    if (out.size() == k) break;
    Path p;
    // Boost gives the edges from the destination back to the source.
    for (auto e = solutions[i].rbegin(); e != solutions[i].rend(); ++e) {
      p.tunnels.push_back(g_->g[*e].tunnel);
      if (p.places.empty()) p.places.push_back(g_->g[boost::source(*e, g_->g)].name);
      p.places.push_back(g_->g[boost::target(*e, g_->g)].name);
    }
    p.figures = {spent[i].latency_ms, 100 * (1 - spent[i].delivered), spent[i].jitter_ms};
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace lineup::autoflow
