#include "autoflow/replay.h"

#include <algorithm>

#include "analyzer/exposure.h"
#include "autoflow/controller.h"
#include "autoflow/policy_record.h"
#include "store/codec.h"

namespace lineup::autoflow {
namespace {

// Which lines are usable, per SLA class, as the analyzer's events say.
class LineBook {
 public:
  void Apply(const store::Event& e) {
    if (const auto* rc = std::get_if<store::RankingChanged>(&e.payload)) {
      for (const auto& t : rc->ranking) violated_[rc->sla_class][t.tunnel] = !t.compliant;
    } else if (const auto* v = std::get_if<store::SlaViolated>(&e.payload)) {
      violated_[v->sla_class][v->tunnel] = true;
    } else if (const auto* r = std::get_if<store::SlaRecovered>(&e.payload)) {
      violated_[r->sla_class][r->tunnel] = false;
    } else if (const auto* d = std::get_if<store::TunnelDown>(&e.payload)) {
      down_[d->tunnel] = true;
    } else if (const auto* u = std::get_if<store::TunnelUp>(&e.payload)) {
      down_[u->tunnel] = false;
    }
  }
  bool Bad(const std::string& sla, const std::string& tunnel) const {
    if (auto d = down_.find(tunnel); d != down_.end() && d->second) return true;
    auto s = violated_.find(sla);
    if (s == violated_.end()) return false;
    auto t = s->second.find(tunnel);
    return t != s->second.end() && t->second;
  }

 private:
  std::map<std::string, std::map<std::string, bool>> violated_;
  std::map<std::string, bool> down_;
};

// One timeline's tally: which line each class is on, since when, and the
// stretches it spent on each (for the exposure, computed at the end).
class Tally {
 public:
  struct Stretch {
    WallTime from, to;
    store::PathSwitched on;
  };

  explicit Tally(Timeline& t) : t_(t) {}

  void SetPolicy(const Policy& p) {
    for (const auto& c : p.classes) sla_of_[c.name] = c.sla_class;
  }
  // Event times are not strictly ordered in the log (verdicts come after
  // later samples): time only moves forward here.
  void Advance(WallTime now, const LineBook& book) {
    if (last_ && now <= *last_) return;
    if (last_) {
      const Nanos dt = now - *last_;
      for (auto& [cls, current] : current_) {
        ClassOutcome& o = Outcome(cls);
        o.assigned += dt;
        o.time_on[current.to] += dt;
        double bad = 0;
        if (current.weights.empty()) {
          bad = current.to.empty() || book.Bad(sla_of_[cls], current.to) ? 1.0 : 0.0;
        } else {
          for (const auto& w : current.weights)
            bad += book.Bad(sla_of_[cls], w.tunnel) ? w.weight : 0.0;
        }
        o.out_of_sla += std::chrono::duration_cast<Nanos>(dt * bad);
      }
    }
    last_ = now;
  }
  void Decide(const store::Event& e) {
    const auto& p = std::get<store::PathSwitched>(e.payload);
    t_.decisions.push_back(e);
    ClassOutcome& o = Outcome(p.traffic_class);
    // Stretches run on the decisions' own times (a decision may be logged
    // after later samples; its time is that of the verdict it acted on).
    auto& stretches = stretches_[p.traffic_class];
    const WallTime at = stretches.empty() ? e.time : std::max(e.time, stretches.back().from);
    if (current_.count(p.traffic_class) != 0) {
      ++o.switches;
      stretches.back().to = at;
    }
    stretches.push_back({at, at, p});
    current_[p.traffic_class] = p;
  }
  // The exposure of every class: time on lines whose samples were out of
  // the class's SLA (by the yardstick's SLA class of the class's name).
  void Grade(const analyzer::ExposureJudge& judge, WallTime end) {
    for (auto& [cls, stretches] : stretches_) {
      if (!stretches.empty()) stretches.back().to = std::max(stretches.back().from, end);
      ClassOutcome& o = Outcome(cls);
      const std::string& sla = sla_of_[cls];
      for (const auto& s : stretches) {
        const Nanos length = s.to - s.from;
        if (s.on.to.empty()) {  // no line: the traffic had nowhere to go
          o.exposed += length;
        } else if (!s.on.weights.empty()) {
          for (const auto& w : s.on.weights) {
            o.exposed += std::chrono::duration_cast<Nanos>(
                analyzer::Overlap(judge.OutOfSla(sla, w.tunnel, end), s.from, s.to) * w.weight);
          }
        } else {
          // A path through hubs is out when any of its tunnels is.
          std::vector<std::vector<analyzer::Span>> hops;
          for (const auto& t : s.on.path.empty() ? std::vector<std::string>{s.on.to} : s.on.path)
            hops.push_back(judge.OutOfSla(sla, t, end));
          o.exposed += analyzer::Overlap(analyzer::Union(hops), s.from, s.to);
        }
      }
    }
  }

