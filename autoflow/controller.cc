#include "autoflow/controller.h"
#include "autoflow/policy_record.h"

#include <fmt/format.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <cmath>

#include "base/time_text.h"

namespace lineup::autoflow {
namespace {

std::string Join(const std::vector<std::string>& names, std::string_view sep) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : std::string(sep)) + n;
  return out;
}

// The tunnels of an assignment: "a", "a+b" (load balance) or "a>b" (a path).
std::vector<std::string> Members(const std::string& to) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= to.size() && !to.empty()) {
    const auto plus = to.find_first_of("+>", start);
    out.push_back(to.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return out;
}

}  // namespace

Controller::Controller(std::optional<Policy> fixed) : fixed_(fixed.has_value()) {
  if (fixed) SetPolicy(std::move(*fixed));
}

void Controller::SetPolicy(Policy policy) {
  // Classes that remain keep their line: a new policy is no reason to move.
  std::vector<ClassState> states(policy.classes.size());
  if (policy_) {
    for (std::size_t i = 0; i < policy.classes.size(); ++i) {
      for (std::size_t j = 0; j < policy_->classes.size(); ++j) {
        if (policy_->classes[j].name == policy.classes[i].name) states[i] = classes_[j];
      }
    }
  }
  classes_ = std::move(states);
  index_.clear();
  for (const auto& c : policy.classes) {
    ClassIndex ix;
    ix.allowed.insert(c.tunnels.begin(), c.tunnels.end());
    for (std::size_t i = 0; i < c.preferred.size(); ++i) ix.preference.emplace(c.preferred[i], i);
    index_.push_back(std::move(ix));
  }
  topology_.reset();
  for (const auto& c : policy.classes) {
    if (!c.destination.empty()) topology_.emplace(policy.tunnels);
  }
  policy_ = std::move(policy);
}

const Assignment* Controller::Current(const std::string& traffic_class) const {
  if (!policy_) return nullptr;
  for (std::size_t i = 0; i < policy_->classes.size(); ++i) {
    if (policy_->classes[i].name == traffic_class && classes_[i].decided) {
      return &classes_[i].current;
    }
  }
  return nullptr;
}

void Controller::Apply(const store::RecordedEvent& r, std::vector<store::Event>& out) {
  outputs_ = 0;
  const store::Event& e = r.event;
  std::optional<std::string> sla;  // the SLA class concerned; nullopt: every class
  bool relevant = true;
  if (const auto* rc = std::get_if<store::RankingChanged>(&e.payload)) {
    // A ranking lists every judged line of its class: a line it leaves out
    // (its sessions deleted) is no candidate any more.
    auto& lines = lines_[rc->sla_class];
    for (auto& [tunnel, line] : lines) line.judged = false;
    for (std::size_t i = 0; i < rc->ranking.size(); ++i) {
      const auto& t = rc->ranking[i];
      Line& line = lines[t.tunnel];
      line.judged = true;
      line.score = t.score;
      line.compliant = t.compliant;
      if (i < rc->figures.size()) {
        line.figures = rc->figures[i];
        line.figures_at = e.time;
      }
      if (i < rc->evidence.size()) {
        line.evidence = rc->evidence[i];
      } else {
        line.evidence.reset();
      }
    }
    sla = rc->sla_class;
  } else if (const auto* v = std::get_if<store::SlaViolated>(&e.payload)) {
    Line& line = lines_[v->sla_class][v->tunnel];
    const bool was_down = down_.count(v->tunnel) != 0 && down_[v->tunnel];
    line.judged = true;
    line.violated_detail = v->detail;
    line.compliant = false;
    line.recovered_at.reset();
    line.violated_metric = v->metric;
    line.violated_value = v->value;
    line.violated_limit = v->threshold;
    line.violated_at = e.time;
    // A blackout is counted at its TunnelDown; no measurement is no failure.
    if (v->metric != "blackout" && v->metric != "unknown" && !was_down) {
      AddFailure(v->sla_class, v->tunnel, e.time);
    }
    sla = v->sla_class;
  } else if (const auto* rec = std::get_if<store::SlaRecovered>(&e.payload)) {
    Line& line = lines_[rec->sla_class][rec->tunnel];
    line.compliant = true;
    line.violated_metric.clear();
    line.recovered_at = e.time;
    sla = rec->sla_class;
  } else if (const auto* d = std::get_if<store::TunnelDown>(&e.payload)) {
    const bool was_down = down_.count(d->tunnel) != 0 && down_[d->tunnel];
    down_[d->tunnel] = true;
    for (const auto& [cls, lines] : lines_) {
      auto l = lines.find(d->tunnel);
      const bool was_fine = l == lines.end() || l->second.compliant;
      if (!was_down && was_fine) AddFailure(cls, d->tunnel, e.time);
    }
  } else if (const auto* u = std::get_if<store::TunnelUp>(&e.payload)) {
    down_[u->tunnel] = false;
  } else if (const auto* p = std::get_if<store::PolicyChanged>(&e.payload)) {
    if (fixed_) return;
    auto parsed = FromEvent(*p);
    if (!parsed) {
      ++rejected_policies_;
      spdlog::warn(
          "autoflow: the policy at position {} cannot be read, keeping the one in force: {}",
          r.position, parsed.error().message);
      return;
    }
    SetPolicy(std::move(parsed->policy));
  } else {
    relevant = next_deadline_ && e.time >= *next_deadline_;
  }
  if (!policy_ || !relevant) return;
  for (std::size_t c = 0; c < policy_->classes.size(); ++c) {
    if (!sla || policy_->classes[c].sla_class == *sla) Evaluate(c, r, out);
  }
}

