#include "report/run_summary_json.h"

namespace lineup::report {
namespace {

nlohmann::json FiguresJson(const store::DelayFigures& d) {
  return {{"count", d.count},          {"min_ns", d.min_ns},       {"mean_ns", d.mean_ns},
          {"max_ns", d.max_ns},        {"median_ns", d.median_ns}, {"p95_ns", d.p95_ns},
          {"p99_ns", d.p99_ns},        {"stddev_ns", d.stddev_ns}, {"jitter_ns", d.jitter_ns},
          {"rfc3550_ns", d.rfc3550_ns}};
}

// -1 is the event's "unknown" (a stateless reflector does not say).
nlohmann::json CountOrNull(std::int64_t v) {
  return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v);
}

}  // namespace

nlohmann::json RunSummaryJson(const store::RunSummary& s) {
  return {{"summary_version", kRunSummaryVersion},
          {"started_unix_ns", s.started_ns},
          {"finished_unix_ns", s.finished_ns},
          {"sent", s.sent},
          {"received", s.received},
          {"lost", s.lost},
          {"loss_ratio", s.sent == 0 ? 0.0 : double(s.lost) / double(s.sent)},
          {"lost_outbound", CountOrNull(s.lost_forward)},
          {"lost_inbound", CountOrNull(s.lost_backward)},
          {"duplicates", s.duplicates},
          {"reordered", s.reordered},
          {"late", s.late},
          {"one_way_synchronized", s.one_way_synchronized},
          {"outbound", FiguresJson(s.forward)},
          {"inbound", FiguresJson(s.backward)},
          {"round_trip", FiguresJson(s.round_trip)}};
}

}  // namespace lineup::report
