// The path-selection controller: a deterministic fold over the event log.
// It reads the analyzer's verdicts (RankingChanged, SlaViolated/Recovered,
// TunnelDown/Up) and the policy (PolicyChanged), keeps per traffic class the
// line in use, and returns a PathSwitched event for every move, with the rule
// and the figures that caused it.
//
// Safety first: leaving a line that is down, unknown or out of SLA for a
// line that is better for the class is never held back by the dwell, the
// failback delay, flap damping or the switch cap; those restrain optional
// moves only (failback, better, preferred, rebalance, direct). Every move is
// counted against the cap, whatever its rule. Optional moves also need an
// improvement the measurements can tell: loss differences within the
// lines' Wilson bounds count for nothing.
//
// Timers (dwell, failback delay, switch cap) are checked against the time of
// each event folded, probe samples included (they arrive every probe
// interval), so a timer takes effect at the first event at or after its
// deadline, the same live and in replay. The controller reads no clock.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "autoflow/policy.h"
#include "autoflow/topology.h"
#include "store/events.h"

namespace lineup::autoflow {

// What a traffic class uses now.
struct Assignment {
  std::string to;  // as in PathSwitched::to ("" before the first decision)
  std::vector<store::LineWeight> weights;
  std::vector<std::string> path;
  WallTime since;
  std::string rule;
};

// A line's flap damping in a traffic class.
struct LineDampingState {
  std::string traffic_class;
  std::string tunnel;
  double penalty = 0;  // as of `now` given to Damping()
  bool suppressed = false;
  std::uint32_t failures = 0;
};

class Controller {
 public:
  // With a policy, PolicyChanged events in the log are ignored (what-if
  // replay); without, the controller waits for the log's first PolicyChanged.
  explicit Controller(std::optional<Policy> fixed = std::nullopt);

  // Folds one event; appends PathSwitched events to `out` with ids derived
  // from the input position ("autoflow/<position>/<k>"), so appending them
  // again writes them once.
  void Apply(const store::RecordedEvent& event, std::vector<store::Event>& out);

  const Assignment* Current(const std::string& traffic_class) const;
  const std::optional<Policy>& policy() const { return policy_; }
  // Policies in the log that could not be read (kept the previous one).
  std::uint64_t rejected_policies() const { return rejected_policies_; }
  // Every line with a flap penalty, decayed to `now`.
  std::vector<LineDampingState> DampingStates(WallTime now) const;

 private:
  struct Line {
    bool judged = false;
    bool compliant = true;
    double score = 0;
    std::string violated_metric;  // of the current violation
    std::string violated_detail;  // its figures in words, as the analyzer gave them
    double violated_value = 0, violated_limit = 0;
    std::optional<WallTime> violated_at;
    std::optional<WallTime> recovered_at;
    std::optional<store::LineFigures> figures;
    std::optional<WallTime> figures_at;
    std::optional<store::LineEvidence> evidence;
  };
  struct Penalty {
    double value = 0;
    WallTime at;
    bool suppressed = false;
    std::uint32_t failures = 0;
  };
  struct ClassState {
    Assignment current;
    std::map<std::string, Penalty> damping;  // tunnel -> flap penalty
    bool decided = false;
    std::deque<WallTime> switches;     // within the cap's period
    std::optional<WallTime> retry_at;  // when a held-back move is looked at again
    std::optional<WallTime>
        first_verdict;  // before the first decision: when a line was first judged
  };
  struct Decision {
    std::optional<Assignment> next;
    std::string reason;
    std::optional<WallTime> retry_at;  // a wanted move is held back until then
  };

  void SetPolicy(Policy policy);
  void Evaluate(std::size_t cls, const store::RecordedEvent& e, std::vector<store::Event>& out);
  Decision Decide(const TrafficClass& c, ClassState& state, WallTime now) const;
  bool Allowed(const TrafficClass& c, const std::string& tunnel) const;
  const Line* LineOf(const TrafficClass& c, const std::string& tunnel) const;
  bool Eligible(const TrafficClass& c, const std::string& tunnel, WallTime now, bool dampen) const;
  std::string Describe(const TrafficClass& c, const ClassState& state, const std::string& tunnel,
                       WallTime now) const;
  // Whether `a` is better than `b` for the class by more than the anti-flap
  // margins and the loss evidence allow measurement noise to explain.
  bool ClearlyBetter(const TrafficClass& c, const std::string& a, const std::string& b,
                     std::string* why) const;
  // A line that was fine failed (went down or out of SLA): a flap penalty.
  // Toggles while it is still failing are the same failure.
  void AddFailure(const std::string& sla_class, const std::string& tunnel, WallTime now);
  // The penalty decayed to `now`, and when a suppressed line is reusable.
  static double Decayed(const Penalty& p, const Damping& d, WallTime now);
  bool Suppressed(const TrafficClass& c, const ClassState& state, const std::string& tunnel,
                  WallTime now, std::optional<WallTime>* reusable_at = nullptr) const;
  bool Direct(const TrafficClass& c, const std::string& tunnel) const;
  // Best paths through hubs for the class now, from the lines' figures.
  // Paths through hubs (never the direct tunnels, never a line down or held
  // back by the failback delay unless it is in use).
  // With `relaxed`, the class's limits are ignored (the least bad detour).
  std::vector<Path> HubPaths(const TrafficClass& c, std::size_t k, WallTime now,
                             const std::vector<std::string>& in_use, bool relaxed = false) const;

  // Per traffic class, for lookups in Decide.
  struct ClassIndex {
    std::unordered_set<std::string> allowed;  // empty: every tunnel
    std::unordered_map<std::string, std::size_t> preference;
  };

  std::optional<Policy> policy_;
  std::vector<ClassIndex> index_;
  mutable std::optional<Topology> topology_;  // when some class has a destination
  bool fixed_ = false;
  std::vector<ClassState> classes_;
  std::map<std::string, std::map<std::string, Line>> lines_;  // SLA class -> tunnel -> line
  std::unordered_map<std::string, bool> down_;                // tunnel -> down
  std::optional<WallTime> next_deadline_;
  std::uint32_t outputs_ = 0;
  std::uint64_t rejected_policies_ = 0;
};

}  // namespace lineup::autoflow
