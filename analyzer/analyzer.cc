#include "analyzer/analyzer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "analyzer/evidence.h"
#include "analyzer/mos.h"
#include "base/time_text.h"
#include "measure/metrics.h"

namespace lineup::analyzer {
namespace {

constexpr double kDownScore = -1000;
constexpr double kMaxExcess = 999;  // a bad line never scores below a down one

std::string SessionName(const std::string& stream) {
  return store::NameInStream(stream, store::kSessionStreamPrefix).value_or(stream);
}

}  // namespace

struct Analyzer::Session {
  std::string name;
  std::string tunnel;  // "" : diagnostic
  std::optional<std::uint8_t> dscp;
  Nanos interval{0};                  // between its probes, as configured (0: unknown)
  std::vector<SampleWindow> windows;  // one per distinct window spec
  std::uint32_t consecutive_lost = 0;
  WallTime streak_start;                // the first loss of the current streak
  std::optional<WallTime> last_answer;  // the newest answered probe
  // When it last said anything (bound, a sample, a run's summary), and how
  // far apart its reports come (runs' summaries, else samples): a sibling
  // not asked since a streak began is waited for until it is overdue.
  WallTime quiet_since;
  std::optional<WallTime> last_sample, last_report;
  std::optional<Nanos> sample_gap, report_gap;
  bool fault = false;
  // In a run of losses of outage length (StreakForOutage): the line's outage
  // or its own fault, never loss of the line.
  bool streaking = false;
  ProbeMaker probes;  // its IPDV chains per LatencyKind: the one jitter (measure/metrics.h)
  std::uint64_t samples = 0;
};

struct Analyzer::Tunnel {
  std::string name;
  std::vector<Session*> sessions;
  bool down = false;
  bool unknown = false;
  std::optional<WallTime> last_sample;
  std::vector<Verdict> verdicts;  // per class
  // Per class, while violated: the probes judged since the window last came
  // within every exit value, the evidence a loss violation ends on.
  std::vector<RecoveryTally> recovery;
};

Result<void> Validate(const AnalyzerConfig& config) {
  if (config.classes.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "the analyzer needs at least one SLA class");
  }
  std::set<std::string> names;
  for (const auto& c : config.classes) {
    if (auto r = Validate(c); !r) return r;
    if (!names.insert(c.name).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("SLA class '{}' is defined twice", c.name));
    }
  }
  if (config.blackout_after_lost < 1) {
    return Fail(ErrorCode::kInvalidArgument, "blackout_after_lost must be at least 1");
  }
  if (config.ranking_interval < Nanos(0)) {
    return Fail(ErrorCode::kInvalidArgument, "ranking_interval must not be negative");
  }
  if (config.stale_after < Nanos(0)) {
    return Fail(ErrorCode::kInvalidArgument, "stale_after must not be negative");
  }
  return {};
}

Analyzer::Analyzer(AnalyzerConfig config) : config_(std::move(config)) {
  for (const auto& c : config_.classes) {
    const auto spec = std::make_pair(c.window, c.latency);
    auto it = std::find(window_specs_.begin(), window_specs_.end(), spec);
    if (it == window_specs_.end()) it = window_specs_.insert(window_specs_.end(), spec);
    spec_of_class_.push_back(static_cast<std::size_t>(it - window_specs_.begin()));
    z_of_class_.push_back(OneSidedZ(c.confidence));
  }
  announced_order_.resize(config_.classes.size());
  announced_compliance_.resize(config_.classes.size());
  last_ranked_.assign(config_.classes.size(), std::nullopt);
}

Analyzer::~Analyzer() = default;

std::size_t Analyzer::tunnels() const { return tunnels_.size(); }

std::vector<SessionState> Analyzer::Sessions() const {
  std::vector<SessionState> out;
  for (const auto& [name, s] : sessions_) {
    out.push_back({name, s->tunnel, s->fault, s->consecutive_lost, s->samples});
  }
  return out;
}

Analyzer::Tunnel& Analyzer::TunnelFor(const std::string& name) {
  auto& slot = tunnels_[name];
  if (!slot) {
    slot = std::make_unique<Tunnel>();
    slot->name = name;
    slot->verdicts.resize(config_.classes.size());
    slot->recovery.resize(config_.classes.size());
    for (std::size_t i = 0; i < config_.classes.size(); ++i) {
      slot->verdicts[i].tunnel = name;
      slot->verdicts[i].sla_class = config_.classes[i].name;
    }
  }
  return *slot;
}

