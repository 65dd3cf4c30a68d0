// The socket adapters on fake time: timers, pacing, SERVWAIT and REFWAIT at
// their exact protocol times, over real loopback sockets, in milliseconds of
// real time whatever the machine is doing.
#include <utility>

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "net/timer.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"
#include "tests/support/fake_time.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using lineup::testing::RunFor;
using lineup::testing::RunUntil;

TEST(TimerTest, WaitsForTheFakeClockAndCompletesOnItsExecutor) {
  asio::io_context io;
  FakeClock clock;
  net::Timer timer(io, clock);
  std::vector<boost::system::error_code> done;
  auto note = [&](boost::system::error_code ec) { done.push_back(ec); };

  timer.ExpiresAfter(10s);
  timer.AsyncWait(note);
  RunFor(clock, io, 9999ms);
  EXPECT_TRUE(done.empty());
  clock.Advance(1ms);
  EXPECT_TRUE(done.empty());  // fired, but completes only when its loop runs
  RunFor(clock, io, 0s);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0]);

  // Re-arming aborts the pending wait, as with an Asio timer.
  timer.ExpiresAfter(5s);
  timer.AsyncWait(note);
  EXPECT_EQ(timer.ExpiresAfter(5s), 1u);
  timer.AsyncWait(note);
  RunFor(clock, io, 5s);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[1], asio::error::operation_aborted);
  EXPECT_FALSE(done[2]);

  // An expiry in the past completes at once; the far future waits for Cancel.
  timer.ExpiresAt(clock.Monotonic() - 1s);
  timer.AsyncWait(note);
  lineup::testing::Settle(io);
  ASSERT_EQ(done.size(), 4u);
  EXPECT_FALSE(done[3]);
  timer.ExpiresAt(MonoTime::max());
  timer.AsyncWait(note);
  RunFor(clock, io, 24h);
  EXPECT_EQ(done.size(), 4u);
  EXPECT_EQ(timer.Cancel(), 1u);
  lineup::testing::Settle(io);
  ASSERT_EQ(done.size(), 5u);
  EXPECT_EQ(done[4], asio::error::operation_aborted);
  EXPECT_EQ(clock.Pending(), 0u);
}

TEST(TimerTest, ACoroutineWaitsOnRealTimeToo) {
  asio::io_context io;
  const RealClock clock;
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        net::Timer timer(io, clock);
        timer.ExpiresAfter(2ms);
        const MonoTime before = clock.Monotonic();
        co_await timer.AsyncWait(asio::use_awaitable);
        EXPECT_GE(clock.Monotonic() - before, 2ms);
        finished = true;
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(finished);
}

TwampServerConfig ServerConfig() {
  TwampServerConfig c;
  c.listen.push_back({TcpEndpoint(asio::ip::make_address("127.0.0.1"), 0), ""});
  c.port_low = 33000;
  c.port_high = 33999;
  return c;
}

struct OnFakeTime {
  asio::io_context io;
  FakeClock clock{FromUnixNanos(1'795'000'000'000'000'000)};
  std::unique_ptr<TwampServer> server;

  explicit OnFakeTime(TwampServerConfig config) {
    auto created = TwampServer::Create(io, clock, std::move(config));
    EXPECT_TRUE(created) << created.error().message;
    if (created) server = std::move(*created);
  }
  TcpEndpoint Endpoint() const { return server->Status().listening.at(0); }

  // Starts a client test and returns at once; Finish() advances the clock
  // until it ends (at most `limit` of fake time) and returns its result.
  void Start(TwampTestOptions options) {
    running.reset();
    RunTwampTest(io, clock, std::move(options),
                 [this](Result<TwampTestResult> r) { running = std::move(r); });
  }
  Result<TwampTestResult> Finish(Nanos limit) {
    if (!RunUntil(
            clock, io, [&] { return running.has_value(); }, limit)) {
      return Fail(ErrorCode::kInternal, "the test did not finish in time");
    }
    return std::move(*running);
  }
  std::optional<Result<TwampTestResult>> running;  // the client test Start() began
};

