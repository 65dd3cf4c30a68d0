// The `lineup` program as a user runs it: exit codes, error messages, the
// human table and JSON, on loopback.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/store/temp_dir.h"
#include "tests/support/json_schema.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace lineup {
namespace {

using testing::RunAndCapture;
using testing::Subprocess;

// docs/schema/run-summary.schema.json: the one shape of a run's figures.
const testing::JsonSchema& RunSummarySchema() {
  static const auto schema =
      testing::JsonSchema::FromFile(LINEUP_SOURCE_DIR "/docs/schema/run-summary.schema.json");
  return schema;
}

const std::string kLineup = LINEUP_BINARY;

// Runs to completion; returns {exit status, stdout, stderr}.
struct Ran {
  int status;
  std::string out, err;
};
Ran Lineup(const std::vector<std::string>& argv) {
  Subprocess p(argv);
  const int status = p.Wait(60'000);
  return {status, p.Stdout(), p.Stderr()};
}

std::string ListeningPort(const Subprocess& reflector) {
  EXPECT_TRUE(reflector.WaitForOutput("listening on", 5000)) << reflector.Stderr();
  std::smatch m;
  const std::string out = reflector.Stdout();
  EXPECT_TRUE(std::regex_search(out, m, std::regex(R"(listening on 127\.0\.0\.1:(\d+))")));
  return m.size() > 1 ? m[1].str() : "0";
}

TEST(LineupCliTest, HelpListsCommands) {
  int status = -1;
  const std::string out = RunAndCapture({kLineup, "--help"}, 5000, &status);
  EXPECT_EQ(status, 0);
  for (const char* cmd : {"probe", "reflect", "demo"}) {
    EXPECT_NE(out.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_NE(RunAndCapture({kLineup, "probe", "--help"}, 5000, &status).find("--dscp"),
            std::string::npos);
}

TEST(LineupCliTest, BadParametersSayWhatIsWrong) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"probe", "127.0.0.1", "--dscp", "64"}, "DSCP 64 is out of range 0-63"},
      {{"probe", "127.0.0.1", "--dscp", "gold"}, "'gold' is not a DSCP"},
      {{"probe", "127.0.0.1", "--ttl", "0"}, "--ttl 0 is out of range 1-255"},
      {{"probe", "127.0.0.1", "--interval", "fast"}, "'fast' is not a duration"},
      {{"probe", "127.0.0.1", "--padding", "3"}, "padding must be 27-"},
      {{"probe", "10.0.0.256"}, "not a numeric IPv4 or IPv6 address"},  // names resolve
      {{"reflect", "--allow", "10.0.0.0/40"}, "prefix length"},
      {{"reflect", "--reply-dscp", "99"}, "out of range"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{kLineup};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Subprocess p(argv);
    EXPECT_EQ(p.Wait(5000), 2) << c.args[0] << " " << c.args.back();
    EXPECT_NE(p.Stderr().find(c.message), std::string::npos) << p.Stderr();
  }
}

TEST(LineupCliTest, ProbeAgainstReflectTableAndJson) {
  Subprocess reflector({kLineup, "reflect", "-l", "127.0.0.1:0", "--duration", "20s", "--json"});
  const std::string target = "127.0.0.1:" + ListeningPort(reflector);

  int status = -1;
  const std::string table = RunAndCapture(
      {kLineup, "probe", target, "-c", "5", "-i", "5ms", "--dscp", "af41"}, 10000, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(table.find("round-trip"), std::string::npos) << table;
  EXPECT_NE(table.find("loss 0/5 (0.00%)"), std::string::npos) << table;
  EXPECT_NE(table.find("DSCP 34 (af41)"), std::string::npos) << table;

  const std::string json = RunAndCapture(
      {kLineup, "probe", target, "-c", "4", "-i", "5ms", "--json", "--packets"}, 10000, &status);
  EXPECT_EQ(status, 0);
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(RunSummarySchema().Problems(j), std::vector<std::string>{}) << j.dump(2);
  EXPECT_EQ(j["sent"], 4);
  EXPECT_EQ(j["received"], 4);
  EXPECT_EQ(j["lost_outbound"], 0);
  EXPECT_EQ(j["packets"].size(), 4u);
  for (const auto& p : j["packets"]) {
    EXPECT_EQ(p["round_trip_ns"].get<std::int64_t>(),
              p["outbound_ns"].get<std::int64_t>() + p["inbound_ns"].get<std::int64_t>());
  }

  // A router's 41-octet TWAMP Light probes: the default STAMP reflector
  // answers them by length, 41 octets back, with twping's -s and -D.
  const std::string light = RunAndCapture(
      {kLineup, "probe", target, "-c", "3", "-i", "5ms", "-s", "27", "-D", "ef"}, 10000, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(light.find("3 packets of 41 B"), std::string::npos) << light;
  EXPECT_NE(light.find("loss 0/3 (0.00%)"), std::string::npos) << light;

  reflector.Signal(SIGUSR1);  // counters on demand
  EXPECT_TRUE(reflector.WaitForOutput("\"reflected\":12", 5000)) << reflector.Stdout();
  EXPECT_NE(reflector.Stdout().find("\"twamp_light_by_length\":3"), std::string::npos)
      << reflector.Stdout();
  reflector.Signal(SIGTERM);
  EXPECT_EQ(reflector.Wait(5000), 0);
}

TEST(LineupCliTest, ProbeWithoutReflectorExitsOne) {
  int status = -1;
  // Port 9 (discard) on loopback: nothing listens in a test environment.
  const std::string out = RunAndCapture(
      {kLineup, "probe", "127.0.0.1:9", "-c", "2", "-i", "5ms", "-w", "100ms"}, 10000, &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("loss 2/2"), std::string::npos) << out;
  // A bare number is seconds, as twping reads it, and said so.
  auto bare = Lineup({kLineup, "probe", "127.0.0.1:9", "-c", "1", "-i", "0.01", "-w", "0.1"});
  EXPECT_EQ(bare.status, 1);
  EXPECT_NE(bare.err.find("lineup probe: -i 0.01 read as 10ms: a bare number is seconds"),
            std::string::npos)
      << bare.err;
  EXPECT_NE(bare.err.find("-w 0.1 read as 100ms"), std::string::npos) << bare.err;
  // A host name is resolved (localhost: ::1 or 127.0.0.1, as the resolver
  // orders them); a name that cannot be one keeps the address's message.
  auto named = Lineup({kLineup, "probe", "localhost:9", "-c", "1", "-i", "5ms", "-w", "100ms"});
  EXPECT_EQ(named.status, 1) << named.err;
  EXPECT_TRUE(named.out.rfind("127.0.0.1:9 from", 0) == 0 ||
              named.out.rfind("[::1]:9 from", 0) == 0)
      << named.out;
  auto typo = Lineup({kLineup, "probe", "127.0.0.300:9"});
  EXPECT_EQ(typo.status, 2);
  EXPECT_EQ(typo.err.find("did not resolve"), std::string::npos) << typo.err;
  // Silence is not blamed on a stateless reflector.
  EXPECT_NE(out.find("no reply came back"), std::string::npos) << out;
  EXPECT_EQ(out.find("stateless"), std::string::npos) << out;
}

TEST(LineupCliTest, DemoRunsTheMainJobAndLogsIt) {
  lineup::testing::TempDir dir;
  const std::string log = dir / "log";
  int status = -1;
  const std::string out =
      RunAndCapture({kLineup, "demo", "-c", "10", "-i", "5ms", "--log", log}, 20000, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("reflector counters"), std::string::npos);
  EXPECT_NE(out.find("loss 0/10"), std::string::npos);
  EXPECT_NE(out.find("logged "), std::string::npos);

  auto stats = nlohmann::json::parse(
      RunAndCapture({kLineup, "log", "stats", log, "--json"}, 10000, &status));
  EXPECT_EQ(status, 0);
  const std::uint64_t head = stats["head"];
  EXPECT_GE(head, 2u * 12u);  // per session: configured, 10 samples, a summary

  const std::string dump = RunAndCapture({kLineup, "log", "dump", log, "--json"}, 10000, &status);
  EXPECT_EQ(status, 0);
  std::size_t lines = 0, summaries = 0;
  std::istringstream in(dump);
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["position"], lines);
    if (j["type"] == "run_summary") {
      ++summaries;
      EXPECT_EQ(RunSummarySchema().Problems(j["data"]), std::vector<std::string>{}) << line;
      EXPECT_EQ(j["data"]["received"], 10);
    }
  }
  EXPECT_EQ(lines, head);
  EXPECT_GE(summaries, 2u);

  const std::string human =
      RunAndCapture({kLineup, "log", "dump", log, "--no-samples"}, 10000, &status);
  EXPECT_NE(human.find("run_summary"), std::string::npos);
  EXPECT_EQ(human.find("probe_sample"), std::string::npos);
}

TEST(LineupCliTest, LogTailFollowsAndTrimKeepsSummaries) {
  lineup::testing::TempDir dir;
  const std::string log = dir / "log";
  int status = -1;
  RunAndCapture({kLineup, "demo", "-c", "5", "-i", "5ms", "--log", log}, 20000, &status);
  ASSERT_EQ(status, 0);
  {
    Subprocess tail({kLineup, "log", "tail", log, "--no-samples"});
    EXPECT_TRUE(tail.WaitForOutput("run_summary", 10000)) << tail.Stdout() << tail.Stderr();
    EXPECT_EQ(tail.Stdout().find("probe_sample"), std::string::npos);
    tail.Signal(SIGINT);
    EXPECT_EQ(tail.Wait(5000), 0);
  }
  const std::string trimmed =
      RunAndCapture({kLineup, "log", "trim", log, "--samples-older-than", "1ns"}, 20000, &status);
  EXPECT_EQ(status, 0) << trimmed;
  EXPECT_NE(trimmed.find("deleted "), std::string::npos);
  const std::string rest = RunAndCapture({kLineup, "log", "dump", log}, 10000, &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(rest.find("probe_sample"), std::string::npos);
  EXPECT_NE(rest.find("run_summary"), std::string::npos);
  EXPECT_NE(rest.find("session_configured"), std::string::npos);
}

TEST(LineupCliTest, LogCommandsExplainBadInput) {
  lineup::testing::TempDir dir;
  Subprocess missing({kLineup, "log", "stats", dir / "nothing"});
  EXPECT_EQ(missing.Wait(10000), 2);
  EXPECT_NE(missing.Stderr().find("nothing"), std::string::npos) << missing.Stderr();
  int status = -1;
  RunAndCapture({kLineup, "demo", "-c", "2", "-i", "5ms", "--log", dir / "log"}, 20000, &status);
  Subprocess bad_time({kLineup, "log", "dump", dir / "log", "--since", "yesterday"});
  EXPECT_EQ(bad_time.Wait(10000), 2);
  EXPECT_NE(bad_time.Stderr().find("is not a time"), std::string::npos) << bad_time.Stderr();
}

// A network that refuses is a failed measurement (exit 1) with what the
// kernel said and where to look, not a usage error (2). In a namespace of
// its own: without routes (lo down), and with a blackhole route.
TEST(LineupCliTest, AnUnreachableNetworkIsAFailedMeasurementNotAUsageError) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace (unshare --net)";
  auto no_route = Lineup({"unshare", "--net", kLineup, "probe", "127.0.0.1:9", "-c", "1"});
  EXPECT_EQ(no_route.status, 1) << no_route.err;
  EXPECT_NE(no_route.err.find("cannot reach 127.0.0.1:9: Network is unreachable: no route to it "
                              "(see 'ip route get 127.0.0.1')"),
            std::string::npos)
      << no_route.err;
  auto blackhole = Lineup({"unshare", "--net", "sh", "-c",
                           "ip link set lo up && ip route add blackhole 10.9.9.0/24 && exec " +
                               kLineup + " probe 10.9.9.1:9 -c 1"});
  EXPECT_EQ(blackhole.status, 1) << blackhole.err;
  EXPECT_NE(blackhole.err.find("its route refuses traffic (a blackhole"), std::string::npos)
      << blackhole.err;
}

// What a first day tries: the version, and the program with no arguments.
TEST(LineupCliTest, VersionAndNoArgumentsListTheCommands) {
  auto version = Lineup({kLineup, "--version"});
  EXPECT_EQ(version.status, 0) << version.err;
  EXPECT_TRUE(std::regex_search(version.out, std::regex(R"(^lineup \d+\.\d+\.\d+)")))
      << version.out;
  auto bare = Lineup({kLineup});
  EXPECT_EQ(bare.status, 0) << bare.err;
  for (const char* cmd : {"probe", "reflect", "run", "sim", "report", "replay"}) {
    EXPECT_NE(bare.out.find(cmd), std::string::npos) << cmd << "\n" << bare.out;
  }
  EXPECT_NE(bare.out.find("lineup COMMAND --help"), std::string::npos) << bare.out;
}

// A file is checked before it is deployed: what it defines when valid (exit
// 0, nothing started), every mistake with its place when not (exit 2).
TEST(LineupCliTest, RunCheckValidatesAFileWithoutStarting) {
  testing::TempDir dir;
  auto good = Lineup({kLineup, "run", "--check", "-c", LINEUP_SOURCE_DIR "/docs/examples/edge.yaml",
                      "--log-dir", dir / "log"});
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_NE(good.out.find("edge.yaml: valid"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("5 sender session(s), 3 responder(s)"), std::string::npos) << good.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "log")) << "a check opens no log";

