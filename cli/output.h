// How results look to people (tables) and to programs (JSON).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/reflector_server.h"
#include "net/sender_runner.h"
#include "report/report.h"

namespace lineup::cli {

// Prints "lineup <command>: <message>" on stderr and returns `code`: 2 when
// the user's input was wrong (the default), 1 when the work itself failed.
int Fail(std::string_view command, std::string_view message, int code = 2);

// A duration given on the command line: a number with a unit, or a bare
// number read as seconds, as twping reads its -i; a bare number other than 0
// is then echoed on stderr ("-i 20 read as 20s: ..."), so that 20 meant as
// milliseconds does not run silently for minutes.
[[nodiscard]] Result<Nanos> DurationArg(std::string_view command, std::string_view option,
                                        std::string_view text);

// One block per session: outbound / inbound / round trip with min, avg, max,
// p95 and jitter, then loss, duplicates, reordering and TTL.
std::string SessionTable(const measure::SessionResult& result);

// An SLA report as a text table per tunnel, with the first violations.
std::string TextSummary(const analyzer::Report& report);

// One row per packet: sequence, T1..T4 derived delays, TTL, DSCP.
std::string PacketTable(const measure::SessionResult& result);

// twping -R: one line of numbers per packet, "SEQ T1 T2 T3 T4 TTL RTTL" with
// times in Unix nanoseconds and '-' for what a lost packet does not have.
std::string RawPacketLines(const measure::SessionResult& result);

// twping -M: the summary as "KEY VALUE" lines, one blank line after; units in
// the keys (_MS), '-' for a figure that is not known.
std::string MachineSummary(const measure::SessionResult& result);

// Durations are integers in nanoseconds (fields ending in _ns). With
// `packets`, every packet's record is included.
nlohmann::json SessionJson(const measure::SessionResult& result, bool packets);

std::string ReflectorTable(const std::vector<measure::ListenerStatus>& status);
nlohmann::json ReflectorJson(const std::vector<measure::ListenerStatus>& status);

}  // namespace lineup::cli
