// The daemon's part of lineup.yaml: sessions from templates on tunnels,
// responders, schedules, and every mistake reported at once with its place.
#include "daemon/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "analyzer/config.h"
#include "autoflow/policy.h"
#include "tests/store/temp_dir.h"

namespace lineup::daemon {
namespace {

using namespace std::chrono_literals;

constexpr const char* kConfig = R"(daemon:
  log_dir: /var/lib/lineup/log
  retention: {max_age: 7d, max_size_mb: 512}
  api: {listen: "127.0.0.1:0"}
  schedule: {every: 30s}
tunnels:
  mpls:
    site: paris
    local: 127.0.0.1
    remote: 127.0.0.2
    responder: true
    probes: [voice, bulk]
  inet:
    site: paris
    local: "::1"
    remote: "::1"
    interface: vrf-red
    responder: {port: 8862, kind: twamp, allow: [127.0.0.0/8]}
    probes: [voice]
sessions:
  voice:
    count: 50
    interval: 20ms
    dscp: ef
    padding: 30
    from_port: 0
  bulk:
    count: 10
    interval: 1s
    port: 863
    schedule: {at: ["*/5 * * * *"]}
  hub-check:
    to: 127.0.0.9:862
    from: 127.0.0.1:40001
    protocol: twamp
    mode: encrypted
    key_id: edge-1
reflectors:
  - listen: 127.0.0.1:4000  # not bound: parsed only
    kind: light
)";

TEST(DaemonConfigTest, TemplatesOnTunnelsBecomeSessionsWithStableIds) {
  // from_port is not a field: the first run of this test shows the message.
  auto bad = ParseDaemonConfig(kConfig, "lineup.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("lineup.yaml:26:5: sessions.voice.from_port: unknown key"),
            std::string::npos)
      << bad.error().message;

  std::string text = kConfig;
  text.erase(text.find("    from_port: 0\n"), std::string("    from_port: 0\n").size());
  auto c = ParseDaemonConfig(text, "lineup.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->log_dir, "/var/lib/lineup/log");
  EXPECT_EQ(c->retention_age, 7 * 24h);
  EXPECT_EQ(c->retention_bytes, 512u << 20);
  EXPECT_EQ(c->api.listen, "127.0.0.1:0");
  EXPECT_EQ(c->global_schedule.every, 30s);

  ASSERT_EQ(c->senders.size(), 4u);
  std::map<std::string, const SenderSession*> by_name;
  for (const auto& s : c->senders) by_name[s.name] = &s;
  const auto& voice = *by_name.at("mpls/voice");
  EXPECT_EQ(voice.id, "127.0.0.1_0-127.0.0.2_862");
  EXPECT_EQ(voice.tunnel, "mpls");
  EXPECT_EQ(voice.settings.session.dscp, 46);
  EXPECT_EQ(voice.settings.session.count, 50u);
  EXPECT_FALSE(voice.settings.schedule);  // the global one
  const auto& bulk = *by_name.at("mpls/bulk");
  EXPECT_EQ(bulk.id, "127.0.0.1_0-127.0.0.2_863");
  ASSERT_TRUE(bulk.settings.schedule);
  EXPECT_EQ(bulk.settings.schedule->at.size(), 1u);
  const auto& v6 = *by_name.at("inet/voice");
  EXPECT_EQ(v6.id, "::1_0-::1_862");
  EXPECT_EQ(v6.device, "vrf-red");
  const auto& hub = *by_name.at("hub-check");
  EXPECT_EQ(hub.id, "127.0.0.1_40001-127.0.0.9_862");
  EXPECT_EQ(hub.settings.protocol, Protocol::kTwamp);
  EXPECT_EQ(hub.settings.mode, measure::control::kEncrypted);
  EXPECT_EQ(hub.settings.key_id, "edge-1");

  // The analyzer knows which tunnel each generated session measures.
  const auto& of = c->analysis.analysis.tunnel_of_session;
  EXPECT_EQ(of.at("mpls/voice"), "mpls");
  EXPECT_EQ(of.at("mpls/bulk"), "mpls");
  EXPECT_EQ(of.at("inet/voice"), "inet");

  ASSERT_EQ(c->responders.size(), 3u);
  EXPECT_EQ(c->responders[0].id, "responder:127.0.0.1:862");
  EXPECT_EQ(c->responders[0].kind, ResponderKind::kStamp);
  EXPECT_EQ(c->responders[1].listen.port(), 8862);
  EXPECT_EQ(c->responders[1].kind, ResponderKind::kTwamp);
  EXPECT_EQ(c->responders[1].device, "vrf-red");
  EXPECT_EQ(c->responders[1].allow.size(), 1u);
  EXPECT_EQ(c->responders[2].kind, ResponderKind::kTwampLight);
}

TEST(DaemonConfigTest, EveryMistakeIsReportedWithItsPlace) {
  auto c = ParseDaemonConfig(R"(daemon:
  api: {listen: 192.0.2.1:8080}
  schedule: {at: ["61 * * * *"]}
tunnels:
  a:
    remote: 10.0.0.2
    responder: true
    probes: [nothere, p]
  b:
    local: 10.0.0.1
    remote: 10.0.0.2
    probes: [p, p]
sessions:
  p:
    dscp: gold
    ttl: 0
    interval: 10
  light:
    to: 10.0.0.5
    mode: encrypted
)",
                             "lineup.yaml");
  ASSERT_FALSE(c);
  const std::string m = c.error().message;
  for (const char* expected : {
           "lineup.yaml:2:",  // api
           "is not a loopback address: give api.token_file",
           "cron minute '61': values must be 0-59",
           "a responder listens on the tunnel's local address: give 'local'",
           "no session 'nothere' in 'sessions' to use as a template",
           "another session already runs from 10.0.0.1:0 to 10.0.0.2:862: give the templates "
           "different ports",
           "'gold' is not a DSCP",
           "sessions.p.ttl",
           "sessions.p.interval: 10 has no unit: write 10s, 10ms or another unit",
           "'mode' and 'key_id' are for full TWAMP sessions",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
}

// Names go into log streams, metric labels and URLs: control characters and
// broken UTF-8 are refused where the file is read, with the place.
TEST(DaemonConfigTest, NamesMustBePrintableText) {
  auto c = ParseDaemonConfig(
      "tunnels:\n"
      "  \"tab\\there\": {local: 127.0.0.1, remote: 127.0.0.2}\n"
      "sessions:\n"
      "  \"bell\\a\": {to: 127.0.0.3}\n"
      "  \"caf\\xe9-ok\": {to: 127.0.0.4}\n"
      "reflectors:\n"
      "  - {listen: \"127.0.0.5:0\", name: \"nul\\0\"}\n",
      "lineup.yaml");
  ASSERT_FALSE(c);
  const std::string m = c.error().message;
  for (const char* expected : {"lineup.yaml:2:", "the tunnel name has a control character (0x09)",
                               "lineup.yaml:4:", "the session name has a control character (0x07)",
                               "the responder name has a control character (0x00)"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
  EXPECT_EQ(m.find("caf"), std::string::npos) << "U+00E9 is printable text:\n" << m;
  // The names are shown with their control characters escaped: the message
  // itself holds none (it goes to terminals and log lines).
  EXPECT_NE(m.find("tunnels.tab\\x09here"), std::string::npos) << m;
  EXPECT_NE(m.find("sessions.bell\\x07"), std::string::npos) << m;
  for (const char ch : m) EXPECT_TRUE(ch == '\n' || static_cast<unsigned char>(ch) >= 0x20) << m;
}

// Sections nobody reads are mistakes, not silently accepted.
TEST(DaemonConfigTest, SectionsNobodyReadsAreRefused) {
  for (const char* section : {"store", "export", "web"}) {
    auto c = ParseDaemonConfig(fmt::format("{}: {{enabled: true}}\n", section), "lineup.yaml");
    ASSERT_FALSE(c) << section;
    EXPECT_NE(c.error().message.find(fmt::format("lineup.yaml:1:1: {}: unknown key", section)),
              std::string::npos)
        << c.error().message;
  }
}

// lineup.yaml is read whole by the daemon and in part by `lineup analyze -c`
// and `lineup autoflow -c`; each part skips the others' sections by the one
// table in config/lineup_yaml.cc, and a key nobody owns is an error in each.
TEST(DaemonConfigTest, EachPartReadsTheSameFileAndRefusesWhatNobodyOwns) {
  const std::string example = LINEUP_SOURCE_DIR "/docs/examples/edge.yaml";
  EXPECT_TRUE(LoadDaemonConfig(example));
  auto analysis = analyzer::LoadAnalyzerConfig(example);
  EXPECT_TRUE(analysis) << analysis.error().message;
  auto policy = autoflow::LoadConfig(example);
  EXPECT_TRUE(policy) << policy.error().message;

  const std::string typos =
      "sla_clases: []\n"
      "tunnels:\n"
      "  mpls: {site: a, peer: b, local: 192.0.2.1, remtoe: 192.0.2.2}\n";
  auto daemon = ParseDaemonConfig(typos, "lineup.yaml");
  auto analyzer = analyzer::ParseAnalyzerConfig(typos, "lineup.yaml");
  auto autoflow = autoflow::ParseConfig(typos, "lineup.yaml");
  for (const auto* message :
       {&daemon.error().message, &analyzer.error().message, &autoflow.error().message}) {
    EXPECT_NE(message->find("lineup.yaml:1:1: sla_clases: unknown key"), std::string::npos)
        << *message;
    EXPECT_NE(message->find("tunnels.mpls.remtoe: unknown key"), std::string::npos) << *message;
  }
}

// The API stores a changed session as SessionParamsJson and reads it back
// through the file's reader: every parameter survives the trip unchanged.
TEST(DaemonConfigTest, SessionParametersSurviveTheApisRoundTrip) {
  const std::string text = R"(daemon: {log_dir: /tmp/lineup-roundtrip}
sessions:
  full:
    to: 127.0.0.9:862
    from: 127.0.0.1:40001
    protocol: twamp
    mode: encrypted
    key_id: edge-1
    count: 7
    interval: 1500us
    spacing: poisson
    padding: 100
    dscp: af41
    ecn: 1
    ttl: 64
    dont_fragment: true
    wait: 750ms
    schedule: {at: ["*/5 * * * *", "0 3 * * 1"]}
    run_mode: background
    tunnel: mpls
    interface: vrf-red
  light.with.dots:
    to: "[::1]:863"
    ssid: 77
    schedule: {every: 45s}
)";
  auto c = ParseDaemonConfig(text, "lineup.yaml");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->senders.size(), 2u);
  for (const auto& s : c->senders) {
    nlohmann::json changes;
    changes["sessions"][s.name] = SessionParamsJson(s);
    auto back = WithApiChanges(*c, changes.dump(), "api");
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->senders.size(), 2u);
    const auto it = std::find_if(back->senders.begin(), back->senders.end(),
                                 [&](const SenderSession& b) { return b.name == s.name; });
    ASSERT_NE(it, back->senders.end()) << s.name;
    EXPECT_EQ(*it, s) << s.name << ": " << SessionParamsJson(s).dump() << " came back as "
                      << SessionParamsJson(*it).dump();
  }
  // And a difference in any one parameter makes another run.
  SenderSession other = c->senders[0];
  other.settings.session.ecn = 2;
  EXPECT_NE(other, c->senders[0]);
}

// A mistake in the API's change comes back with its path, so the API names
// the field without reading the message.
TEST(DaemonConfigTest, MistakesCarryTheirPath) {
  auto c = ParseDaemonConfig("daemon: {log_dir: /tmp/x}\n", "lineup.yaml");
  ASSERT_TRUE(c);
  auto bad = WithApiChanges(
      *c, R"({"sessions": {"a.b": {"to": "127.0.0.9:862", "ttl": 0, "dscp": "gold"}}})", "api");
  ASSERT_FALSE(bad);
  std::set<std::string> paths;
  for (const auto& p : bad.error().problems) paths.insert(p.path);
  EXPECT_EQ(paths, (std::set<std::string>{"api_changes.sessions.a.b.ttl",
                                          "api_changes.sessions.a.b.dscp"}))
      << bad.error().message;
}

WallTime Utc(int y, unsigned mo, unsigned d, int h, int mi) {
  using namespace std::chrono;
  return WallTime(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi));
}

TEST(DaemonScheduleTest, CronTimesFollowCronRules) {
  auto every15 = CronSpec::Parse("*/15 * * * *");
  ASSERT_TRUE(every15);
  EXPECT_EQ(every15->Next(Utc(2026, 11, 25, 10, 7)), Utc(2026, 11, 25, 10, 15));
  EXPECT_EQ(every15->Next(Utc(2026, 11, 25, 10, 15)), Utc(2026, 11, 25, 10, 30));
  EXPECT_EQ(every15->Next(Utc(2026, 11, 25, 23, 50)), Utc(2026, 11, 26, 0, 0));

  auto monday2am = CronSpec::Parse("0 2 * * 1");  // 2026-11-25 is a Wednesday
  ASSERT_TRUE(monday2am);
  EXPECT_EQ(monday2am->Next(Utc(2026, 11, 25, 10, 0)), Utc(2026, 11, 30, 2, 0));
  auto sunday = CronSpec::Parse("30 6 * * 7");
  EXPECT_EQ(sunday->Next(Utc(2026, 11, 25, 10, 0)), Utc(2026, 11, 29, 6, 30));
  // Both day fields restricted: either matches (the 1st, or any Friday).
  auto either = CronSpec::Parse("0 0 1 * 5");
  EXPECT_EQ(either->Next(Utc(2026, 11, 25, 10, 0)), Utc(2026, 11, 27, 0, 0));
  auto lists = CronSpec::Parse("5,35 8-9 * 1-3,12 *");
  EXPECT_EQ(lists->Next(Utc(2026, 11, 25, 10, 0)), Utc(2026, 12, 1, 8, 5));
  EXPECT_FALSE(CronSpec::Parse("0 0 31 2 *")->Next(Utc(2026, 1, 1, 0, 0)));

  EXPECT_FALSE(CronSpec::Parse("* * * *"));
  EXPECT_FALSE(CronSpec::Parse("*/0 * * * *"));
  EXPECT_FALSE(CronSpec::Parse("5-2 * * * *"));
  EXPECT_FALSE(CronSpec::Parse("x * * * *"));
  EXPECT_NE(
      CronSpec::Parse("* 24 * * *").error().message.find("cron hour '24': values must be 0-23"),
      std::string::npos);

  Schedule periodic;
  periodic.every = 30s;
  EXPECT_EQ(periodic.Next(Utc(2026, 1, 1, 0, 0)), Utc(2026, 1, 1, 0, 0) + 30s);
  Schedule crons;
  crons.at.push_back(*CronSpec::Parse("0 * * * *"));
  crons.at.push_back(*CronSpec::Parse("30 * * * *"));
  EXPECT_EQ(crons.Next(Utc(2026, 1, 1, 0, 10)), Utc(2026, 1, 1, 0, 30));
  EXPECT_EQ(crons.Describe(), "at 0 * * * *, 30 * * * *");
}

// The annotated example in the docs is a valid configuration.
TEST(DaemonConfigTest, TheDocumentedExampleLoads) {
  auto c = LoadDaemonConfig(LINEUP_SOURCE_DIR "/docs/examples/edge.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->senders.size(), 5u);     // 2 tunnels x 2 templates + hub-check
  EXPECT_EQ(c->responders.size(), 3u);  // 2 tunnels + lan
  EXPECT_EQ(c->analysis.policy.classes.size(), 2u);
  EXPECT_EQ(c->analysis.analysis.tunnel_of_session.at("hub-check"), "ipsec-mpls");
}

// Files that are not a configuration are errors with the reason, never a
// daemon started (or, at SIGHUP, reloaded) with nothing in it.
TEST(DaemonConfigTest, FilesThatAreNotAConfigurationAreClearErrors) {
  lineup::testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  std::filesystem::create_directory(dir.path() + "/conf.d");
  const std::vector<std::pair<std::string, std::string>> cases{
      {dir.path() + "/conf.d", "is a directory"},
      {write("empty.yaml", ""), "holds no settings"},
      {write("comments.yaml", "# nothing yet\n\n---\n"), "holds no settings"},
      {write("list.yaml", "daemon: [1, 2]\n"), "daemon: expected a mapping"},
      {write("two.yaml", "sessions: {}\n---\nsessions: {}\n"), "holds 2 YAML documents"},
      {write("utf8.yaml", "tunnels:\n  a\xff: {local: 127.0.0.1}\n"), "not valid UTF-8"},
  };
  for (const auto& [path, why] : cases) {
    auto c = LoadDaemonConfig(path);
    ASSERT_FALSE(c) << path;
    EXPECT_NE(c.error().message.find(why), std::string::npos) << path << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace lineup::daemon