 private:
  ClassOutcome& Outcome(const std::string& cls) {
    for (auto& o : t_.classes) {
      if (o.traffic_class == cls) return o;
    }
    t_.classes.push_back({cls, 0, {}, {}, {}, {}});
    std::sort(t_.classes.begin(), t_.classes.end(),
              [](const auto& a, const auto& b) { return a.traffic_class < b.traffic_class; });
    return Outcome(cls);
  }

  Timeline& t_;
  std::map<std::string, std::string> sla_of_;
  std::map<std::string, store::PathSwitched> current_;
  std::map<std::string, std::vector<Stretch>> stretches_;
  std::optional<WallTime> last_;
};

// Which tunnel a session's samples speak for, as the analyzer decides it:
// the configuration's word, else the session's SessionConfigured event,
// else (while no tunnel is known at all, a log of `lineup probe`) itself.
class TunnelMap {
 public:
  void Configure(const analyzer::AnalyzerConfig& a) {
    for (const auto& [session, tunnel] : a.tunnel_of_session) configured_.emplace(session, tunnel);
    if (!a.sessions_without_tunnel_are_lines) sessions_are_lines_ = false;
  }
  void Apply(const store::Event& e) {
    if (const auto* c = std::get_if<store::SessionConfigured>(&e.payload)) {
      logged_[c->session] = c->tunnel;
      if (!c->tunnel.empty()) any_tunnel_ = true;
    } else if (const auto* d = std::get_if<store::SessionDeleted>(&e.payload)) {
      logged_.erase(d->session);
    }
  }
  std::string Of(const std::string& session) const {
    if (auto it = configured_.find(session); it != configured_.end()) return it->second;
    if (auto it = logged_.find(session); it != logged_.end() && !it->second.empty())
      return it->second;
    return any_tunnel_ || !configured_.empty() || !sessions_are_lines_ ? "" : session;
  }

