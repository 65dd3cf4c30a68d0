// The monitoring shipped in deploy/: every series the Grafana dashboard and
// the Prometheus alert rules use is one the daemon exports, and the rules
// pass promtool's checks and their own unit tests.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "daemon/metrics.h"
#include "tests/daemon/served.h"
#include "tests/store/temp_dir.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/wait.h"

namespace lineup::daemon {
namespace {

using lineup::testing::ReadFile;
using lineup::testing::Shell;

// The metric families an expression names (histogram series to their family).
std::set<std::string> FamiliesIn(const std::string& text) {
  std::set<std::string> out;
  const std::regex name(R"(\b((lineup|process)_[a-z_]+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it) {
    std::string n = (*it)[1];
    for (const char* suffix : {"_bucket", "_count", "_sum"}) {
      const std::string s(suffix);
      if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0) {
        n.resize(n.size() - s.size());
        break;
      }
    }
    out.insert(n);
  }
  return out;
}

TEST(MonitoringTest, TheDashboardAndTheAlertsUseOnlyExportedSeries) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.7.1"}));
  lineup::testing::TempDir dir;
  auto served = Serve(fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1s}}
tunnels:
  a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.7.1, probes: [p]}}
sessions:
  p: {{count: 5, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{name: far-a, listen: "127.0.7.1:{1}"}}
)",
                                  dir.path(), port),
                      "monitoring.yaml");
  ASSERT_TRUE(served->daemon) << served->error;
  ASSERT_TRUE(lineup::testing::WaitFor([&] {
    const auto paths = served->daemon->Paths();
    return !paths.empty() && !paths.front().second.to.empty();
  }));
  const std::string metrics = Metrics(*served->daemon);
  std::set<std::string> exported;
  const std::regex type(R"(# TYPE (\S+) )");
  for (auto it = std::sregex_iterator(metrics.begin(), metrics.end(), type);
       it != std::sregex_iterator(); ++it) {
    exported.insert((*it)[1]);
  }

  const std::string root = LINEUP_SOURCE_DIR "/deploy";
  const auto dashboard = nlohmann::json::parse(ReadFile(root + "/grafana/lineup.json"));
  std::string exprs;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) exprs += target["expr"].get<std::string>() + "\n";
  }
  const auto dashboard_uses = FamiliesIn(exprs);
  EXPECT_GE(dashboard_uses.size(), 10u);
  for (const auto& family : dashboard_uses) {
    EXPECT_TRUE(exported.count(family))
        << "the dashboard uses " << family << ", which /metrics does not export";
  }
  const std::string rules = root + "/prometheus/lineup-alerts.yml";
  for (const auto& family : FamiliesIn(ReadFile(rules))) {
    EXPECT_TRUE(exported.count(family))
        << "an alert uses " << family << ", which /metrics does not export";
  }

  const std::string promtool = lineup::testing::FindProgram("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  std::string said;
  EXPECT_EQ(Shell(promtool + " check rules " + rules, said), 0) << said;
  EXPECT_EQ(
      Shell("cd " + root + "/prometheus && " + promtool + " test rules lineup-alerts.test.yml",
            said),
      0)
      << said;
}

}  // namespace
}  // namespace lineup::daemon
