#include "autoflow/actuator.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/store/temp_dir.h"

namespace lineup::autoflow {
namespace {

using namespace std::chrono_literals;

store::Event Decision(const std::string& cls, const std::string& from, const std::string& to) {
  store::PathSwitched p;
  p.traffic_class = cls;
  p.from = from;
  p.to = to;
  p.rule = "brownout";
  p.reason = "mpls loss 5 %";
  p.weights = {{"inet", 0.75}, {"lte", 0.25}};
  return store::Event{FromUnixNanos(1'795'000'000'000'000'000), "traffic/" + cls, p, {}, {}};
}

std::string Script(const lineup::testing::TempDir& dir, const std::string& body) {
  const std::string path = dir / "hook.sh";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ActuatorTest, AHookGetsTheDecisionAsArgumentsAndEnvironment) {
  lineup::testing::TempDir dir;
  const RealClock clock;
  const std::string out = dir / "out";
  auto hook = MakeHookActuator(
      Script(dir, "echo \"$1|$2|$3|$4|$LINEUP_WEIGHTS|$LINEUP_REASON|$LINEUP_TIME\" >> " + out), 5s,
      0, clock);
  ASSERT_TRUE(hook->Apply(Decision("voice", "mpls", "inet+lte")));
  ASSERT_EQ(Lines(out).size(), 1u);
  EXPECT_EQ(Lines(out)[0],
            "voice|mpls|inet+lte|brownout|inet=0.7500,lte=0.2500|mpls loss 5 %|"
            "2026-11-18T11:06:40.000000000Z");
}

// Whether a process is gone (or a zombie waiting for its reaper).
bool Gone(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

TEST(ActuatorTest, AHookThatHangsIsKilledWithWhatItStartedAndRetriedAfterAPause) {
  lineup::testing::TempDir dir;
  const std::string runs = dir / "runs";
  const std::string children = dir / "children";
  FakeClock clock;
  auto hook = MakeHookActuator(
      Script(dir, "echo run >> " + runs + "; sleep 1000 & echo $! >> " + children + "; wait"),
      100ms, 1, clock);
  auto applying =
      std::async(std::launch::async, [&] { return hook->Apply(Decision("voice", "a", "b")); });
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 2000 && !done(); ++i) std::this_thread::sleep_for(5ms);
    return done();
  };
  // Time moves only when the test moves it. The first run is killed once its
  // 100 ms have passed; the retry then waits its 200 ms pause.
  ASSERT_TRUE(wait_for([&] { return Lines(children).size() == 1; }));
  ASSERT_TRUE(wait_for([&] {
    if (clock.Pending() == 0) clock.Advance(100ms);
    return clock.Pending() == 1;  // the pause before the retry
  }));
  EXPECT_EQ(Lines(runs).size(), 1u);  // no retry before the pause is over
  clock.Advance(199ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(Lines(runs).size(), 1u);
  clock.Advance(1ms);
  ASSERT_TRUE(wait_for([&] { return Lines(children).size() == 2; }));
  ASSERT_TRUE(wait_for([&] {
    clock.Advance(100ms);
    return applying.wait_for(0s) == std::future_status::ready;
  }));
  auto r = applying.get();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("did not finish within 100ms: killed"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(Lines(runs).size(), 2u);
  for (const auto& child : Lines(children)) {
    EXPECT_TRUE(wait_for([&] { return Gone(child); })) << "the hook's child " << child << " lives";
  }
}

TEST(ActuatorTest, AHookThatCannotRunSaysSo) {
  lineup::testing::TempDir dir;
  const RealClock clock;
  auto missing =
      MakeHookActuator(dir / "no-such-hook", 1s, 0, clock)->Apply(Decision("v", "a", "b"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot run"), std::string::npos);
}

TEST(ActuatorTest, AFailingActuatorIsCountedAndTheQueueCarriesOn) {
  lineup::testing::TempDir dir;
  const std::string out = dir / "out";
  const RealClock clock;
  ActuatorQueue queue(
      MakeHookActuator(Script(dir, "[ \"$3\" = bad ] && exit 3; echo \"$1 $3\" >> " + out), 5s, 0,
                       clock),
      clock);
  queue.Push(Decision("video", "a", "bad"));
  queue.Push(Decision("voice", "a", "good"));
  queue.Drain();
  EXPECT_EQ(queue.stats().failed, 1u);
  EXPECT_EQ(queue.stats().applied, 1u);
  EXPECT_EQ(Lines(out), std::vector<std::string>{"voice good"});
}

TEST(ActuatorTest, ASlowActuatorEndsOnTheLatestDecisionPerClass) {
  lineup::testing::TempDir dir;
  const std::string out = dir / "out";
  const RealClock clock;
  ActuatorQueue queue(
      MakeHookActuator(Script(dir, "sleep 0.2; echo \"$3\" >> " + out), 5s, 0, clock), clock);
  for (int i = 0; i < 6; ++i) queue.Push(Decision("voice", "x", "line-" + std::to_string(i)));
  queue.Drain();
  const auto lines = Lines(out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "line-5");
  EXPECT_GE(queue.stats().superseded, 3u);
  EXPECT_EQ(queue.stats().applied + queue.stats().superseded, 6u);
}

TEST(ActuatorTest, JsonLinesToAFileAndAUnixSocket) {
  lineup::testing::TempDir dir;
  const RealClock clock;
  auto file = MakeActuator("jsonl:" + dir / "decisions.jsonl", 1s, 0, clock);
  ASSERT_TRUE(file && *file);
  ASSERT_TRUE((*file)->Apply(Decision("voice", "mpls", "inet")));
  ASSERT_TRUE((*file)->Apply(Decision("video", "inet", "mpls")));
  const auto lines = Lines(dir / "decisions.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["traffic_class"], "voice");
  EXPECT_EQ(j["to"], "inet");
  EXPECT_EQ(j["weights"]["inet"], 0.75);

  boost::asio::io_context io;
  const std::string path = dir / "dataplane.sock";
  boost::asio::local::stream_protocol::acceptor acceptor(io, path);
  std::string received;
  std::thread server([&] {
    auto peer = acceptor.accept();
    boost::asio::streambuf buf;
    boost::asio::read_until(peer, buf, '\n');
    received.assign(std::istreambuf_iterator<char>(&buf), {});
  });
  auto socket = MakeActuator("jsonl:unix:" + path, 1s, 0, clock);
  ASSERT_TRUE(socket);
  EXPECT_TRUE((*socket)->Apply(Decision("voice", "mpls", "inet")));
  server.join();
  EXPECT_EQ(nlohmann::json::parse(received)["from"], "mpls");

  auto nobody = MakeActuator("jsonl:unix:" + dir / "nobody.sock", 1s, 0, clock);
  ASSERT_TRUE(nobody);
  auto r = (*nobody)->Apply(Decision("voice", "a", "b"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos);
  EXPECT_FALSE(MakeActuator("carrier-pigeon", 1s, 0, clock));
}

}  // namespace
}  // namespace lineup::autoflow