Analyzer::Session& Analyzer::SessionFor(const std::string& name) {
  auto& slot = sessions_[name];
  if (!slot) {
    slot = std::make_unique<Session>();
    slot->name = name;
    for (const auto& spec : window_specs_) slot->windows.emplace_back(spec.first);
  }
  return *slot;
}

std::string Analyzer::TunnelOf(const std::string& stream) const {
  std::string session = SessionName(stream);
  if (auto mapped = config_.tunnel_of_session.find(session);
      mapped != config_.tunnel_of_session.end()) {
    return mapped->second;
  }
  auto logged = configured_.find(session);
  if (logged != configured_.end() && !logged->second.tunnel.empty()) return logged->second.tunnel;
  if (!config_.sessions_without_tunnel_are_lines || !config_.tunnel_of_session.empty()) return "";
  for (const auto& [name, c] : configured_) {
    if (!c.tunnel.empty()) return "";  // tunnels are known: an unmapped session is diagnostic
  }
  return session;
}

bool Analyzer::Judged(const std::string& tunnel, std::size_t cls) const {
  auto it = tunnels_.find(tunnel);
  return it != tunnels_.end() && cls < it->second->verdicts.size() &&
         it->second->verdicts[cls].judged;
}

void Analyzer::Emit(const store::RecordedEvent& e, std::string stream, store::Payload payload,
                    std::vector<store::Event>& out) {
  store::Event o{e.event.time, std::move(stream), std::move(payload), {}, {}};
  o.event_id = fmt::format("analyzer/{}/{}", e.position, outputs_for_position_++);
  out.push_back(std::move(o));
}

void Analyzer::Apply(const store::RecordedEvent& e, std::vector<store::Event>& out) {
  outputs_for_position_ = 0;
  if (const auto* s = std::get_if<store::ProbeSample>(&e.event.payload)) {
    OnSample(e, *s, out);
  } else if (const auto* c = std::get_if<store::SessionConfigured>(&e.event.payload)) {
    OnConfigured(e, *c, out);
  } else if (const auto* d = std::get_if<store::SessionDeleted>(&e.event.payload)) {
    configured_.erase(d->session);
    if (auto it = sessions_.find(d->session); it != sessions_.end()) {
      Unbind(*it->second, e, out);
      sessions_.erase(it);
    }
  } else if (std::holds_alternative<store::RunSummary>(e.event.payload)) {
    OnReport(e);
  }
  CheckUndecided(e, out);
  CheckStale(e, out);
}

void Analyzer::OnConfigured(const store::RecordedEvent& e, const store::SessionConfigured& c,
                            std::vector<store::Event>& out) {
  auto known = configured_.find(c.session);
  if (known != configured_.end() && known->second == c) return;  // the same again (a restart)
  const bool first_tunnel =
      !c.tunnel.empty() && std::none_of(configured_.begin(), configured_.end(),
                                        [](const auto& kv) { return !kv.second.tunnel.empty(); });
  configured_[c.session] = c;
  if (first_tunnel) {
    // Tunnels are known from now on: sessions that were lines of their own
    // for want of any are diagnostic.
    for (auto& [name, s] : sessions_) Bind(*s, e, out);
  }
  Session& s = SessionFor(c.session);
  // A changed session starts afresh: its old samples say nothing of the new one.
  Unbind(s, e, out);
  s.dscp = c.dscp;
  s.interval = Nanos(c.interval_ns);
  Bind(s, e, out);
}

void Analyzer::Unbind(Session& s, const store::RecordedEvent& e, std::vector<store::Event>& out) {
  for (auto& w : s.windows) w.Clear();
  s.consecutive_lost = 0;
  s.fault = false;
  s.streaking = false;
  s.probes.Reset();
  s.last_answer.reset();
  s.last_sample.reset();
  s.last_report.reset();
  s.sample_gap.reset();
  s.report_gap.reset();
  if (s.tunnel.empty()) return;
  auto it = tunnels_.find(s.tunnel);
  s.tunnel.clear();
  if (it == tunnels_.end()) return;
  Tunnel& t = *it->second;
  t.sessions.erase(std::remove(t.sessions.begin(), t.sessions.end(), &s), t.sessions.end());
  if (t.sessions.empty()) {
    // No session measures it any more: it leaves the rankings at once.
    undecided_.erase(t.name);
    tunnels_.erase(it);
    for (std::size_t c = 0; c < config_.classes.size(); ++c) AnnounceRanking(c, e, true, out);
    return;
  }
  UpdateLineState(t, e, out);
  JudgeAll(t, e, out, true);
}

