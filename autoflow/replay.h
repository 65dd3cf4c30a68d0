// Offline replay and what-if: runs a recorded log through the controller,
// under the policy recorded in it (which must reproduce the recorded
// decisions byte for byte) or under another policy, and tallies for each the
// decisions, the switches, the time each traffic class spent on each line,
// and the time it spent out of SLA.
//
// When the what-if's SLA classes or analyzer settings differ from the
// recorded ones, its own analyzer re-judges the lines from the recorded
// probe samples and the controller decides on those verdicts (the recorded
// verdicts are not used). Every timeline is graded the same way: exposure is
// the time a class spent on a line whose samples were out of the class's
// recorded SLA (analyzer/exposure.h), so detection delay counts and a looser
// policy cannot look better by calling less "out of SLA".
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autoflow/policy.h"
#include "store/event_log.h"

namespace lineup::autoflow {

struct ClassOutcome {
  std::string traffic_class;
  std::uint64_t switches = 0;  // after the first decision
  Nanos assigned{0};           // time from the first decision to the end
  Nanos out_of_sla{0};         // of which on lines the timeline's verdicts called down, unknown or
                               // violated (weighted for load balance)
  Nanos exposed{0};            // of which on lines whose samples were out of the class's SLA
                               // (the recorded SLA class of that name; weighted for load balance)
  std::map<std::string, Nanos> time_on;  // line (or set) -> time
};

struct Timeline {
  std::vector<store::Event> decisions;  // PathSwitched, in log order
  std::vector<ClassOutcome> classes;    // by name
};

struct ReplayResult {
  WallTime from, to;
  std::uint64_t events = 0;
  Timeline recorded;
  Timeline replayed;
  // The replayed decisions equal the recorded ones (time, stream, payload).
  bool identical = false;
  std::optional<std::size_t> first_difference;  // index into the decisions
  // The what-if's own analyzer judged the lines (its SLA classes differ).
  bool rejudged = false;
};

// `what_if`: the policy (and SLA classes) to try; none to replay under the log's own.
[[nodiscard]] Result<ReplayResult> Replay(const store::EventLog& log,
                                          std::optional<LoadedConfig> what_if,
                                          const std::function<void(double)>& progress = {});

}  // namespace lineup::autoflow
