// The SLA analyzer: a deterministic fold over the event log. It reads probe
// samples and session configurations, keeps per-tunnel windows, judges each
// tunnel against every SLA class with hysteresis, tells blackouts (N probes
// lost in a row) from brownouts (a violation while packets flow), scores and
// ranks tunnels per class, and returns its verdicts as events. It reads no
// clock: time is the events' time, so replaying a log gives the same events,
// byte for byte. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/sla.h"
#include "analyzer/window.h"
#include "store/events.h"

namespace lineup::analyzer {

struct AnalyzerConfig {
  std::vector<SlaClass> classes;
  // A tunnel is down after this many probes lost in a row (detected at the
  // Nth, i.e. within N probe intervals).
  std::uint32_t blackout_after_lost = 3;
  // Rankings are re-announced when their order changes, at most once per this
  // much event time (compliance changes are announced at once).
  Nanos ranking_interval = std::chrono::seconds(10);
  // Session name -> tunnel name; a session not listed is its own tunnel.
  std::map<std::string, std::string> tunnel_of_session;
  // Tunnel name -> site (an edge location); reports total per site.
  std::map<std::string, std::string> site_of_tunnel;
};

[[nodiscard]] Result<void> Validate(const AnalyzerConfig& config);

struct Verdict {
  std::string tunnel;
  std::string sla_class;
  bool judged = false;     // enough probes for a verdict
  bool compliant = true;
  bool down = false;
  double score = 0;        // 0..1, higher is better
  double latency_ms = 0;   // the class's latency statistic
  double jitter_ms = 0;
  double loss_percent = 0;
  double mos = 0;
  std::string violated_metric;  // when not compliant
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

 private:
  struct Tunnel;
  Tunnel& TunnelFor(const std::string& name);
  void OnSample(const store::RecordedEvent& e, const store::ProbeSample& s,
                std::vector<store::Event>& out);
  void Judge(Tunnel& t, std::size_t cls, const store::RecordedEvent& e,
             std::vector<store::Event>& out, bool& compliance_changed);
  void AnnounceRanking(std::size_t cls, const store::RecordedEvent& e, bool force,
                       std::vector<store::Event>& out);

  AnalyzerConfig config_;
  std::vector<std::pair<Window, LatencyKind>> window_specs_;  // distinct specs
  std::vector<std::size_t> spec_of_class_;
  std::map<std::string, std::unique_ptr<Tunnel>> tunnels_;
  std::vector<std::vector<std::string>> announced_order_;  // per class
  std::vector<std::vector<bool>> announced_compliance_;
  // When each class was last ranked (none before the first): rankings are
  // computed at most once per ranking_interval unless compliance changed.
  std::vector<std::optional<WallTime>> last_ranked_;
  std::uint32_t outputs_for_position_ = 0;
  std::map<std::string, std::string> logged_tunnel_of_session_;
};

}  // namespace lineup::analyzer
