// The REST API and /metrics over real HTTP on loopback against a running
// daemon: sessions, runs in the foreground and the background, responders,
// SLA state, paths, decisions, Prometheus text, and bad requests that get a
// 4xx with a JSON error while the daemon goes on.
#include "daemon/api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "tests/daemon/served.h"
#include "tests/store/temp_dir.h"
#include "tests/support/json_schema.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/wait.h"

namespace lineup::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

Reply Call(const asio::ip::tcp::endpoint& at, http::verb method, const std::string& target,
           const std::string& token = "", const std::string& body = "") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect(at);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "localhost");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]),
          res.body()};
}

using lineup::testing::WaitFor;

TEST(ApiTest, SessionsRunsResultsStateAndMetricsOverHttp) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.3.1", "127.0.3.2"}));
  lineup::testing::TempDir dir;
  auto served = Serve(fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1s}}
tunnels:
  a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.3.1, probes: [p]}}
  b: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.3.2, probes: [p]}}
sessions:
  p: {{count: 5, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{name: far-a, listen: "127.0.3.1:{1}"}}
  - {{name: far-b, listen: "127.0.3.2:{1}"}}
)",
                                  dir.path(), port),
                      "test.yaml");
  ASSERT_TRUE(served->error.empty()) << served->error;
  const auto at = served->server->endpoint();

  auto list = Call(at, http::verb::get, "/api/sessions");
  ASSERT_EQ(list.status, 200) << list.body;
  {
    // HTTP/1.1 without Host is a 400 (RFC 9112 §3.2); HTTP/1.0 needs none.
    asio::io_context io;
    for (const auto& [request, status] :
         std::vector<std::pair<std::string, int>>{{"GET /api/sessions HTTP/1.1\r\n\r\n", 400},
                                                  {"GET /api/sessions HTTP/1.0\r\n\r\n", 200}}) {
      asio::ip::tcp::socket raw(io);
      raw.connect(at);
      asio::write(raw, asio::buffer(request));
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(raw, buffer, res);
      EXPECT_EQ(static_cast<int>(res.result_int()), status) << request << res.body();
    }
  }
  EXPECT_EQ(list.content_type, "application/json");
  auto sessions = json::parse(list.body);
  ASSERT_EQ(sessions.size(), 2u);
  const std::string id = sessions[0]["id"];
  EXPECT_EQ(id, "127.0.0.1_0-127.0.3.1_" + port);
  EXPECT_EQ(sessions[0]["tunnel"], "a");
  EXPECT_EQ(sessions[0]["count"], 5);

  // Foreground: the answer is the run's result.
  auto run = Call(at, http::verb::post, "/api/sessions/" + id + "/run");
  ASSERT_EQ(run.status, 200) << run.body;
  auto result = json::parse(run.body);
  EXPECT_EQ(result["sent"], 5);
  EXPECT_EQ(result["received"], 5);
  EXPECT_EQ(result["trigger"], "api");
  EXPECT_GT(result["round_trip"]["mean_ns"].get<double>(), 0);
  const auto schema =
      testing::JsonSchema::FromFile(LINEUP_SOURCE_DIR "/docs/schema/run-summary.schema.json");
  EXPECT_EQ(schema.Problems(result), std::vector<std::string>{}) << run.body;

  // Background: a job to poll until it is done.
  auto job = Call(at, http::verb::post, "/api/sessions/" + id + "/run?mode=background");
  ASSERT_EQ(job.status, 202) << job.body;
  const std::string poll = json::parse(job.body)["poll"];
  ASSERT_TRUE(WaitFor(
      [&] { return json::parse(Call(at, http::verb::get, poll).body)["state"] == "done"; }));
  EXPECT_EQ(json::parse(Call(at, http::verb::get, poll).body)["result"]["received"], 5);

  auto results = json::parse(Call(at, http::verb::get, "/api/sessions/" + id + "/results").body);
  EXPECT_GE(results["history"].size(), 2u);
  for (const auto& r : results["history"])
    EXPECT_EQ(schema.Problems(r), std::vector<std::string>{});
  EXPECT_EQ(schema.Problems(results["last"]), std::vector<std::string>{});

  // Responders count what they reflected; SLA state, paths, decisions.
  auto responders = json::parse(Call(at, http::verb::get, "/api/responders").body);
  ASSERT_EQ(responders.size(), 2u);
  EXPECT_GE(responders[0]["reflected"].get<int>(), 10);
  EXPECT_EQ(responders[0]["dropped"]["not_allowed"], 0);
  ASSERT_TRUE(WaitFor([&] {
    auto paths = json::parse(Call(at, http::verb::get, "/api/paths").body);
    return paths.contains("voice") && !paths["voice"]["to"].get<std::string>().empty();
  }));
  auto sla = json::parse(Call(at, http::verb::get, "/api/sla?class=voice").body);
  ASSERT_EQ(sla["voice"].size(), 2u);
  EXPECT_TRUE(sla["voice"][0]["judged"].get<bool>());
  auto decisions = json::parse(Call(at, http::verb::get, "/api/decisions?limit=5").body);
  ASSERT_FALSE(decisions.empty());
  EXPECT_EQ(decisions[0]["rule"], "initial");
  auto events = json::parse(Call(at, http::verb::get, "/api/events?limit=1000").body);
  ASSERT_TRUE(events.is_array());
  bool switched = false;
  for (const auto& e : events) switched |= e["kind"] == "switch" && e["traffic_class"] == "voice";
  EXPECT_TRUE(switched) << events.dump(2);
  EXPECT_EQ(Call(at, http::verb::get, "/api/events?limit=x").status, 400);

  // Prometheus text.
  auto metrics = Call(at, http::verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
  // From one scrape: a/p's runs, and its packets (5 per run, all answered).
  auto value = [&](const std::string& series) -> double {
    const auto at_series = metrics.body.find(series + " ");
    if (at_series == std::string::npos) return -1;
    return std::stod(metrics.body.substr(at_series + series.size() + 1));
  };
  const std::string a_p = "{session=\"a/p\",tunnel=\"a\"}";
  const double runs = value("lineup_session_runs_total" + a_p);
  EXPECT_GE(runs, 1) << metrics.body;
  EXPECT_EQ(value("lineup_session_packets_sent_total" + a_p), 5 * runs) << metrics.body;
  EXPECT_EQ(value("lineup_session_packets_received_total" + a_p), 5 * runs) << metrics.body;
  EXPECT_EQ(value("lineup_session_round_trip_seconds_count" + a_p), 5 * runs) << metrics.body;
  EXPECT_EQ(value("lineup_session_round_trip_seconds_bucket{session=\"a/p\",tunnel=\"a\","
                  "le=\"+Inf\"}"),
            5 * runs)
      << metrics.body;
  const std::vector<std::string> expected = {
      "# TYPE lineup_session_rtt_seconds gauge",
      "lineup_session_rtt_seconds{session=\"a/p\",tunnel=\"a\"} ",
      "lineup_session_loss_ratio{session=\"b/p\",tunnel=\"b\"} 0\n",
      "lineup_sla_compliant{sla_class=\"voice\",tunnel=\"a\"} 1\n",
      "lineup_tunnel_latency_seconds{sla_class=\"voice\",tunnel=\"b\"} ",
      "lineup_tunnel_loss_ratio{sla_class=\"video\",tunnel=\"a\"} 0\n",
      "lineup_path_switches_total{traffic_class=\"voice\"} 1\n",
      "lineup_responder_received_total{responder=\"far-a\"} ",
      "lineup_responder_reflected_total{responder=\"far-a\"} ",
      "lineup_responder_dropped_total{reason=\"auth_failed\",responder=\"far-b\"} 0",
      // Counters to rate() over, a histogram to take quantiles of, staleness.
      "# TYPE lineup_session_packets_sent_total counter",
      "lineup_session_packets_lost_total{direction=\"outbound\",session=\"a/p\",tunnel=\"a\"} 0\n",
      "# TYPE lineup_session_round_trip_seconds histogram",
      "lineup_session_round_trip_seconds_bucket{session=\"a/p\",tunnel=\"a\",le=\"0.15\"}",
      "lineup_session_last_measurement_timestamp_seconds{session=\"b/p\"",
      "lineup_build_info{version=", "process_resident_memory_bytes ", "process_cpu_seconds_total "};
  for (const auto& text : expected) {
    EXPECT_NE(metrics.body.find(text), std::string::npos) << text << "\n" << metrics.body;
  }
  // The whole exposition passes Prometheus's own checker.
  const std::string promtool = lineup::testing::FindProgram("promtool");
  if (!promtool.empty()) {
    lineup::testing::TempDir scrape;
    const std::string file = scrape.path() + "/metrics.txt";
    std::ofstream(file) << metrics.body;
    std::string said;
    EXPECT_EQ(lineup::testing::Shell(promtool + " check metrics < " + file, said), 0) << said;
  }

  // Mistakes get a 4xx with a JSON error.
  using Mistake = std::tuple<http::verb, std::string, int>;
  for (const auto& [method, target, status] :
       {Mistake{http::verb::get, "/nope", 404}, Mistake{http::verb::get, "/api/sessions/nope", 404},
        Mistake{http::verb::delete_, "/api/responders", 405},
        Mistake{http::verb::post, "/api/sessions/x/run", 404},
        Mistake{http::verb::post, "/api/sessions/127.0.0.1_0-127.0.3.1_" + port + "/run?mode=later",
                400},
        Mistake{http::verb::get, "/api/decisions?limit=lots", 400},
        Mistake{http::verb::get, "/api/sla?class=platinum", 404}}) {
    auto r = Call(at, method, target);
    EXPECT_EQ(r.status, status) << target << " " << r.body;
    EXPECT_TRUE(json::parse(r.body).contains("error")) << r.body;
  }
  // Garbage instead of HTTP: 400 and the connection closes; the API goes on.
  {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(at);
    const std::string garbage = "\x16\x03\x01 hello not http\r\n\r\n";
    asio::write(socket, asio::buffer(garbage));
    std::string answer(512, '\0');
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(answer), ec);
    EXPECT_NE(answer.substr(0, n).find("400 Bad Request"), std::string::npos)
        << answer.substr(0, n);
  }
  EXPECT_EQ(Call(at, http::verb::get, "/api/sessions").status, 200);
}