  const std::string bad = dir / "bad.yaml";
  std::ofstream(bad) << "sessions:\n  p: {interval: 10, dscp: gold}\n";
  auto refused = Lineup({kLineup, "run", "--check", "-c", bad});
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("bad.yaml:2:"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("has no unit"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("'gold' is not a DSCP"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out, "");
}

TEST(LineupCliTest, AnalyzeAndReportOverADemoLog) {
  testing::TempDir dir;
  const std::string log = dir / "log";
  ASSERT_EQ(Lineup({kLineup, "demo", "-c", "30", "-i", "5ms", "--log", log}).status, 0);

  auto analyzed = Lineup({kLineup, "analyze", log, "--json"});
  ASSERT_EQ(analyzed.status, 0) << analyzed.err;
  const auto rankings = nlohmann::json::parse(analyzed.out);
  ASSERT_EQ(rankings["voice"].size(), 3u);
  EXPECT_TRUE(rankings["voice"][0]["compliant"]);
  // Again: it carries on from its checkpoint and appends nothing new.
  auto again = Lineup({kLineup, "analyze", log});
  EXPECT_NE(again.out.find("appended 0 verdict events"), std::string::npos) << again.out;
  auto dry = Lineup({kLineup, "analyze", log, "--dry-run"});
  EXPECT_NE(dry.out.find("nothing written"), std::string::npos) << dry.out;

  auto json = Lineup({kLineup, "report", log, "-f", "json"});
  ASSERT_EQ(json.status, 0) << json.err;
  const auto report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["schema"], "lineup.report/1");
  EXPECT_EQ(report["samples"], 90);
  EXPECT_EQ(report["tunnels"].size(), 3u);

  const std::string html = dir / "sla.html";
  auto page = Lineup({kLineup, "report", log, "-o", html});
  ASSERT_EQ(page.status, 0) << page.err;
  EXPECT_NE(page.err.find("wrote html"), std::string::npos);
  std::ifstream in(html);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg class=\"plot\""), std::string::npos);

  auto csv = Lineup({kLineup, "report", log, "-f", "csv", "--table", "sites"});
  EXPECT_EQ(csv.out.rfind("site,tunnels,availability_percent", 0), 0u) << csv.out;
  auto text_summary = Lineup({kLineup, "report", log});
  EXPECT_NE(text_summary.out.find("voice"), std::string::npos);
}