TEST(TwampOnFakeTimeTest, ServwaitClosesAnIdleControlConnectionAtItsTime) {
  auto config = ServerConfig();
  config.servwait = 900s;
  OnFakeTime f(std::move(config));
  tcp::socket idle(f.io);
  idle.connect(f.Endpoint());
  lineup::testing::Settle(f.io);  // the server accepts and greets
  std::array<std::byte, 64> greeting;
  asio::read(idle, asio::buffer(greeting));  // then says nothing
  RunFor(f.clock, f.io, 899s);
  EXPECT_EQ(f.server->Status().connections.size(), 1u);
  EXPECT_EQ(f.server->Status().counters.closed_idle, 0u);
  RunFor(f.clock, f.io, 1s);
  EXPECT_TRUE(f.server->Status().connections.empty());
  EXPECT_EQ(f.server->Status().counters.closed_idle, 1u);
  boost::system::error_code ec;
  std::array<std::byte, 1> more;
  idle.read_some(asio::buffer(more), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TwampTestOptions Client(const TcpEndpoint& server) {
  TwampTestOptions o;
  o.server = server;
  o.session.count = 100;
  o.session.interval = 1s;
  o.session.wait = 2s;
  return o;
}

TEST(TwampOnFakeTimeTest, AWholeTestIsPacedExactlyOnTheClock) {
  OnFakeTime f(ServerConfig());
  const WallTime began = f.clock.Now();
  f.Start(Client(f.Endpoint()));
  const auto out = f.Finish(10min);
  ASSERT_TRUE(out) << out.error().message;
  const SessionResult& s = out->tests.at(0).at(0);
  ASSERT_EQ(s.packets.size(), 100u);
  EXPECT_EQ(s.summary.received, 100u);
  for (std::size_t i = 1; i < s.packets.size(); ++i) {
    EXPECT_EQ(s.packets[i].t1 - s.packets[i - 1].t1, 1s) << i;  // not a nanosecond of drift
  }
  // 99 gaps, and every answer arrived: it ends without sitting out the wait.
  EXPECT_LT(f.clock.Now() - began, 100s);
  EXPECT_GE(f.clock.Now() - began, 98s);
}

TEST(TwampOnFakeTimeTest, RefwaitEndsASessionThatFallsSilent) {
  auto config = ServerConfig();
  config.refwait = 60s;
  OnFakeTime f(std::move(config));
  auto o = Client(f.Endpoint());
  o.session.count = 2;
  o.session.interval = 10min;  // one probe, then ten minutes of silence
  f.Start(o);
  auto running = [&] {
    const auto s = f.server->Status().sessions;
    return s.size() == 1 && s[0].state == "running" && s[0].received == 1;
  };
  ASSERT_TRUE(RunUntil(f.clock, f.io, running, 10s));
  // REFWAIT checks every 60 s from the start: the first check sees the
  // probe, the second sees nothing new and ends the session.
  RunFor(f.clock, f.io, 119s);
  EXPECT_EQ(f.server->Status().sessions.size(), 1u);
  EXPECT_EQ(f.server->Status().counters.sessions_idle, 0u);
  RunFor(f.clock, f.io, 1s);
  EXPECT_TRUE(f.server->Status().sessions.empty());
  EXPECT_EQ(f.server->Status().counters.sessions_idle, 1u);
  // The second probe finds no reflector any more.
  const auto out = f.Finish(20min);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->tests.at(0).at(0).summary.received, 1u);
}

// SERVWAIT counts the connection's test packets as activity (RFC 5357 §3.1):
// a 20-minute test on a server with SERVWAIT 60 s runs to its end.
TEST(TwampOnFakeTimeTest, ATestLongerThanServwaitCompletes) {
  auto config = ServerConfig();
  config.servwait = 60s;
  OnFakeTime f(std::move(config));
  auto o = Client(f.Endpoint());
  o.session.count = 121;
  o.session.interval = 10s;  // 20 minutes of probes, no control message meanwhile
  f.Start(o);
  const auto out = f.Finish(30min);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->tests.at(0).at(0).summary.received, 121u);
  EXPECT_EQ(f.server->Status().counters.closed_idle, 0u);
}

// A byte now and then is not a message: a control message begun must be
// whole within message_deadline (60 s), whatever SERVWAIT says.
TEST(TwampOnFakeTimeTest, AMessageSentAByteAtATimeIsClosedAtTheMessageDeadline) {
  auto config = ServerConfig();
  config.servwait = 900s;
  OnFakeTime f(std::move(config));
  tcp::socket slow(f.io);
  slow.connect(f.Endpoint());
  lineup::testing::Settle(f.io);
  std::array<std::byte, 64> greeting;
  asio::read(slow, asio::buffer(greeting));
  const std::array<std::byte, 1> one{std::byte{0}};
  Nanos open_for{0};
  for (int i = 0; i < 100 && f.server->Status().counters.closed_idle == 0; ++i) {
    boost::system::error_code ec;
    slow.write_some(asio::buffer(one), ec);  // Set-Up-Response is 164 bytes: never whole here
    RunFor(f.clock, f.io, 1500ms);
    open_for += 1500ms;
  }
  EXPECT_EQ(f.server->Status().counters.closed_idle, 1u);
  EXPECT_GE(open_for, 60s);
  EXPECT_LE(open_for, 62s);
}

// A server that closes the control connection mid-test (here it stops)
// leaves partial results: the client says so instead of reporting the
// missing replies as loss.
TEST(TwampOnFakeTimeTest, AConnectionClosedMidTestIsReportedNotTakenForLoss) {
  OnFakeTime f(ServerConfig());
  f.Start(Client(f.Endpoint()));
  RunFor(f.clock, f.io, 10s);
  ASSERT_FALSE(f.running.has_value());
  f.server->Stop();
  const auto out = f.Finish(10min);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_TRUE(out->closed_mid_test);
  EXPECT_NE(out->closed_mid_test->find("closed the control connection"), std::string::npos)
      << *out->closed_mid_test;
}

}  // namespace
}  // namespace lineup::measure
