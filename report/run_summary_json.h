// The JSON form of a run summary: one schema (docs/schema/run-summary.schema.json)
// for `lineup probe --json`, the API's session results and `lineup log dump`.
#pragma once

#include <nlohmann/json.hpp>

#include "store/events.h"

namespace lineup::report {

// The schema's version, printed as "summary_version".
inline constexpr int kRunSummaryVersion = 1;

// Every member the schema requires; a producer adds its own beside them.
nlohmann::json RunSummaryJson(const store::RunSummary& summary);

}  // namespace lineup::report