double Controller::Decayed(const Penalty& p, const Damping& d, WallTime now) {
  const double half_lives = std::chrono::duration<double>(now - p.at).count() /
                            std::chrono::duration<double>(d.half_life).count();
  return p.value * std::exp2(-std::max(0.0, half_lives));
}

void Controller::AddFailure(const std::string& sla_class, const std::string& tunnel, WallTime now) {
  if (!policy_) return;
  for (std::size_t i = 0; i < policy_->classes.size(); ++i) {
    const TrafficClass& c = policy_->classes[i];
    const Damping& d = c.anti_flap.damping;
    if (c.sla_class != sla_class || !d.enabled) continue;
    Penalty& p = classes_[i].damping[tunnel];
    const double ceiling =
        d.reuse * std::exp2(std::chrono::duration<double>(d.max_suppress).count() /
                            std::chrono::duration<double>(d.half_life).count());
    p.value = std::min(Decayed(p, d, now) + d.penalty, std::max(ceiling, d.suppress));
    p.at = now;
    ++p.failures;
    if (p.value >= d.suppress) p.suppressed = true;
  }
}

bool Controller::Suppressed(const TrafficClass& c, const ClassState& state,
                            const std::string& tunnel, WallTime now,
                            std::optional<WallTime>* reusable_at) const {
  const Damping& d = c.anti_flap.damping;
  auto it = state.damping.find(tunnel);
  if (!d.enabled || it == state.damping.end() || !it->second.suppressed) return false;
  const Penalty& p = it->second;
  if (Decayed(p, d, now) < d.reuse) return false;
  if (reusable_at) {
    const double half_lives = std::log2(p.value / d.reuse);
    *reusable_at =
        p.at +
        std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(d.half_life) * half_lives) +
        Nanos(1);
  }
  return true;
}

std::vector<LineDampingState> Controller::DampingStates(WallTime now) const {
  std::vector<LineDampingState> out;
  if (!policy_) return out;
  for (std::size_t i = 0; i < policy_->classes.size(); ++i) {
    const TrafficClass& c = policy_->classes[i];
    for (const auto& [tunnel, p] : classes_[i].damping) {
      out.push_back({c.name, tunnel, Decayed(p, c.anti_flap.damping, now),
                     Suppressed(c, classes_[i], tunnel, now), p.failures});
    }
  }
  return out;
}

bool Controller::Allowed(const TrafficClass& c, const std::string& tunnel) const {
  return c.tunnels.empty() ||
         std::find(c.tunnels.begin(), c.tunnels.end(), tunnel) != c.tunnels.end();
}

const Controller::Line* Controller::LineOf(const TrafficClass& c, const std::string& tunnel) const {
  auto s = lines_.find(c.sla_class);
  if (s == lines_.end()) return nullptr;
  auto l = s->second.find(tunnel);
  return l == s->second.end() || !l->second.judged ? nullptr : &l->second;
}