void Analyzer::Bind(Session& s, const store::RecordedEvent& e, std::vector<store::Event>& out) {
  const std::string tunnel = TunnelOf(store::SessionStreamOf(s.name));
  if (tunnel == s.tunnel) return;
  Unbind(s, e, out);
  s.tunnel = tunnel;
  if (tunnel.empty()) return;
  s.quiet_since = e.event.time;
  TunnelFor(tunnel).sessions.push_back(&s);
}

Nanos Analyzer::PendingBound() const {
  return config_.stale_after > Nanos(0) ? config_.stale_after : kDefaultStaleAfter;
}

bool Analyzer::Overdue(const Session& s, WallTime now) const {
  // Runs report at their end: the gap between samples of one run says nothing
  // of when the next run reports, so a session that writes summaries is
  // judged on their spacing (unknown until two have come).
  Nanos bound = PendingBound();
  if (const auto gap = s.last_report ? s.report_gap : s.sample_gap) {
    bound = std::min(bound, *gap + *gap / 2);
  }
  return now - s.quiet_since >= bound;
}

void Analyzer::OnReport(const store::RecordedEvent& e) {
  auto it = sessions_.find(SessionName(e.event.stream));
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  if (s.last_report && e.event.time > *s.last_report) s.report_gap = e.event.time - *s.last_report;
  s.last_report = e.event.time;
  s.quiet_since = std::max(s.quiet_since, e.event.time);
}

bool Analyzer::UpdateLineState(Tunnel& t, const store::RecordedEvent& e,
                               std::vector<store::Event>& out) {
  // The line is down when no session has been answered since the newest loss
  // streak (of blackout length) began. A sibling not asked since then (its
  // next run has not reported yet, or it has never reported) can vouch
  // neither way: the line is undecided until it reports or is overdue
  // (Overdue). Each streak is a fault of its session alone once another
  // session has answered since it began.
  const WallTime now = e.event.time;
  std::optional<WallTime> latest_streak;
  std::uint32_t most_lost = 0;
  for (Session* s : t.sessions) {
    s->streaking = s->consecutive_lost >= StreakForOutage(*s);
    if (!s->streaking) continue;
    latest_streak = latest_streak ? std::max(*latest_streak, s->streak_start) : s->streak_start;
    most_lost = std::max(most_lost, s->consecutive_lost);
  }
  bool down = false;
  bool answered_since = false;
  bool undecided = false;
  if (latest_streak) {
    for (const Session* s : t.sessions) {
      if (s->streaking) continue;
      if (s->last_answer && *s->last_answer >= *latest_streak) {
        answered_since = true;
        break;
      }
      const bool asked = s->last_sample && *s->last_sample >= *latest_streak;
      if (!asked && !Overdue(*s, now)) undecided = true;
    }
    if (answered_since) undecided = false;
    down = !answered_since && !undecided;
  }
  if (undecided) {
    undecided_.insert(t.name);
  } else {
    undecided_.erase(t.name);
  }
  if (answered_since) {
    for (Session* s : t.sessions) {
      if (s->fault || s->consecutive_lost < StreakForOutage(*s)) continue;
      s->fault = true;
      store::SessionFault f;
      f.session = s->name;
      f.tunnel = t.name;
      f.consecutive_lost = s->consecutive_lost;
      f.detail = fmt::format(
          "{} probes lost in a row while other sessions of {} are answered: "
          "a fault of this session, not of the line",
          s->consecutive_lost, t.name);
      Emit(e, store::SessionStreamOf(s->name), f, out);
    }
  }
  if (down == t.down) return false;
  t.down = down;
  if (down) {
    store::TunnelDown d;
    d.tunnel = t.name;
    d.consecutive_lost = most_lost;
    d.detail =
        t.sessions.size() == 1
            ? fmt::format("blackout: {} probes lost in a row", most_lost)
            : fmt::format("blackout: none of its {} sessions answered ({} probes lost in a row)",
                          t.sessions.size(), most_lost);
    Emit(e, store::TunnelStreamOf(t.name), d, out);
  } else {
    store::TunnelUp u;
    u.tunnel = t.name;
    u.consecutive_lost = most_lost;
    u.detail = "probes answered again";
    Emit(e, store::TunnelStreamOf(t.name), u, out);
  }
  return true;
}

