// Exposure: when a line was out of an SLA class as its probe samples say,
// without the analyzer's caution. The analyzer waits for evidence (a Wilson
// bound, min_samples, hysteresis) before it calls a line violated, which is
// right for deciding and wrong for grading a decision: the time between a
// line going bad and the verdict is time the traffic suffered. This judge
// reads the same samples into the same windows (analyzer/window.h). A run of
// samples whose windows' point estimates break an enter value (no evidence
// bound, no min_samples, no hysteresis) makes the line out of SLA from the
// first bad sample in the first breaking window (lost, or over a latency or
// jitter limit) to the first good sample after the last bad one: the window's
// lag is trimmed at both ends, and detection delay counts. `lineup replay`
// grades every timeline with it. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "analyzer/sla.h"
#include "analyzer/window.h"
#include "store/events.h"

namespace lineup::analyzer {

// A span of time [from, to).
struct Span {
  WallTime from, to;
  bool operator==(const Span&) const = default;
};

class ExposureJudge {
 public:
  explicit ExposureJudge(std::vector<SlaClass> classes);
  ~ExposureJudge();

  // One probe sample of `session`, which measures `tunnel`, at event time `at`.
  void Add(const std::string& session, const std::string& tunnel, WallTime at,
           const store::ProbeSample& sample);
  // A deleted or changed session: its jitter chain starts afresh.
  void Forget(const std::string& session);

  // The spans during which `tunnel` was out of `sla_class` by its samples,
  // in time order; one still open is closed at `end`. None for a class or
  // tunnel never seen.
  std::vector<Span> OutOfSla(const std::string& sla_class, const std::string& tunnel,
                             WallTime end) const;

  // Whether a window breaks any enter value of `cls` by point estimate.
  static bool Breaks(const SlaClass& cls, const SampleWindow& window);

 private:
  struct Line;
  struct SessionChains;
  std::vector<SlaClass> classes_;
  std::map<std::string, std::unique_ptr<Line>> lines_;  // tunnel
  std::map<std::string, std::unique_ptr<SessionChains>> sessions_;
};

// How long `spans` (sorted, non-overlapping) overlap [from, to).
Nanos Overlap(const std::vector<Span>& spans, WallTime from, WallTime to);
// The union of sorted span lists, sorted and merged.
std::vector<Span> Union(const std::vector<std::vector<Span>>& lists);

}  // namespace lineup::analyzer
