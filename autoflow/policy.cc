#include "autoflow/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "analyzer/config.h"
#include "autoflow/topology.h"
#include "base/time_text.h"
#include "config/lineup_yaml.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;

Strategy ToStrategy(const std::string& s) {
  if (s == "priority") return Strategy::kPriority;
  if (s == "load_balance") return Strategy::kLoadBalance;
  return Strategy::kBest;
}

// The anti-flap keys, read from `policy` and overridable per class.
AntiFlap ReadAntiFlap(yaml::Node& n, const AntiFlap& defaults) {
  AntiFlap a;
  a.min_dwell = n.Duration("min_dwell", defaults.min_dwell, 0s, 24h);
  a.min_improvement_percent =
      n.Number("min_improvement_percent", defaults.min_improvement_percent, 0, 1000);
  a.failback_delay = n.Duration("failback_delay", defaults.failback_delay, 0s, 24h * 7);
  a.max_switches =
      static_cast<std::uint32_t>(n.Integer("max_switches", defaults.max_switches, 1, 100000));
  a.switch_period = n.Duration("switch_period", defaults.switch_period, 0s, 24h * 7);
  a.initial_wait = n.Duration("initial_wait", defaults.initial_wait, 0s, 1h);
  a.min_score_gain = n.Number("min_score_gain", defaults.min_score_gain, 0, 10);
  a.damping = defaults.damping;
  if (auto d = n.Child("damping")) {
    if (!d->IsMap()) {
      n.ErrorAt("damping",
                "expected a mapping: {half_life, penalty, suppress, reuse, "
                "max_suppress} or {enabled: false}");
    } else {
      Damping& m = a.damping;
      m.enabled = d->Bool("enabled", m.enabled);
      m.penalty = d->Number("penalty", m.penalty, 1, 1e6);
      m.suppress = d->Number("suppress", m.suppress, 1, 1e7);
      m.reuse = d->Number("reuse", m.reuse, 1, 1e7);
      m.half_life = d->Duration("half_life", m.half_life, 1s, 24h);
      m.max_suppress = d->Duration("max_suppress", m.max_suppress, 1s, 24h * 7);
      if (m.reuse >= m.suppress) {
        d->ErrorAt("reuse", fmt::format("reuse {} must be below suppress {}, or a suppressed line "
                                        "would be reused at once",
                                        m.reuse, m.suppress));
      }
      d->CheckNoOtherKeys();
    }
  }
  return a;
}

void CheckTimers(yaml::Node& n, const AntiFlap& a) {
  if (a.failback_delay < a.min_dwell) {
    n.Error(fmt::format(
        "failback_delay {} is shorter than min_dwell {}: a failback could never happen that "
        "early; make failback_delay at least min_dwell",
        FormatDuration(a.failback_delay), FormatDuration(a.min_dwell)));
  }
  if (a.switch_period > Nanos(0) && a.switch_period < a.min_dwell) {
    n.Error(
        fmt::format("switch_period {} is shorter than min_dwell {}: the switch cap could "
                    "never count more than one switch; use a longer period or no cap (0)",
                    FormatDuration(a.switch_period), FormatDuration(a.min_dwell)));
  }
}

void CheckNames(yaml::Node& n, std::string_view key, const std::vector<std::string>& names,
                const std::set<std::string>& known) {
  for (const auto& name : names) {
    if (known.count(name) == 0) {
      std::string list;
      for (const auto& k : known) list += list.empty() ? k : ", " + k;
      n.ErrorAt(key, fmt::format("unknown tunnel '{}' (tunnels: {})", name,
                                 list.empty() ? "none defined under 'tunnels'" : list));
    }
  }
}

// A class with a destination needs a source site and some path between them.
void CheckPath(yaml::Node& n, TrafficClass& c, const Policy& p,
               const std::set<std::string>& tunnels) {
  if (c.source.empty()) {
    std::set<std::string> sites;
    for (const auto& t :
         c.tunnels.empty() ? std::vector<std::string>(tunnels.begin(), tunnels.end()) : c.tunnels) {
      if (auto it = p.tunnels.find(t); it != p.tunnels.end()) sites.insert(it->second.site);
    }
    if (sites.size() != 1) {
      n.ErrorAt("destination",
                "give 'source', the site the traffic leaves from: its tunnels do "
                "not share one site");
      return;
    }
    c.source = *sites.begin();
  }
  Topology topology(p.tunnels);
  for (const auto& [name, end] : p.tunnels) topology.SetLine(name, PathFigures{});
  if (topology.Best(c.source, c.destination, Limits{}, 1).empty()) {
    n.ErrorAt("destination", fmt::format("no path from {} to {} through the tunnels: add a tunnel "
                                         "or a hub between them",
                                         c.source, c.destination));
  }
}

}  // namespace

const char* ToString(Strategy s) {
  switch (s) {
    case Strategy::kBest:
      return "best";
    case Strategy::kPriority:
      return "priority";
    case Strategy::kLoadBalance:
      return "load_balance";
  }
  return "?";
}