TEST(ApiTest, ATokenIsRequiredWhenConfiguredAndBeyondLoopbackWithoutOne) {
  Jobs jobs;
  lineup::testing::TempDir dir;
  RealClock clock;
  auto config =
      ParseDaemonConfig(fmt::format("daemon: {{log_dir: {}/log}}\n", dir.path()), "t.yaml");
  ASSERT_TRUE(config);
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  auto denied = Route(**d, jobs, {"GET", "/api/sessions", "", ""}, "s3cret");
  ASSERT_TRUE(denied.response);
  EXPECT_EQ(denied.response->status, 401);
  auto wrong = Route(**d, jobs, {"GET", "/api/sessions", "", "Bearer nope"}, "s3cret");
  EXPECT_EQ(wrong.response->status, 401);
  auto allowed = Route(**d, jobs, {"GET", "/api/sessions", "", "Bearer s3cret"}, "s3cret");
  EXPECT_EQ(allowed.response->status, 200);
  // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
  for (const char* ok : {"bearer s3cret", "BEARER s3cret", "Bearer  s3cret"}) {
    EXPECT_EQ(Route(**d, jobs, {"GET", "/api/sessions", "", ok}, "s3cret").response->status, 200)
        << ok;
  }
  for (const char* no :
       {"Bearer S3CRET", "Bearer s3cre", "Bearer s3cretx", "Basic s3cret", "s3cret", "Bearer"}) {
    EXPECT_EQ(Route(**d, jobs, {"GET", "/api/sessions", "", no}, "s3cret").response->status, 401)
        << no;
  }

  // The web page's files hold no data: they load without the token; the
  // data they ask for (and the report) need it.
  for (const char* file : {"/", "/ui/app.js", "/ui/style.css", "/?token=x"}) {
    auto page = Route(**d, jobs, {"GET", file, "", ""}, "s3cret");
    ASSERT_TRUE(page.response);
    EXPECT_EQ(page.response->status, 200) << file;
    EXPECT_FALSE(page.response->body.empty()) << file;
  }
  EXPECT_EQ(Route(**d, jobs, {"GET", "/", "", ""}, "").response->content_type,
            "text/html; charset=utf-8");
  EXPECT_EQ(Route(**d, jobs, {"GET", "/ui/app.js", "", ""}, "").response->content_type,
            "text/javascript; charset=utf-8");
  EXPECT_EQ(Route(**d, jobs, {"GET", "/ui/nothing.js", "", ""}, "s3cret").response->status, 401);
  EXPECT_EQ(Route(**d, jobs, {"GET", "/api/report", "", ""}, "s3cret").response->status, 401);
  EXPECT_EQ(Route(**d, jobs, {"POST", "/", "", ""}, "s3cret").response->status, 401);

  ApiConfig open;
  open.listen = "0.0.0.0:0";
  auto refused = ApiServer::Start(**d, open);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("needs api.token_file"), std::string::npos)
      << refused.error().message;
  (*d)->Stop();
}

