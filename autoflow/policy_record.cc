#include "autoflow/policy_record.h"

#include <fmt/format.h>

#include <set>

namespace lineup::autoflow {
namespace {

// The numbers on disk are the positions in these tables, for encoding and
// decoding alike: never reorder, only append.
constexpr analyzer::Metric kMetrics[] = {analyzer::Metric::kLatency, analyzer::Metric::kJitter,
                                         analyzer::Metric::kLoss, analyzer::Metric::kMos};
constexpr analyzer::Statistic kStatistics[] = {
    analyzer::Statistic::kMean, analyzer::Statistic::kMedian, analyzer::Statistic::kP95,
    analyzer::Statistic::kP99, analyzer::Statistic::kMax};
constexpr analyzer::LatencyKind kLatencyKinds[] = {analyzer::LatencyKind::kRoundTrip,
                                                   analyzer::LatencyKind::kOutbound,
                                                   analyzer::LatencyKind::kInbound};
constexpr Strategy kStrategies[] = {Strategy::kBest, Strategy::kPriority, Strategy::kLoadBalance};

// A value missing from its table encodes as 255, which every reader refuses
// as an unknown code: loud, never a silent other value.
template <class E, std::size_t N>
std::uint8_t Code(const E (&all)[N], E value) {
  for (std::size_t i = 0; i < N; ++i) {
    if (all[i] == value) return static_cast<std::uint8_t>(i);
  }
  return 255;
}

// Decoding: an unknown number is an error naming the field, never a guess.
class Reader {
 public:
  template <class E, std::size_t N>
  E Pick(const E (&all)[N], std::uint8_t c, const std::string& where) {
    if (c < N) return all[c];
    Problem(fmt::format("{}: unknown code {}", where, c));
    return all[0];
  }
  Nanos Time(std::int64_t ns, const std::string& where) {
    if (ns < 0) Problem(fmt::format("{}: negative time {} ns", where, ns));
    return Nanos(ns);
  }
  void Problem(std::string text) {
    if (problem_.empty()) problem_ = std::move(text);
  }
  const std::string& problem() const { return problem_; }

