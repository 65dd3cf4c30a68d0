// Events from measurement results: what a finished test session logs.
#pragma once

#include <string>
#include <vector>

#include "measure/session.h"
#include "store/events.h"

namespace lineup::store {

// The stream of a session's events: "session/<name>".
std::string SessionStream(const measure::SessionConfig& config);

SessionConfigured ConfiguredFrom(const measure::SessionConfig& config);
RunSummary SummaryFrom(const measure::SessionResult& result);
RunSummary SummaryFrom(const measure::Summary& summary, WallTime started, WallTime finished);

// One ProbeSample per packet, then the RunSummary; all on the session's stream.
// The summary carries an event id (stream + start time), so logging the same
// run twice writes it once.
std::vector<Event> EventsFromRun(const measure::SessionResult& result);

// One line a person can read, e.g. "seq 7 rtt 12.031 ms (out 5.000, in 7.000)".
std::string Describe(const Event& event);

}  // namespace lineup::store