// What the web page asks for beyond the sessions: pages of sessions with a
// filter, tunnels, DSCP names, the report, a run's progress, and the form's
// fields (run mode, IP family) checked like the rest.
TEST(ApiTest, WhatTheWebPageAsksFor) {
  const std::string port =
      std::to_string(lineup::testing::FreeUdpPort({"127.0.6.1", "127.0.6.2", "::1"}));
  Jobs jobs;
  lineup::testing::TempDir dir;
  RealClock clock;
  auto config = ParseDaemonConfig(fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1h}}
tunnels:
  a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.6.1, probes: [p]}}
  b: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.6.2, probes: [p]}}
sessions:
  p: {{count: 20, interval: 50ms, port: {1}, wait: 200ms}}
reflectors:
  - {{name: far-a, listen: "127.0.6.1:{1}"}}
  - {{name: far-b, listen: "127.0.6.2:{1}"}}
)",
                                              dir.path(), port),
                                  "web.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto started = Daemon::Start(*config, clock);
  ASSERT_TRUE(started) << started.error().message;
  Daemon& d = **started;
  auto call = [&](const std::string& method, const std::string& target,
                  const std::string& body = "") {
    auto r = Route(d, jobs, {method, target, body, ""}, "");
    EXPECT_TRUE(r.response) << target;
    return r.response ? *r.response : HttpResponse{};
  };
  auto get = [&](const std::string& target) { return json::parse(call("GET", target).body); };

  // Pages and the filter.
  auto page = get("/api/sessions?limit=1");
  EXPECT_EQ(page["total"], 2);
  EXPECT_EQ(page["all"], 2);
  ASSERT_EQ(page["sessions"].size(), 1u);
  EXPECT_EQ(page["sessions"][0]["tunnel"], "a");
  EXPECT_EQ(get("/api/sessions?limit=1&offset=1")["sessions"][0]["tunnel"], "b");
  EXPECT_EQ(get("/api/sessions?offset=5")["sessions"].size(), 0u);
  auto filtered = get("/api/sessions?q=B%2Fp");  // any case, on the name
  EXPECT_EQ(filtered["total"], 1);
  EXPECT_EQ(filtered["sessions"][0]["name"], "b/p");
  EXPECT_EQ(get("/api/sessions?q=127.0.6.2")["total"], 1);  // on the id
  EXPECT_EQ(call("GET", "/api/sessions?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/sessions?limit=x").status, 400);
  EXPECT_TRUE(get("/api/sessions").is_array());  // without paging: the plain list, as before

  // A session's form fields.
  auto a = get("/api/sessions?q=a%2Fp")["sessions"][0];
  EXPECT_EQ(a["ip"], 4);
  EXPECT_EQ(a["run_mode"], "foreground");
  EXPECT_TRUE(a["own_schedule"].is_null());
  EXPECT_TRUE(a["progress"].is_null());

  // Tunnels (with where their probes go) and DSCP names.
  auto tunnels = get("/api/tunnels");
  ASSERT_EQ(tunnels.size(), 2u);
  EXPECT_EQ(tunnels[0]["name"], "a");
  EXPECT_EQ(tunnels[0]["remote"], "127.0.6.1");
  EXPECT_EQ(tunnels[0]["site"], "here");
  bool ef = false;
  for (const auto& dscp : get("/api/dscp"))
    ef = ef || (dscp["name"] == "ef" && dscp["value"] == 46);
  EXPECT_TRUE(ef);

  // A background run shows its progress while it sends, then its result.
  const std::string id = a["id"];
  auto job = json::parse(call("POST", "/api/sessions/" + id + "/run?mode=background").body);
  ASSERT_TRUE(job.contains("poll")) << job.dump();
  json progress;
  ASSERT_TRUE(WaitFor(
      [&] {
        progress = get(job["poll"]);
        return !progress["progress"].is_null();
      },
      3s))
      << progress.dump();
  EXPECT_EQ(progress["state"], "running");
  EXPECT_EQ(progress["progress"]["count"], 20);
  EXPECT_GE(progress["progress"]["packets_due"].get<int>(), 1);
  EXPECT_LE(progress["progress"]["packets_due"].get<int>(), 20);
  EXPECT_EQ(progress["progress"]["phase"], "sending");
  EXPECT_DOUBLE_EQ(progress["progress"]["at_most_ms"].get<double>(), 19 * 50 + 200);
  ASSERT_TRUE(WaitFor([&] { return get(job["poll"])["state"] == "done"; }));
  EXPECT_TRUE(get(job["poll"])["progress"].is_null());

  // Run mode: a session that runs in the background by default.
  auto edited = call("PUT", "/api/sessions/" + id,
                     R"({"run_mode": "background", "schedule": {"every": "90s"}})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(json::parse(edited.body)["run_mode"], "background");
  EXPECT_EQ(json::parse(edited.body)["own_schedule"], json({{"every", "90s"}})) << edited.body;
  auto background = call("POST", "/api/sessions/" + id + "/run");
  EXPECT_EQ(background.status, 202) << background.body;
  auto refused = call("PUT", "/api/sessions/" + id, R"({"run_mode": "later"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(json::parse(refused.body)["errors"][0]["field"], "run_mode") << refused.body;
  // null puts a field back to its default: the global schedule here.
  auto global = call("PUT", "/api/sessions/" + id, R"({"schedule": null})");
  ASSERT_EQ(global.status, 200) << global.body;
  EXPECT_TRUE(json::parse(global.body)["own_schedule"].is_null());
  EXPECT_EQ(json::parse(global.body)["run_mode"], "background");

  // The IP family asked for must be the address's; the name's mistakes name it.
  auto family = call("POST", "/api/sessions",
                     R"({"name": "v6", "to": "127.0.6.1:)" + port + R"(", "ip": 6})");
  ASSERT_EQ(family.status, 400);
  auto errors = json::parse(family.body)["errors"];
  EXPECT_EQ(errors[0]["field"], "to") << family.body;
  EXPECT_NE(errors[0]["message"].get<std::string>().find("IPv4 address, but ip: 6"),
            std::string::npos);
  auto v6 =
      call("POST", "/api/sessions", R"({"name": "v6", "to": "[::1]:)" + port + R"(", "ip": 6})");
  ASSERT_EQ(v6.status, 201) << v6.body;
  EXPECT_EQ(json::parse(v6.body)["ip"], 6);
  auto unnamed =
      call("POST", "/api/sessions", R"({"name": "two words", "to": "127.0.6.1:)" + port + R"("})");
  EXPECT_EQ(json::parse(unnamed.body)["errors"][0]["field"], "name") << unnamed.body;

  // The SLA report of a range, as HTML; a bad range says what is wrong.
  auto report = call("GET", "/api/report?from=-10m");
  EXPECT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.content_type, "text/html; charset=utf-8");
  EXPECT_NE(report.body.find("<title>Lineup SLA report"), std::string::npos);
  auto backwards = call("GET", "/api/report?from=-1m&to=-2m");
  EXPECT_EQ(backwards.status, 400);
  EXPECT_NE(
      json::parse(backwards.body)["error"].get<std::string>().find("'from' must be before 'to'"),
      std::string::npos);
  auto nonsense = call("GET", "/api/report?from=yesterday");
  EXPECT_EQ(nonsense.status, 400);
  EXPECT_NE(json::parse(nonsense.body)["error"].get<std::string>().find("from:"), std::string::npos)
      << nonsense.body;
  d.Stop();
}

