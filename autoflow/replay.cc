#include "autoflow/replay.h"
#include "autoflow/policy_record.h"

#include "autoflow/controller.h"
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

// One timeline's tally: which line each class is on, since when.
class Tally {
 public:
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
    if (current_.count(p.traffic_class) != 0) ++o.switches;
    current_[p.traffic_class] = p;
  }

 private:
  ClassOutcome& Outcome(const std::string& cls) {
    for (auto& o : t_.classes) {
      if (o.traffic_class == cls) return o;
    }
    t_.classes.push_back({cls, 0, {}, {}, {}});
    std::sort(t_.classes.begin(), t_.classes.end(),
              [](const auto& a, const auto& b) { return a.traffic_class < b.traffic_class; });
    return Outcome(cls);
  }

  Timeline& t_;
  std::map<std::string, std::string> sla_of_;
  std::map<std::string, store::PathSwitched> current_;
  std::optional<WallTime> last_;
};

std::string Canonical(store::Event e) {
  e.event_id.clear();
  e.expected_revision.reset();
  std::string bytes;
  store::EncodeRecord(e, 0, bytes);
  return bytes;
}

}  // namespace

Result<ReplayResult> Replay(const store::EventLog& log, std::optional<Policy> policy,
                            const std::function<void(double)>& progress) {
  ReplayResult result;
  const bool what_if = policy.has_value();
  Controller controller(policy);
  LineBook book;
  Tally recorded(result.recorded), replayed(result.replayed);
  if (policy) replayed.SetPolicy(*policy);
  const std::uint64_t head = log.head();
  std::vector<store::Event> out;
  std::optional<WallTime> first;
  auto read = log.ReadPositions(0, head, {}, [&](const store::LogEntry& entry) {
    if (!entry.event) return true;
    const store::RecordedEvent& r = *entry.event;
    const store::Event& e = r.event;
    if (!first) first = e.time;
    result.to = std::max(result.to, e.time);
    ++result.events;
    recorded.Advance(e.time, book);
    replayed.Advance(e.time, book);
    book.Apply(e);
    if (const auto* p = std::get_if<store::PolicyChanged>(&e.payload)) {
      if (auto parsed = FromEvent(*p)) {
        recorded.SetPolicy(parsed->policy);
        if (!what_if) replayed.SetPolicy(parsed->policy);
      }
    }
    if (std::holds_alternative<store::PathSwitched>(e.payload)) recorded.Decide(e);
    out.clear();
    controller.Apply(r, out);
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