void Analyzer::OnSample(const store::RecordedEvent& e, const store::ProbeSample& sample,
                        std::vector<store::Event>& out) {
  Session& s = SessionFor(SessionName(e.event.stream));
  if (s.tunnel.empty()) Bind(s, e, out);
  if (s.last_sample && e.event.time > *s.last_sample) s.sample_gap = e.event.time - *s.last_sample;
  s.last_sample = e.event.time;
  s.quiet_since = std::max(s.quiet_since, e.event.time);
  ++s.samples;
  if (s.tunnel.empty()) return;  // diagnostic: results and reports only
  Tunnel& t = TunnelFor(s.tunnel);
  t.last_sample = e.event.time;
  bool changed = false;
  if (t.unknown) {
    t.unknown = false;
    for (auto& v : t.verdicts) v.unknown = false;
    changed = true;
  }

  if (sample.lost) {
    if (s.consecutive_lost++ == 0) s.streak_start = e.event.time;
  } else {
    if (s.fault) {
      s.fault = false;
      store::SessionRecovered r;
      r.session = s.name;
      r.tunnel = t.name;
      r.consecutive_lost = s.consecutive_lost;
      r.detail = "answered again";
      Emit(e, store::SessionStreamOf(s.name), r, out);
      // The fault's losses were the session's, not the line's.
      for (auto& w : s.windows) w.Clear();
      s.probes.Reset();
    }
    s.consecutive_lost = 0;
    s.last_answer = e.event.time;
  }

  const auto probes = s.probes.Next(e.event.time, sample);
  for (std::size_t c = 0; c < config_.classes.size(); ++c) {
    if (t.verdicts[c].compliant || !SpeaksFor(t, s, config_.classes[c])) continue;
    ++t.recovery[c].total;
    t.recovery[c].lost += sample.lost ? 1 : 0;
  }
  for (std::size_t w = 0; w < window_specs_.size(); ++w) {
    s.windows[w].Add(probes[static_cast<std::size_t>(window_specs_[w].second)]);
  }
  if (UpdateLineState(t, e, out)) changed = true;
  JudgeAll(t, e, out, changed);
}

void Analyzer::JudgeAll(Tunnel& t, const store::RecordedEvent& e, std::vector<store::Event>& out,
                        bool force_announce) {
  std::vector<store::Event> changes;
  for (std::size_t c = 0; c < config_.classes.size(); ++c) {
    bool compliance_changed = force_announce;
    changes.clear();
    Judge(t, c, e, changes, compliance_changed);
    // A violation after the ranking: whoever escapes on it then holds every
    // line's figures as of now, not of the last ranking. A recovery before
    // it: the ranking then shows a line whose failback delay has begun.
    const bool violation = std::any_of(changes.begin(), changes.end(), [](const auto& ev) {
      return std::holds_alternative<store::SlaViolated>(ev.payload);
    });
    if (!violation) {
      for (auto& ev : changes) out.push_back(std::move(ev));
      changes.clear();
    }
    AnnounceRanking(c, e, compliance_changed, out);
    for (auto& ev : changes) out.push_back(std::move(ev));
  }
}

void Analyzer::CheckUndecided(const store::RecordedEvent& e, std::vector<store::Event>& out) {
  if (undecided_.empty()) return;
  // Copied: deciding a line takes it out of the set.
  const std::vector<std::string> names(undecided_.begin(), undecided_.end());
  for (const auto& name : names) {
    auto it = tunnels_.find(name);
    if (it == tunnels_.end()) {
      undecided_.erase(name);
      continue;
    }
    if (UpdateLineState(*it->second, e, out)) JudgeAll(*it->second, e, out, true);
  }
}

