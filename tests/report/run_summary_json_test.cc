#include "report/run_summary_json.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/json_schema.h"

namespace lineup::report {
namespace {

using Problems = std::vector<std::string>;

const testing::JsonSchema& Schema() {
  static const auto schema =
      testing::JsonSchema::FromFile(LINEUP_SOURCE_DIR "/docs/schema/run-summary.schema.json");
  return schema;
}

store::RunSummary Summary() {
  store::RunSummary s;
  s.started_ns = 1'700'000'000'000'000'000;
  s.finished_ns = s.started_ns + 2'000'000'000;
  s.sent = 100;
  s.received = 97;
  s.lost = 3;
  s.lost_forward = 2;
  s.lost_backward = 1;
  s.round_trip = {.min_ns = 10'000'000,
                  .mean_ns = 12'000'000,
                  .max_ns = 19'000'000,
                  .median_ns = 11'900'000,
                  .p95_ns = 15'000'000,
                  .p99_ns = 18'000'000,
                  .stddev_ns = 1'500'000,
                  .jitter_ns = 800'000,
                  .rfc3550_ns = 700'000,
                  .count = 97};
  return s;
}

TEST(RunSummaryJsonTest, ConformsToTheSchemaWithUnitsInTheNames) {
  const auto j = RunSummaryJson(Summary());
  EXPECT_EQ(Schema().Problems(j), Problems{});
  EXPECT_EQ(j["summary_version"], kRunSummaryVersion);
  EXPECT_DOUBLE_EQ(j["loss_ratio"].get<double>(), 0.03);
  EXPECT_EQ(j["round_trip"]["p95_ns"], 15'000'000);
  EXPECT_EQ(j["round_trip"]["jitter_ns"], 800'000);
  EXPECT_EQ(j["lost_outbound"], 2);
}

TEST(RunSummaryJsonTest, AStatelessReflectorsDirectionIsNullNotMinusOne) {
  auto s = Summary();
  s.lost_forward = s.lost_backward = -1;
  const auto j = RunSummaryJson(s);
  EXPECT_TRUE(j["lost_outbound"].is_null());
  EXPECT_TRUE(j["lost_inbound"].is_null());
  EXPECT_EQ(Schema().Problems(j), Problems{});
}

TEST(RunSummaryJsonTest, NothingSentIsNoLossNotADivisionByZero) {
  const auto j = RunSummaryJson(store::RunSummary{});
  EXPECT_EQ(j["loss_ratio"], 0.0);
  EXPECT_EQ(Schema().Problems(j), Problems{});
}

// The check the producers' tests rely on must be able to fail.
TEST(RunSummaryJsonTest, TheSchemaCatchesARenamedMemberAWrongTypeAndAWrongUnit) {
  auto j = RunSummaryJson(Summary());
  j.erase("loss_ratio");
  j["loss_percent"] = 3.0;
  j["round_trip"]["mean_ns"] = 12.5;  // milliseconds in a nanosecond field
  j["outbound"].erase("jitter_ns");
  j["summary_version"] = 2;
  Problems p = Schema().Problems(j);
  std::sort(p.begin(), p.end());
  EXPECT_EQ(p, (Problems{"/: 'loss_ratio' is missing", "/outbound: 'jitter_ns' is missing",
                         "/round_trip/mean_ns: 12.5 is not \"integer\"",
                         "/summary_version: 2 is not 1"}));
}

}  // namespace
}  // namespace lineup::report
