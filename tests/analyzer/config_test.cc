#include "analyzer/config.h"

#include <gtest/gtest.h>

namespace lineup::analyzer {
namespace {

using namespace std::chrono_literals;

TEST(AnalyzerConfigTest, TheDocumentedExampleLoads) {
  auto config = LoadAnalyzerConfig(LINEUP_SOURCE_DIR "/docs/examples/lineup.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->classes.size(), 3u);
  const SlaClass& voice = config->classes[0];
  EXPECT_EQ(voice.name, "voice");
  EXPECT_EQ(voice.window.samples, 100u);
  EXPECT_EQ(voice.min_samples, 10u);
  ASSERT_EQ(voice.thresholds.size(), 4u);
  EXPECT_EQ(voice.thresholds[0].metric, Metric::kLatency);
  EXPECT_EQ(voice.thresholds[0].enter, 150);
  EXPECT_EQ(voice.thresholds[0].exit, 130);
  EXPECT_EQ(voice.thresholds[3].metric, Metric::kMos);
  EXPECT_EQ(config->classes[1].window.duration, 60s);
  EXPECT_EQ(config->classes[1].thresholds[0].statistic, Statistic::kP95);
  EXPECT_EQ(config->classes[2].thresholds[1].exit, 10);
  EXPECT_EQ(config->tunnel_of_session.at("paris-inet-v6"), "ipsec-inet");
  EXPECT_EQ(config->site_of_tunnel.at("ipsec-mpls"), "paris");
  EXPECT_EQ(config->blackout_after_lost, 3u);
  EXPECT_EQ(config->ranking_interval, 10s);
  EXPECT_TRUE(Validate(*config));
}

TEST(AnalyzerConfigTest, NoClassesMeansTheDefaults) {
  auto config = ParseAnalyzerConfig("analyzer: {blackout_after_lost: 5}\n");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->classes.size(), 4u);
  EXPECT_EQ(config->classes[0].name, "voice");
  EXPECT_EQ(config->blackout_after_lost, 5u);
  for (const auto& c : DefaultSlaClasses()) EXPECT_TRUE(Validate(c)) << c.name;
}

TEST(AnalyzerConfigTest, ImpossibleClassesAreRejectedWithTheirPlace) {
  auto config = ParseAnalyzerConfig(R"(sla_classes:
  - name: voice
    latency_ms: {enter: 100, exit: 150}
  - name: lossy
    loss_percent: {enter: 120}
  - name: empty
  - name: voice
    jitter_ms: 10
    latncy_ms: 5
)",
                                    "sla.yaml");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  EXPECT_NE(m.find("sla.yaml:2:5: sla_classes[0]: SLA class 'voice': latency exit 150 is worse "
                   "than its enter 100"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("sla_classes[1].loss_percent.enter: 120 is out of range: use 0 to 100"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("SLA class 'empty': has no thresholds"), std::string::npos) << m;
  EXPECT_NE(m.find("SLA class 'voice' is defined twice"), std::string::npos) << m;
  EXPECT_NE(m.find("sla.yaml:9:5: sla_classes[3].latncy_ms: unknown key"), std::string::npos) << m;
}

TEST(AnalyzerConfigTest, TunnelsAndOtherSectionsAreChecked) {
  auto config = ParseAnalyzerConfig(R"(tunnels:
  a: {sessions: [s1]}
  b: {sessions: [s1], colour: red}
policy: {anything: here}
sla_clases: []
)");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  EXPECT_NE(m.find("session 's1' already measures tunnel 'a'"), std::string::npos) << m;
  EXPECT_NE(m.find("tunnels.b.colour: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("sla_clases: unknown key"), std::string::npos) << m;
  EXPECT_EQ(m.find(": policy: unknown"), std::string::npos) << m;  // owned by autoflow
}

}  // namespace
}  // namespace lineup::analyzer