void Analyzer::CheckStale(const store::RecordedEvent& e, std::vector<store::Event>& out) {
  if (config_.stale_after <= Nanos(0)) return;
  const WallTime now = e.event.time;
  if (next_stale_check_ && now < *next_stale_check_) return;
  next_stale_check_ = now + std::min<Nanos>(config_.stale_after / 4, std::chrono::seconds(1));
  for (auto& [name, tp] : tunnels_) {
    Tunnel& t = *tp;
    if (t.unknown || !t.last_sample || now - *t.last_sample < config_.stale_after) continue;
    t.unknown = true;
    t.recovery.assign(config_.classes.size(), {});
    // Old samples do not speak for the line now.
    for (Session* s : t.sessions) {
      for (auto& w : s->windows) w.Clear();
      s->probes.Reset();
    }
    for (std::size_t c = 0; c < config_.classes.size(); ++c) {
      Verdict& v = t.verdicts[c];
      v.unknown = true;
      v.samples = 0;
      if (v.compliant && v.judged) {
        v.compliant = false;
        v.violated_metric = "unknown";
        store::SlaViolated ev;
        ev.tunnel = t.name;
        ev.sla_class = config_.classes[c].name;
        ev.metric = "unknown";
        ev.value =
            double(std::chrono::duration_cast<std::chrono::seconds>(now - *t.last_sample).count());
        ev.threshold =
            double(std::chrono::duration_cast<std::chrono::seconds>(config_.stale_after).count());
        ev.detail =
            fmt::format("unknown: no measurement for {} (stale_after {})",
                        FormatElapsed(now - *t.last_sample), FormatDuration(config_.stale_after));
        Emit(e, store::TunnelStreamOf(t.name), ev, out);
      }
    }
    for (std::size_t c = 0; c < config_.classes.size(); ++c) AnnounceRanking(c, e, true, out);
  }
}

namespace {

// The windows of several sessions judged as one line.
struct Combined {
  std::vector<const SampleWindow*> windows;
  std::uint64_t size = 0, lost = 0, received = 0, ipdv_count = 0;
  double latency_sum = 0, round_trip_sum = 0, ipdv_sum = 0;

  void Add(const SampleWindow& w) {
    windows.push_back(&w);
    size += w.size();
    lost += w.lost();
    received += w.received();
    ipdv_count += w.ipdv_count();
    latency_sum += w.latency_sum();
    round_trip_sum += w.round_trip_sum();
    ipdv_sum += w.ipdv_sum();
  }
  double LossPercent() const { return size == 0 ? 0 : 100.0 * double(lost) / double(size); }
  double Jitter() const { return ipdv_count == 0 ? 0 : ipdv_sum / double(ipdv_count); }
  double MeanRoundTrip() const { return received == 0 ? 0 : round_trip_sum / double(received); }
  // Means over every probe; order statistics the worst session's (a line is
  // as good as its worst-served sessions of the class).
  double Latency(Statistic s) const {
    if (windows.size() == 1) return windows.front()->Latency(s);
    if (s == Statistic::kMean) return received == 0 ? 0 : latency_sum / double(received);
    double worst = 0;
    for (const auto* w : windows) {
      if (w->received() > 0) worst = std::max(worst, w->Latency(s));
    }
    return worst;
  }
};

// A loss violation ends on evidence too: the Wilson upper bound, at
// kRecoveryConfidence, of the probes since the window came within every
// exit value must be under the enter value. (A window of 100 without a loss
// says the loss is under 8.7 % at the class's 99.9 %, which proves nothing
// against a 1 % limit; 163 such probes say it is under 1 % with 90 %.)
// Only a loss violation waits for it (latency and jitter end on their exit
// values over min_samples, a blackout or an unknown line on fresh probes).
// `bound` gets the upper bound.
bool RecoveryEvidence(const SlaClass& cls, const RecoveryTally& tally,
                      std::optional<double>& bound) {
  for (const auto& th : cls.thresholds) {
    if (th.metric != Metric::kLoss) continue;
    static const double z = OneSidedZ(kRecoveryConfidence);  // once, not per probe
    bound = WilsonBounds(tally.lost, tally.total, z).high;
    return *bound < th.enter;
  }
  return true;
}

}  // namespace

