#include "analyzer/config.h"

#include <fmt/format.h>

#include <cstdlib>

#include "config/lineup_yaml.h"

namespace lineup::analyzer {
namespace {

using namespace std::chrono_literals;

Statistic ToStatistic(const std::string& s) {
  if (s == "median") return Statistic::kMedian;
  if (s == "p95") return Statistic::kP95;
  if (s == "p99") return Statistic::kP99;
  if (s == "max") return Statistic::kMax;
  return Statistic::kMean;
}

LatencyKind ToLatencyKind(const std::string& s) {
  if (s == "outbound") return LatencyKind::kOutbound;
  if (s == "inbound") return LatencyKind::kInbound;
  return LatencyKind::kRoundTrip;
}

// `latency_ms: 150` (no hysteresis) or `latency_ms: {enter: 150, exit: 120, statistic: p95}`.
void ReadThreshold(yaml::Node& cls, std::string_view key, Metric metric, double max,
                   SlaClass& out) {
  auto node = cls.Child(key);
  if (!node) return;
  Threshold t;
  t.metric = metric;
  if (node->IsScalar()) {
    t.enter = cls.Number(key, 0, 0, max);
    t.exit = t.enter;
  } else if (node->IsMap()) {
    t.enter = node->Number("enter", 0, 0, max);
    if (!node->Has("enter")) node->Error("'enter' is required: the value that starts a violation");
    t.exit = node->Number("exit", t.enter, 0, max);
    if (metric == Metric::kLatency) {
      t.statistic =
          ToStatistic(node->Choice("statistic", {"mean", "median", "p95", "p99", "max"}, "mean"));
    }
    node->CheckNoOtherKeys();
  } else {
    cls.ErrorAt(key, "expected a number or {enter: ..., exit: ...}");
    return;
  }
  out.thresholds.push_back(t);
}

SlaClass ReadClass(yaml::Node& n) {
  SlaClass c;
  c.name = n.RequiredString("name");
  c.latency =
      ToLatencyKind(n.Choice("latency", {"round_trip", "outbound", "inbound"}, "round_trip"));
  // window: 100 (probes) or 30s (event time)
  if (auto w = n.Child("window")) {
    const std::string text = w->Scalar();
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
      c.window = {static_cast<std::uint32_t>(n.Integer("window", 100, 1, 1'000'000)), Nanos(0)};
    } else {
      c.window = {0, n.Duration("window", 60s, 1ms, 24h * 31)};
    }
  }
  c.min_samples = static_cast<std::uint32_t>(n.Integer("min_samples", 5, 1, 1'000'000));
  c.confidence = n.Number("confidence", c.confidence, 0.5, 0.999999);
  for (const auto& text : n.Strings("dscp")) {
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0 || value > 63) {
      n.ErrorAt("dscp", fmt::format("'{}' is not a DSCP code point (0-63, e.g. 46 for EF)", text));
      continue;
    }
    c.dscp.push_back(static_cast<std::uint8_t>(value));
  }
  ReadThreshold(n, "latency_ms", Metric::kLatency, 1e6, c);
  ReadThreshold(n, "jitter_ms", Metric::kJitter, 1e6, c);
  ReadThreshold(n, "loss_percent", Metric::kLoss, 100, c);
  ReadThreshold(n, "mos", Metric::kMos, 5, c);
  n.CheckNoOtherKeys();
  return c;
}

}  // namespace