TEST(LineupCliTest, ReportExplainsBadInput) {
  testing::TempDir dir;
  const std::string log = dir / "log";
  ASSERT_EQ(Lineup({kLineup, "demo", "-c", "5", "-i", "5ms", "--log", log}).status, 0);

  auto later = Lineup(
      {kLineup, "report", log, "--from", "2030-01-01T00:00:00Z", "--to", "2030-01-02T00:00:00Z"});
  EXPECT_EQ(later.status, 1);
  EXPECT_NE(later.err.find("no probe samples between"), std::string::npos) << later.err;
  EXPECT_NE(later.err.find("the log holds events from"), std::string::npos) << later.err;

  auto backwards = Lineup({kLineup, "report", log, "--from", "-1s", "--to", "-2s"});
  EXPECT_EQ(backwards.status, 2);
  EXPECT_NE(backwards.err.find("range is empty"), std::string::npos) << backwards.err;

  auto bad_time = Lineup({kLineup, "report", log, "--from", "yesterday"});
  EXPECT_EQ(bad_time.status, 2);
  EXPECT_NE(bad_time.err.find("--from: 'yesterday' is not a time"), std::string::npos);

  const std::string config = dir / "bad.yaml";
  std::ofstream(config) << "sla_classes:\n  - name: voice\n    loss_percent: {enter: 1, exit: 5}\n";
  auto bad_config = Lineup({kLineup, "report", log, "-c", config});
  EXPECT_EQ(bad_config.status, 2);
  EXPECT_NE(
      bad_config.err.find("bad.yaml:2:5: sla_classes[0]: SLA class 'voice': loss exit 5 is worse"),
      std::string::npos)
      << bad_config.err;

  auto missing = Lineup({kLineup, "report", dir / "nothing-here"});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("nothing-here"), std::string::npos) << missing.err;

  auto format = Lineup({kLineup, "report", log, "-f", "pdf"});
  EXPECT_EQ(format.status, 2);
  EXPECT_NE(format.err.find("use text, json, csv or html"), std::string::npos);
}

