// The SLA analyzer: a deterministic fold over the event log. It reads probe
// samples and session configurations and judges lines (tunnels), not
// sessions: every session configured on a tunnel keeps its own windows, and a
// class's verdict on the tunnel combines the sessions whose DSCP fits the
// class (all of them where none does). A tunnel is down only when none of its
// sessions is answered; one session unanswered while another is answered is
// a session fault, reported as such, and its samples stop counting for the
// line. A loss violation needs evidence (a Wilson bound at the class's
// confidence over the enter value); latency and jitter need min_samples
// answered probes. Out-of-SLA lines keep being ordered by how far out they
// are. A tunnel with no sample for stale_after is unknown: never compliant.
// A sibling not asked since a streak began (its next run has not reported,
// or it has never reported) vouches neither way: the line is undecided until
// it reports or is overdue, so a dead session's streak logged before its
// sibling's next run is not taken for the line's.
// It reads no clock: time is the events' time, so replaying a log gives the
// same events, byte for byte. Not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analyzer/sla.h"
#include "analyzer/window.h"
#include "store/events.h"

namespace lineup::analyzer {

inline constexpr Nanos kDefaultStaleAfter = std::chrono::minutes(2);

struct AnalyzerConfig {
  std::vector<SlaClass> classes;
  // A tunnel is down after this many probes lost in a row (detected at the
  // Nth, i.e. within N probe intervals).
  std::uint32_t blackout_after_lost = 3;
  // Rankings are re-announced when their order changes, at most once per this
  // much event time (compliance changes are announced at once).
  Nanos ranking_interval = std::chrono::seconds(10);
  // Session name -> tunnel name. A session on no tunnel (neither here nor in
  // its SessionConfigured event) is diagnostic: never part of a line. Only
  // while no tunnel is known at all (a log of `lineup probe`) and
  // sessions_without_tunnel_are_lines is set is each session a line of its own.
  std::map<std::string, std::string> tunnel_of_session;
  bool sessions_without_tunnel_are_lines = true;
  // A tunnel with no probe sample for this long is unknown (0: never). It
  // also bounds how long a session not yet heard from is pending.
  Nanos stale_after = kDefaultStaleAfter;
  // Tunnel name -> site (an edge location); reports total per site.
  std::map<std::string, std::string> site_of_tunnel;
};

[[nodiscard]] Result<void> Validate(const AnalyzerConfig& config);

// How sure the evidence must be that a line's loss is back under the enter
// value before a loss violation ends (see Analyzer::Judge, docs/analyzer.md).
inline constexpr double kRecoveryConfidence = 0.9;

// A run of losses this unlikely under a line's own loss ratio is an outage:
// at most this likely per probe, and rare enough that the line's own loss
// gives such a run by chance less than once in kFalseOutageEvery of the
// session's probing (per probe, not per run: at 10 probes/s and 6 % loss,
// 1e-4 per probe alone was a false outage every ~20 minutes).
inline constexpr double kChanceStreak = 1e-4;
inline constexpr std::chrono::hours kFalseOutageEvery{24 * 365};

// Probes counted toward ending a violation.
struct RecoveryTally {
  std::uint64_t total = 0, lost = 0;
};

struct Verdict {
  std::string tunnel;
  std::string sla_class;
  bool judged = false;  // enough probes for a verdict
  bool compliant = true;
  bool down = false;
  bool unknown = false;  // no fresh measurement: not compliant, never a target
  // Higher is better. Within every limit: the mean headroom, 0..1. Beyond a
  // limit: minus the summed relative excess (19 % loss on a 1 % limit is -18,
  // 1.6 % is -0.6), so lines out of SLA stay ordered by how far out they are.
  // Down: -1000.
  double score = 0;
  // The loss threshold's part of the score: score minus the score with the
  // loss neutral (neither headroom nor excess).
  double loss_share = 0;
  double loss_low_percent = 0, loss_high_percent = 100;  // Wilson bounds
  std::uint64_t samples = 0;                             // probes in the window(s) judged
  double latency_ms = 0;                                 // the class's latency statistic
  double jitter_ms = 0;
  double loss_percent = 0;
  double mos = 0;
  std::string violated_metric;  // when not compliant
};

// A session as the analyzer sees it.
struct SessionState {
  std::string session;
  std::string tunnel;  // "" : diagnostic, on no line
  bool fault = false;  // unanswered while its line carries other sessions
  std::uint32_t consecutive_lost = 0;
  std::uint64_t samples = 0;
};

class Analyzer {
 public:
  // `config` must have passed Validate.
  explicit Analyzer(AnalyzerConfig config);
  ~Analyzer();