// Sessions and responders added, edited, rescheduled and deleted through the
// API: validated like the file (errors name the field), applied at once,
// recorded in the log, and still there after a restart.
TEST(ApiTest, ChangesThroughTheApiApplyAndSurviveARestart) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.4.1", "127.0.4.2"}));
  lineup::testing::TempDir dir;
  RealClock clock;
  const std::string file = fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1s}}
tunnels:
  a: {{local: 127.0.0.1, remote: 127.0.4.1, probes: [p]}}
sessions:
  p: {{count: 3, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{listen: "127.0.4.1:{1}"}}
)",
                                       dir.path(), port);
  auto config = ParseDaemonConfig(file, "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ApiConfig api;
  api.listen = "127.0.0.1:0";
  std::string added_id;
  {
    auto d = Daemon::Start(*config, clock);
    ASSERT_TRUE(d) << d.error().message;
    auto server = ApiServer::Start(**d, api);
    ASSERT_TRUE(server);
    const auto at = (*server)->endpoint();

    // Bad values: 400 with the field of each.
    auto bad =
        Call(at, http::verb::post, "/api/sessions", "",
             R"({"name": "x", "to": "127.0.4.2:)" + port + R"(", "dscp": "gold", "ttl": 0})");
    ASSERT_EQ(bad.status, 400) << bad.body;
    auto errors = json::parse(bad.body)["errors"];
    std::set<std::string> fields;
    for (const auto& e : errors) fields.insert(e["field"].get<std::string>());
    EXPECT_TRUE(fields.count("dscp")) << bad.body;
    EXPECT_TRUE(fields.count("ttl")) << bad.body;
    EXPECT_EQ(Call(at, http::verb::post, "/api/sessions", "", "not json").status, 400);
    EXPECT_EQ(Call(at, http::verb::post, "/api/sessions", "", R"({"to": "127.0.4.2"})").status,
              400);

    // A responder and a session to it.
    auto responder = Call(at, http::verb::post, "/api/responders", "",
                          R"({"listen": "127.0.4.2:)" + port + R"(", "name": "far-x"})");
    ASSERT_EQ(responder.status, 201) << responder.body;
    auto created = Call(at, http::verb::post, "/api/sessions", "",
                        R"({"name": "x", "to": "127.0.4.2:)" + port +
                            R"(", "count": 4, "interval": "10ms", "dscp": "af41",
                            "wait": "200ms"})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto session = json::parse(created.body);
    added_id = session["id"];
    EXPECT_EQ(added_id, "0.0.0.0_0-127.0.4.2_" + port);
    EXPECT_EQ(session["dscp"], 34);
    EXPECT_EQ(Call(at, http::verb::post, "/api/sessions", "", R"({"name": "x", "to": "127.0.4.3"})")
                  .status,
              409);
    auto run = json::parse(Call(at, http::verb::post, "/api/sessions/" + added_id + "/run").body);
    EXPECT_EQ(run["received"], 4) << run.dump();

    // Edit: what the body leaves out keeps its value.
    auto edited =
        Call(at, http::verb::put, "/api/sessions/" + added_id, "", R"({"count": 6, "ttl": 64})");
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(json::parse(edited.body)["count"], 6);
    EXPECT_EQ(json::parse(edited.body)["dscp"], 34);
    EXPECT_EQ(Call(at, http::verb::put, "/api/sessions/" + added_id, "", R"({"dscp": 99})").status,
              400);

    // A schedule of its own, then the global one again.
    auto scheduled = Call(at, http::verb::put, "/api/sessions/" + added_id + "/schedule", "",
                          R"({"every": "5s"})");
    ASSERT_EQ(scheduled.status, 200) << scheduled.body;
    EXPECT_EQ(json::parse(scheduled.body)["schedule"], "every 5s");
    auto cron = Call(at, http::verb::put, "/api/sessions/" + added_id + "/schedule", "",
                     R"({"at": ["0 3 * * *"]})");
    EXPECT_EQ(json::parse(cron.body)["schedule"], "at 0 3 * * *");
    EXPECT_EQ(Call(at, http::verb::put, "/api/sessions/" + added_id + "/schedule", "",
                   R"({"at": ["3 * *"]})")
                  .status,
              400);

    // A responder changed in place: its allow-list now shuts the session's
    // sender out, so the next run gets no answer and the counters say why.
    auto narrowed = Call(at, http::verb::put, "/api/responders/responder:127.0.4.2:" + port, "",
                         R"({"allow": ["10.0.0.0/8"]})");
    ASSERT_EQ(narrowed.status, 200) << narrowed.body;
    auto refused =
        json::parse(Call(at, http::verb::post, "/api/sessions/" + added_id + "/run").body);
    EXPECT_EQ(refused["received"], 0) << refused.dump();
    auto counters =
        json::parse(Call(at, http::verb::get, "/api/responders/responder:127.0.4.2:" + port).body);
    EXPECT_GE(counters["dropped"]["not_allowed"].get<int>(), 1) << counters.dump();
    ASSERT_EQ(Call(at, http::verb::put, "/api/responders/responder:127.0.4.2:" + port, "",
                   R"({"allow": []})")
                  .status,
              200);

    // Deleting the tunnel's session from the file works too.
    ASSERT_EQ(Call(at, http::verb::delete_, "/api/sessions/127.0.0.1_0-127.0.4.1_" + port).status,
              200);
    EXPECT_EQ((*d)->Sessions().size(), 1u);
    (*server)->Stop();
    (*d)->Stop();
  }
  // After a restart with the same file the API's changes are back.
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  auto sessions = (*d)->Sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].config.id, added_id);
  EXPECT_EQ(sessions[0].config.settings.session.count, 6u);
  EXPECT_EQ(sessions[0].schedule, "at 0 3 * * *");
  EXPECT_EQ((*d)->Responders().size(), 2u);
  (*d)->Stop();
}

