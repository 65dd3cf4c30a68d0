#include "analyzer/analyzer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "analyzer/mos.h"

namespace lineup::analyzer {
namespace {

constexpr const char* kTunnelPrefix = "tunnel/";
constexpr const char* kClassPrefix = "class/";
constexpr const char* kSessionPrefix = "session/";

double Ms(std::int64_t ns) { return double(ns) / 1e6; }

}  // namespace

struct Analyzer::Tunnel {
  std::string name;
  std::vector<SampleWindow> windows;  // one per distinct window spec
  std::uint32_t consecutive_lost = 0;
  bool down = false;
  bool have_previous = false;
  double previous_latency_ms[3] = {0, 0, 0};  // per LatencyKind, for IPDV
  std::vector<Verdict> verdicts;              // per class
};

Result<void> Validate(const AnalyzerConfig& config) {
  if (config.classes.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "the analyzer needs at least one SLA class");
  }
  std::set<std::string> names;
  for (const auto& c : config.classes) {
    if (auto r = Validate(c); !r) return r;
    if (!names.insert(c.name).second) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("SLA class '{}' is defined twice", c.name));
    }
  }
  if (config.blackout_after_lost < 1) {
    return Fail(ErrorCode::kInvalidArgument, "blackout_after_lost must be at least 1");
  }
  if (config.ranking_interval < Nanos(0)) {
    return Fail(ErrorCode::kInvalidArgument, "ranking_interval must not be negative");
  }
  return {};
}

Analyzer::Analyzer(AnalyzerConfig config) : config_(std::move(config)) {
  for (const auto& c : config_.classes) {
    const auto spec = std::make_pair(c.window, c.latency);
    auto it = std::find(window_specs_.begin(), window_specs_.end(), spec);
    if (it == window_specs_.end()) it = window_specs_.insert(window_specs_.end(), spec);
    spec_of_class_.push_back(static_cast<std::size_t>(it - window_specs_.begin()));
  }
  announced_order_.resize(config_.classes.size());
  announced_compliance_.resize(config_.classes.size());
  last_ranked_.assign(config_.classes.size(), std::nullopt);
}

Analyzer::~Analyzer() = default;

std::size_t Analyzer::tunnels() const { return tunnels_.size(); }

Analyzer::Tunnel& Analyzer::TunnelFor(const std::string& name) {
  auto& slot = tunnels_[name];
  if (!slot) {
    slot = std::make_unique<Tunnel>();
    slot->name = name;
    for (const auto& spec : window_specs_) slot->windows.emplace_back(spec.first);
    slot->verdicts.resize(config_.classes.size());
    for (std::size_t i = 0; i < config_.classes.size(); ++i) {
      slot->verdicts[i].tunnel = name;
      slot->verdicts[i].sla_class = config_.classes[i].name;
    }
  }
  return *slot;
}

std::string Analyzer::TunnelOf(const std::string& stream) const {
  std::string session = stream;
  if (session.rfind(kSessionPrefix, 0) == 0) {
    session.erase(0, std::char_traits<char>::length(kSessionPrefix));
  }
  if (auto mapped = config_.tunnel_of_session.find(session); mapped != config_.tunnel_of_session.end()) {
    return mapped->second;
  }
  auto logged = logged_tunnel_of_session_.find(session);
  return logged == logged_tunnel_of_session_.end() ? session : logged->second;
}

bool Analyzer::Judged(const std::string& tunnel, std::size_t cls) const {
  auto it = tunnels_.find(tunnel);
  return it != tunnels_.end() && cls < it->second->verdicts.size() && it->second->verdicts[cls].judged;
}

void Analyzer::Apply(const store::RecordedEvent& e, std::vector<store::Event>& out) {
  outputs_for_position_ = 0;
  if (const auto* s = std::get_if<store::ProbeSample>(&e.event.payload)) {
    OnSample(e, *s, out);
  } else if (const auto* c = std::get_if<store::SessionConfigured>(&e.event.payload)) {
    // A session added at run time (or since deleted) still measures its
    // tunnel when its samples are read again.
    if (!c->tunnel.empty()) logged_tunnel_of_session_[c->session] = c->tunnel;
  }
}

