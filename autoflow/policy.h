// The path-selection policy: traffic classes, each bound to an SLA class,
// with allowed and preferred tunnels, a strategy, and anti-flap timers. Read
// from lineup.yaml (`traffic_classes`, `policy`) and recorded in the log as a
// PolicyChanged event, so replay uses the policy that was in force.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyzer.h"
#include "config/yaml_reader.h"

namespace lineup::autoflow {

enum class Strategy {
  kBest,         // the highest-ranked compliant line
  kPriority,     // the first compliant line in the preferred order
  kLoadBalance,  // every compliant line, weighted by score
};
const char* ToString(Strategy s);

// Route-flap damping of lines (the scheme of RFC 2439): each failure of a
// line (down, or out of SLA) adds `penalty`; the penalty halves every
// `half_life`; past `suppress` the line is suppressed, and stays so until the
// penalty decays under `reuse`. A suppressed line is no target of an optional
// move (failback, better, rebalance); it can still be escaped to, when the
// line in use is down or out of SLA and nothing better is there.
struct Damping {
  bool enabled = true;
  double penalty = 1000;
  double suppress = 2000;
  double reuse = 750;
  Nanos half_life{std::chrono::minutes(15)};
  Nanos max_suppress{std::chrono::hours(1)};  // caps the penalty at reuse * 2^(max/half_life)
  bool operator==(const Damping&) const = default;
};

// What restrains optional moves (failback, better, preferred, rebalance).
// None of it ever holds a class on a line that is down, unknown or out of SLA.
struct AntiFlap {
  Nanos min_dwell{std::chrono::seconds(30)};  // stay at least this long on a line
  double min_improvement_percent = 10;        // move to a better line only if this much better
  // ... and by at least this much score (a tenth of a limit's headroom
  // averaged over the class's thresholds): lines measurement noise cannot
  // tell apart are never swapped, also near a limit where scores are small.
  double min_score_gain = 0.05;
  Damping damping;
  Nanos failback_delay{std::chrono::minutes(2)};  // a line that violated must be clean this long
  std::uint32_t max_switches = 6;                 // at most this many switches ...
  Nanos switch_period{std::chrono::hours(1)};     // ... per this period (0: no cap)
  // The first decision waits until every allowed line has a verdict, or this
  // long after the first one has (0: decide on the first verdict).
  Nanos initial_wait{std::chrono::seconds(10)};
  bool operator==(const AntiFlap&) const = default;
};

// What a path through hubs may add up to, from the SLA class's enter values.
struct PathLimits {
  double latency_ms = 1e300;
  double loss_percent = 100;
  double jitter_ms = 1e300;
  bool operator==(const PathLimits&) const = default;
};

struct TrafficClass {
  std::string name;
  std::string sla_class;
  Strategy strategy = Strategy::kBest;
  std::vector<std::string> tunnels;    // allowed; empty = every known tunnel
  std::vector<std::string> preferred;  // priority order (priority strategy), tie-breaker otherwise
  bool best_of_worst = true;           // when no line is compliant, the least bad one
  std::string destination;             // a site or hub: enables paths through hubs (topology)
  std::string source;                  // the site traffic leaves from (default: its tunnels' site)
  PathLimits path_limits;
  AntiFlap anti_flap;
  bool operator==(const TrafficClass&) const = default;
};

// A tunnel as the topology knows it: an overlay edge from a site to a peer
// (a hub or another site).
struct TunnelEnd {
  std::string site;
  std::string peer;
  bool operator==(const TunnelEnd&) const = default;
};

struct Policy {
  std::vector<TrafficClass> classes;
  std::map<std::string, TunnelEnd> tunnels;  // from the `tunnels` section
  std::vector<std::string> hubs;
  bool operator==(const Policy&) const = default;
};

// Reads `traffic_classes`, `policy` (defaults for every class) and the
// topology parts of `tunnels` and `hubs`. Checks names against the SLA
// classes and tunnels of `analysis` and the timers against each other; errors
// go to the document.
Policy ReadPolicy(yaml::Node& root, const analyzer::AnalyzerConfig& analysis);

// A whole lineup.yaml: the analyzer's part and the policy, every error at once.
struct LoadedConfig {
  analyzer::AnalyzerConfig analysis;
  Policy policy;
  std::string text;  // the document as read, for the PolicyChanged event
};
[[nodiscard]] Result<LoadedConfig> LoadConfig(const std::string& path);
[[nodiscard]] Result<LoadedConfig> ParseConfig(std::string_view yaml,
                                               std::string origin = "config");

// A policy with one best-strategy class per SLA class, for when none is given.
Policy DefaultPolicy(const analyzer::AnalyzerConfig& analysis);

}  // namespace lineup::autoflow