// The API's changes can be seen and dropped: GET /api/changes lists each
// (added, changed, deleted), DELETE /api/changes puts the file back, also
// after a restart. A file responder deleted and then added again listens.
TEST(ApiTest, ApiChangesAreListedAndResetAndAReAddedResponderListens) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.4.5", "127.0.4.6"}));
  lineup::testing::TempDir dir;
  RealClock clock;
  const std::string file = fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1h}}
tunnels:
  a: {{local: 127.0.0.1, remote: 127.0.4.5, probes: [p]}}
sessions:
  p: {{count: 3, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{listen: "127.0.4.5:{1}", name: far-a}}
)",
                                       dir.path(), port);
  auto config = ParseDaemonConfig(file, "test.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ApiConfig api;
  api.listen = "127.0.0.1:0";
  const std::string rid = "responder:127.0.4.5:" + port;
  const std::string sid = "127.0.0.1_0-127.0.4.5_" + port;
  {
    auto d = Daemon::Start(*config, clock);
    ASSERT_TRUE(d) << d.error().message;
    auto server = ApiServer::Start(**d, api);
    ASSERT_TRUE(server);
    const auto at = (*server)->endpoint();
    auto listed = json::parse(Call(at, http::verb::get, "/api/changes").body);
    EXPECT_EQ(listed["count"], 0) << listed.dump();

    // The file's responder deleted, then added again: it answers.
    ASSERT_EQ(Call(at, http::verb::delete_, "/api/responders/" + rid).status, 200);
    EXPECT_EQ((*d)->Responders().size(), 0u);
    auto again = Call(at, http::verb::post, "/api/responders", "",
                      R"({"listen": "127.0.4.5:)" + port + R"(", "name": "far-b"})");
    ASSERT_EQ(again.status, 201) << again.body;
    ASSERT_EQ((*d)->Responders().size(), 1u);
    EXPECT_EQ((*d)->Responders()[0].config.name, "far-b");
    auto run = json::parse(Call(at, http::verb::post, "/api/sessions/" + sid + "/run").body);
    EXPECT_EQ(run["received"], 3) << run.dump();

    // A file session changed, one added, the file's responder listed as changed.
    ASSERT_EQ(Call(at, http::verb::put, "/api/sessions/" + sid, "", R"({"count": 5})").status, 200);
    ASSERT_EQ(Call(at, http::verb::post, "/api/sessions", "",
                   R"({"name": "extra", "to": "127.0.4.6:)" + port + R"("})")
                  .status,
              201);
    listed = json::parse(Call(at, http::verb::get, "/api/changes").body);
    EXPECT_EQ(listed["count"], 3) << listed.dump(2);
    std::set<std::string> seen;
    for (const auto& c : listed["changes"]) {
      seen.insert(c["kind"].get<std::string>() + " " + c["change"].get<std::string>() + " " +
                  c.value("name", c.value("id", "")));
    }
    EXPECT_EQ(seen, (std::set<std::string>{"session changed a/p", "session added extra",
                                           "responder changed " + rid}))
        << listed.dump(2);

    // Reset: the file applies as written, at once.
    auto reset = Call(at, http::verb::delete_, "/api/changes");
    ASSERT_EQ(reset.status, 200) << reset.body;
    EXPECT_EQ(json::parse(reset.body)["reset"], 3);
    EXPECT_EQ(json::parse(Call(at, http::verb::get, "/api/changes").body)["count"], 0);
    auto sessions = (*d)->Sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].config.settings.session.count, 3u);
    ASSERT_EQ((*d)->Responders().size(), 1u);
    EXPECT_EQ((*d)->Responders()[0].config.name, "far-a");
    EXPECT_EQ(Call(at, http::verb::put, "/api/changes").status, 405);
    (*server)->Stop();
    (*d)->Stop();
  }
  // And after a restart nothing comes back from the log.
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)->config().api_changes, "{}");
  EXPECT_EQ((*d)->Sessions().size(), 1u);
  (*d)->Stop();
}