void Analyzer::OnSample(const store::RecordedEvent& e, const store::ProbeSample& s,
                        std::vector<store::Event>& out) {
  Tunnel& t = TunnelFor(TunnelOf(e.event.stream));

  auto emit = [&](std::string stream, store::Payload payload) {
    store::Event o{e.event.time, std::move(stream), std::move(payload), {}, {}};
    o.event_id = fmt::format("analyzer/{}/{}", e.position, outputs_for_position_++);
    out.push_back(std::move(o));
  };

  bool up_down_changed = false;
  if (s.lost) {
    ++t.consecutive_lost;
    if (!t.down && t.consecutive_lost >= config_.blackout_after_lost) {
      t.down = true;
      up_down_changed = true;
      store::TunnelDown down;
      down.tunnel = t.name;
      down.consecutive_lost = t.consecutive_lost;
      down.detail = fmt::format("blackout: {} probes lost in a row", t.consecutive_lost);
      emit(kTunnelPrefix + t.name, down);
    }
  } else {
    if (t.down) {
      t.down = false;
      up_down_changed = true;
      store::TunnelUp up;
      up.tunnel = t.name;
      up.consecutive_lost = t.consecutive_lost;
      up.detail = "probes answered again";
      emit(kTunnelPrefix + t.name, up);
    }
    t.consecutive_lost = 0;
  }

  const double outbound = Ms(s.t2_ns - s.t1_ns);
  const double inbound = Ms(s.t4_ns - s.t3_ns);
  const double latency[3] = {outbound + inbound, outbound, inbound};
  for (std::size_t w = 0; w < window_specs_.size(); ++w) {
    const auto kind = static_cast<std::size_t>(window_specs_[w].second);
    Probe p;
    p.time = e.event.time;
    p.lost = s.lost;
    if (!s.lost) {
      p.latency_ms = latency[kind];
      p.round_trip_ms = latency[0];
      p.has_ipdv = t.have_previous;
      p.abs_ipdv_ms = std::abs(latency[kind] - t.previous_latency_ms[kind]);
    }
    t.windows[w].Add(p);
  }
  if (!s.lost) {
    for (int k = 0; k < 3; ++k) t.previous_latency_ms[k] = latency[k];
    t.have_previous = true;
  }

  for (std::size_t c = 0; c < config_.classes.size(); ++c) {
    bool compliance_changed = up_down_changed;
    Judge(t, c, e, out, compliance_changed);
    AnnounceRanking(c, e, compliance_changed, out);
  }
}