std::uint32_t Analyzer::StreakForOutage(const Session& s) const {
  const std::uint32_t base = config_.blackout_after_lost;
  if (s.windows.empty()) return base;
  // The session's own loss before the current streak.
  const SampleWindow& w = s.windows.front();
  const std::uint64_t streak = std::min<std::uint64_t>(s.consecutive_lost, w.lost());
  const std::uint64_t size = w.size() - std::min<std::uint64_t>(streak, w.size());
  if (size < 20) return base;  // too few probes to know the line's loss
  const double p = double(w.lost() - streak) / double(size);
  if (p <= 0) return base;
  // The chance per probe that makes a false outage rarer than once in
  // kFalseOutageEvery of this session's probing (1 s apart when unknown).
  const Nanos gap = s.interval > Nanos(0) ? s.interval : Nanos(std::chrono::seconds(1));
  const double chance =
      std::min(kChanceStreak, double(gap.count()) / double(Nanos(kFalseOutageEvery).count()));
  const double needed = std::ceil(std::log(chance) / std::log(std::min(p, 0.9)));
  return std::clamp<std::uint32_t>(static_cast<std::uint32_t>(needed), base, 4 * base);
}

bool Analyzer::SpeaksFor(const Tunnel& t, const Session& s, const SlaClass& cls) const {
  // Not in fault or in an outage-length streak (unless the whole line is
  // down), and with the class's
  // marking where any of the line's sessions has it.
  auto fits = [&](const Session& x) {
    return x.dscp && std::find(cls.dscp.begin(), cls.dscp.end(), *x.dscp) != cls.dscp.end();
  };
  if ((s.fault || s.streaking) && !t.down) return false;
  const bool any_fits = std::any_of(t.sessions.begin(), t.sessions.end(),
                                    [&](const Session* x) { return !x->fault && fits(*x); });
  return !any_fits || fits(s);
}

