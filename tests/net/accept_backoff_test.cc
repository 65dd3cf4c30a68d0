#include "net/accept_backoff.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

namespace lineup::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AcceptBackoffTest, PausesLongerWhileFailuresGoOnAndLogsOncePerInterval) {
  FakeClock clock;
  AcceptBackoff b(clock);
  const boost::system::error_code emfile(EMFILE, boost::system::system_category());
  std::vector<Nanos> delays;
  std::size_t logs = 0;
  for (int i = 0; i < 10; ++i) {
    const auto step = b.Failed(emfile);
    delays.push_back(step.delay);
    logs += step.log.has_value();
    clock.Advance(step.delay);
  }
  EXPECT_EQ(delays.front(), milliseconds(10));
  EXPECT_EQ(delays[1], milliseconds(20));
  EXPECT_EQ(delays.back(), seconds(1));  // capped
  EXPECT_EQ(logs, 1u);                   // 10 failures in about 4 s: one line
  clock.Advance(seconds(10));
  const auto later = b.Failed(emfile);
  ASSERT_TRUE(later.log);
  EXPECT_NE(later.log->find("10 times since the last report"), std::string::npos) << *later.log;
  EXPECT_NE(later.log->find("LimitNOFILE"), std::string::npos);
  b.Succeeded();
  EXPECT_EQ(b.Failed(emfile).delay, milliseconds(10));
  EXPECT_EQ(b.failures(), 12u);
}

}  // namespace
}  // namespace lineup::net
