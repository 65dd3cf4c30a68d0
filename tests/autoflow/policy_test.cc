#include "autoflow/policy.h"

#include <gtest/gtest.h>

#include "tests/autoflow/stream.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;

TEST(PolicyTest, ReadsClassesStrategiesAndTimers) {
  auto config = ParseConfig(testing::Config(
      "  - {name: voice, strategy: priority, preferred: [mpls, inet], min_dwell: 10s}\n"
      "  - {name: bulk, sla_class: voice, strategy: load_balance, tunnels: [inet, lte]}\n"));
  ASSERT_TRUE(config) << config.error().message;
  const Policy& p = config->policy;
  ASSERT_EQ(p.classes.size(), 2u);
  EXPECT_EQ(p.classes[0].strategy, Strategy::kPriority);
  EXPECT_EQ(p.classes[0].anti_flap.min_dwell, 10s);        // the class's own
  EXPECT_EQ(p.classes[0].anti_flap.failback_delay, 2min);  // from `policy`
  EXPECT_EQ(p.classes[1].strategy, Strategy::kLoadBalance);
  EXPECT_EQ(p.classes[1].sla_class, "voice");
  EXPECT_EQ(p.tunnels.at("mpls").site, "paris");
  EXPECT_EQ(p.tunnels.at("mpls").peer, "hub");
}

TEST(PolicyTest, ADestinationWithoutAPathIsRefused) {
  auto config = ParseConfig(R"(tunnels:
  paris-a: {site: paris, peer: hub-a}
  tokyo-osaka: {site: tokyo, peer: osaka}
sla_classes: [{name: voice, latency_ms: 150}]
traffic_classes:
  - {name: far, sla_class: voice, destination: osaka, source: paris}
  - {name: near, sla_class: voice, destination: hub-a}
)",
                            "topo.yaml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find(
                "traffic_classes[0].destination: no path from paris to osaka through the tunnels"),
            std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("give 'source'"), std::string::npos)
      << config.error().message;  // near: the tunnels are at two sites
}

TEST(PolicyTest, WithoutTrafficClassesOneBestClassPerSlaClass) {
  auto config = ParseConfig("policy: {min_dwell: 1m, failback_delay: 5m}\n");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->policy.classes.size(), 4u);  // the default SLA classes
  EXPECT_EQ(config->policy.classes[0].name, "voice");
  EXPECT_EQ(config->policy.classes[0].anti_flap.min_dwell, 1min);
}

TEST(PolicyTest, BadPoliciesAreRefusedAtLoadTime) {
  auto config = ParseConfig(
      testing::Config("  - {name: voice, tunnels: [mpls, satellite]}\n"
                      "  - {name: video, sla_class: gold}\n"
                      "  - {name: data, sla_class: voice, strategy: priority}\n"
                      "  - {name: web, sla_class: voice, min_dwell: 5m, failback_delay: 1m}\n"
                      "  - {name: voice, sla_class: voice}\n"
                      "  - {name: x, sla_class: voice, tunnels: [mpls], preferred: [inet]}\n"
                      "  - {name: y, sla_class: voice, destination: mars}\n"),
      "lineup.yaml");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  for (const char* expected :
       {"traffic_classes[0].tunnels: unknown tunnel 'satellite' (tunnels: inet, lte, mpls)",
        "traffic_classes[1].sla_class: unknown SLA class 'gold' (SLA classes: voice)",
        "traffic_classes[2].strategy: the priority strategy needs a 'preferred' list",
        "traffic_classes[3]: failback_delay 1m is shorter than min_dwell 5m",
        "traffic_classes[4].name: traffic class 'voice' is defined twice",
        "'inet' is preferred but not among the allowed tunnels",
        "traffic_classes[6].destination: 'mars' is no site or hub"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
}

}  // namespace
}  // namespace lineup::autoflow
