#include "autoflow/controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <spdlog/spdlog.h>

#include "measure/time_text.h"

namespace lineup::autoflow {
namespace {

constexpr const char* kTrafficPrefix = "traffic/";

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
    for (std::size_t i = 0; i < rc->ranking.size(); ++i) {
      const auto& t = rc->ranking[i];
      Line& line = lines_[rc->sla_class][t.tunnel];
      line.judged = true;
      line.score = t.score;
      line.compliant = t.compliant;
      if (i < rc->figures.size()) line.figures = rc->figures[i];
    }
    sla = rc->sla_class;
  } else if (const auto* v = std::get_if<store::SlaViolated>(&e.payload)) {
    Line& line = lines_[v->sla_class][v->tunnel];
    line.judged = true;
    line.compliant = false;
    line.recovered_at.reset();
    line.violated = v->metric == "blackout"
                        ? std::string("blackout")
                        : fmt::format("{} {:.3f} over {:g}", v->metric, v->value, v->threshold);
    sla = v->sla_class;
  } else if (const auto* rec = std::get_if<store::SlaRecovered>(&e.payload)) {
    Line& line = lines_[rec->sla_class][rec->tunnel];
    line.compliant = true;
    line.violated.clear();
    line.recovered_at = e.time;
    sla = rec->sla_class;
  } else if (const auto* d = std::get_if<store::TunnelDown>(&e.payload)) {
    down_[d->tunnel] = true;
  } else if (const auto* u = std::get_if<store::TunnelUp>(&e.payload)) {
    down_[u->tunnel] = false;
  } else if (const auto* p = std::get_if<store::PolicyChanged>(&e.payload)) {
    if (fixed_) return;
    auto parsed = ParseConfig(p->document, p->name.empty() ? "policy" : p->name);
    if (!parsed) {
      ++rejected_policies_;
      spdlog::warn("autoflow: the policy at position {} cannot be read, keeping the one in force: {}",
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

bool Controller::Allowed(const TrafficClass& c, const std::string& tunnel) const {
  return c.tunnels.empty() || std::find(c.tunnels.begin(), c.tunnels.end(), tunnel) != c.tunnels.end();
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
                                       const std::vector<std::string>& in_use) const {
  if (!topology_ || c.destination.empty()) return {};
  auto s = lines_.find(c.sla_class);
  for (const auto& [tunnel, end] : policy_->tunnels) {
    std::optional<PathFigures> figures;
    auto d = down_.find(tunnel);
    const bool up = d == down_.end() || !d->second;
    if (s != lines_.end() && up && !Direct(c, tunnel)) {
      auto l = s->second.find(tunnel);
      const bool dampened = l != s->second.end() && l->second.recovered_at &&
                            now - *l->second.recovered_at < c.anti_flap.failback_delay &&
                            std::find(in_use.begin(), in_use.end(), tunnel) == in_use.end();
      if (l != s->second.end() && l->second.judged && l->second.figures && !dampened) {
        const auto& f = *l->second.figures;
        figures = PathFigures{f.latency_ms, f.loss_percent, f.jitter_ms};
      }
    }
    topology_->SetLine(tunnel, figures);
  }
  const auto& l = c.path_limits;
  return topology_->Best(c.source, c.destination, Limits{l.latency_ms, l.loss_percent, l.jitter_ms}, k);
}

std::string Controller::Describe(const TrafficClass& c, const std::string& tunnel) const {
  if (tunnel.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& t : Members(tunnel)) {
    const Line* line = LineOf(c, t);
    const auto d = down_.find(t);
    if (d != down_.end() && d->second) {
      parts.push_back(fmt::format("{} down", t));
    } else if (!line) {
      parts.push_back(fmt::format("{} not judged", t));
    } else if (!line->compliant) {
      parts.push_back(fmt::format("{} score {:.3f}, violated: {}", t, line->score, line->violated));
    } else {
      parts.push_back(fmt::format("{} score {:.3f}, compliant", t, line->score));
    }
  }
  return Join(parts, "; ");
}

Controller::Decision Controller::Decide(const TrafficClass& c, ClassState& state, WallTime now) const {
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
  auto score = [&](const std::string& t) {
    const Line* l = LineOf(c, t);
    return l ? l->score : 0.0;
  };

  // Every line the class may use, looked up once (this runs on every verdict).
  struct Option {
    const std::string* name;
    double score;
    std::size_t preference;
    bool up;
    bool eligible;  // compliant, up, and not held back by the failback delay
  };
  std::vector<Option> options;
  std::optional<WallTime> undampened_at;  // when a dampened line becomes usable
  if (auto lines = lines_.find(c.sla_class); lines != lines_.end()) {
    options.reserve(lines->second.size());
    for (const auto& [tunnel, line] : lines->second) {
      if (!line.judged || (!index.allowed.empty() && index.allowed.count(tunnel) == 0) ||
          !Direct(c, tunnel)) {
        continue;
      }
      Option o{&tunnel, line.score, preference(tunnel), up(tunnel), false};
      if (o.up && line.compliant) {
        const bool dampened = line.recovered_at && now - *line.recovered_at < af.failback_delay &&
                              !current_member(tunnel);
        o.eligible = !dampened;
        if (dampened) {
          const WallTime at = *line.recovered_at + af.failback_delay;
          undampened_at = undampened_at ? std::min(*undampened_at, at) : at;
        }
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
  auto better = [&](const Option& a, const Option& b) {  // a before b
    if (a.score != b.score) return a.score > b.score;
    if (a.preference != b.preference) return a.preference < b.preference;
    return *a.name < *b.name;
  };
  const Option* best = nullptr;      // the best eligible line
  const Option* preferred = nullptr;  // the most preferred eligible line
  const Option* alive = nullptr;      // the best line that is up at all
  std::size_t eligible = 0;
  for (const auto& o : options) {
    if (o.up && (!alive || better(o, *alive))) alive = &o;
    if (!o.eligible) continue;
    ++eligible;
    if (!best || better(o, *best)) best = &o;
    if (o.preference < c.preferred.size() && (!preferred || o.preference < preferred->preference)) {
      preferred = &o;
    }
  }

  Assignment next;
  next.since = now;
  bool fallback = false;
  std::string hub_note;
  if (c.strategy == Strategy::kLoadBalance && eligible > 0) {
    double total = 0;
    for (const auto& o : options) total += o.eligible ? o.score : 0;
    std::vector<std::string> set;
    for (const auto& o : options) {  // by name
      if (!o.eligible) continue;
      set.push_back(*o.name);
      next.weights.push_back({*o.name, total > 0 ? o.score / total : 1.0 / double(eligible)});
    }
    next.to = Join(set, "+");
  } else if (eligible > 0) {
    next.to = c.strategy == Strategy::kPriority && preferred ? *preferred->name : *best->name;
  } else if (auto paths = HubPaths(c, 3, now, members); !paths.empty()) {
    // No usable direct line: through hubs, within the class's limits.
    const Path& via = paths.front();
    std::string to;
    for (const auto& t : via.tunnels) to += (to.empty() ? "" : ">") + t;
    next.to = to;
    next.path = via.tunnels;
    std::string places;
    for (const auto& p : via.places) places += (places.empty() ? "" : " > ") + p;
    hub_note = fmt::format("; via {}: {:.3f} ms, loss {:.3f} %, jitter {:.3f} ms ({} other feasible path(s))",
                           places, via.figures.latency_ms, via.figures.loss_percent,
                           via.figures.jitter_ms, paths.size() - 1);
  } else if (c.best_of_worst && alive) {
    next.to = *alive->name;
    fallback = true;
  }

  Decision d;
  d.retry_at = undampened_at;
  if (next.to.empty() || next.to == cur) return d;

  bool any_down = false, all_fine = !members.empty();
  const bool on_path = cur.find('>') != std::string::npos;
  PathFigures along;  // of the path in use
  for (const auto& m : members) {
    if (!up(m)) any_down = true;
    if (on_path) {
      const Line* l = LineOf(c, m);
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
    all_fine = all_fine && along.latency_ms <= lim.latency_ms &&
               along.loss_percent <= lim.loss_percent + 1e-9 && along.jitter_ms <= lim.jitter_ms;
  }
  const bool dwell_over = now - state.current.since >= af.min_dwell;
  while (af.switch_period > Nanos(0) && !state.switches.empty() &&
         now - state.switches.front() >= af.switch_period) {
    state.switches.pop_front();
  }
  const bool under_cap = af.switch_period <= Nanos(0) || state.switches.size() < af.max_switches;

  std::string rule;
  if (!state.decided || cur.empty()) {
    rule = fallback ? "initial_best_of_worst" : "initial";
  } else if (any_down) {
    rule = "blackout";  // moves at once, whatever the dwell and the cap
  } else {
    if (!all_fine) {
      rule = fallback ? "best_of_worst" : "brownout";
      if (fallback && score(next.to) <= score(cur) * (1 + af.min_improvement_percent / 100)) {
        return d;  // nothing clearly better to flee to
      }
    } else if (on_path && next.path.empty()) {
      rule = "direct";  // a direct line is usable again: leave the detour through hubs
    } else if (c.strategy == Strategy::kLoadBalance) {
      rule = "rebalance";
    } else if (c.strategy == Strategy::kPriority) {
      if (preference(next.to) >= preference(cur)) return d;
      rule = "preferred";
    } else {
      if (score(next.to) < score(cur) * (1 + af.min_improvement_percent / 100) ||
          score(next.to) <= score(cur)) {
        return d;
      }
      rule = "better";
    }
    if (!dwell_over || !under_cap) {
      WallTime at = now;
      if (!dwell_over) at = std::max(at, state.current.since + af.min_dwell);
      if (!under_cap) at = std::max(at, state.switches.front() + af.switch_period);
      d.retry_at = d.retry_at ? std::min(*d.retry_at, at) : at;
      return d;
    }
  }
  next.rule = rule;
  d.reason = fmt::format("{} -> {}{}", Describe(c, cur), Describe(c, next.to), hub_note);
  if (rule == "better") {
    // A percentage of a score near zero says nothing: give the difference.
    if (score(cur) >= 0.01) {
      d.reason += fmt::format(" ({:+.0f} % score)", 100 * (score(next.to) / score(cur) - 1));
    } else {
      d.reason += fmt::format(" ({:+.3f} score)", score(next.to) - score(cur));
    }
  }
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
    store::Event o{now, kTrafficPrefix + c.name, ev, {}, {}};
    o.event_id = fmt::format("autoflow/{}/{}", r.position, outputs_++);
    out.push_back(std::move(o));
    if (state.decided && d.next->rule != "blackout") state.switches.push_back(now);
    state.current = std::move(*d.next);
    state.decided = true;
  }
  next_deadline_.reset();
  for (const auto& s : classes_) {
    if (s.retry_at && (!next_deadline_ || *s.retry_at < *next_deadline_)) next_deadline_ = s.retry_at;
  }
}

}  // namespace lineup::autoflow
