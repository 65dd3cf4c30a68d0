// A report as people and programs read it: JSON (schema "lineup.report/1",
// documented in docs/analyzer.md), CSV tables, and a self-contained HTML page
// with SVG plots that opens offline (no script, no external resource).
#pragma once

#include <string>
#include <string_view>

#include "report/report.h"

namespace lineup::analyzer {

std::string ReportJson(const Report& report);

// One CSV table per call: summary (a row per tunnel and class), violations,
// outages, gaps, switches, sites, series (a row per tunnel and plot point).
enum class CsvTable { kSummary, kViolations, kOutages, kGaps, kSwitches, kSites, kSeries };
[[nodiscard]] Result<CsvTable> ParseCsvTable(std::string_view name);
std::string ReportCsv(const Report& report, CsvTable table);

// Per tunnel: round-trip latency (mean and max), jitter and loss over time,
// with violation, outage and gap bands and path-switch markers; then tables.
std::string ReportHtml(const Report& report);

}  // namespace lineup::analyzer