// Whatever a client sends, the answer is a status and JSON (or metrics
// text), never a crash, and the daemon goes on measuring.
TEST(ApiTest, RandomRequestsGetAnswersAndNothingBreaks) {
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.6.1"}));
  lineup::testing::TempDir dir;
  RealClock clock;
  auto config =
      ParseDaemonConfig(fmt::format(R"(daemon: {{log_dir: {0}/log, schedule: {{every: 1s}}}}
tunnels:
  a: {{local: 127.0.0.1, remote: 127.0.6.1, probes: [p]}}
sessions:
  p: {{count: 3, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{listen: "127.0.6.1:{1}"}}
)",
                                    dir.path(), port),
                        "t.yaml");
  ASSERT_TRUE(config) << config.error().message;
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  Jobs jobs;
  std::mt19937_64 rng(7);
  const std::vector<std::string> methods{"GET",   "POST", "PUT", "DELETE",
                                         "PATCH", "",     "get", "OPTIONS"};
  const std::vector<std::string> pieces{"api",
                                        "sessions",
                                        "responders",
                                        "run",
                                        "schedule",
                                        "results",
                                        "jobs",
                                        "sla",
                                        "paths",
                                        "decisions",
                                        "metrics",
                                        "127.0.0.1_0-127.0.6.1_" + port,
                                        "responder:127.0.6.1:" + port,
                                        "%zz",
                                        "%41",
                                        "..",
                                        "",
                                        "?mode=background",
                                        "?limit=-1",
                                        "?class=",
                                        "&&",
                                        "x"};
  const std::vector<std::string> bodies{"",
                                        "{}",
                                        "[]",
                                        "null",
                                        "{\"name\": 1}",
                                        "{\"to\": \"300.1.1.1\"}",
                                        "{\"name\": \"z\", \"to\": \"127.0.6.9\", \"count\": -5}",
                                        "{\"every\": \"fast\"}",
                                        "{\"at\": [1, 2]}",
                                        "{\"listen\": []}",
                                        "{\"allow\": \"everyone\"}",
                                        std::string(3000, '{'),
                                        "\xff\xfe"};
  for (int i = 0; i < 600; ++i) {
    HttpRequest request;
    request.method = methods[rng() % methods.size()];
    std::string target;
    for (std::size_t n = rng() % 5; n > 0; --n) target += "/" + pieces[rng() % pieces.size()];
    request.target = target.empty() ? "/" : target;
    request.body = bodies[rng() % bodies.size()];
    Routed routed = Route(**d, jobs, request, "");
    if (routed.response) {
      EXPECT_GE(routed.response->status, 200);
      EXPECT_LT(routed.response->status, 600);
      if (routed.response->content_type == "application/json") {
        EXPECT_FALSE(json::parse(routed.response->body, nullptr, false).is_discarded())
            << request.method << " " << request.target;
      }
    }
  }
  // Fields of the wrong type and numbers out of range are the client's 400,
  // answered as JSON (an exception used to escape the router: an empty reply).
  const std::size_t sessions = (*d)->Sessions().size();
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/api/sessions", "{\"name\": 1}"},
           {"POST", "/api/sessions", "{\"name\": \"q\", \"to\": 5}"},
           {"POST", "/api/sessions", "{\"name\": \"q\", \"to\": \"127.0.6.1\", \"count\": \"x\"}"},
           {"POST", "/api/responders", "{\"listen\": 1}"},
           {"PUT", "/api/schedule", "{\"every\": 5}"},
           {"GET", "/api/report?from=99999999999999999999999", ""},
           {"GET", "/api/decisions?limit=99999999999999999999999", ""}}) {
    Routed routed = Route(**d, jobs, {method, target, body, ""}, "");
    ASSERT_TRUE(routed.response) << method << " " << target << " " << body;
    EXPECT_GE(routed.response->status, 400) << method << " " << target << " " << body;
    EXPECT_LT(routed.response->status, 500)
        << method << " " << target << " " << body << ": " << routed.response->body;
    EXPECT_FALSE(json::parse(routed.response->body, nullptr, false).is_discarded());
  }
  EXPECT_EQ((*d)->Sessions().size(), sessions) << "a refused request changed the sessions";
  // Still measuring, and the log still reads whole.
  const auto runs = (*d)->Sessions();
  EXPECT_TRUE(WaitFor([&] {
    for (const auto& s : (*d)->Sessions()) {
      if (s.runs >= 2 && s.last && !s.last->error) return true;
    }
    return false;
  }));
  std::size_t unreadable = 0;
  ASSERT_TRUE((*d)->log().ReadPositions(0, (*d)->log().head(), {}, [&](const store::LogEntry& e) {
    unreadable += !e.event;
    return true;
  }));
  EXPECT_EQ(unreadable, 0u);
  (*d)->Stop();
}

}  // namespace
}  // namespace lineup::daemon

