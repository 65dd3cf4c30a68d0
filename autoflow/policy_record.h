// The policy in the log as data. `lineup run`, `lineup autoflow` and the
// simulator record what they loaded as a PolicyChanged v2 event carrying a
// store::PolicyRecord; the controller and replay read the policy back from the
// record, so an old log replays to the decisions it recorded whatever later
// versions do to the YAML grammar. A v1 event (document only) is read with
// today's grammar, the only way it can be.
#pragma once

#include <string>

#include "autoflow/policy.h"
#include "store/events.h"

namespace lineup::autoflow {

store::PolicyRecord ToRecord(const analyzer::AnalyzerConfig& analysis, const Policy& policy);

// The policy and analyzer settings a PolicyChanged event carries: from its
// record (v2), checked as a loaded file is checked, or from its document (v1).
[[nodiscard]] Result<LoadedConfig> FromEvent(const store::PolicyChanged& event);

// The PolicyChanged event that records `config` under `name`.
store::PolicyChanged PolicyEvent(const std::string& name, const LoadedConfig& config);

}  // namespace lineup::autoflow
