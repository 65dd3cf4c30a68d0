#include "report/report_render.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/time_text.h"

namespace lineup::analyzer {
namespace {

using nlohmann::json;

double Seconds(Nanos d) { return double(d.count()) / 1e9; }

json IntervalJson(const Interval& i) {
  return {{"start", FormatTime(i.start)},
          {"end", FormatTime(i.end)},
          {"duration_s", Seconds(i.duration())},
          {"from_before", i.from_before},
          {"ongoing", i.ongoing}};
}

json DistributionJson(const Distribution& d) {
  if (d.count == 0) return nullptr;
  return {{"count", d.count}, {"min", d.min}, {"mean", d.mean}, {"p50", d.p50},
          {"p95", d.p95},     {"p99", d.p99}, {"max", d.max}};
}

json ClassJson(const SlaClass& c) {
  json thresholds = json::array();
  for (const auto& t : c.thresholds) {
    json j = {{"metric", ToString(t.metric)}, {"enter", t.enter}, {"exit", t.exit}};
    if (t.metric == Metric::kLatency) j["statistic"] = ToString(t.statistic);
    thresholds.push_back(j);
  }
  json window = c.window.samples > 0 ? json{{"samples", c.window.samples}}
                                     : json{{"duration_s", Seconds(c.window.duration)}};
  return {{"name", c.name},
          {"latency", ToString(c.latency)},
          {"window", window},
          {"min_samples", c.min_samples},
          {"thresholds", thresholds}};
}

json SeriesJson(const Report& r, const TunnelReport& t) {
  json sent = json::array(), lost = json::array(), mean = json::array(), max = json::array(),
       jitter = json::array();
  for (const auto& b : t.series) {
    sent.push_back(b.sent);
    lost.push_back(b.lost);
    const bool answered = b.sent > b.lost;
    mean.push_back(answered ? json(b.rtt_mean_ms) : json(nullptr));
    max.push_back(answered ? json(b.rtt_max_ms) : json(nullptr));
    jitter.push_back(answered ? json(b.jitter_ms) : json(nullptr));
  }
  return {{"start", FormatTime(r.from)},
          {"bucket_s", Seconds(r.bucket)},
          {"sent", sent},
          {"lost", lost},
          {"rtt_mean_ms", mean},
          {"rtt_max_ms", max},
          {"jitter_ms", jitter}};
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Num(double v, int decimals = 3) { return fmt::format("{:.{}f}", v, decimals); }

}  // namespace

std::string ReportJson(const Report& r) {
  json tunnels = json::array();
  for (const auto& t : r.tunnels) {
    json classes = json::array();
    for (const auto& c : t.classes) {
      json violations = json::array();
      for (const auto& v : c.violations) {
        json j = IntervalJson(v);
        j.update({{"metric", v.metric},
                  {"value", v.value},
                  {"threshold", v.threshold},
                  {"detail", v.detail}});
        violations.push_back(j);
      }
      classes.push_back({{"sla_class", c.sla_class},
                         {"judged_s", Seconds(c.judged)},
                         {"violated_s", Seconds(c.violated)},
                         {"compliance_percent",
                          c.judged.count() > 0 ? json(c.compliance_percent) : json(nullptr)},
                         {"violations", violations}});
    }
    json outages = json::array(), gaps = json::array();
    for (const auto& o : t.outages) outages.push_back(IntervalJson(o));
    for (const auto& g : t.gaps) gaps.push_back(IntervalJson(g));
    tunnels.push_back({{"name", t.name},
                       {"site", t.site},
                       {"sessions", t.sessions},
                       {"sent", t.sent},
                       {"lost", t.lost},
                       {"loss_percent", t.loss_percent},
                       {"rtt_ms", DistributionJson(t.rtt_ms)},
                       {"jitter_ms", DistributionJson(t.jitter_ms)},
                       {"outbound_ms", t.outbound_ms ? DistributionJson(*t.outbound_ms) : json()},
                       {"inbound_ms", t.inbound_ms ? DistributionJson(*t.inbound_ms) : json()},
                       {"probe_interval_s", Seconds(t.probe_interval)},
                       {"measured_s", Seconds(t.measured)},
                       {"down_s", Seconds(t.down)},
                       {"availability_percent",
                        t.measured.count() > 0 ? json(t.availability_percent) : json(nullptr)},
                       {"outages", outages},
                       {"gaps", gaps},
                       {"classes", classes},
                       {"series", SeriesJson(r, t)}});
  }
  json sites = json::array();
  for (const auto& s : r.sites) {
    json compliance = json::object();
    for (const auto& [cls, pct] : s.compliance_percent) compliance[cls] = pct;
    sites.push_back({{"name", s.name},
                     {"tunnels", s.tunnels},
                     {"availability_percent", s.availability_percent},
                     {"compliance_percent", compliance},
                     {"violations", s.violations},
                     {"switches", s.switches},
                     {"sent", s.sent},
                     {"lost", s.lost}});
  }
  json switches = json::array();
  for (const auto& s : r.switches) {
    switches.push_back({{"time", FormatTime(s.time)},
                        {"traffic_class", s.traffic_class},
                        {"from", s.from},
                        {"to", s.to},
                        {"rule", s.rule},
                        {"reason", s.reason}});
  }
  json classes = json::array();
  for (const auto& c : r.classes) classes.push_back(ClassJson(c));
  json doc = {{"schema", "lineup.report/1"}, {"from", FormatTime(r.from)},
              {"to", FormatTime(r.to)},      {"samples", r.samples},
              {"events", r.events},          {"classes", classes},
              {"tunnels", tunnels},          {"sites", sites},
              {"switches", switches},        {"notes", r.notes}};
  return doc.dump(2) + "\n";
}

Result<CsvTable> ParseCsvTable(std::string_view name) {
  static constexpr std::pair<std::string_view, CsvTable> kTables[] = {
      {"summary", CsvTable::kSummary},   {"violations", CsvTable::kViolations},
      {"outages", CsvTable::kOutages},   {"gaps", CsvTable::kGaps},
      {"switches", CsvTable::kSwitches}, {"sites", CsvTable::kSites},
      {"series", CsvTable::kSeries}};
  for (const auto& [n, t] : kTables) {
    if (n == name) return t;
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("no CSV table '{}': use summary, violations, outages, gaps, switches, "
                          "sites or series",
                          name));
}

std::string ReportCsv(const Report& r, CsvTable table) {
  std::string out;
  auto interval = [](const Interval& i) {
    return std::vector<std::string>{FormatTime(i.start), FormatTime(i.end),
                                    Num(Seconds(i.duration())), i.from_before ? "1" : "0",
                                    i.ongoing ? "1" : "0"};
  };
  auto row = [&](const std::vector<std::string>& fields) {
    std::string line;
    for (const auto& f : fields) line += (line.empty() ? "" : ",") + CsvField(f);
    out += line + "\n";
  };
  auto join = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  switch (table) {
    case CsvTable::kSummary:
      row({"tunnel", "site", "sla_class", "availability_percent", "compliance_percent",
           "violations", "violated_s", "judged_s", "sent", "lost", "loss_percent", "rtt_p50_ms",
           "rtt_p95_ms", "rtt_p99_ms", "rtt_mean_ms", "jitter_mean_ms", "jitter_p95_ms", "gaps"});
      for (const auto& t : r.tunnels) {
        for (const auto& c : t.classes) {
          row({t.name, t.site, c.sla_class, Num(t.availability_percent),
               c.judged.count() > 0 ? Num(c.compliance_percent) : "",
               std::to_string(c.violations.size()), Num(Seconds(c.violated)),
               Num(Seconds(c.judged)), std::to_string(t.sent), std::to_string(t.lost),
               Num(t.loss_percent), Num(t.rtt_ms.p50), Num(t.rtt_ms.p95), Num(t.rtt_ms.p99),
               Num(t.rtt_ms.mean), Num(t.jitter_ms.mean), Num(t.jitter_ms.p95),
               std::to_string(t.gaps.size())});
        }
      }
      break;
    case CsvTable::kViolations:
      row({"tunnel", "sla_class", "start", "end", "duration_s", "from_before", "ongoing", "metric",
           "value", "threshold", "detail"});
      for (const auto& t : r.tunnels) {
        for (const auto& c : t.classes) {
          for (const auto& v : c.violations) {
            row(join(join({t.name, c.sla_class}, interval(v)),
                     {v.metric, Num(v.value), Num(v.threshold), v.detail}));
          }
        }
      }
      break;
    case CsvTable::kOutages:
    case CsvTable::kGaps:
      row({"tunnel", "start", "end", "duration_s", "from_before", "ongoing"});
      for (const auto& t : r.tunnels) {
        for (const auto& i : table == CsvTable::kOutages ? t.outages : t.gaps) {
          row(join({t.name}, interval(i)));
        }
      }
      break;
    case CsvTable::kSwitches:
      row({"time", "traffic_class", "from", "to", "rule", "reason"});
      for (const auto& s : r.switches) {
        row({FormatTime(s.time), s.traffic_class, s.from, s.to, s.rule, s.reason});
      }
      break;
    case CsvTable::kSites: {
      std::vector<std::string> header = {"site", "tunnels", "availability_percent"};
      for (const auto& c : r.classes) header.push_back("compliance_percent_" + c.name);
      row(join(header, {"violations", "switches", "sent", "lost"}));
      for (const auto& s : r.sites) {
        std::string members;
        for (const auto& t : s.tunnels) members += (members.empty() ? "" : " ") + t;
        std::vector<std::string> fields = {s.name, members, Num(s.availability_percent)};
        for (const auto& [cls, pct] : s.compliance_percent) fields.push_back(Num(pct));
        row(join(fields, {std::to_string(s.violations), std::to_string(s.switches),
                          std::to_string(s.sent), std::to_string(s.lost)}));
      }
      break;
    }
    case CsvTable::kSeries:
      row({"tunnel", "start", "sent", "lost", "rtt_mean_ms", "rtt_max_ms", "jitter_ms"});
      for (const auto& t : r.tunnels) {
        for (std::size_t i = 0; i < t.series.size(); ++i) {
          const Bucket& b = t.series[i];
          const bool answered = b.sent > b.lost;
          row({t.name, FormatTime(r.from + r.bucket * static_cast<std::int64_t>(i)),
               std::to_string(b.sent), std::to_string(b.lost), answered ? Num(b.rtt_mean_ms) : "",
               answered ? Num(b.rtt_max_ms) : "", answered ? Num(b.jitter_ms) : ""});
        }
      }
      break;
  }
  return out;
}

}  // namespace lineup::analyzer
