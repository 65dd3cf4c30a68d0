// Opening the event log from commands.
#pragma once

#include <memory>
#include <string>

#include "store/event_log.h"

namespace lineup::cli {

// Read-only view that works with or without a running writer (a follower
// instance that catches up on open).
[[nodiscard]] Result<std::unique_ptr<store::EventLog>> OpenLogForReading(const std::string& dir);

}  // namespace lineup::cli
