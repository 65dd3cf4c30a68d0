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

// The one convention for a probe's sample. The sender knows a probe's fate
// at its reply (T4) when that came within `wait` (the session's loss
// threshold) of T1, else at T1 + wait, as lost (a later reply is late:
// lost, as twping -L counts it; a wait of 0 sets no threshold). Samples of
// a session are logged in sequence order, each once its fate and the fates
// of all probes before it are known, and timed then: `not_before` is the
// time of the session's previous sample. In order, the analyzer's IPDV
// chain is the run summary's (one jitter). The daemon logs a finished run
// this way, the simulator each sample the moment it is due: the analyzer
// and controller see the same timing in both.
WallTime KnownAt(const measure::PacketRecord& packet, Nanos wait);
Event SampleEvent(const std::string& stream, const measure::PacketRecord& packet, Nanos wait,
                  WallTime not_before = WallTime{});

// The RunSummary of a finished run, at its end, with an event id (stream +
// start time), so logging the same run twice writes it once.
Event SummaryEvent(const measure::SessionResult& result);

// One ProbeSample per packet in sequence order, timed as SampleEvent says,
// then the RunSummary; all on the session's stream.
// The summary carries an event id (stream + start time), so logging the same
// run twice writes it once.
std::vector<Event> EventsFromRun(const measure::SessionResult& result);

// One line a person can read, e.g. "seq 7 rtt 12.031 ms (out 5.000, in 7.000)".
std::string Describe(const Event& event);

}  // namespace lineup::store