bool Controller::Eligible(const TrafficClass& c, const std::string& tunnel, WallTime now,
                          bool dampen) const {
  const Line* line = LineOf(c, tunnel);
  if (!line || !line->compliant || !Allowed(c, tunnel)) return false;
  if (line->evidence && line->evidence->unknown) return false;
  if (auto d = down_.find(tunnel); d != down_.end() && d->second) return false;
  // A line that violated must stay clean for the failback delay first.
  return !(dampen && line->recovered_at && now - *line->recovered_at < c.anti_flap.failback_delay);
}

bool Controller::Direct(const TrafficClass& c, const std::string& tunnel) const {
  if (c.destination.empty()) return true;
  auto it = policy_->tunnels.find(tunnel);
  if (it == policy_->tunnels.end()) return false;
  const TunnelEnd& end = it->second;
  return (end.site == c.source && end.peer == c.destination) ||
         (end.site == c.destination && end.peer == c.source);
}

std::vector<Path> Controller::HubPaths(const TrafficClass& c, std::size_t k, WallTime now,
                                       const std::vector<std::string>& in_use, bool relaxed) const {
  if (!topology_ || c.destination.empty()) return {};
  auto s = lines_.find(c.sla_class);
  for (const auto& [tunnel, end] : policy_->tunnels) {
    std::optional<PathFigures> figures;
    auto d = down_.find(tunnel);
    const bool up = d == down_.end() || !d->second;
    if (s != lines_.end() && up && !Direct(c, tunnel)) {
      auto l = s->second.find(tunnel);
      const bool dampened = !relaxed && l != s->second.end() && l->second.recovered_at &&
                            now - *l->second.recovered_at < c.anti_flap.failback_delay &&
                            std::find(in_use.begin(), in_use.end(), tunnel) == in_use.end();
      const bool unknown =
          l != s->second.end() && l->second.evidence && l->second.evidence->unknown;
      if (l != s->second.end() && l->second.judged && l->second.figures && !dampened && !unknown) {
        const auto& f = *l->second.figures;
        figures = PathFigures{f.latency_ms, f.loss_percent, f.jitter_ms};
      }
    }
    topology_->SetLine(tunnel, figures);
  }
  const auto& l = c.path_limits;
  return topology_->Best(c.source, c.destination,
                         relaxed ? Limits{} : Limits{l.latency_ms, l.loss_percent, l.jitter_ms}, k);
}

std::string Controller::Describe(const TrafficClass& c, const ClassState& state,
                                 const std::string& tunnel, WallTime now) const {
  if (tunnel.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& t : Members(tunnel)) {
    const Line* line = LineOf(c, t);
    const auto d = down_.find(t);
    std::string part;
    if (d != down_.end() && d->second) {
      part = fmt::format("{} down", t);
    } else if (!line) {
      part = fmt::format("{} not judged", t);
    } else if (line->evidence && line->evidence->unknown) {
      part = fmt::format("{} unknown (no fresh measurement)", t);
    } else if (!line->compliant && !line->violated_detail.empty() &&
               (!line->figures_at ||
                (line->violated_at && *line->figures_at < *line->violated_at))) {
      // The violation is newer than the last ranking: its own figures are the true ones.
      part = fmt::format("{} violated: {}", t, line->violated_detail);
    } else {
      // A violation the ranking shows before its SlaViolated arrives has no
      // metric yet: the figures below say what is wrong.
      const bool named = !line->compliant && !line->violated_metric.empty();
      part = fmt::format("{} score {:.3f}, {}", t, line->score,
                         line->compliant ? "compliant"
                         : named         ? "violated: "
                                         : "violated");
      if (named) {
        // The figure now, where the ranking has a newer one than the violation.
        double value = line->violated_value;
        const bool newer = line->figures && line->figures_at &&
                           (!line->violated_at || *line->figures_at >= *line->violated_at);
        if (newer) {
          const std::string& m = line->violated_metric;
          if (m == "loss") value = line->figures->loss_percent;
          if (m == "jitter") value = line->figures->jitter_ms;
          if (m.find("round_trip") == 0 || m.find("outbound") == 0 || m.find("inbound") == 0) {
            value = line->figures->latency_ms;
          }
        }
        part +=
            fmt::format("{} {:.3f} over {:g}", line->violated_metric, value, line->violated_limit);
      }
      if (line->figures) {
        part += fmt::format(" (latency {:.3f} ms, jitter {:.3f} ms, loss {:.2f} %",
                            line->figures->latency_ms, line->figures->jitter_ms,
                            line->figures->loss_percent);
        if (line->evidence && line->evidence->samples > 0) {
          part += fmt::format(" [{:.2f}-{:.2f} %] over {} probes", line->evidence->loss_low_percent,
                              line->evidence->loss_high_percent, line->evidence->samples);
        }
        part += ")";
      }
    }
    if (auto p = state.damping.find(t); p != state.damping.end() && c.anti_flap.damping.enabled) {
      const double value = Decayed(p->second, c.anti_flap.damping, now);
      if (value >= 1) {
        part += fmt::format(", flap penalty {:.0f}{}", value,
                            Suppressed(c, state, t, now) ? " (suppressed)" : "");
      }
    }
    parts.push_back(std::move(part));
  }
  return Join(parts, "; ");
}

