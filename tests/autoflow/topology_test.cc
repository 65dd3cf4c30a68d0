#include "autoflow/topology.h"

#include <gtest/gtest.h>

namespace lineup::autoflow {
namespace {

// paris and berlin, each with a tunnel to hub-a and to hub-b, hubs linked,
// and a direct paris-berlin tunnel.
std::map<std::string, TunnelEnd> Tunnels() {
  return {{"paris-a", {"paris", "hub-a"}},   {"paris-b", {"paris", "hub-b"}},
          {"berlin-a", {"berlin", "hub-a"}}, {"berlin-b", {"berlin", "hub-b"}},
          {"hubs", {"hub-a", "hub-b"}},      {"direct", {"paris", "berlin"}}};
}

TEST(TopologyTest, BestPathsAddLatencyCombineLossAndTakeTheWorstJitter) {
  Topology t(Tunnels());
  EXPECT_EQ(t.places(), 4u);
  t.SetLine("paris-a", PathFigures{10, 1, 2});
  t.SetLine("berlin-a", PathFigures{12, 1, 5});
  t.SetLine("paris-b", PathFigures{30, 0, 1});
  t.SetLine("berlin-b", PathFigures{30, 0, 1});
  t.SetLine("hubs", PathFigures{3, 0, 1});
  t.SetLine("direct", std::nullopt);  // down
  auto paths = t.Best("paris", "berlin", Limits{}, 3);
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0].tunnels, (std::vector<std::string>{"paris-a", "berlin-a"}));
  EXPECT_EQ(paths[0].places, (std::vector<std::string>{"paris", "hub-a", "berlin"}));
  EXPECT_DOUBLE_EQ(paths[0].figures.latency_ms, 22);
  EXPECT_NEAR(paths[0].figures.loss_percent, 100 * (1 - 0.99 * 0.99), 1e-9);
  EXPECT_DOUBLE_EQ(paths[0].figures.jitter_ms, 5);
  // Alternatives, each better than the others in some figure: across the hub
  // link (less jitter, less loss) and the loss-free way through hub-b.
  EXPECT_EQ(paths[1].tunnels, (std::vector<std::string>{"paris-a", "hubs", "berlin-b"}));
  EXPECT_DOUBLE_EQ(paths[1].figures.latency_ms, 43);
  EXPECT_EQ(paths[2].tunnels, (std::vector<std::string>{"paris-b", "berlin-b"}));
  EXPECT_EQ(t.Best("paris", "berlin", Limits{}, 1).size(), 1u);  // k

  // Under a loss limit of 0.5 %, only the loss-free path remains.
  auto strict = t.Best("paris", "berlin", Limits{1000, 0.5, 1000}, 3);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0].tunnels, (std::vector<std::string>{"paris-b", "berlin-b"}));
  // Mixed through the hub link: paris-a (10) + hubs (3) + berlin-b (30) = 43.
  t.SetLine("paris-b", std::nullopt);
  auto via_link = t.Best("paris", "berlin", Limits{1000, 1.5, 1000}, 1);
  ASSERT_EQ(via_link.size(), 1u);
  EXPECT_EQ(via_link[0].tunnels, (std::vector<std::string>{"paris-a", "hubs", "berlin-b"}));
  EXPECT_DOUBLE_EQ(via_link[0].figures.latency_ms, 43);
}

TEST(TopologyTest, NoPathWhenLinesAreDownOrLimitsTooTight) {
  Topology t(Tunnels());
  EXPECT_TRUE(t.Best("paris", "berlin", Limits{}, 3).empty());  // nothing usable yet
  t.SetLine("direct", PathFigures{50, 0, 1});
  EXPECT_EQ(t.Best("paris", "berlin", Limits{}, 3).size(), 1u);
  EXPECT_TRUE(t.Best("paris", "berlin", Limits{40, 100, 100}, 3).empty());
  EXPECT_TRUE(t.Best("paris", "mars", Limits{}, 3).empty());
}

}  // namespace
}  // namespace lineup::autoflow
