// Offline replay and what-if: runs a recorded log through the controller,
// under the policy recorded in it (which must reproduce the recorded
// decisions byte for byte) or under another policy, and tallies for each the
// decisions, the switches, the time each traffic class spent on each line,
// and the time it spent out of SLA.
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
  Nanos out_of_sla{0};         // of which on lines violated or down (weighted for load balance)
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
};

// `policy`: the what-if policy; none to replay under the log's own.
[[nodiscard]] Result<ReplayResult> Replay(const store::EventLog& log, std::optional<Policy> policy,
                                          const std::function<void(double)>& progress = {});

}  // namespace lineup::autoflow
