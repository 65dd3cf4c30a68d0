#include "report/report.h"

#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "base/time_text.h"
#include "report/report_render.h"
#include "tests/report/scenario.h"

namespace lineup::analyzer {
namespace {

using namespace std::chrono_literals;
using lineup::testing::Impairment;
using lineup::testing::SyntheticTunnel;
using scenario::At;
using scenario::Config;
using scenario::ScenarioLog;

ReportOptions Range(const char* from, const char* to) {
  ReportOptions o;
  o.from = At(from);
  o.to = At(to);
  return o;
}

const TunnelReport& Find(const Report& r, const std::string& name) {
  for (const auto& t : r.tunnels) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no tunnel " << name;
  return r.tunnels.front();
}

TEST(ReportTest, AvailabilityComplianceViolationsAndGapsAreExact) {
  auto log = ScenarioLog();
  auto r = BuildReport(*log, Config(), Range("10:00:00", "11:00:00"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->samples, 3 * 3600u - 300u);
  ASSERT_EQ(r->tunnels.size(), 3u);
  const auto& mpls = Find(*r, "mpls");
  EXPECT_EQ(mpls.site, "paris");
  EXPECT_EQ(mpls.sessions, std::vector<std::string>{"mpls-1"});
  EXPECT_EQ(mpls.sent, 3300u);
  EXPECT_EQ(mpls.lost, 120u);
  EXPECT_DOUBLE_EQ(mpls.loss_percent, 100.0 * 120 / 3300);
  EXPECT_EQ(mpls.rtt_ms.count, 3180u);
  EXPECT_DOUBLE_EQ(mpls.rtt_ms.p50, 20);
  EXPECT_DOUBLE_EQ(mpls.rtt_ms.p95, 220);
  EXPECT_EQ(mpls.probe_interval, 1s);

  // The silence is one gap, from the last probe to the next.
  ASSERT_EQ(mpls.gaps.size(), 1u);
  EXPECT_EQ(mpls.gaps[0].start, At("10:39:59"));
  EXPECT_EQ(mpls.gaps[0].end, At("10:45:00"));
  EXPECT_EQ(mpls.measured, 3600s - 301s);

  // Down from the third lost probe to the first answered one.
  ASSERT_EQ(mpls.outages.size(), 1u);
  EXPECT_EQ(mpls.outages[0].start, At("10:30:02"));
  EXPECT_EQ(mpls.outages[0].end, At("10:32:00"));
  EXPECT_EQ(mpls.down, 118s);
  EXPECT_DOUBLE_EQ(mpls.availability_percent, 100.0 * (3299 - 118) / 3299);

  // Brownout: the mean of the last 10 passes 100 ms at the 5th slow probe and
  // falls to 80 ms (exit) at the 7th normal one. Then the blackout.
  ASSERT_EQ(mpls.classes.size(), 1u);
  const auto& voice = mpls.classes[0];
  ASSERT_EQ(voice.violations.size(), 2u);
  EXPECT_EQ(voice.violations[0].start, At("10:10:04"));
  EXPECT_EQ(voice.violations[0].end, At("10:15:06"));
  EXPECT_EQ(voice.violations[0].metric, "round_trip_mean");
  EXPECT_NE(voice.violations[0].detail.find("brownout"), std::string::npos);
  EXPECT_EQ(voice.violations[1].start, At("10:30:02"));
  // Recovered once min_samples probes are answered again (5 s after the first).
  EXPECT_EQ(voice.violations[1].end, At("10:32:04"));
  EXPECT_EQ(voice.violations[1].metric, "blackout");
  // Judged from the 5th probe, gaps left out.
  EXPECT_EQ(voice.judged, 3596s - 301s);
  EXPECT_EQ(voice.violated, 302s + 122s);
  EXPECT_DOUBLE_EQ(voice.compliance_percent, 100.0 * (3295 - 424) / 3295);

  const auto& inet = Find(*r, "inet");
  EXPECT_DOUBLE_EQ(inet.availability_percent, 100);
  EXPECT_DOUBLE_EQ(inet.classes[0].compliance_percent, 100);
  EXPECT_TRUE(inet.gaps.empty());

  // Sites: paris had a compliant path all along thanks to inet.
  ASSERT_EQ(r->sites.size(), 2u);
  EXPECT_EQ(r->sites[0].name, "-");
  EXPECT_EQ(r->sites[1].name, "paris");
  EXPECT_EQ(r->sites[1].tunnels, (std::vector<std::string>{"inet", "mpls"}));
  EXPECT_DOUBLE_EQ(r->sites[1].availability_percent, 100);
  EXPECT_DOUBLE_EQ(r->sites[1].compliance_percent[0].second, 100);
  EXPECT_EQ(r->sites[1].violations, 2u);
  EXPECT_EQ(r->sites[1].switches, 2u);
  EXPECT_EQ(r->sites[0].switches, 0u);
  ASSERT_EQ(r->switches.size(), 2u);
  EXPECT_EQ(r->switches[0].to, "inet");

  // The gap is a note, and the plot has empty buckets there.
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("mpls: 1 measurement gap"), std::string::npos) << r->notes[0];
  const std::size_t in_gap = (41 * 60 + 30) * r->tunnels[0].series.size() / 3600;
  EXPECT_EQ(mpls.series[in_gap].sent, 0u);
  EXPECT_GT(mpls.series[0].sent, 0u);
}

TEST(ReportTest, RangesClipIntervalsAndMarkWhatSpillsOver) {
  auto log = ScenarioLog();
  // The brownout began before the range: the warm-up folds it in.
  auto r = BuildReport(*log, Config(), Range("10:12:00", "10:31:00"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& voice = Find(*r, "mpls").classes[0];
  ASSERT_EQ(voice.violations.size(), 2u);
  EXPECT_EQ(voice.violations[0].start, At("10:12:00"));
  EXPECT_TRUE(voice.violations[0].from_before);
  EXPECT_EQ(voice.violations[0].end, At("10:15:06"));
  EXPECT_FALSE(voice.violations[0].ongoing);
  // The blackout has not ended when the range does.
  EXPECT_EQ(voice.violations[1].end, At("10:31:00"));
  EXPECT_TRUE(voice.violations[1].ongoing);
  const auto& mpls = Find(*r, "mpls");
  ASSERT_EQ(mpls.outages.size(), 1u);
  EXPECT_TRUE(mpls.outages[0].ongoing);
  EXPECT_EQ(mpls.down, 58s);
  EXPECT_EQ(voice.judged, 19min);     // judged since before the range
  ASSERT_EQ(r->switches.size(), 1u);  // only the one inside
}

TEST(ReportTest, EmptyAndUnknownRangesAreClearErrors) {
  auto log = ScenarioLog();
  auto backwards = BuildReport(*log, Config(), Range("10:30:00", "10:00:00"));
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(backwards.error().message.find("range is empty"), std::string::npos);

  ReportOptions later;
  later.from = At("10:00:00") + 24h;
  later.to = later.from + 1h;
  auto nothing = BuildReport(*log, Config(), later);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(nothing.error().message.find("the log holds events from 2026-11-24T10:00:00"),
            std::string::npos)
      << nothing.error().message;

  auto empty_log = store::MakeMemoryLog();
  auto empty = BuildReport(*empty_log, Config(), Range("10:00:00", "11:00:00"));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("the log is empty"), std::string::npos);

  AnalyzerConfig impossible = Config();
  impossible.classes[0].thresholds[0].exit = 500;  // recovers above where it violates
  auto bad = BuildReport(*log, impossible, Range("10:00:00", "11:00:00"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("worse than its enter"), std::string::npos);
}

TEST(ReportTest, ALeadingSilenceIsAGapAndProgressIsReported) {
  auto log = store::MakeMemoryLog();
  SyntheticTunnel late{"late-1", 10, 0, 0, {}};
  ASSERT_TRUE(log->Append(lineup::testing::Samples({late}, At("10:30:00"), At("11:00:00"), 1s)));
  ReportOptions o = Range("10:00:00", "11:00:00");
  std::vector<double> progress;
  o.progress = [&](double share) { progress.push_back(share); };
  auto config = Config();
  config.tunnel_of_session["late-1"] = "late";  // a session on no tunnel would be diagnostic
  auto r = BuildReport(*log, config, o);
  ASSERT_TRUE(r) << r.error().message;
  const auto& t = r->tunnels[0];
  ASSERT_EQ(t.gaps.size(), 1u);
  EXPECT_EQ(t.gaps[0].start, At("10:00:00"));
  EXPECT_EQ(t.gaps[0].end, At("10:30:00"));
  EXPECT_EQ(t.measured, 30min);
  EXPECT_DOUBLE_EQ(t.availability_percent, 100);
  ASSERT_FALSE(progress.empty());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
}

// Runs every 30 s that probe for 10 s: the pauses between them are planned
// (the run summaries say so), only the run that did not happen is a gap.
TEST(ReportTest, PausesBetweenScheduledRunsAreNoGapsButAMissedRunIs) {
  auto build = [](bool with_summaries) {
    auto log = store::MakeMemoryLog();
    SyntheticTunnel line{"sched-1", 10, 0, 0, {}};
    for (int run = 0; run < 20; ++run) {
      if (run == 8) continue;  // the daemon was down
      const WallTime start = At("10:00:00") + run * 30s;
      auto samples = lineup::testing::Samples({line}, start, start + 10s, 500ms);
      EXPECT_TRUE(log->Append(samples));
      if (with_summaries) {
        store::RunSummary summary;
        summary.started_ns = ToUnixNanos(start);
        summary.finished_ns = ToUnixNanos(start + 10s + 1s);  // the last reply waited for
        summary.sent = summary.received = static_cast<std::uint32_t>(samples.size());
        const std::vector<store::Event> run_summary{
            {start + 11s, "session/sched-1", summary, {}, {}}};
        EXPECT_TRUE(log->Append(run_summary));
      }
    }
    auto config = Config();
    config.tunnel_of_session["sched-1"] = "sched";
    auto r = BuildReport(*log, config, Range("10:00:00", "10:10:00"));
    EXPECT_TRUE(r) << r.error().message;
    return r->tunnels.at(0);
  };
  const TunnelReport scheduled = build(true);
  // From the last probe of run 7 to the first of run 9; the pause after the
  // last run, up to the range's end, is an ordinary one.
  ASSERT_EQ(scheduled.gaps.size(), 1u);
  EXPECT_EQ(scheduled.gaps[0].start, At("10:03:39") + 500ms);
  EXPECT_EQ(scheduled.gaps[0].end, At("10:04:30"));
  EXPECT_EQ(scheduled.measured, 10min - (50s + 500ms));

  // Without the runs' summaries every pause reads as a gap, as before.
  EXPECT_GE(build(false).gaps.size(), 18u);
}

TEST(ReportRenderTest, JsonFollowsTheDocumentedSchema) {
  auto log = ScenarioLog();
  auto r = BuildReport(*log, Config(), Range("10:00:00", "11:00:00"));
  ASSERT_TRUE(r);
  const auto j = nlohmann::json::parse(ReportJson(*r));
  EXPECT_EQ(j["schema"], "lineup.report/1");
  EXPECT_EQ(j["from"], "2026-11-24T10:00:00.000000000Z");
  ASSERT_EQ(j["tunnels"].size(), 3u);
  const auto& mpls = j["tunnels"][2];  // by name: inet, lte, mpls
  EXPECT_EQ(mpls["name"], "mpls");
  EXPECT_EQ(mpls["rtt_ms"]["p95"], 220.0);
  EXPECT_TRUE(mpls["outbound_ms"].is_null());  // clocks not synchronized
  EXPECT_EQ(mpls["gaps"][0]["duration_s"], 301.0);
  EXPECT_EQ(mpls["classes"][0]["violations"][1]["metric"], "blackout");
  EXPECT_EQ(mpls["classes"][0]["violations"][0]["duration_s"], 302.0);
  EXPECT_EQ(mpls["series"]["sent"].size(), 240u);
  EXPECT_TRUE(mpls["series"]["rtt_mean_ms"][166].is_null());  // inside the gap
  EXPECT_EQ(j["sites"][1]["compliance_percent"]["voice"], 100.0);
  EXPECT_EQ(j["switches"][1]["from"], "inet");
  EXPECT_EQ(j["classes"][0]["thresholds"][0]["statistic"], "mean");
}

TEST(ReportRenderTest, CsvTablesHaveAHeaderAndARowPerItem) {
  auto log = ScenarioLog();
  auto r = BuildReport(*log, Config(), Range("10:00:00", "11:00:00"));
  ASSERT_TRUE(r);
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  const std::string summary = ReportCsv(*r, CsvTable::kSummary);
  EXPECT_EQ(summary.rfind("tunnel,site,sla_class,availability_percent", 0), 0u);
  EXPECT_EQ(lines(summary), 1 + 3);
  const std::string violations = ReportCsv(*r, CsvTable::kViolations);
  EXPECT_EQ(lines(violations), 1 + 2);
  EXPECT_NE(violations.find("mpls,voice,2026-11-24T10:10:04.000000000Z,2026-11-24T10:15:06."
                            "000000000Z,302.000,0,0,round_trip_mean"),
            std::string::npos)
      << violations;
  // Details hold commas: quoted.
  EXPECT_NE(violations.find(",\"brownout: packets flow; round_trip_mean"), std::string::npos);
  EXPECT_EQ(lines(ReportCsv(*r, CsvTable::kGaps)), 1 + 1);
  EXPECT_EQ(lines(ReportCsv(*r, CsvTable::kSwitches)), 1 + 2);
  EXPECT_EQ(lines(ReportCsv(*r, CsvTable::kSites)), 1 + 2);
  EXPECT_EQ(lines(ReportCsv(*r, CsvTable::kSeries)), 1 + 3 * 240);
  EXPECT_FALSE(ParseCsvTable("everything"));
}

TEST(ReportRenderTest, HtmlIsSelfContainedWithPlotsBandsAndMarkers) {
  auto log = ScenarioLog();
  auto r = BuildReport(*log, Config(), Range("10:00:00", "11:00:00"));
  ASSERT_TRUE(r);
  const std::string html = ReportHtml(*r);
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = html.find(what); at != std::string::npos; at = html.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<svg class=\"plot\""), 9u);     // latency, jitter, loss per tunnel
  EXPECT_EQ(count("<rect class=\"outage\""), 3u);  // mpls's blackout on its three plots
  EXPECT_EQ(count("<rect class=\"gap\""), 3u);
  EXPECT_EQ(count("<rect class=\"violation\""), 3u);      // the brownout
  EXPECT_EQ(count("<g class=\"switch\""), 2u * 3u * 2u);  // each switch on mpls's and inet's plots
  EXPECT_GT(count("<polyline class=\"rtt-mean\""), 3u);   // broken at the gap
  EXPECT_EQ(count("<script"), 0u);
  EXPECT_EQ(count("http://"), 0u);
  EXPECT_EQ(count("https://"), 0u);
  EXPECT_EQ(count(">10:10</text>"), 9u);  // time axis labels every 10 minutes
  EXPECT_EQ(count("probe every 1.0 s (1/s)"), 3u);

  // Rates as rates and durations people read: a 20 ms interval is not
  // "0.0 s", and a gap total is not a count of nanoseconds.
  r->tunnels[0].probe_interval = std::chrono::milliseconds(20);
  EXPECT_NE(ReportHtml(*r).find("probe every 20 ms (50/s)"), std::string::npos);
  bool noted = false;
  for (const auto& note : r->notes) {
    if (note.find("measurement gap(s)") == std::string::npos) continue;
    noted = true;
    EXPECT_TRUE(
        std::regex_search(note, std::regex(R"(\(\d+m[\d.]*s? in all\)|\([\d.]+s in all\))")))
        << note;
  }
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace lineup::analyzer