void Analyzer::Judge(Tunnel& t, std::size_t c, const store::RecordedEvent& e,
                     std::vector<store::Event>& out, bool& compliance_changed) {
  const SlaClass& cls = config_.classes[c];
  const SampleWindow& w = t.windows[spec_of_class_[c]];
  Verdict& v = t.verdicts[c];
  v.down = t.down;
  if (w.size() < cls.min_samples && !t.down) return;
  if (!v.judged) {  // a tunnel entering the ranking is announced at once
    v.judged = true;
    compliance_changed = true;
  }
  v.jitter_ms = w.Jitter();
  v.loss_percent = w.LossPercent();
  v.mos = Mos(w.MeanRoundTrip() / 2, v.jitter_ms, v.loss_percent);

  auto value_of = [&](const Threshold& th) {
    switch (th.metric) {
      case Metric::kLatency:
        return w.Latency(th.statistic);
      case Metric::kJitter:
        return v.jitter_ms;
      case Metric::kLoss:
        return v.loss_percent;
      case Metric::kMos:
        return v.mos;
    }
    return 0.0;
  };
  // Score: the mean headroom left under each threshold's enter value.
  double headroom = 0;
  const Threshold* first_violation = nullptr;
  double violation_value = 0;
  bool all_within_exit = true;
  for (const auto& th : cls.thresholds) {
    const double value = value_of(th);
    if (th.metric == Metric::kLatency) v.latency_ms = value;
    if (th.metric == Metric::kMos) {
      headroom += std::clamp((value - 1.0) / 3.5, 0.0, 1.0);
    } else {
      headroom += th.enter > 0 ? std::clamp(1.0 - value / th.enter, 0.0, 1.0) : (value > 0 ? 0.0 : 1.0);
    }
    if (!first_violation && Worse(th.metric, value, th.enter)) {
      first_violation = &th;
      violation_value = value;
    }
    if (Worse(th.metric, value, th.exit)) all_within_exit = false;
  }
  v.score = t.down ? 0.0 : headroom / double(cls.thresholds.size());

  auto emit_change = [&](store::Payload payload) {
    store::Event o{e.event.time, kTunnelPrefix + t.name, std::move(payload), {}, {}};
    o.event_id = fmt::format("analyzer/{}/{}", e.position, outputs_for_position_++);
    out.push_back(std::move(o));
    compliance_changed = true;
  };
  if (v.compliant && (t.down || first_violation)) {
    v.compliant = false;
    store::SlaViolated ev;
    ev.tunnel = t.name;
    ev.sla_class = cls.name;
    if (t.down) {
      ev.metric = "blackout";
      ev.value = v.loss_percent;
      ev.threshold = 100;
      ev.detail = fmt::format("blackout: {} probes lost in a row", t.consecutive_lost);
    } else {
      ev.metric = first_violation->metric == Metric::kLatency
                      ? fmt::format("{}_{}", ToString(cls.latency), ToString(first_violation->statistic))
                      : ToString(first_violation->metric);
      ev.value = violation_value;
      ev.threshold = first_violation->enter;
      ev.detail = fmt::format(
          "brownout: packets flow; latency {:.3f} ms, jitter {:.3f} ms, loss {:.2f} %, MOS {:.2f} "
          "over {} probes",
          w.Latency(Statistic::kMean), v.jitter_ms, v.loss_percent, v.mos, w.size());
    }
    v.violated_metric = ev.metric;
    emit_change(ev);
  } else if (!v.compliant && !t.down && all_within_exit) {
    v.compliant = true;
    store::SlaRecovered ev;
    ev.tunnel = t.name;
    ev.sla_class = cls.name;
    ev.metric = v.violated_metric;
    ev.detail = fmt::format("within the exit thresholds: latency {:.3f} ms, jitter {:.3f} ms, "
                            "loss {:.2f} %, MOS {:.2f}",
                            w.Latency(Statistic::kMean), v.jitter_ms, v.loss_percent, v.mos);
    v.violated_metric.clear();
    emit_change(ev);
  }
}

std::vector<Verdict> Analyzer::Ranking(const std::string& sla_class) const {
  std::vector<Verdict> out;
  for (std::size_t c = 0; c < config_.classes.size(); ++c) {
    if (config_.classes[c].name != sla_class) continue;
    for (const auto& [name, t] : tunnels_) out.push_back(t->verdicts[c]);
  }
  std::stable_sort(out.begin(), out.end(), [](const Verdict& a, const Verdict& b) {
    if (a.compliant != b.compliant) return a.compliant;
    if (a.score != b.score) return a.score > b.score;
    return a.tunnel < b.tunnel;  // ties broken by name: deterministic
  });
  return out;
}

void Analyzer::AnnounceRanking(std::size_t c, const store::RecordedEvent& e, bool force,
                               std::vector<store::Event>& out) {
  if (!force && last_ranked_[c] &&
      e.event.time - *last_ranked_[c] < config_.ranking_interval) {
    return;
  }
  last_ranked_[c] = e.event.time;
  const auto ranking = Ranking(config_.classes[c].name);
  std::vector<std::string> order;
  std::vector<bool> compliance;
  for (const auto& v : ranking) {
    if (!v.judged) continue;
    order.push_back(v.tunnel);
    compliance.push_back(v.compliant);
  }
  if (order.empty() || (order == announced_order_[c] && compliance == announced_compliance_[c])) {
    return;
  }
  announced_order_[c] = order;
  announced_compliance_[c] = compliance;
  store::RankingChanged ev;
  ev.sla_class = config_.classes[c].name;
  for (const auto& v : ranking) {
    if (!v.judged) continue;
    ev.ranking.push_back({v.tunnel, v.score, v.compliant});
    ev.figures.push_back({v.latency_ms, v.jitter_ms, v.loss_percent});
  }
  store::Event o{e.event.time, kClassPrefix + ev.sla_class, ev, {}, {}};
  o.event_id = fmt::format("analyzer/{}/{}", e.position, outputs_for_position_++);
  out.push_back(std::move(o));
}

}  // namespace lineup::analyzer