 private:
  std::string problem_;
};

store::AntiFlapRecord ToRecord(const AntiFlap& a) {
  store::AntiFlapRecord r;
  r.min_dwell_ns = a.min_dwell.count();
  r.min_improvement_percent = a.min_improvement_percent;
  r.min_score_gain = a.min_score_gain;
  r.damping = a.damping.enabled;
  r.damping_penalty = a.damping.penalty;
  r.damping_suppress = a.damping.suppress;
  r.damping_reuse = a.damping.reuse;
  r.damping_half_life_ns = a.damping.half_life.count();
  r.damping_max_suppress_ns = a.damping.max_suppress.count();
  r.failback_delay_ns = a.failback_delay.count();
  r.max_switches = a.max_switches;
  r.switch_period_ns = a.switch_period.count();
  r.initial_wait_ns = a.initial_wait.count();
  return r;
}

AntiFlap FromRecord(const store::AntiFlapRecord& r, Reader& in, const std::string& where) {
  AntiFlap a;
  a.min_dwell = in.Time(r.min_dwell_ns, where + ".min_dwell");
  a.min_improvement_percent = r.min_improvement_percent;
  a.min_score_gain = r.min_score_gain;
  a.damping.enabled = r.damping;
  a.damping.penalty = r.damping_penalty;
  a.damping.suppress = r.damping_suppress;
  a.damping.reuse = r.damping_reuse;
  a.damping.half_life = in.Time(r.damping_half_life_ns, where + ".damping.half_life");
  a.damping.max_suppress = in.Time(r.damping_max_suppress_ns, where + ".damping.max_suppress");
  a.failback_delay = in.Time(r.failback_delay_ns, where + ".failback_delay");
  a.max_switches = r.max_switches;
  a.switch_period = in.Time(r.switch_period_ns, where + ".switch_period");
  a.initial_wait = in.Time(r.initial_wait_ns, where + ".initial_wait");
  if (a.damping.enabled && a.damping.half_life <= Nanos(0)) {
    in.Problem(where + ".damping.half_life: must be positive");
  }
  return a;
}

}  // namespace

store::PolicyRecord ToRecord(const analyzer::AnalyzerConfig& analysis, const Policy& policy) {
  store::PolicyRecord r;
  for (const auto& c : analysis.classes) {
    store::SlaClassRecord s;
    s.name = c.name;
    s.latency = Code(kLatencyKinds, c.latency);
    s.window_samples = c.window.samples;
    s.window_ns = c.window.duration.count();
    for (const auto& t : c.thresholds) {
      s.thresholds.push_back(
          {Code(kMetrics, t.metric), Code(kStatistics, t.statistic), t.enter, t.exit});
    }
    s.min_samples = c.min_samples;
    s.confidence = c.confidence;
    s.dscp = c.dscp;
    r.sla_classes.push_back(std::move(s));
  }
  r.blackout_after_lost = analysis.blackout_after_lost;
  r.ranking_interval_ns = analysis.ranking_interval.count();
  for (const auto& [session, tunnel] : analysis.tunnel_of_session) {
    r.tunnel_of_session.push_back({session, tunnel});
  }
  r.sessions_without_tunnel_are_lines = analysis.sessions_without_tunnel_are_lines;
  r.stale_after_ns = analysis.stale_after.count();
  for (const auto& [tunnel, site] : analysis.site_of_tunnel)
    r.site_of_tunnel.push_back({tunnel, site});
  for (const auto& c : policy.classes) {
    store::TrafficClassRecord t;
    t.name = c.name;
    t.sla_class = c.sla_class;
    t.strategy = Code(kStrategies, c.strategy);
    t.tunnels = c.tunnels;
    t.preferred = c.preferred;
    t.best_of_worst = c.best_of_worst;
    t.destination = c.destination;
    t.source = c.source;
    t.path_latency_ms = c.path_limits.latency_ms;
    t.path_loss_percent = c.path_limits.loss_percent;
    t.path_jitter_ms = c.path_limits.jitter_ms;
    t.anti_flap = ToRecord(c.anti_flap);
    r.classes.push_back(std::move(t));
  }
  for (const auto& [name, end] : policy.tunnels) r.tunnels.push_back({name, end.site, end.peer});
  r.hubs = policy.hubs;
  return r;
}

Result<LoadedConfig> FromEvent(const store::PolicyChanged& event) {
  const std::string origin = event.name.empty() ? "policy" : event.name;
  if (!event.policy) return ParseConfig(event.document, origin);
  const store::PolicyRecord& r = *event.policy;
  Reader in;
  LoadedConfig out;
  out.text = event.document;
  for (std::size_t i = 0; i < r.sla_classes.size(); ++i) {
    const auto& s = r.sla_classes[i];
    const std::string where = fmt::format("sla_classes[{}]", i);
    analyzer::SlaClass c;
    c.name = s.name;
    c.latency = in.Pick(kLatencyKinds, s.latency, where + ".latency");
    c.window = {s.window_samples, in.Time(s.window_ns, where + ".window")};
    for (std::size_t k = 0; k < s.thresholds.size(); ++k) {
      const auto& t = s.thresholds[k];
      const std::string at = fmt::format("{}.thresholds[{}]", where, k);
      c.thresholds.push_back({in.Pick(kMetrics, t.metric, at + ".metric"),
                              in.Pick(kStatistics, t.statistic, at + ".statistic"), t.enter,
                              t.exit});
    }
    c.min_samples = s.min_samples;
    c.confidence = s.confidence;
    c.dscp = s.dscp;
    out.analysis.classes.push_back(std::move(c));
  }
  out.analysis.blackout_after_lost = r.blackout_after_lost;
  out.analysis.ranking_interval = in.Time(r.ranking_interval_ns, "ranking_interval");
  for (const auto& st : r.tunnel_of_session) out.analysis.tunnel_of_session[st.key] = st.value;
  for (const auto& ts : r.site_of_tunnel) out.analysis.site_of_tunnel[ts.key] = ts.value;
  out.analysis.sessions_without_tunnel_are_lines = r.sessions_without_tunnel_are_lines;
  out.analysis.stale_after = in.Time(r.stale_after_ns, "stale_after");
  for (const auto& t : r.tunnels) out.policy.tunnels[t.name] = {t.site, t.peer};
  out.policy.hubs = r.hubs;
  std::set<std::string> sla_names;
  for (const auto& c : out.analysis.classes) sla_names.insert(c.name);
  for (std::size_t i = 0; i < r.classes.size(); ++i) {
    const auto& t = r.classes[i];
    const std::string where = fmt::format("traffic_classes[{}]", i);
    TrafficClass c;
    c.name = t.name;
    c.sla_class = t.sla_class;
    if (sla_names.count(c.sla_class) == 0) {
      in.Problem(fmt::format("{}: unknown SLA class '{}'", where, c.sla_class));
    }
    c.strategy = in.Pick(kStrategies, t.strategy, where + ".strategy");
    c.tunnels = t.tunnels;
    c.preferred = t.preferred;
    c.best_of_worst = t.best_of_worst;
    c.destination = t.destination;
    c.source = t.source;
    c.path_limits = {t.path_latency_ms, t.path_loss_percent, t.path_jitter_ms};
    c.anti_flap = FromRecord(t.anti_flap, in, where + ".anti_flap");
    out.policy.classes.push_back(std::move(c));
  }
  if (!in.problem().empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: the recorded policy is damaged: {}", origin, in.problem()));
  }
  if (auto valid = analyzer::Validate(out.analysis); !valid) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: the recorded policy is not valid: {}",
                                                         origin, valid.error().message));
  }
  return out;
}

store::PolicyChanged PolicyEvent(const std::string& name, const LoadedConfig& config) {
  return store::PolicyChanged{name, config.text, ToRecord(config.analysis, config.policy)};
}

}  // namespace lineup::autoflow