bool Controller::ClearlyBetter(const TrafficClass& c, const std::string& a, const std::string& b,
                               std::string* why) const {
  const Line* la = LineOf(c, a);
  const Line* lb = LineOf(c, b);
  if (!la || !lb) return la != nullptr;
  double gain = la->score - lb->score;
  // Loss figures whose bounds overlap do not tell the lines apart: the part
  // of the score difference they make is noise.
  if (la->evidence && lb->evidence) {
    const auto& ea = *la->evidence;
    const auto& eb = *lb->evidence;
    const bool overlap =
        ea.loss_low_percent <= eb.loss_high_percent && eb.loss_low_percent <= ea.loss_high_percent;
    if (overlap) gain -= ea.loss_share - eb.loss_share;
  }
  const AntiFlap& af = c.anti_flap;
  const double needed =
      std::max(af.min_score_gain, std::abs(lb->score) * af.min_improvement_percent / 100);
  if (why) *why = fmt::format(" (score {:+.3f} beyond noise, {:.3f} needed)", gain, needed);
  return gain >= needed && gain > 0;
}

Controller::Decision Controller::Decide(const TrafficClass& c, ClassState& state,
                                        WallTime now) const {
  const AntiFlap& af = c.anti_flap;
  const std::string cur = state.current.to;
  const auto members = Members(cur);
  auto current_member = [&](const std::string& t) {
    return std::find(members.begin(), members.end(), t) != members.end();
  };
  const ClassIndex& index = index_[static_cast<std::size_t>(&c - policy_->classes.data())];
  auto preference = [&](const std::string& t) {
    auto it = index.preference.find(t);
    return it == index.preference.end() ? c.preferred.size() : it->second;  // not preferred: last
  };
  auto up = [&](const std::string& t) {
    auto d = down_.find(t);
    return d == down_.end() || !d->second;
  };
  std::optional<WallTime> retry_at;
  auto retry = [&](WallTime at) { retry_at = retry_at ? std::min(*retry_at, at) : at; };

  // Every line the class may use, looked up once (this runs on every verdict).
  struct Option {
    const std::string* name;
    double score;
    std::size_t preference;
    bool alive;     // up and measured freshly
    bool usable;    // alive and compliant: an escape target
    bool eligible;  // usable and not restrained (failback delay, damping): any target
  };
  std::vector<Option> options;
  if (auto lines = lines_.find(c.sla_class); lines != lines_.end()) {
    options.reserve(lines->second.size());
    for (const auto& [tunnel, line] : lines->second) {
      if (!line.judged || (!index.allowed.empty() && index.allowed.count(tunnel) == 0) ||
          !Direct(c, tunnel)) {
        continue;
      }
      const bool unknown = line.evidence && line.evidence->unknown;
      Option o{&tunnel, line.score, preference(tunnel), up(tunnel) && !unknown, false, false};
      o.usable = o.alive && line.compliant;
      if (o.usable) {
        bool restrained = false;
        if (!current_member(tunnel)) {
          if (line.recovered_at && now - *line.recovered_at < af.failback_delay) {
            restrained = true;
            retry(*line.recovered_at + af.failback_delay);
          }
          std::optional<WallTime> reusable;
          if (Suppressed(c, state, tunnel, now, &reusable)) {
            restrained = true;
            if (reusable) retry(*reusable);
          }
        }
        o.eligible = !restrained;
      }
      options.push_back(o);
    }
  }
  if (!state.decided && !options.empty() && af.initial_wait > Nanos(0)) {
    // At start-up, lines are judged one after the other: wait for all of
    // them (or initial_wait) so the first choice is not undone at once.
    std::size_t lines = 0;
    for (const auto& [tunnel, end] : policy_->tunnels) {
      if ((index.allowed.empty() || index.allowed.count(tunnel) != 0) && Direct(c, tunnel)) ++lines;
    }
    if (!state.first_verdict) state.first_verdict = now;
    const WallTime until = *state.first_verdict + af.initial_wait;
    if (options.size() < lines && now < until) {
      Decision wait;
      wait.retry_at = until;
      return wait;
    }
  }

  // Where the class is now.
  const bool on_path = cur.find('>') != std::string::npos;
  bool any_down = false, any_unknown = false, all_fine = !members.empty();
  PathFigures along;  // of the path in use
  for (const auto& m : members) {
    const Line* l = LineOf(c, m);
    if (!up(m)) any_down = true;
    // Unknown as the ranking says, or as the violation that says so (it may
    // arrive before the ranking that carries it).
    if (!l || (l->evidence && l->evidence->unknown) ||
        (!l->compliant && l->violated_metric == "unknown"))
      any_unknown = true;
    if (on_path) {
      if (!l || !l->figures) {
        all_fine = false;
        continue;
      }
      along.latency_ms += l->figures->latency_ms;
      along.loss_percent = 100 - (100 - along.loss_percent) * (1 - l->figures->loss_percent / 100);
      along.jitter_ms = std::max(along.jitter_ms, l->figures->jitter_ms);
    } else if (!Eligible(c, m, now, false)) {
      all_fine = false;
    }
  }
  if (on_path) {  // a path is fine while it stays within the class's limits
    const auto& lim = c.path_limits;
    all_fine = all_fine && !any_down && along.latency_ms <= lim.latency_ms &&
               along.loss_percent <= lim.loss_percent + 1e-9 && along.jitter_ms <= lim.jitter_ms;
  }
  const bool escaping = state.decided && !cur.empty() && !all_fine;

  auto better = [&](const Option& a, const Option& b) {  // a before b
    if (a.score != b.score) return a.score > b.score;
    if (a.preference != b.preference) return a.preference < b.preference;
    return *a.name < *b.name;
  };
  // The best line by each standard; an escape may use a restrained line.
  // An escape goes first to lines within every limit by their figures (score
  // at least 0), then to lines merely not yet shown to be out of SLA: a line
  // losing 2 % against a 1 % limit is "compliant" for want of evidence, and
  // escaping to it only to leave it a second later is a flap.
  auto pick_among = [&](bool Option::*flag, bool within_only) {
    const Option* best = nullptr;
    const Option* preferred = nullptr;
    for (const auto& o : options) {
      if (!(o.*flag) || (within_only && o.score < 0)) continue;
      if (!best || better(o, *best)) best = &o;
      if (o.preference < c.preferred.size() &&
          (!preferred || o.preference < preferred->preference)) {
        preferred = &o;
      }
    }
    return c.strategy == Strategy::kPriority && preferred ? preferred : best;
  };
  auto pick = [&](bool Option::*flag) {
    if (escaping) {
      if (const Option* o = pick_among(flag, true)) return o;
    }
    return pick_among(flag, false);
  };
  bool Option::*target = &Option::eligible;
  if (escaping && !pick(&Option::eligible)) target = &Option::usable;

  Assignment next;
  next.since = now;
  bool fallback = false;
  std::string hub_note;
  auto via_hubs = [&](const Path& via) {
    std::string to;
    for (const auto& t : via.tunnels) to += (to.empty() ? "" : ">") + t;
    next.to = to;
    next.path = via.tunnels;
    std::string places;
    for (const auto& p : via.places) places += (places.empty() ? "" : " > ") + p;
    hub_note = fmt::format("; via {}: {:.3f} ms, loss {:.3f} %, jitter {:.3f} ms", places,
                           via.figures.latency_ms, via.figures.loss_percent, via.figures.jitter_ms);
  };
  if (const Option* chosen = pick(target); chosen && c.strategy == Strategy::kLoadBalance) {
    double total = 0;
    std::size_t n = 0;
    for (const auto& o : options) {
      if (o.*target) {
        total += std::max(o.score, 0.0);
        ++n;
      }
    }
    std::vector<std::string> set;
    for (const auto& o : options) {  // by name
      if (!(o.*target)) continue;
      set.push_back(*o.name);
      next.weights.push_back(
          {*o.name, total > 0 ? std::max(o.score, 0.0) / total : 1.0 / double(n)});
    }
    next.to = Join(set, "+");
  } else if (chosen) {
    next.to = *chosen->name;
  } else if (auto paths = HubPaths(c, 3, now, members); !paths.empty()) {
    // No usable direct line: through hubs, within the class's limits.
    via_hubs(paths.front());
    hub_note += fmt::format(" ({} other feasible path(s))", paths.size() - 1);
  } else if (c.best_of_worst) {
    // Nothing within the SLA: the least bad line that carries packets, and a
    // detour over budget rather than a dead line.
    const Option* alive = pick(&Option::alive);
    if (alive) {
      next.to = *alive->name;
      fallback = true;
    } else if (auto relaxed = HubPaths(c, 1, now, members, true); !relaxed.empty()) {
      via_hubs(relaxed.front());
      hub_note += " (over the class's limits: the least bad detour)";
      fallback = true;
    }
  }

  Decision d;
  d.retry_at = retry_at;
  if (next.to.empty() || next.to == cur) return d;

  std::string rule;
  std::string gain_note;
  bool optional = false;
  if (!state.decided || cur.empty()) {
    rule = fallback ? "initial_best_of_worst" : "initial";
  } else if (escaping) {
    // Safety first: no dwell, failback delay, damping or cap holds this back.
    rule = any_down ? "blackout" : any_unknown ? "unknown" : "brownout";
    if (fallback && !any_down && !any_unknown) {
      // From one line out of SLA to another: only where it is clearly less bad.
      if (!next.path.empty() || on_path || !ClearlyBetter(c, next.to, cur, &gain_note)) return d;
      rule = "best_of_worst";
    }
  } else {
    optional = true;
    if (on_path && next.path.empty()) {
      rule = "direct";  // a direct line is usable again: leave the detour through hubs
    } else if (c.strategy == Strategy::kLoadBalance) {
      rule = "rebalance";
    } else if (c.strategy == Strategy::kPriority) {
      if (preference(next.to) >= preference(cur)) return d;
      rule = "preferred";
    } else {
      if (!ClearlyBetter(c, next.to, cur, &gain_note)) return d;
      rule = "better";
    }
  }
  if (optional) {
    const bool dwell_over = now - state.current.since >= af.min_dwell;
    while (af.switch_period > Nanos(0) && !state.switches.empty() &&
           now - state.switches.front() >= af.switch_period) {
      state.switches.pop_front();
    }
    const bool under_cap = af.switch_period <= Nanos(0) || state.switches.size() < af.max_switches;
    if (!dwell_over || !under_cap) {
      WallTime at = now;
      if (!dwell_over) at = std::max(at, state.current.since + af.min_dwell);
      if (!under_cap) at = std::max(at, state.switches.front() + af.switch_period);
      d.retry_at = d.retry_at ? std::min(*d.retry_at, at) : at;
      return d;
    }
  }
  next.rule = rule;
  d.reason = fmt::format("{} -> {}{}{}", Describe(c, state, cur, now),
                         Describe(c, state, next.to, now), hub_note, gain_note);
  d.next = std::move(next);
  return d;
}

void Controller::Evaluate(std::size_t cls, const store::RecordedEvent& r,
                          std::vector<store::Event>& out) {
  const TrafficClass& c = policy_->classes[cls];
  ClassState& state = classes_[cls];
  const WallTime now = r.event.time;
  Decision d = Decide(c, state, now);
  state.retry_at = d.retry_at;
  if (d.next) {
    store::PathSwitched ev;
    ev.traffic_class = c.name;
    ev.from = state.current.to;
    ev.to = d.next->to;
    ev.rule = d.next->rule;
    ev.reason = d.reason;
    ev.weights = d.next->weights;
    ev.path = d.next->path;
    store::Event o{now, store::TrafficStreamOf(c.name), ev, {}, {}};
    o.event_id = fmt::format("autoflow/{}/{}", r.position, outputs_++);
    out.push_back(std::move(o));
    if (state.decided) state.switches.push_back(now);  // every move counts, escapes too
    state.current = std::move(*d.next);
    state.decided = true;
  }
  next_deadline_.reset();
  for (const auto& s : classes_) {
    if (s.retry_at && (!next_deadline_ || *s.retry_at < *next_deadline_))
      next_deadline_ = s.retry_at;
  }
}

}  // namespace lineup::autoflow