Policy ReadPolicy(yaml::Node& root, const analyzer::AnalyzerConfig& analysis) {
  Policy p;
  p.hubs = root.Strings("hubs");
  for (auto& [name, t] : root.Entries("tunnels")) {
    if (!t.IsMap()) continue;  // reported by the analyzer's reader
    TunnelEnd end;
    end.site = t.String("site", "-");
    end.peer = t.String("peer", "hub");
    p.tunnels[name] = end;
  }
  std::set<std::string> tunnels;
  for (const auto& [name, end] : p.tunnels) tunnels.insert(name);
  std::set<std::string> places(p.hubs.begin(), p.hubs.end());
  for (const auto& [name, end] : p.tunnels) {
    places.insert(end.site);
    places.insert(end.peer);
  }

  AntiFlap defaults;
  if (auto policy = root.Child("policy")) {
    defaults = ReadAntiFlap(*policy, defaults);
    CheckTimers(*policy, defaults);
    policy->CheckNoOtherKeys();
  }
  std::set<std::string> sla_classes;
  for (const auto& c : analysis.classes) sla_classes.insert(c.name);
  std::set<std::string> seen;
  for (auto& n : root.List("traffic_classes")) {
    TrafficClass c;
    c.name = n.RequiredString("name");
    if (!c.name.empty() && !seen.insert(c.name).second) {
      n.ErrorAt("name", fmt::format("traffic class '{}' is defined twice", c.name));
    }
    c.sla_class = n.String("sla_class", c.name);
    if (sla_classes.count(c.sla_class) == 0) {
      std::string list;
      for (const auto& k : sla_classes) list += list.empty() ? k : ", " + k;
      n.ErrorAt(n.Has("sla_class") ? "sla_class" : "name",
                fmt::format("unknown SLA class '{}' (SLA classes: {})", c.sla_class, list));
    }
    c.strategy = ToStrategy(n.Choice("strategy", {"best", "priority", "load_balance"}, "best"));
    c.tunnels = n.Strings("tunnels");
    c.preferred = n.Strings("preferred");
    CheckNames(n, "tunnels", c.tunnels, tunnels);
    CheckNames(n, "preferred", c.preferred, tunnels);
    if (!c.tunnels.empty()) {
      for (const auto& t : c.preferred) {
        if (std::find(c.tunnels.begin(), c.tunnels.end(), t) == c.tunnels.end()) {
          n.ErrorAt("preferred",
                    fmt::format("'{}' is preferred but not among the allowed tunnels", t));
        }
      }
    }
    if (c.strategy == Strategy::kPriority && c.preferred.empty()) {
      n.ErrorAt("strategy",
                "the priority strategy needs a 'preferred' list of tunnels, best first");
    }
    c.best_of_worst = n.Bool("best_of_worst", true);
    c.destination = n.String("destination");
    c.source = n.String("source");
    if (!c.destination.empty()) {
      if (places.count(c.destination) == 0) {
        n.ErrorAt("destination",
                  fmt::format("'{}' is no site or hub of the tunnels", c.destination));
      } else {
        CheckPath(n, c, p, tunnels);
      }
    }
    for (const auto& s : analysis.classes) {
      if (s.name != c.sla_class) continue;
      for (const auto& t : s.thresholds) {
        if (t.metric == analyzer::Metric::kLatency) c.path_limits.latency_ms = t.enter;
        if (t.metric == analyzer::Metric::kJitter) c.path_limits.jitter_ms = t.enter;
        if (t.metric == analyzer::Metric::kLoss) c.path_limits.loss_percent = t.enter;
      }
    }
    c.anti_flap = ReadAntiFlap(n, defaults);
    CheckTimers(n, c.anti_flap);
    n.CheckNoOtherKeys();
    p.classes.push_back(std::move(c));
  }
  if (!root.Has("traffic_classes")) {  // one best-strategy class per SLA class
    p.classes = DefaultPolicy(analysis).classes;
    for (auto& c : p.classes) c.anti_flap = defaults;
  }
  return p;
}

Policy DefaultPolicy(const analyzer::AnalyzerConfig& analysis) {
  Policy p;
  for (const auto& s : analysis.classes) {
    TrafficClass c;
    c.name = s.name;
    c.sla_class = s.name;
    p.classes.push_back(c);
  }
  return p;
}

Result<LoadedConfig> ParseConfig(std::string_view yaml, std::string origin) {
  auto doc = yaml::Document::Parse(yaml, std::move(origin));
  if (!doc) return tl::unexpected(doc.error());
  auto root = doc->Root();
  LoadedConfig config;
  config.analysis = analyzer::ReadAnalyzerConfig(root);
  config.policy = ReadPolicy(root, config.analysis);
  config.text = std::string(yaml);
  config::SkipSectionsOfOthers(root, config::kAnalyzer | config::kAutoflow);
  root.CheckNoOtherKeys();
  if (auto status = doc->Status(); !status) return tl::unexpected(status.error());
  return config;
}

Result<LoadedConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Fail(ErrorCode::kNotFound, fmt::format("cannot read the configuration file '{}': {}",
                                                  path, std::strerror(errno)));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseConfig(text, path);
}

}  // namespace lineup::autoflow