TEST(LineupCliTest, AutoflowDecidesAndReplayReproducesIt) {
  testing::TempDir dir;
  const std::string log = dir / "log";
  ASSERT_EQ(Lineup({kLineup, "demo", "-c", "30", "-i", "5ms", "--log", log}).status, 0);
  const std::string policy = dir / "lineup.yaml";
  std::ofstream(policy)
      << "tunnels:\n"
         "  a: {sessions: ['line-a ipv4 voice (EF, Poisson)', 'line-a ipv4 best-effort']}\n"
         "  b: {sessions: ['line-b ipv6 video (AF41, 512 B)']}\n"
         "traffic_classes:\n"
         "  - {name: voice, strategy: priority, preferred: [b, a]}\n";
  ASSERT_EQ(Lineup({kLineup, "analyze", log, "-c", policy}).status, 0);
  const std::string decisions = dir / "decisions.jsonl";
  auto decided = Lineup(
      {kLineup, "autoflow", log, "-c", policy, "--actuator", "jsonl:" + decisions, "--json"});
  ASSERT_EQ(decided.status, 0) << decided.err;
  EXPECT_EQ(nlohmann::json::parse(decided.out)["voice"]["line"], "b");
  std::ifstream in(decisions);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["to"], "b");

  auto replay = Lineup({kLineup, "replay", log});
  EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("reproduces all 1 recorded decisions exactly"), std::string::npos)
      << replay.out;

  const std::string other = dir / "other.yaml";
  std::ofstream(other)
      << "tunnels:\n  a: {}\n  b: {}\n"
         "traffic_classes:\n  - {name: voice, strategy: priority, preferred: [a, b]}\n";
  auto what_if = Lineup({kLineup, "replay", log, "--policy", other, "--json"});
  ASSERT_EQ(what_if.status, 0) << what_if.err;
  const auto j = nlohmann::json::parse(what_if.out);
  EXPECT_FALSE(j["identical"]);
  EXPECT_EQ(j["recorded"]["decisions"][0]["to"], "b");

  std::ofstream(dir / "bad.yaml") << "traffic_classes:\n  - {name: voice, tunnels: [nowhere]}\n";
  auto bad = Lineup({kLineup, "autoflow", log, "-c", dir / "bad.yaml"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown tunnel 'nowhere'"), std::string::npos) << bad.err;
  auto no_actuator = Lineup({kLineup, "autoflow", log, "-c", policy, "--actuator", "telegraph"});
  EXPECT_EQ(no_actuator.status, 2);
  EXPECT_NE(no_actuator.err.find("use record, hook:COMMAND"), std::string::npos);
}

}  // namespace
}  // namespace lineup

namespace lineup {
namespace {

TEST(LineupCliTest, SimRunsAScenarioWritesItsLogAndSaysWhichExpectationFailed) {
  testing::TempDir dir;
  const std::string scenario = dir / "outage.yaml";
  std::ofstream(scenario) << R"(name: outage
duration: 2m
tunnels:
  a: {site: x, peer: y}
  b: {site: x, peer: y}
policy: {min_dwell: 10s, failback_delay: 30s}
traffic_classes:
  - {name: voice, strategy: priority, preferred: [a, b]}
links:
  a:
    delay: 5ms
    timeline: [{at: 1m, outage: true}]
  b: {delay: 20ms}
expect:
  - {traffic_class: voice, on: a, at: 50s}
  - {traffic_class: voice, on: b, at: 1m5s, after: 1m}
  - {traffic_class: voice, max_switches: 0}
)";
  const std::string out = dir / "out";
  auto ran = Lineup({kLineup, "sim", scenario, "--out", out});
  EXPECT_EQ(ran.status, 1) << ran.out << ran.err;  // the last expectation fails
  EXPECT_NE(ran.out.find("PASS  " + scenario + ":15: voice on a at 50s"), std::string::npos)
      << ran.out;
  EXPECT_NE(ran.out.find("FAIL  " + scenario + ":17: at most 0 switches of voice in [0s, 2m)"),
            std::string::npos)
      << ran.out;
  EXPECT_NE(ran.out.find("1 switch: 1m"), std::string::npos) << ran.out;
  // An outage is a blackout, whatever probe noticed it first.
  EXPECT_NE(ran.out.find("a -> b (blackout)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("FAILED: 2 of 3 expectations met"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("log:     " + out + "/log"), std::string::npos) << ran.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/report.html"));
  // The log replays to the same decisions; running again replaces it.
  auto replay = Lineup({kLineup, "replay", out + "/log"});
  EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
  EXPECT_EQ(Lineup({kLineup, "sim", scenario, "--out", out, "--json"}).status, 1);
  // A directory lineup sim did not write is left alone.
  const std::string theirs = dir / "theirs";
  std::filesystem::create_directories(theirs);
  std::ofstream(theirs + "/lineup.yaml") << "mine\n";
  auto refused = Lineup({kLineup, "sim", scenario, "--out", theirs});
  EXPECT_EQ(refused.status, 2) << refused.out << refused.err;
  EXPECT_NE(
      refused.err.find(theirs + " holds files lineup sim did not write: choose another --out"),
      std::string::npos)
      << refused.err;
  std::ifstream kept(theirs + "/lineup.yaml");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "mine\n");