namespace lineup::daemon {
namespace {

// What a hostile or careless client sends is refused before anything reaches
// the log, and the daemon goes on answering: a body nested 100,000 deep (it
// used to overflow the stack), names with a NUL, a tab or broken UTF-8 (a NUL
// used to be logged and then wedge every later change and the restart).
TEST(ApiTest, DeepBodiesAndBadNamesAreRefusedAndChangeNothing) {
  lineup::testing::TempDir dir;
  const std::string port = std::to_string(lineup::testing::FreeUdpPort({"127.0.8.1"}));
  auto served = Serve(fmt::format(R"(daemon:
  log_dir: {0}/log
  schedule: {{every: 1h}}
tunnels:
  a: {{site: here, peer: hub, local: 127.0.0.1, remote: 127.0.8.1, probes: [p]}}
sessions:
  p: {{count: 3, interval: 10ms, port: {1}, wait: 200ms}}
reflectors:
  - {{name: far-a, listen: "127.0.8.1:{1}"}}
)",
                                  dir.path(), port),
                      "test.yaml");
  ASSERT_TRUE(served->error.empty()) << served->error;
  const auto at = served->server->endpoint();
  store::EventLog& log = served->daemon->log();
  const std::uint64_t head = log.head();
  const std::string sessions = Call(at, http::verb::get, "/api/sessions").body;

  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto refused = Call(at, http::verb::post, "/api/sessions", "", deep);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("nests deeper than"), std::string::npos) << refused.body;
  const std::string deep_object = std::string(70, '{') + std::string(70, '}');
  EXPECT_EQ(Call(at, http::verb::post, "/api/sessions", "", deep_object).status, 400);
  // Brackets inside a string are text, not nesting.
  auto quoted = Call(at, http::verb::post, "/api/sessions", "",
                     R"({"name": "x", "to": "127.0.8.1:)" + port + R"(", "dscp": ")" +
                         std::string(100, '[') + R"("})");
  EXPECT_EQ(quoted.status, 400) << quoted.body;  // refused for the DSCP, not the depth
  EXPECT_EQ(quoted.body.find("nests deeper"), std::string::npos) << quoted.body;

  for (const std::string& name :
       {std::string("a\\u0000b"), std::string("tab\\there"), std::string("bell\\u0007")}) {
    auto bad = Call(at, http::verb::post, "/api/sessions", "",
                    R"({"name": ")" + name + R"(", "to": "127.0.8.1:)" + port + R"("})");
    EXPECT_EQ(bad.status, 400) << name << ": " << bad.body;
    EXPECT_TRUE(bad.body.find("control character") != std::string::npos ||
                bad.body.find("no spaces") != std::string::npos)
        << bad.body;
  }
  auto latin1 =
      Call(at, http::verb::post, "/api/sessions", "",
           std::string(R"({"name": "caf)") + '\xe9' + R"(", "to": "127.0.8.1:)" + port + R"("})");
  EXPECT_EQ(latin1.status, 400) << latin1.body;

  // Nothing of it reached the log or the running configuration.
  EXPECT_EQ(log.head(), head);
  EXPECT_EQ(Call(at, http::verb::get, "/api/sessions").body, sessions);
  // And the daemon is not wedged: a good change applies, a delete deletes.
  auto good = Call(at, http::verb::post, "/api/sessions", "",
                   R"({"name": "café-ok", "to": "127.0.8.1:)" + port + R"("})");
  ASSERT_EQ(good.status, 201) << good.body;
  const std::string id = json::parse(good.body)["id"];
  EXPECT_EQ(Call(at, http::verb::delete_, "/api/sessions/" + id).status, 200);
  EXPECT_GT(log.head(), head);
}

}  // namespace
}  // namespace lineup::daemon