void Analyzer::Judge(Tunnel& t, std::size_t c, const store::RecordedEvent& e,
                     std::vector<store::Event>& out, bool& compliance_changed) {
  const SlaClass& cls = config_.classes[c];
  const std::size_t spec = spec_of_class_[c];
  Verdict& v = t.verdicts[c];
  v.down = t.down;

  Combined w;
  for (const Session* s : t.sessions) {
    if (SpeaksFor(t, *s, cls)) w.Add(s->windows[spec]);
  }
  v.samples = w.size;
  if (w.size < cls.min_samples && !t.down) return;
  if (!v.judged) {  // a tunnel entering the ranking is announced at once
    v.judged = true;
    compliance_changed = true;
  }
  v.jitter_ms = w.Jitter();
  v.loss_percent = w.LossPercent();
  const LossBounds bounds = WilsonBounds(w.lost, w.size, z_of_class_[c]);
  v.loss_low_percent = bounds.low;
  v.loss_high_percent = bounds.high;
  v.mos = Mos(w.MeanRoundTrip() / 2, v.jitter_ms, v.loss_percent);
  // Delay figures need enough answered probes to say anything.
  const bool delays_judged = w.received >= cls.min_samples;

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
  double headroom = 0, excess = 0, loss_headroom = 0, loss_excess = 0;
  const Threshold* first_violation = nullptr;
  double violation_value = 0;
  bool all_within_exit = true;
  for (const auto& th : cls.thresholds) {
    const double value = value_of(th);
    const bool judged = th.metric == Metric::kLoss || delays_judged;
    if (th.metric == Metric::kLatency) v.latency_ms = value;
    double h = 0, x = 0;
    if (th.metric == Metric::kMos) {
      h = std::clamp((value - 1.0) / 3.5, 0.0, 1.0);
      x = judged && value < th.enter ? (th.enter - value) / std::max(th.enter - 1.0, 1e-9) : 0.0;
    } else if (th.enter > 0) {
      h = std::clamp(1.0 - value / th.enter, 0.0, 1.0);
      x = judged && value > th.enter ? value / th.enter - 1.0 : 0.0;
    } else {
      h = value > 0 ? 0.0 : 1.0;
    }
    headroom += h;
    excess += x;
    if (th.metric == Metric::kLoss) {
      loss_headroom = h;
      loss_excess = x;
    }
    // Loss enters on evidence: the lower bound must be over the limit.
    const bool over = th.metric == Metric::kLoss ? bounds.low > th.enter
                                                 : judged && Worse(th.metric, value, th.enter);
    if (!first_violation && over) {
      first_violation = &th;
      violation_value = value;
    }
    if (!judged || Worse(th.metric, value, th.exit)) all_within_exit = false;
  }
  const double n = double(cls.thresholds.size());
  if (t.down) {
    v.score = kDownScore;
    v.loss_share = 0;
  } else {
    // The loss's share is what the score would lose with the loss neutral
    // (no headroom, no excess), in the same scale whichever side of its limit
    // each line is: two lines whose loss noise cannot tell apart then compare
    // on their other metrics alike (a line over its loss limit keeps the
    // credit of its latency headroom).
    auto score_of = [&](double h, double x) { return x > 0 ? -std::min(x, kMaxExcess) : h / n; };
    v.score = score_of(headroom, excess);
    v.loss_share = v.score - score_of(headroom - loss_headroom, excess - loss_excess);
  }

  if (v.compliant || !all_within_exit) t.recovery[c] = {};
  std::optional<double> recovery_bound;
  auto emit_change = [&](store::Payload payload) {
    Emit(e, store::TunnelStreamOf(t.name), std::move(payload), out);
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
      ev.detail = "blackout: no session of the line answered";
    } else {
      ev.metric =
          first_violation->metric == Metric::kLatency
              ? fmt::format("{}_{}", ToString(cls.latency), ToString(first_violation->statistic))
              : ToString(first_violation->metric);
      ev.value = violation_value;
      ev.threshold = first_violation->enter;
      std::string evidence;
      if (first_violation->metric == Metric::kLoss) {
        evidence = fmt::format(" (at least {:.2f} % with {:g} % confidence)", bounds.low,
                               100 * cls.confidence);
      }
      ev.detail = fmt::format(
          "brownout: packets flow; {} {:.3f} over {:g}{}; latency {:.3f} ms, jitter {:.3f} ms, "
          "loss {:.2f} %, MOS {:.2f} over {} probes",
          ev.metric, violation_value, first_violation->enter, evidence, w.Latency(Statistic::kMean),
          v.jitter_ms, v.loss_percent, v.mos, w.size);
    }
    v.violated_metric = ev.metric;
    emit_change(ev);
  } else if (!v.compliant && !t.down && !t.unknown && all_within_exit &&
             (v.violated_metric != "loss" ||
              RecoveryEvidence(cls, t.recovery[c], recovery_bound))) {
    v.compliant = true;
    store::SlaRecovered ev;
    ev.tunnel = t.name;
    ev.sla_class = cls.name;
    ev.metric = v.violated_metric;
    ev.detail = fmt::format(
        "within the exit thresholds: latency {:.3f} ms, jitter {:.3f} ms, "
        "loss {:.2f} %, MOS {:.2f} over {} probes{}",
        w.Latency(Statistic::kMean), v.jitter_ms, v.loss_percent, v.mos, w.size,
        recovery_bound
            ? fmt::format("; loss at most {:.2f} % with {:g} % confidence over {} probes",
                          *recovery_bound, 100 * kRecoveryConfidence, t.recovery[c].total)
            : "");
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
    if (a.unknown != b.unknown) return b.unknown;
    if (a.score != b.score) return a.score > b.score;
    return a.tunnel < b.tunnel;  // ties broken by name: deterministic
  });
  return out;
}

void Analyzer::AnnounceRanking(std::size_t c, const store::RecordedEvent& e, bool force,
                               std::vector<store::Event>& out) {
  if (!force && last_ranked_[c] && e.event.time - *last_ranked_[c] < config_.ranking_interval) {
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
  if (order == announced_order_[c] && compliance == announced_compliance_[c]) return;
  announced_order_[c] = order;
  announced_compliance_[c] = compliance;
  store::RankingChanged ev;
  ev.sla_class = config_.classes[c].name;
  for (const auto& v : ranking) {
    if (!v.judged) continue;
    ev.ranking.push_back({v.tunnel, v.score, v.compliant});
    ev.figures.push_back({v.latency_ms, v.jitter_ms, v.loss_percent});
    ev.evidence.push_back(
        {v.loss_low_percent, v.loss_high_percent, v.loss_share, v.samples, v.unknown});
  }
  Emit(e, store::ClassStreamOf(ev.sla_class), ev, out);
}

}  // namespace lineup::analyzer