  auto seeds = Lineup({kLineup, "sim", scenario, "--seeds", "3", "--json"});
  EXPECT_EQ(seeds.status, 1);
  const auto j = nlohmann::json::parse(seeds.out);
  EXPECT_EQ(j["runs"], 3);
  EXPECT_EQ(j["expectations"][1]["passed"], 3);
  EXPECT_EQ(j["expectations"][1]["time_to_switch_s"].size(), 3u);
  // Another probe interval than the scenario's.
  auto slow = Lineup({kLineup, "sim", scenario, "--seeds", "1", "--interval", "1s", "--json"});
  const auto k = nlohmann::json::parse(slow.out);
  EXPECT_DOUBLE_EQ(k["probe_interval_s"].get<double>(), 1.0);
  EXPECT_EQ(k["expectations"][1]["time_to_switch_s"].size(), 1u);
  auto zero = Lineup({kLineup, "sim", scenario, "--interval", "0s"});
  EXPECT_EQ(zero.status, 2);
  EXPECT_NE(zero.err.find("--interval 0s: give a duration from 1ms to 1h"), std::string::npos)
      << zero.err;

  std::ofstream(dir / "bad.yaml")
      << "name: bad\ntunnels: {a: {site: x, peer: y}}\nlinks: {z: {}}\n";
  auto bad = Lineup({kLineup, "sim", dir / "bad.yaml"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(
      bad.err.find(dir / "bad.yaml:3:12: links.z: 'z' is no tunnel of the scenario (tunnels: a)"),
      std::string::npos)
      << bad.err;
}

// A secrets file of mode 600 in `dir`.
std::string WriteSecrets(const std::string& dir, const std::string& text, mode_t mode = 0600) {
  const std::string path = dir + "/secrets";
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(LineupCliTest, TwpingAgainstTwampServerInEachModeWithTheLiveTable) {
  lineup::testing::TempDir dir;
  const std::string secrets = WriteSecrets(dir.path(), "probe1 a pass phrase\n");
  Subprocess server(
      {kLineup, "twamp-server", "-l", "127.0.0.1:0", "--secrets", secrets, "--duration", "60s"});
  const std::string target = "127.0.0.1:" + ListeningPort(server);

  Ran open = Lineup({kLineup, "twping", target, "-m", "unauthenticated", "-c", "5", "-i", "5ms"});
  EXPECT_EQ(open.status, 0) << open.err;
  EXPECT_NE(open.out.find("unauthenticated mode"), std::string::npos) << open.out;
  EXPECT_NE(open.out.find("loss 0/5 (0.00%)"), std::string::npos) << open.out;

  for (const char* mode : {"authenticated", "encrypted"}) {
    // Padded by default to the 112-octet replies of a secure session, as twping does.
    Ran secure = Lineup({kLineup, "twping", target, "-m", mode, "-u", "probe1", "--secrets",
                         secrets, "-c", "5", "-i", "5ms"});
    EXPECT_EQ(secure.status, 0) << secure.err;
    EXPECT_NE(secure.out.find(std::string(mode) + " mode"), std::string::npos) << secure.out;
    EXPECT_NE(secure.out.find("5 packets of 112 B"), std::string::npos) << secure.out;
    EXPECT_NE(secure.out.find("loss 0/5 (0.00%)"), std::string::npos) << secure.out;
  }
  // twping's own flags: -A mode letters, -u user, -k keyfile, -s padding, -D DSCP, -z start.
  Ran flags = Lineup({kLineup, "twping", target, "-A", "E", "-u", "probe1", "-k", secrets, "-s",
                      "30", "-D", "ef", "-z", "10ms", "-c", "3", "-i", "5ms"});
  EXPECT_EQ(flags.status, 0) << flags.err;
  EXPECT_NE(flags.out.find("encrypted mode"), std::string::npos) << flags.out;
  EXPECT_NE(flags.out.find("3 packets of 78 B"), std::string::npos) << flags.out;
  EXPECT_NE(flags.out.find("46 (ef)"), std::string::npos) << flags.out;

  // -M: KEY VALUE lines; -R: one line of seven fields per packet.
  Ran machine = Lineup({kLineup, "twping", target, "-c", "4", "-i", "5ms", "-M", "-R"});
  ASSERT_EQ(machine.status, 0) << machine.err;
  EXPECT_NE(machine.out.find("SENT 4\n"), std::string::npos) << machine.out;
  EXPECT_NE(machine.out.find("LOST 0\n"), std::string::npos) << machine.out;
  EXPECT_NE(machine.out.find("LOST_OUTBOUND 0\n"), std::string::npos) << machine.out;
  EXPECT_NE(machine.out.find("RTT_MIN_MS "), std::string::npos) << machine.out;
  EXPECT_EQ(machine.out.find("TWAMP test"), std::string::npos) << machine.out;
  std::istringstream lines(machine.out);
  int raw = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || !std::isdigit(static_cast<unsigned char>(line[0]))) continue;
    std::istringstream fields(line);
    std::vector<std::int64_t> numbers;
    for (std::int64_t v = 0; fields >> v;) numbers.push_back(v);
    ASSERT_EQ(numbers.size(), 7u) << line;
    EXPECT_EQ(numbers[0], raw);                 // the sequence
    EXPECT_LE(numbers[1], numbers[4]) << line;  // T1 <= T4
    EXPECT_LE(numbers[2], numbers[3]) << line;  // T2 <= T3
    ++raw;
  }
  EXPECT_EQ(raw, 4) << machine.out;

  Ran mixed =
      Lineup({kLineup, "twping", target, "-m", "mixed", "-u", "probe1", "--secrets", secrets, "-c",
              "4", "-i", "5ms", "--sessions", "2", "--tests", "2", "--json"});
  ASSERT_EQ(mixed.status, 0) << mixed.err;
  auto j = nlohmann::json::parse(mixed.out);
  EXPECT_EQ(j["mode"], "mixed");
  ASSERT_EQ(j["tests"].size(), 2u);
  EXPECT_EQ(j["test_ports"].size(), 4u);
  for (const auto& test : j["tests"]) {
    ASSERT_EQ(test.size(), 2u);
    for (const auto& s : test) EXPECT_EQ(s["received"], 4) << s.dump();
  }

  const std::string wrong = dir.path() + "/wrong";
  std::filesystem::create_directory(wrong);
  Ran refused = Lineup({kLineup, "twping", target, "-m", "mixed", "-u", "probe1", "--secrets",
                        WriteSecrets(wrong, "probe1 not the phrase\n"), "-c", "2"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("refused the connection"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("check the key identity and secret"), std::string::npos)
      << refused.err;

  server.Signal(SIGUSR1);
  EXPECT_TRUE(server.WaitForOutput("TWAMP server on 127.0.0.1:", 5000)) << server.Stdout();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(5000), 0);
  EXPECT_NE(server.Stderr().find("wrong shared secret"), std::string::npos) << server.Stderr();
}

TEST(LineupCliTest, TwampCommandsExplainBadInput) {
  lineup::testing::TempDir dir;
  const std::string open_secrets = WriteSecrets(dir.path(), "probe1 phrase\n", 0644);
  struct Case {
    std::vector<std::string> args;
    std::string message;
    int status;
  };
  const std::vector<Case> cases = {
      {{"twamp-server", "--secrets", open_secrets}, "chmod 600", 2},
      {{"twamp-server", "--test-ports", "5-2"}, "give LOW-HIGH", 2},
      {{"twamp-server", "--modes", "encrypted"}, "need --secrets", 2},
      {{"twamp-server", "--modes", "fast"}, "--modes", 2},
      // not bound: refused
      {{"twamp-server", "-l", "127.0.0.1:862@averyveryverylongname"}, "1-15 characters", 2},
      {{"twping", "127.0.0.1", "-m", "encrypted"}, "needs --key-id and --secrets", 2},
      {{"twping", "127.0.0.1", "-u", "probe1"}, "--key-id needs --secrets", 2},
      {{"twping", "127.0.0.1", "--dscp", "gold"}, "'gold' is not a DSCP", 2},
      {{"twping", "127.0.0.1:9", "-c", "1"}, "is a TWAMP server listening there?", 1},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{kLineup};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Ran r = Lineup(argv);
    EXPECT_EQ(r.status, c.status) << c.args[0] << " " << c.args.back() << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

// The main job: lineup run without a file runs three lines on loopback,
// logs, ranks, decides, and writes the report when it ends.
TEST(LineupCliTest, RunWithoutAFileIsTheMainJob) {
  lineup::testing::TempDir dir;
  Ran r = Lineup({kLineup, "run", "--for", "6s", "--log-dir", dir.path() + "/log", "--report",
                  dir.path() + "/report.html", "--api", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 0) << r.err;
  // Decisions with their reasons and the ranking when a class's line changes;
  // no line per run unless -v.
  for (const char* text : {"lineup run: 3 sessions, 3 responders", "listening on 127.0.1.1:",
                           "API on http://127.0.0.1:", "voice moved - -> line-",
                           "(initial): ", "ranking (score 0-1, higher is better)",
                           "stopped; the log is flushed", "SLA report", "report with plots"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("loss 0/20"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/report.html"));
  Ran verbose = Lineup({kLineup, "run", "--for", "3s", "--log-dir", dir.path() + "/log2",
                        "--report", "", "--api", "127.0.0.1:0", "-v"});
  EXPECT_EQ(verbose.status, 0) << verbose.err;
  EXPECT_NE(verbose.out.find("line-a/probe"), std::string::npos) << verbose.out;
  EXPECT_NE(verbose.out.find("loss 0/20"), std::string::npos) << verbose.out;
}

// SIGHUP reloads the file; an invalid one is refused with its errors and the
// running configuration stays; SIGTERM stops cleanly.
TEST(LineupCliTest, RunReloadsOnSighupAndKeepsTheConfigurationOnErrors) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.2.1", "127.0.2.2"}));
  lineup::testing::TempDir dir;
  const std::string path = dir.path() + "/lineup.yaml";
  auto write = [&](const std::string& tunnels) {
    std::ofstream(path) << "daemon: {log_dir: " << dir.path() << "/log, schedule: {every: 1s}}\n"
                        << "tunnels:\n"
                        << tunnels
                        << "sessions:\n  p: {count: 3, interval: 10ms, port: " + port +
                               ", wait: 200ms}\n"
                        << "reflectors:\n  - {listen: \"127.0.2.1:" + port +
                               "\"}\n  - {listen: \"127.0.2.2:" + port + "\"}\n";
  };
  write("  x: {local: 127.0.0.1, remote: 127.0.2.1, probes: [p]}\n");
  Subprocess run({kLineup, "run", "-c", path, "--report", "", "--api", "127.0.0.1:0", "-v"});
  ASSERT_TRUE(run.WaitForOutput("x/p", 10'000)) << run.Stdout() << run.Stderr();

  std::ofstream(path) << "tunnels:\n  x: {remote: nowhere, probes: [p]}\n";
  run.Signal(SIGHUP);
  ASSERT_TRUE(run.WaitForOutput("is not valid; keeping the running configuration", 10'000))
      << run.Stderr();
  EXPECT_NE(run.Stderr().find("tunnels.x.remote: 'nowhere' is not a numeric IPv4 or IPv6 address"),
            std::string::npos)
      << run.Stderr();

  write(
      "  x: {local: 127.0.0.1, remote: 127.0.2.1, probes: [p]}\n  y: {local: 127.0.0.1, remote: "
      "127.0.2.2, probes: [p]}\n");
  run.Signal(SIGHUP);
  ASSERT_TRUE(run.WaitForOutput("reloaded " + path + ": 2 sessions", 10'000))
      << run.Stdout() << run.Stderr();
  ASSERT_TRUE(run.WaitForOutput("y/p", 10'000)) << run.Stdout();
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(10'000), 0) << run.Stderr();
  EXPECT_NE(run.Stdout().find("stopped; the log is flushed"), std::string::npos);
}

// The commands that talk to a running daemon over its API.
TEST(LineupCliTest, CommandsManageARunningDaemonOverItsApi) {
  lineup::testing::TempDir dir;
  Subprocess daemon(
      {kLineup, "run", "--log-dir", dir.path() + "/log", "--api", "127.0.0.1:0", "-q"});
  ASSERT_TRUE(daemon.WaitForOutput("API on http://", 10'000)) << daemon.Stdout() << daemon.Stderr();
  EXPECT_EQ(daemon.Stdout(), "");  // -q: the start lines go to stderr
  std::smatch m;
  const std::string out = daemon.Stderr();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(API on http://(127\.0\.0\.1:\d+))")));
  const std::string api = m[1].str();
  // The far ends' port: 18620 unless something else holds it.
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(listening on 127\.0\.1\.1:(\d+))"))) << out;
  const std::string port = m[1].str();

  Ran list = Lineup({kLineup, "sessions", "--api", api});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("127.0.0.1_0-127.0.1.1_" + port), std::string::npos) << list.out;
  Ran added = Lineup({kLineup, "add-session", "extra", "--to", "127.0.1.2:" + port, "-c", "4", "-i",
                      "10ms", "--dscp", "ef", "-w", "200ms", "--api", api});
  EXPECT_EQ(added.status, 0) << added.err;
  EXPECT_NE(added.out.find("added 0.0.0.0_0-127.0.1.2_" + port), std::string::npos) << added.out;
  Ran bad = Lineup({kLineup, "add-session", "bad", "--to", "127.0.1.2", "--dscp", "gold", "--ttl",
                    "0", "--api", api});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("dscp: 'gold' is not a DSCP"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("ttl: 0 is out of range"), std::string::npos) << bad.err;
  Ran ran = Lineup({kLineup, "run-session", "0.0.0.0_0-127.0.1.2_" + port, "--api", api});
  EXPECT_EQ(ran.status, 0) << ran.err;
  EXPECT_NE(ran.out.find("4 sent, 4 received"), std::string::npos) << ran.out;
  Ran scheduled =
      Lineup({kLineup, "schedule", "0.0.0.0_0-127.0.1.2_" + port, "--every", "10s", "--api", api});
  EXPECT_NE(scheduled.out.find("every 10s"), std::string::npos) << scheduled.out << scheduled.err;
  Ran responders = Lineup({kLineup, "responders", "--api", api});
  EXPECT_NE(responders.out.find("responder:127.0.1.2:" + port), std::string::npos)
      << responders.out;
  Ran changes = Lineup({kLineup, "changes", "--api", api});
  EXPECT_EQ(changes.status, 0) << changes.err;
  EXPECT_NE(changes.out.find("changes made through the API, on top of the file"), std::string::npos)
      << changes.out;
  EXPECT_NE(changes.out.find("session   added    extra"), std::string::npos) << changes.out;
  Ran deleted = Lineup({kLineup, "delete-session", "0.0.0.0_0-127.0.1.2_" + port, "--api", api});
  EXPECT_EQ(deleted.status, 0) << deleted.err;
  Ran reset = Lineup({kLineup, "changes", "--reset", "--api", api});
  EXPECT_EQ(reset.status, 0) << reset.err;
  EXPECT_NE(reset.out.find("changes made through the API; the file applies"), std::string::npos)
      << reset.out;
  Ran none = Lineup({kLineup, "changes", "--api", api});
  EXPECT_NE(none.out.find("no changes made through the API"), std::string::npos) << none.out;
  Ran missing = Lineup({kLineup, "results", "nope", "--api", api});
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("no session 'nope'"), std::string::npos) << missing.err;
  daemon.Signal(SIGTERM);
  EXPECT_EQ(daemon.Wait(10'000), 0);
  Ran gone = Lineup({kLineup, "sessions", "--api", api});
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.err.find("is lineup run running?"), std::string::npos) << gone.err;
}

// Under systemd (Type=notify, WatchdogSec): READY once it serves, the
// watchdog's keep-alive while it runs, RELOADING/READY around SIGHUP,
// STOPPING at the end; read from a notify socket of our own.
TEST(LineupCliTest, RunTellsSystemdReadyWatchdogReloadAndStopping) {
  lineup::testing::TempDir dir;
  const std::string path = dir.path() + "/notify";
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string config = dir.path() + "/lineup.yaml";
  std::ofstream(config) << "daemon: {log_dir: " << dir.path() << "/log, schedule: {every: 1s}}\n";
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);  // a keep-alive every 200 ms
  Subprocess daemon({kLineup, "run", "-c", config, "--api", "127.0.0.1:0", "-q", "--for", "3s"});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  std::string said;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool reloaded = false;
  while (std::chrono::steady_clock::now() < deadline &&
         said.find("STOPPING=1") == std::string::npos) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    const auto n = ::recv(sock, buf, sizeof buf, 0);
    if (n > 0) said += std::string(buf, static_cast<std::size_t>(n)) + "|";
    if (!reloaded && said.find("READY=1") != std::string::npos) {
      daemon.Signal(SIGHUP);
      reloaded = true;
    }
  }
  ::close(sock);
  EXPECT_EQ(daemon.Wait(10'000), 0) << daemon.Stderr();
  EXPECT_NE(said.find("READY=1\nSTATUS=0 sessions, 0 responders, API on 127.0.0.1:"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("RELOADING=1"), std::string::npos) << said;
  EXPECT_GE(std::count(said.begin(), said.end(), '|'), 8) << said;  // keep-alives among them
  EXPECT_NE(said.find("WATCHDOG=1"), std::string::npos) << said;
  const auto reload_at = said.find("RELOADING=1");
  EXPECT_NE(said.find("READY=1", reload_at), std::string::npos) << said;
  EXPECT_NE(said.find("STOPPING=1"), std::string::npos) << said;
}

// kill -9 during runs, then a restart on the same log: every run the daemon
// had reported is in the log, no decision is taken again, sessions resume.
TEST(LineupCliTest, RunSurvivesKill9WithoutLosingOrRepeatingAnything) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.5.1", "127.0.5.2"}));
  lineup::testing::TempDir dir;
  const std::string path = dir.path() + "/lineup.yaml";
  std::ofstream(path)
      << "daemon: {log_dir: " << dir.path() << "/log, schedule: {every: 1s}}\n"
      << "tunnels:\n"
      << "  x: {site: s, peer: hub, local: 127.0.0.1, remote: 127.0.5.1, probes: [p]}\n"
      << "  y: {site: s, peer: hub, local: 127.0.0.1, remote: 127.0.5.2, probes: [p]}\n"
      << "sessions:\n  p: {count: 5, interval: 10ms, port: " + port + ", wait: 200ms}\n"
      << "reflectors:\n  - {listen: \"127.0.5.1:" + port + "\"}\n  - {listen: \"127.0.5.2:" + port +
             "\"}\n";
  auto api_of = [](const Subprocess& p) {
    std::smatch m;
    const std::string out = p.Stderr();  // -q
    return std::regex_search(out, m, std::regex(R"(API on http://(127\.0\.0\.1:\d+))")) ? m[1].str()
                                                                                        : "";
  };
  auto runs_of = [&](const std::string& api) {
    Ran r = Lineup({kLineup, "sessions", "--api", api, "--json"});
    std::vector<int> runs;
    if (r.status != 0) return runs;
    for (const auto& s : nlohmann::json::parse(r.out)) runs.push_back(s["runs"].get<int>());
    return runs;
  };
  auto count = [&](const std::string& type, const std::string& rule = "") {
    Ran dump = Lineup({kLineup, "log", "dump", dir.path() + "/log", "--no-samples", "--json"});
    int n = 0;
    std::istringstream lines(dump.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line);
      if (j["type"] != type) continue;
      if (!rule.empty() && j["data"]["rule"] != rule) continue;
      ++n;
    }
    return n;
  };

  int reported = 0;
  {
    Subprocess first({kLineup, "run", "-c", path, "--api", "127.0.0.1:0", "-q"});
    ASSERT_TRUE(first.WaitForOutput("API on http://", 10'000)) << first.Stderr();
    const std::string api = api_of(first);
    for (int i = 0; i < 200; ++i) {
      auto runs = runs_of(api);
      if (runs.size() == 2 && runs[0] >= 3 && runs[1] >= 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Ran paths = Lineup({kLineup, "paths", "--api", api, "--json"});
    for (int i = 0; i < 100 && nlohmann::json::parse(paths.out)["paths"].empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      paths = Lineup({kLineup, "paths", "--api", api, "--json"});
    }
    ASSERT_FALSE(nlohmann::json::parse(paths.out)["paths"].empty()) << paths.out;
    for (int r : runs_of(api)) reported += r;
    ASSERT_GE(reported, 6);
    first.Signal(SIGKILL);
    EXPECT_EQ(first.Wait(5'000), 128 + SIGKILL);
  }
  const int summaries = count("run_summary");
  EXPECT_GE(summaries, reported);  // reported runs had been logged first
  const int initial = count("path_switched", "initial");
  EXPECT_EQ(initial, 4);  // one first decision per traffic class
  const int switches = count("path_switched");

  Subprocess second({kLineup, "run", "-c", path, "--api", "127.0.0.1:0", "-q"});
  ASSERT_TRUE(second.WaitForOutput("API on http://", 10'000)) << second.Stderr();
  const std::string api = api_of(second);
  bool resumed = false;
  for (int i = 0; i < 200 && !resumed; ++i) {
    auto runs = runs_of(api);
    resumed = runs.size() == 2 && runs[0] >= 2 && runs[1] >= 2;
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(resumed);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(10'000), 0) << second.Stderr();
  EXPECT_GT(count("run_summary"), summaries);
  EXPECT_EQ(count("path_switched", "initial"), initial);  // nothing decided twice
  EXPECT_LE(count("path_switched"), switches + 2);        // at most a real change or two
  EXPECT_EQ(count("policy_changed"), 1);                  // the same configuration, once
}

}  // namespace
}  // namespace lineup