  // Folds one event of the log and appends what it concludes to `out`: SLA
  // violated/recovered, tunnel down/up, ranking changed. Events it does not
  // read (including its own outputs) are ignored. Output events carry ids
  // derived from the input position, so appending them twice writes them once.
  void Apply(const store::RecordedEvent& event, std::vector<store::Event>& out);

  // Current verdicts of a class, best first (compliant, then score, then name).
  std::vector<Verdict> Ranking(const std::string& sla_class) const;
  const AnalyzerConfig& config() const { return config_; }
  // The tunnel a session's stream ("session/NAME") measures: the
  // configuration's word, else what the session's SessionConfigured event in
  // the log said, else the session itself.
  std::string TunnelOf(const std::string& stream) const;
  // Whether a tunnel has had enough probes for a verdict in class `cls`.
  bool Judged(const std::string& tunnel, std::size_t cls) const;
  std::size_t tunnels() const;
  // Every session seen, by name.
  std::vector<SessionState> Sessions() const;

 private:
  struct Tunnel;
  struct Session;
  Tunnel& TunnelFor(const std::string& name);
  Session& SessionFor(const std::string& name);
  // Puts a session on the tunnel it measures now; a move starts it afresh.
  void Bind(Session& s, const store::RecordedEvent& e, std::vector<store::Event>& out);
  void Unbind(Session& s, const store::RecordedEvent& e, std::vector<store::Event>& out);
  void OnSample(const store::RecordedEvent& e, const store::ProbeSample& s,
                std::vector<store::Event>& out);
  void OnConfigured(const store::RecordedEvent& e, const store::SessionConfigured& c,
                    std::vector<store::Event>& out);
  // Down/up and session faults from the sessions' loss streaks.
  bool UpdateLineState(Tunnel& t, const store::RecordedEvent& e, std::vector<store::Event>& out);
  // How many lost probes in a row make an outage of this session: the
  // configured blackout_after_lost, or more on a lossy line, as many as its
  // own loss would give in a row by chance less than once a year of its
  // probing (kFalseOutageEvery; at 10 probes/s and 6 % loss: 8), at most
  // 4 x blackout_after_lost. A streak the line's loss explains is loss (a
  // brownout), not a blackout.
  std::uint32_t StreakForOutage(const Session& s) const;
  // How long a session may stay quiet before it is overdue: 1.5 times its
  // usual gap between reports (runs' summaries, else samples), at most
  // PendingBound(): stale_after, or kDefaultStaleAfter when staleness is off.
  Nanos PendingBound() const;
  bool Overdue(const Session& s, WallTime now) const;
  void OnReport(const store::RecordedEvent& e);
  // Lines waiting for a sibling's word, decided once it speaks or is overdue.
  void CheckUndecided(const store::RecordedEvent& e, std::vector<store::Event>& out);
  // Whether a session's samples speak for the line in class `cls`.
  bool SpeaksFor(const Tunnel& t, const Session& s, const SlaClass& cls) const;
  void JudgeAll(Tunnel& t, const store::RecordedEvent& e, std::vector<store::Event>& out,
                bool force_announce);
  void Judge(Tunnel& t, std::size_t cls, const store::RecordedEvent& e,
             std::vector<store::Event>& out, bool& compliance_changed);
  void CheckStale(const store::RecordedEvent& e, std::vector<store::Event>& out);
  void AnnounceRanking(std::size_t cls, const store::RecordedEvent& e, bool force,
                       std::vector<store::Event>& out);
  void Emit(const store::RecordedEvent& e, std::string stream, store::Payload payload,
            std::vector<store::Event>& out);

  AnalyzerConfig config_;
  std::vector<std::pair<Window, LatencyKind>> window_specs_;  // distinct specs
  std::vector<std::size_t> spec_of_class_;
  std::vector<double> z_of_class_;
  std::map<std::string, std::unique_ptr<Tunnel>> tunnels_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
  std::map<std::string, store::SessionConfigured> configured_;  // the log's, by session
  std::optional<WallTime> next_stale_check_;
  std::set<std::string> undecided_;  // tunnels waiting for a sibling (UpdateLineState)
  std::vector<std::vector<std::string>> announced_order_;  // per class
  std::vector<std::vector<bool>> announced_compliance_;
  // When each class was last ranked (none before the first): rankings are
  // computed at most once per ranking_interval unless compliance changed.
  std::vector<std::optional<WallTime>> last_ranked_;
  std::uint32_t outputs_for_position_ = 0;
};

}  // namespace lineup::analyzer