std::vector<SlaClass> DefaultSlaClasses() {
  auto make = [](std::string name, std::uint32_t window, std::vector<Threshold> t,
                 std::vector<std::uint8_t> dscp = {}) {
    SlaClass c;
    c.name = std::move(name);
    c.dscp = std::move(dscp);
    c.window = {window, Nanos(0)};
    c.min_samples = 10;
    c.thresholds = std::move(t);
    return c;
  };
  return {
      make("voice", 100,
           {{Metric::kLatency, Statistic::kMean, 150, 130},
            {Metric::kJitter, Statistic::kMean, 30, 20},
            {Metric::kLoss, Statistic::kMean, 1, 0.5},
            {Metric::kMos, Statistic::kMean, 3.6, 3.8}},
           {46}),  // EF
      make("video", 100,
           {{Metric::kLatency, Statistic::kP95, 200, 180},
            {Metric::kJitter, Statistic::kMean, 50, 40},
            {Metric::kLoss, Statistic::kMean, 2, 1}},
           {34, 36, 38}),  // AF41-AF43
      make(
          "business", 100,
          {{Metric::kLatency, Statistic::kP95, 300, 270}, {Metric::kLoss, Statistic::kMean, 3, 2}}),
      make("bulk", 100,
           {{Metric::kLatency, Statistic::kP95, 1000, 900},
            {Metric::kLoss, Statistic::kMean, 10, 5}}),
  };
}

AnalyzerConfig ReadAnalyzerConfig(yaml::Node& root) {
  AnalyzerConfig config;
  if (root.Has("sla_classes")) {
    for (auto& n : root.List("sla_classes")) {
      SlaClass c = ReadClass(n);
      if (auto valid = Validate(c); !valid && !c.name.empty()) n.Error(valid.error().message);
      for (const auto& earlier : config.classes) {
        if (earlier.name == c.name && !c.name.empty()) {
          n.ErrorAt("name", fmt::format("SLA class '{}' is defined twice", c.name));
        }
      }
      config.classes.push_back(std::move(c));
    }
    if (config.classes.empty()) root.ErrorAt("sla_classes", "give at least one SLA class");
  } else {
    config.classes = DefaultSlaClasses();
  }
  // With tunnels, a session on none of them is diagnostic.
  if (root.Has("tunnels")) config.sessions_without_tunnel_are_lines = false;
  for (auto& [name, t] : root.Entries("tunnels")) {
    if (!t.IsMap()) {
      t.Error("expected a mapping with 'sessions' (and optionally 'site')");
      continue;
    }
    const std::string site = t.String("site");
    if (!site.empty()) config.site_of_tunnel[name] = site;
    for (const auto& session : t.Strings("sessions")) {
      auto [it, inserted] = config.tunnel_of_session.emplace(session, name);
      if (!inserted && it->second != name) {
        t.ErrorAt("sessions",
                  fmt::format("session '{}' already measures tunnel '{}'", session, it->second));
      }
    }
    config::SkipTunnelKeysOfOthers(t, config::kAnalyzer);
    t.CheckNoOtherKeys();
  }
  if (auto a = root.Child("analyzer")) {
    config.blackout_after_lost =
        static_cast<std::uint32_t>(a->Integer("blackout_after_lost", 3, 1, 1000));
    config.ranking_interval = a->Duration("ranking_interval", 10s, 0s, 24h);
    config.stale_after = a->Duration("stale_after", config.stale_after, 0s, 24h * 7);
    a->CheckNoOtherKeys();
  }
  return config;
}

namespace {

Result<AnalyzerConfig> FromDocument(Result<yaml::Document> doc) {
  if (!doc) return tl::unexpected(doc.error());
  auto root = doc->Root();
  AnalyzerConfig config = ReadAnalyzerConfig(root);
  config::SkipSectionsOfOthers(root, config::kAnalyzer);
  root.CheckNoOtherKeys();
  if (auto status = doc->Status(); !status) return tl::unexpected(status.error());
  return config;
}

}  // namespace

Result<AnalyzerConfig> ParseAnalyzerConfig(std::string_view yaml, std::string origin) {
  return FromDocument(yaml::Document::Parse(yaml, std::move(origin)));
}

Result<AnalyzerConfig> LoadAnalyzerConfig(const std::string& path) {
  return FromDocument(yaml::Document::Load(path));
}

}  // namespace lineup::analyzer
