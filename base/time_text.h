// Durations and times as people type and read them: on the command line, in
// configuration files and in reports.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace lineup {

// "100ms", "1.5s", "250us", "2m", "1h", "7d", "500ns", or terms from the
// largest unit down: "1m30s", "2h15m"; a bare number is seconds.
[[nodiscard]] Result<Nanos> ParseDuration(std::string_view text);
// A duration written with no unit ("20", "0.5"): ParseDuration reads it as
// seconds; a configuration file refuses it, a command line says so.
bool HasNoUnit(std::string_view text);

// Exact, in the largest whole unit; ParseDuration reads it back: "100ms",
// "1500ms", "2m", "1234ns".
std::string FormatDuration(Nanos d);
// A time since a start, to the millisecond: "12.5s", "2m10.25s", "1h2m".
std::string FormatElapsed(Nanos d);

// "2026-11-24T09:00:00Z" (UTC, optional .fraction), "-10m" (that long before
// `now`), or an integer of nanoseconds since 1970.
[[nodiscard]] Result<WallTime> ParseTime(std::string_view text, WallTime now);

// "2026-11-24T09:00:00.123456789Z".
std::string FormatTime(WallTime t);

// Milliseconds with three decimals: "12.345".
std::string Millis(Nanos d);

}  // namespace lineup
