// Events as JSON, for `lineup log dump --json` and the API.
#pragma once

#include <nlohmann/json.hpp>

#include "store/event_log.h"

namespace lineup::cli {

// {"position", "revision", "time", "time_unix_ns", "stream", "type", "event_id", "data": {...}}
nlohmann::json EventJson(const store::RecordedEvent& event);

}  // namespace lineup::cli
