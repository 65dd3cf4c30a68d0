// The HTML report in a real browser: headless Chromium loads it from a file
// with no network, lays it out and paints it. Serial (Chromium is heavy).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "report/report_render.h"
#include "tests/report/scenario.h"
#include "tests/store/temp_dir.h"
#include "tests/support/subprocess.h"

namespace lineup::analyzer {
namespace {

std::vector<std::string> Chromium(const lineup::testing::TempDir& dir,
                                  std::vector<std::string> args) {
  std::vector<std::string> argv = {"chromium",
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-quic",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--enable-logging=stderr",
                                   "--user-data-dir=" + dir / "profile"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ReportBrowserTest, ChromiumLoadsTheReportWithoutErrorsAndDrawsThePlots) {
  ASSERT_FALSE(lineup::testing::FindProgram("chromium").empty())
      << "chromium is not installed: run scripts/setup";
  auto log = scenario::ScenarioLog();
  scenario::Range range;
  auto report = BuildReport(*log, scenario::Config(), range.Options());
  ASSERT_TRUE(report) << report.error().message;
  lineup::testing::TempDir dir;
  const std::string page = dir / "report.html";
  std::ofstream(page) << ReportHtml(*report);

  // The DOM as Chromium parsed it: every plot, band and marker is there.
  lineup::testing::Subprocess dom(Chromium(dir, {"--dump-dom", "file://" + page}));
  ASSERT_TRUE(dom.started());
  ASSERT_EQ(dom.Wait(60'000), 0) << dom.Stderr();
  const std::string parsed = dom.Stdout();
  EXPECT_EQ(Count(parsed, "<svg class=\"plot\""), 9u);
  EXPECT_GT(Count(parsed, "<polyline class=\"rtt-mean\""), 3u);
  EXPECT_EQ(Count(parsed, "<rect class=\"outage\""), 3u);
  EXPECT_EQ(Count(parsed, "<rect class=\"gap\""), 3u);
  EXPECT_EQ(Count(parsed, "<g class=\"switch\""), 12u);
  EXPECT_NE(parsed.find("<title>Lineup SLA report"), std::string::npos);
  // No console error, no failed load (the page needs nothing from outside).
  EXPECT_EQ(Count(dom.Stderr(), ":CONSOLE("), 0u) << dom.Stderr();
  EXPECT_EQ(Count(dom.Stderr(), "net::ERR_"), 0u) << dom.Stderr();

  // Painted: a screenshot of the page that is not blank.
  const std::string png = dir / "report.png";
  lineup::testing::Subprocess shot(Chromium(dir, {"--screenshot=" + png, "--window-size=1100,1600",
                                                  "--hide-scrollbars", "file://" + page}));
  ASSERT_EQ(shot.Wait(60'000), 0) << shot.Stderr();
  std::ifstream in(png, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 20'000u) << "a near-empty screenshot: the page did not paint";
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  if (const char* keep = std::getenv("LINEUP_KEEP_REPORT")) {  // a directory, to look at them
    std::ofstream(std::string(keep) + "/report.png", std::ios::binary) << bytes;
    std::ofstream(std::string(keep) + "/report.html") << ReportHtml(*report);
  }
}

}  // namespace
}  // namespace lineup::analyzer