 private:
  std::map<std::string, std::string> configured_, logged_;
  bool any_tunnel_ = false;
  bool sessions_are_lines_ = true;
};

// What the analyzer's verdicts depend on: its settings and SLA classes.
bool SameJudging(const analyzer::AnalyzerConfig& a, const analyzer::AnalyzerConfig& b) {
  const store::PolicyRecord x = ToRecord(a, {});
  const store::PolicyRecord y = ToRecord(b, {});
  return x.sla_classes == y.sla_classes && x.blackout_after_lost == y.blackout_after_lost &&
         x.ranking_interval_ns == y.ranking_interval_ns && x.stale_after_ns == y.stale_after_ns &&
         x.sessions_without_tunnel_are_lines == y.sessions_without_tunnel_are_lines;
}

bool IsVerdict(const store::Payload& p) {
  return std::holds_alternative<store::RankingChanged>(p) ||
         std::holds_alternative<store::SlaViolated>(p) ||
         std::holds_alternative<store::SlaRecovered>(p) ||
         std::holds_alternative<store::TunnelDown>(p) ||
         std::holds_alternative<store::TunnelUp>(p) ||
         std::holds_alternative<store::SessionFault>(p) ||
         std::holds_alternative<store::SessionRecovered>(p);
}

// The first policy the log recorded (nullopt when none can be read).
std::optional<LoadedConfig> FirstRecordedPolicy(const store::EventLog& log) {
  std::optional<LoadedConfig> first;
  (void)log.ReadStream(std::string(store::kPolicyStream), 0, [&](const store::LogEntry& entry) {
    if (!entry.event) return true;
    if (const auto* p = std::get_if<store::PolicyChanged>(&entry.event->event.payload)) {
      if (auto parsed = FromEvent(*p)) first = std::move(*parsed);
    }
    return !first;
  });
  return first;
}

std::string Canonical(store::Event e) {
  e.event_id.clear();
  e.expected_revision.reset();
  std::string bytes;
  store::EncodeRecord(e, 0, bytes);
  return bytes;
}

}  // namespace

Result<ReplayResult> Replay(const store::EventLog& log, std::optional<LoadedConfig> what_if,
                            const std::function<void(double)>& progress) {
  ReplayResult result;
  const std::optional<LoadedConfig> recorded_config = FirstRecordedPolicy(log);
  std::optional<analyzer::Analyzer> rejudge;
  if (what_if && (!recorded_config || !SameJudging(what_if->analysis, recorded_config->analysis))) {
    analyzer::AnalyzerConfig a = what_if->analysis;
    if (recorded_config) {  // which session measures which tunnel is the log's, not the policy's
      for (const auto& kv : recorded_config->analysis.tunnel_of_session)
        a.tunnel_of_session.insert(kv);
      for (const auto& kv : recorded_config->analysis.site_of_tunnel) a.site_of_tunnel.insert(kv);
    }
    if (auto ok = analyzer::Validate(a); !ok) return tl::unexpected(ok.error());
    rejudge.emplace(std::move(a));
    result.rejudged = true;
  }
  // The yardstick of exposure: the recorded SLA classes, then the what-if's
  // for names the recording does not have.
  std::vector<analyzer::SlaClass> yardstick;
  TunnelMap tunnels;
  const LoadedConfig* in_order[] = {recorded_config ? &*recorded_config : nullptr,
                                    what_if ? &*what_if : nullptr};
  for (const LoadedConfig* c : in_order) {
    if (c == nullptr) continue;
    tunnels.Configure(c->analysis);
    for (const auto& sla : c->analysis.classes) {
      if (std::none_of(yardstick.begin(), yardstick.end(),
                       [&](const auto& y) { return y.name == sla.name; }))
        yardstick.push_back(sla);
    }
  }
  analyzer::ExposureJudge judge(yardstick);

  Controller controller(what_if ? std::optional<Policy>(what_if->policy) : std::nullopt);
  LineBook recorded_book, rejudged_book;
  Tally recorded(result.recorded), replayed(result.replayed);
  if (what_if) replayed.SetPolicy(what_if->policy);
  const std::uint64_t head = log.head();
  std::vector<store::Event> out, verdicts;
  std::optional<WallTime> first;
  auto read = log.ReadPositions(0, head, {}, [&](const store::LogEntry& entry) {
    if (!entry.event) return true;
    const store::RecordedEvent& r = *entry.event;
    const store::Event& e = r.event;
    if (!first) first = e.time;
    result.to = std::max(result.to, e.time);
    ++result.events;
    recorded.Advance(e.time, recorded_book);
    replayed.Advance(e.time, rejudge ? rejudged_book : recorded_book);
    recorded_book.Apply(e);
    tunnels.Apply(e);
    if (const auto* sample = std::get_if<store::ProbeSample>(&e.payload)) {
      if (auto session = store::NameInStream(e.stream, store::kSessionStreamPrefix)) {
        const std::string tunnel = tunnels.Of(*session);
        if (!tunnel.empty()) judge.Add(*session, tunnel, e.time, *sample);
      }
    } else if (const auto* c = std::get_if<store::SessionConfigured>(&e.payload)) {
      judge.Forget(c->session);
    } else if (const auto* d = std::get_if<store::SessionDeleted>(&e.payload)) {
      judge.Forget(d->session);
    }
    if (const auto* p = std::get_if<store::PolicyChanged>(&e.payload)) {
      if (auto parsed = FromEvent(*p)) {
        recorded.SetPolicy(parsed->policy);
        if (!what_if) replayed.SetPolicy(parsed->policy);
      }
    }
    if (std::holds_alternative<store::PathSwitched>(e.payload)) recorded.Decide(e);
    out.clear();
    if (!rejudge) {
      controller.Apply(r, out);
    } else {
      // The what-if's analyzer speaks for the lines; the recorded verdicts are not heard.
      if (!IsVerdict(e.payload)) controller.Apply(r, out);
      verdicts.clear();
      rejudge->Apply(r, verdicts);
      for (auto& v : verdicts) {
        rejudged_book.Apply(v);
        controller.Apply({r.position, 0, std::move(v)}, out);
      }
    }
    for (const auto& o : out) replayed.Decide(o);
    if (progress && result.events % 262'144 == 0 && head > 0) {
      progress(double(entry.position) / double(head));
    }
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  if (!first) {
    return Fail(ErrorCode::kNotFound, "the log is empty: there is nothing to replay");
  }
  result.from = *first;
  recorded.Grade(judge, result.to);
  replayed.Grade(judge, result.to);
  const auto& a = result.recorded.decisions;
  const auto& b = result.replayed.decisions;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i >= a.size() || i >= b.size() || Canonical(a[i]) != Canonical(b[i])) {
      result.first_difference = i;
      break;
    }
  }
  result.identical = !result.first_difference;
  if (progress) progress(1.0);
  return result;
}

}  // namespace lineup::autoflow