namespace lineup::daemon {
namespace {

// The API's idle timeout on fake time: a client that connects and sends
// nothing is closed when the daemon's clock says so, not before.
TEST(ApiOnFakeTimeTest, AClientThatSendsNothingIsClosedAtTheIdleTimeout) {
  lineup::testing::TempDir dir;
  FakeClock clock(FromUnixNanos(1'795'000'000'000'000'000));
  auto config =
      ParseDaemonConfig(fmt::format("daemon: {{log_dir: {}/log}}\n", dir.path()), "t.yaml");
  ASSERT_TRUE(config);
  auto d = Daemon::Start(*config, clock);
  ASSERT_TRUE(d) << d.error().message;
  ApiConfig api;
  api.listen = "127.0.0.1:0";
  auto server = ApiServer::Start(**d, api);
  ASSERT_TRUE(server) << server.error().message;
  const std::size_t before = clock.Pending();
  asio::io_context io;
  asio::ip::tcp::socket quiet(io);
  quiet.connect((*server)->endpoint());
  quiet.non_blocking(true);
  // Its idle timer is set once the API thread serves it.
  for (int i = 0; i < 5000 && clock.Pending() == before; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(clock.Pending(), before + 1);
  auto closed = [&] {
    std::array<char, 16> buffer;
    boost::system::error_code ec;
    quiet.read_some(asio::buffer(buffer), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  };
  clock.Advance(ApiServer::kIdleTimeout - std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(closed());
  clock.Advance(std::chrono::milliseconds(1));
  bool gone = false;
  for (int i = 0; i < 5000 && !(gone = closed()); ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(gone);
  // The API still serves the next client.
  EXPECT_EQ(Call((*server)->endpoint(), http::verb::get, "/api/sessions").status, 200);
}

}  // namespace
}  // namespace lineup::daemon
