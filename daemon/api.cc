// Boost 1.74's coroutine support needs <utility> first.
#include <utility>

// GCC 12 mistakes asio's coroutine frame allocator for a mismatched
// new/delete pair when it inlines a coroutine (a known false positive).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <variant>

#include "base/time_text.h"
#include "daemon/web_assets.h"
#include "measure/dscp.h"
#include "net/accept_backoff.h"
#include "net/timer.h"
#include "report/report.h"
#include "report/report_render.h"
#include "report/run_summary_json.h"
#include "store/events.h"
#include "store/measurements.h"

namespace lineup::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

HttpResponse Json(int status, const json& body) {
  return {status, "application/json", body.dump(2) + "\n"};
}

HttpResponse Problem(int status, const std::string& message) {
  return Json(status, {{"error", message}});
}

// "Bearer TOKEN", the scheme in any case (RFC 9110 §11.1), the token exact;
// compared in time independent of where the token differs.
bool BearerMatches(std::string_view authorization, const std::string& token) {
  const std::size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  std::string scheme(authorization.substr(0, space));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string_view given = authorization.substr(space + 1);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  if (scheme != "bearer" || given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  }
  return diff == 0;
}

double Ms(Nanos d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      unsigned value = 0;
      if (std::sscanf(std::string(s.substr(i + 1, 2)).c_str(), "%2x", &value) == 1) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// "/api/sessions/ID/run?mode=x" -> {"api", "sessions", "ID", "run"} and the query.
std::pair<std::vector<std::string>, std::map<std::string, std::string>> Split(
    const std::string& target) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  std::vector<std::string> parts;
  std::size_t from = 1;
  while (from <= path.size()) {
    const std::size_t slash = std::min(path.find('/', from), path.size());
    if (slash > from)
      parts.push_back(PercentDecode(std::string_view(path).substr(from, slash - from)));
    from = slash + 1;
  }
  std::map<std::string, std::string> query;
  if (q != std::string::npos) {
    std::string rest = target.substr(q + 1);
    std::size_t at = 0;
    while (at <= rest.size()) {
      const std::size_t amp = std::min(rest.find('&', at), rest.size());
      const std::string pair = rest.substr(at, amp - at);
      const auto eq = pair.find('=');
      if (!pair.empty())
        query[PercentDecode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
      at = amp + 1;
    }
  }
  return {parts, query};
}

// The run summary's one shape (docs/schema/run-summary.schema.json), with the
// daemon's run number, trigger and times in words.
json RunObject(const RunResult& r) {
  json j = report::RunSummaryJson(store::SummaryFrom(r.summary, r.started, r.finished));
  j.update({{"run", r.run},
            {"trigger", r.trigger},
            {"started", FormatTime(r.started)},
            {"finished", FormatTime(r.finished)}});
  if (r.error) j["error"] = *r.error;
  return j;
}

// How far a run in progress is: packets due by now at the session's pace,
// then the wait for late replies.
json ProgressObject(const SessionView& v) {
  const auto& p = v.config.settings.session;
  const Nanos sending = p.interval * (p.count > 0 ? p.count - 1 : 0);
  const auto due = p.interval > Nanos(0)
                       ? std::min<std::uint64_t>(p.count, v.run_elapsed / p.interval + 1)
                       : p.count;
  return {{"started", v.run_started ? json(FormatTime(*v.run_started)) : json(nullptr)},
          {"elapsed_ms", Ms(v.run_elapsed)},
          {"packets_due", due},
          {"count", p.count},
          {"phase", v.run_elapsed <= sending ? "sending" : "waiting for late replies"},
          {"at_most_ms", Ms(sending + p.wait)}};
}

// The sessions the analyzer holds at fault now (unanswered while their
// line's other sessions are answered), by name.
std::set<std::string> Faulty(Daemon& daemon) {
  std::set<std::string> out;
  for (const auto& s : daemon.LineSessions()) {
    if (s.fault) out.insert(s.session);
  }
  return out;
}

json SessionObject(const SessionView& v, const std::set<std::string>& faulty = {}) {
  const auto& c = v.config;
  const auto& p = c.settings.session;
  json j{{"id", c.id},
         {"name", c.name},
         {"tunnel", c.tunnel},
         {"local", measure::FormatEndpoint(c.local)},
         {"remote", measure::FormatEndpoint(c.remote)},
         {"interface", c.device},
         {"protocol", c.settings.protocol == Protocol::kTwamp ? "twamp" : "light"},
         {"count", p.count},
         {"interval_ms", Ms(p.interval)},
         {"spacing", p.interval_kind == measure::IntervalKind::kPoisson ? "poisson" : "periodic"},
         {"padding", p.padding},
         {"dscp", p.dscp},
         {"ttl", p.ttl},
         {"dont_fragment", p.dont_fragment},
         {"wait_ms", Ms(p.wait)},
         {"schedule", v.schedule},
         {"running", v.running},
         {"runs", v.runs}};
  j["next_run"] = v.next_run ? json(FormatTime(*v.next_run)) : json(nullptr);
  j["last"] = v.last ? RunObject(*v.last) : json(nullptr);
  j["ip"] = c.remote.address().is_v6() ? 6 : 4;
  j["run_mode"] = c.settings.run_in_background ? "background" : "foreground";
  j["own_schedule"] = c.settings.schedule ? ScheduleJson(*c.settings.schedule) : json(nullptr);
  j["progress"] = v.running ? ProgressObject(v) : json(nullptr);
  j["fault"] = faulty.count(c.name) != 0;
  return j;
}

// A responder's kind as the configuration writes it.
const char* KindName(ResponderKind kind) {
  return kind == ResponderKind::kTwamp        ? "twamp"
         : kind == ResponderKind::kTwampLight ? "light"
                                              : "stamp";
}

json ResponderObject(const ResponderView& r) {
  json j{{"id", r.config.id},
         {"name", r.config.name},
         {"kind", KindName(r.config.kind)},
         {"listen", measure::FormatEndpoint(r.config.listen)},
         {"interface", r.config.device}};
  std::uint64_t received = 0, reflected = 0;
  json dropped = json::object();
  for (const auto& l : r.listeners) {
    received += l.counters.received;
    reflected += l.counters.reflected;
    for (std::size_t i = 0; i < l.counters.dropped.size(); ++i) {
      const char* reason = measure::ToString(static_cast<measure::DropReason>(i));
      dropped[reason] = dropped.value(reason, std::uint64_t{0}) + l.counters.dropped[i];
    }
  }
  j["received"] = received;
  j["reflected"] = reflected;
  j["dropped"] = dropped;
  if (r.twamp_table) j["server_table"] = *r.twamp_table;
  return j;
}

json VerdictObject(const analyzer::Verdict& v) {
  return {{"tunnel", v.tunnel},
          {"judged", v.judged},
          {"compliant", v.compliant},
          {"down", v.down},
          {"score", v.score},
          {"latency_ms", v.latency_ms},
          {"jitter_ms", v.jitter_ms},
          {"loss_percent", v.loss_percent},
          {"mos", v.mos},
          {"unknown", v.unknown},
          {"samples", v.samples},
          {"loss_low_percent", v.loss_low_percent},
          {"loss_high_percent", v.loss_high_percent},
          {"violated", v.violated_metric}};
}

// The most recent events that `pick` turns into JSON (newest last), from the
// log's tail: a growing span of positions, samples skipped.
json Tail(Daemon& daemon, std::size_t limit,
          const std::function<std::optional<json>(const store::Event&)>& pick) {
  json out = json::array();
  auto& log = daemon.log();
  const std::uint64_t head = log.head();
  std::vector<json> found;
  std::uint64_t span = 4096;
  while (true) {
    found.clear();
    const std::uint64_t from = head > span ? head - span : 0;
    (void)log.ReadPositions(from, head, store::ReadFilter::WithoutSamples(),
                            [&](const store::LogEntry& e) {
                              if (!e.event) return true;
                              if (auto j = pick(e.event->event)) found.push_back(std::move(*j));
                              return true;
                            });
    if (found.size() >= limit || from == 0) break;
    span *= 4;
  }
  const std::size_t skip = found.size() > limit ? found.size() - limit : 0;
  for (std::size_t i = skip; i < found.size(); ++i) out.push_back(found[i]);
  return out;
}

// The most recent PathSwitched events (newest last).
json Decisions(Daemon& daemon, std::size_t limit) {
  return Tail(daemon, limit, [](const store::Event& e) -> std::optional<json> {
    const auto* s = std::get_if<store::PathSwitched>(&e.payload);
    if (!s) return std::nullopt;
    return json{{"time", FormatTime(e.time)},
                {"traffic_class", s->traffic_class},
                {"from", s->from},
                {"to", s->to},
                {"rule", s->rule},
                {"reason", s->reason}};
  });
}

}  // namespace

std::optional<json> LineEventOf(const store::Event& e) {
  json j{{"time", FormatTime(e.time)}};
  // The unit of an SLA metric's value: loss in percent, MOS none, else ms.
  auto unit = [](const std::string& metric) {
    return metric == "loss" ? " %" : metric == "mos" ? "" : " ms";
  };
  if (const auto* v = std::get_if<store::SlaViolated>(&e.payload)) {
    const std::string why = v->metric == "blackout"
                                ? std::string("blackout, nothing answered")
                                : fmt::format("{} {:.3g}{} over {:.3g}{}", v->metric, v->value,
                                              unit(v->metric), v->threshold, unit(v->metric));
    j.update({{"kind", "violated"},
              {"tunnel", v->tunnel},
              {"sla_class", v->sla_class},
              {"text", fmt::format("{} out of the {} SLA: {}", v->tunnel, v->sla_class, why)}});
  } else if (const auto* r = std::get_if<store::SlaRecovered>(&e.payload)) {
    j.update({{"kind", "recovered"},
              {"tunnel", r->tunnel},
              {"sla_class", r->sla_class},
              {"text",
               r->metric == "blackout"
                   ? fmt::format("{} back in the {} SLA: it answers again", r->tunnel, r->sla_class)
               : r->metric == "unknown"
                   ? fmt::format("{} back in the {} SLA: measured again", r->tunnel, r->sla_class)
                   : fmt::format("{} back in the {} SLA ({} {:.3g}{})", r->tunnel, r->sla_class,
                                 r->metric, r->value, unit(r->metric))}});
  } else if (const auto* d = std::get_if<store::TunnelDown>(&e.payload)) {
    j.update({{"kind", "down"},
              {"tunnel", d->tunnel},
              {"text", fmt::format("{} down: {} probes in a row unanswered", d->tunnel,
                                   d->consecutive_lost)}});
  } else if (const auto* u = std::get_if<store::TunnelUp>(&e.payload)) {
    j.update({{"kind", "up"}, {"tunnel", u->tunnel}, {"text", u->tunnel + " answers again"}});
  } else if (const auto* f = std::get_if<store::SessionFault>(&e.payload)) {
    j.update({{"kind", "session_fault"},
              {"tunnel", f->tunnel},
              {"session", f->session},
              {"text", fmt::format("session {} unanswered while {} answers (a session fault)",
                                   f->session, f->tunnel)}});
  } else if (const auto* sr = std::get_if<store::SessionRecovered>(&e.payload)) {
    j.update({{"kind", "session_recovered"},
              {"tunnel", sr->tunnel},
              {"session", sr->session},
              {"text", fmt::format("session {} answers again", sr->session)}});
  } else if (const auto* p = std::get_if<store::PathSwitched>(&e.payload)) {
    j.update({{"kind", "switch"},
              {"tunnel", p->to},
              {"traffic_class", p->traffic_class},
              {"reason", p->reason},
              {"text", fmt::format("{} moved {} -> {} ({})", p->traffic_class,
                                   p->from.empty() ? "-" : p->from, p->to, p->rule)}});
  } else {
    return std::nullopt;
  }
  return j;
}

namespace {

// What happened to the lines, newest last (LineEventOf each).
json LineEvents(Daemon& daemon, std::size_t limit) { return Tail(daemon, limit, LineEventOf); }

// A configuration error as the API reports it: the whole message, and each
// problem with the field of the changed session or reflector it is about
// ("dscp", "ttl", ...; empty when it is about something else). The fields
// come from the problems' paths, never from the message text; `session` is
// the name of the session the change is about (names may hold dots).
HttpResponse ConfigProblem(int status, const Error& error, const std::string& session = "") {
  const std::string in_session = "api_changes.sessions." + session + ".";
  constexpr std::string_view kInReflector = "api_changes.reflectors[";
  json errors = json::array();
  for (const auto& p : error.problems) {
    std::string field;
    if (!session.empty() && p.path.rfind(in_session, 0) == 0) {
      field = p.path.substr(in_session.size());
    } else if (p.path.rfind(kInReflector, 0) == 0) {
      const auto end = p.path.find("].", kInReflector.size());
      if (end != std::string::npos) field = p.path.substr(end + 2);
    } else if (p.path.rfind("api_changes.", 0) != 0) {
      field = p.path;  // a field of the request itself (FieldProblem)
    }
    errors.push_back({{"field", field}, {"message", p.message}});
  }
  if (errors.empty()) errors.push_back({{"field", ""}, {"message", error.message}});
  return Json(status, {{"error", error.message}, {"errors", errors}});
}

// A mistake in a request's own field, before any configuration is built.
HttpResponse FieldProblem(const std::string& field, const std::string& message) {
  return ConfigProblem(400, Error{ErrorCode::kInvalidArgument,
                                  fmt::format("{}: {}", field, message),
                                  {{field, message}}});
}

// How deep JSON text nests arrays and objects, scanned without parsing
// (strings and their escapes skipped); stops counting past `limit`.
// nlohmann's parser copes with any depth, but serializing and destroying a
// value recurse once per level: a body nested 100,000 deep would overflow
// the stack. Nothing the API takes nests more than a few levels.
constexpr std::size_t kMaxJsonDepth = 64;

bool NestsWithin(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// Applies an edit of the API's changes: validated like the file, then
// applied to the running daemon (and so recorded in the log).
std::optional<HttpResponse> Change(Daemon& daemon,
                                   const std::function<std::optional<HttpResponse>(json&)>& edit,
                                   const std::string& session = "") {
  const DaemonConfig base = daemon.config();
  json changes = NestsWithin(base.api_changes, kMaxJsonDepth)
                     ? json::parse(base.api_changes, nullptr, false)
                     : json::object();
  if (changes.is_discarded() || !changes.is_object()) changes = json::object();
  if (auto refused = edit(changes)) return refused;
  for (const char* list : {"deleted", "deleted_reflectors"}) {
    if (changes.contains(list) && changes[list].empty()) changes.erase(list);
  }
  for (const char* map : {"sessions", "reflectors"}) {
    if (changes.contains(map) && changes[map].empty()) changes.erase(map);
  }
  auto next = WithApiChanges(base, changes.empty() ? "{}" : changes.dump(), "api");
  if (!next) return ConfigProblem(400, next.error(), session);
  if (auto ok = daemon.Reload(std::move(*next)); !ok)
    return ConfigProblem(409, ok.error(), session);
  return std::nullopt;
}

// GET /api/changes: what the API changed on top of the file, one entry per
// session or responder (added, changed or deleted), and the recorded JSON.
json ChangesObject(const DaemonConfig& config) {
  json recorded = NestsWithin(config.api_changes, kMaxJsonDepth)
                      ? json::parse(config.api_changes, nullptr, false)
                      : json::object();
  if (recorded.is_discarded() || !recorded.is_object()) recorded = json::object();
  // What the file alone holds, to tell a change from an addition.
  std::set<std::string> file_sessions, file_responders;
  if (auto file = ParseDaemonConfig(config.file_text, "the file")) {
    for (const auto& s : file->senders) file_sessions.insert(s.name);
    for (const auto& r : file->responders) file_responders.insert(r.id);
  }
  json list = json::array();
  std::set<std::string> readded;
  if (recorded.contains("sessions") && recorded["sessions"].is_object()) {
    for (const auto& [name, params] : recorded["sessions"].items()) {
      list.push_back({{"kind", "session"},
                      {"name", name},
                      {"change", file_sessions.count(name) ? "changed" : "added"},
                      {"params", params}});
    }
  }
  if (recorded.contains("deleted") && recorded["deleted"].is_array()) {
    for (const auto& name : recorded["deleted"]) {
      if (name.is_string()) {
        list.push_back({{"kind", "session"}, {"name", name}, {"change", "deleted"}});
      }
    }
  }
  if (recorded.contains("reflectors") && recorded["reflectors"].is_array()) {
    for (const auto& r : recorded["reflectors"]) {
      auto e = measure::ParseEndpoint(r.value("listen", ""), 862);
      const std::string id = e ? fmt::format("responder:{}", measure::FormatEndpoint(*e)) : "";
      if (!id.empty()) readded.insert(id);
      list.push_back({{"kind", "responder"},
                      {"id", id},
                      {"change", file_responders.count(id) ? "changed" : "added"},
                      {"params", r}});
    }
  }
  if (recorded.contains("deleted_reflectors") && recorded["deleted_reflectors"].is_array()) {
    for (const auto& id : recorded["deleted_reflectors"]) {
      if (id.is_string() && readded.count(id.get<std::string>()) == 0) {
        list.push_back({{"kind", "responder"}, {"id", id}, {"change", "deleted"}});
      }
    }
  }
  return {{"count", list.size()},
          {"changes", list},
          {"recorded", recorded},
          {"reset", "DELETE /api/changes (lineup changes --reset) drops them: the file applies"}};
}

json ParseBody(const HttpRequest& request, std::optional<HttpResponse>& problem) {
  if (!NestsWithin(request.body, kMaxJsonDepth)) {
    problem = Problem(400, fmt::format("the body nests deeper than {} levels; the API's requests "
                                       "are flat objects (see docs/daemon.md)",
                                       kMaxJsonDepth));
    return json();
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    problem = Problem(400, "the body must be a JSON object (Content-Type: application/json)");
  }
  return body;
}

std::optional<SessionView> SessionNamed(Daemon& daemon, const std::string& name) {
  for (auto& s : daemon.Sessions()) {
    if (s.config.name == name) return s;
  }
  return std::nullopt;
}

// The session `name` with these parameters (an API change), then as it runs
// now; or the answer that says why not.
std::variant<SessionView, HttpResponse> ReplaceSession(Daemon& daemon, const std::string& name,
                                                       const json& params) {
  if (auto refused = Change(
          daemon,
          [&](json& changes) -> std::optional<HttpResponse> {
            changes["sessions"][name] = params;
            return std::nullopt;
          },
          name)) {
    return *refused;
  }
  auto changed = SessionNamed(daemon, name);
  if (!changed) return Problem(500, "the session was accepted but does not run");
  return *changed;
}

// GET /api/sessions?offset=N&limit=N&q=TEXT: one page of the sessions whose
// id, name or tunnel holds TEXT (any case).
HttpResponse SessionPage(const std::vector<SessionView>& all, const std::set<std::string>& faulty,
                         std::map<std::string, std::string>& query) {
  std::size_t offset = 0, limit = 50;
  try {
    if (query.count("offset")) offset = std::stoul(query["offset"]);
    if (query.count("limit")) limit = std::stoul(query["limit"]);
  } catch (const std::exception&) {
    return Problem(400, "offset and limit must be whole numbers (limit 1-1000)");
  }
  if (limit < 1 || limit > 1000) return Problem(400, "limit must be 1-1000");
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string q = lower(query["q"]);
  json page = json::array();
  std::size_t matching = 0;
  for (const auto& s : all) {
    if (!q.empty() && lower(s.config.id).find(q) == std::string::npos &&
        lower(s.config.name).find(q) == std::string::npos &&
        lower(s.config.tunnel).find(q) == std::string::npos) {
      continue;
    }
    if (matching >= offset && page.size() < limit) page.push_back(SessionObject(s, faulty));
    ++matching;
  }
  return Json(200, {{"total", matching},
                    {"all", all.size()},
                    {"offset", offset},
                    {"limit", limit},
                    {"sessions", page}});
}

// The tunnels the configuration knows, with the far address their probes go to.
json Tunnels(Daemon& daemon) {
  const auto config = daemon.config();
  std::map<std::string, json> tunnels;
  auto tunnel = [&](const std::string& name) -> json& {
    auto& t = tunnels[name];
    if (t.is_null())
      t = {{"name", name}, {"site", ""}, {"remote", nullptr}, {"sessions", json::array()}};
    return t;
  };
  for (const auto& [name, site] : config.analysis.analysis.site_of_tunnel)
    tunnel(name)["site"] = site;
  std::map<std::string, bool> fault;  // session name -> at fault
  for (const auto& s : daemon.LineSessions()) fault[s.session] = s.fault;
  for (const auto& s : config.senders) {
    if (s.tunnel.empty()) continue;
    auto& t = tunnel(s.tunnel);
    if (t["remote"].is_null()) t["remote"] = s.remote.address().to_string();
    t["sessions"].push_back(s.id);
    if (!t.contains("faulty_sessions")) t["faulty_sessions"] = json::array();
    if (fault[s.name]) t["faulty_sessions"].push_back(s.id);
  }
  json out = json::array();
  for (auto& [name, t] : tunnels) out.push_back(t);
  return out;
}

// GET /api/report?from=TIME&to=TIME: the HTML SLA report of that range
// (default the last hour), built from the log.
HttpResponse Report(Daemon& daemon, std::map<std::string, std::string>& query) {
  const WallTime now = daemon.Now();
  analyzer::ReportOptions o;
  o.from = now - std::chrono::hours(1);
  o.to = now;
  for (auto [key, into] : {std::pair{"from", &o.from}, std::pair{"to", &o.to}}) {
    if (!query.count(key) || query[key].empty()) continue;
    auto t = ParseTime(query[key], now);
    if (!t) return Problem(400, fmt::format("{}: {}", key, t.error().message));
    *into = *t;
  }
  if (o.to <= o.from)
    return Problem(400, "the report's range is empty: 'from' must be before 'to'");
  auto report = analyzer::BuildReport(daemon.log(), daemon.config().analysis.analysis, o);
  if (!report)
    return Problem(422, fmt::format("no report for that range: {}", report.error().message));
  return {200, "text/html; charset=utf-8", analyzer::ReportHtml(*report)};
}

}  // namespace

// ---------------------------------------------------------------- jobs

std::string Jobs::Add(const std::string& session) {
  std::lock_guard lock(mutex_);
  std::string id = fmt::format("job-{}", next_++);
  jobs_[id] = Job{id, session, "running", std::nullopt};
  // Old finished jobs go first when there are many.
  while (jobs_.size() > 1000) jobs_.erase(jobs_.begin());
  return id;
}

void Jobs::Finish(const std::string& id, const RunResult& result) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  it->second.state = result.error ? "failed" : "done";
  it->second.result = result;
}

std::optional<Jobs::Job> Jobs::Get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

std::string SessionJson(const SessionView& session) {
  return SessionObject(session).dump(2) + "\n";
}
std::string RunJson(const RunResult& run) { return RunObject(run).dump(2) + "\n"; }

// ---------------------------------------------------------------- routes

namespace {

Routed RouteUnguarded(Daemon& daemon, Jobs& jobs, const HttpRequest& request,
                      const std::string& token);

}  // namespace

// No exception leaves a handler: a body whose fields have the wrong types,
// or a number out of range in the target, is the client's 400; anything
// else is a 500 that says to report it. Either way the connection stays up.
// Handlers validate before they change anything, so what throws has
// changed nothing.
Routed Route(Daemon& daemon, Jobs& jobs, const HttpRequest& request, const std::string& token) {
  auto problem = [](int status, const std::string& message) {
    return Routed{Problem(status, message), std::nullopt};
  };
  try {
    return RouteUnguarded(daemon, jobs, request, token);
  } catch (const json::type_error& e) {
    return problem(400, fmt::format("a field of the body has the wrong type ({}): see "
                                    "docs/daemon.md for each field's type",
                                    e.what()));
  } catch (const json::exception& e) {
    return problem(400, fmt::format("the body does not fit this request ({})", e.what()));
  } catch (const std::out_of_range& e) {
    return problem(400, fmt::format("a number in the request is out of range ({})", e.what()));
  } catch (const std::invalid_argument& e) {
    return problem(400, fmt::format("a value in the request is not valid ({})", e.what()));
  } catch (const std::exception& e) {
    spdlog::error("lineup run: api: {} {}: internal error: {}", request.method, request.target,
                  e.what());
    return problem(500, fmt::format("internal error: {} (please report it)", e.what()));
  }
}

namespace {

Routed RouteUnguarded(Daemon& daemon, Jobs& jobs, const HttpRequest& request,
                      const std::string& token) {
  auto answer = [](HttpResponse r) { return Routed{std::move(r), std::nullopt}; };
  // The web page's files hold no data: they load without the token, and the
  // page sends it with every API call (it asks for it when told 401).
  if (request.method == "GET") {
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (auto page = WebFile(path))
      return answer({200, std::string(page->content_type), std::string(page->body)});
    if (path == "/favicon.ico")
      return answer({204, "image/x-icon", ""});  // none: browsers stop asking
  }
  if (!token.empty() && !BearerMatches(request.authorization, token)) {
    return answer(Problem(401, "a bearer token is required: Authorization: Bearer TOKEN"));
  }
  auto [parts, query] = Split(request.target);
  const std::string& m = request.method;
  auto only = [&](std::initializer_list<const char*> methods) -> std::optional<HttpResponse> {
    for (const char* allowed : methods) {
      if (m == allowed) return std::nullopt;
    }
    return Problem(405, fmt::format("{} is not allowed on {}", m, request.target));
  };
  if (parts.size() == 1 && parts[0] == "metrics") {
    if (auto bad = only({"GET"})) return answer(*bad);
    return answer({200, "text/plain; version=0.0.4", Metrics(daemon)});
  }
  if (parts.empty() || parts[0] != "api") {
    return answer(Problem(
        404, fmt::format("no such resource: {} (the API is under /api, metrics at /metrics)",
                         request.target)));
  }
  const std::string what = parts.size() > 1 ? parts[1] : "";
  if (what == "sessions" && parts.size() == 2) {
    if (auto bad = only({"GET", "POST"})) return answer(*bad);
    if (m == "POST") {
      std::optional<HttpResponse> problem;
      json body = ParseBody(request, problem);
      if (problem) return answer(*problem);
      const std::string name = body.value("name", "");
      if (name.empty() || name.find_first_of(" \t\n\"'") != std::string::npos) {
        return answer(FieldProblem("name", "give the session a name (no spaces or quotes)"));
      }
      if (SessionNamed(daemon, name)) {
        return answer(Problem(
            409,
            fmt::format("a session named '{}' exists: PUT /api/sessions/ID changes it", name)));
      }
      body.erase("name");
      if (auto refused = Change(
              daemon,
              [&](json& changes) -> std::optional<HttpResponse> {
                changes["sessions"][name] = body;
                if (changes.contains("deleted")) {
                  auto& d = changes["deleted"];
                  d.erase(std::remove(d.begin(), d.end(), json(name)), d.end());
                }
                return std::nullopt;
              },
              name)) {
        return answer(*refused);
      }
      auto created = SessionNamed(daemon, name);
      if (!created) return answer(Problem(500, "the session was accepted but does not run"));
      return answer(Json(201, SessionObject(*created)));
    }
    const auto all = daemon.Sessions();
    if (query.count("limit") || query.count("offset") || query.count("q"))
      return answer(SessionPage(all, Faulty(daemon), query));
    const auto faulty = Faulty(daemon);
    json list = json::array();
    for (const auto& s : all) list.push_back(SessionObject(s, faulty));
    return answer(Json(200, list));
  }
  if (what == "sessions" && parts.size() >= 3) {
    const std::string& id = parts[2];
    auto session = daemon.Session(id);
    if (!session)
      return answer(
          Problem(404, fmt::format("no session '{}' (GET /api/sessions lists them)", id)));
    const std::string name = session->config.name;
    if (parts.size() == 3) {
      if (auto bad = only({"GET", "PUT", "DELETE"})) return answer(*bad);
      if (m == "DELETE") {
        if (auto refused = Change(daemon, [&](json& changes) -> std::optional<HttpResponse> {
              if (changes.contains("sessions")) changes["sessions"].erase(name);
              changes["deleted"].push_back(name);
              return std::nullopt;
            })) {
          return answer(*refused);
        }
        return answer(Json(200, {{"deleted", id}, {"name", name}}));
      }
      if (m == "PUT") {
        std::optional<HttpResponse> problem;
        json body = ParseBody(request, problem);
        if (problem) return answer(*problem);
        body.erase("name");
        // What the body leaves out keeps its value (the ends, the tunnel, ...).
        json params = SessionParamsJson(session->config);
        for (auto& [key, value] : body.items()) {
          if (value.is_null()) {
            params.erase(key);  // back to its default (the global schedule, ...)
          } else {
            params[key] = value;
          }
        }
        auto changed = ReplaceSession(daemon, name, params);
        if (auto* refused = std::get_if<HttpResponse>(&changed)) return answer(*refused);
        return answer(Json(200, SessionObject(std::get<SessionView>(changed))));
      }
      return answer(Json(200, SessionObject(*session, Faulty(daemon))));
    }
    if (parts.size() == 4 && parts[3] == "schedule") {
      if (auto bad = only({"GET", "PUT"})) return answer(*bad);
      if (m == "GET") return answer(Json(200, {{"id", id}, {"schedule", session->schedule}}));
      std::optional<HttpResponse> problem;
      json body = ParseBody(request, problem);
      if (problem) return answer(*problem);
      json params = SessionParamsJson(session->config);
      if (body.value("global", false)) {
        params.erase("schedule");
      } else {
        params["schedule"] = body;
      }
      auto changed = ReplaceSession(daemon, name, params);
      if (auto* refused = std::get_if<HttpResponse>(&changed)) return answer(*refused);
      const auto& now = std::get<SessionView>(changed);
      return answer(Json(200, {{"id", now.config.id}, {"schedule", now.schedule}}));
    }
    if (parts.size() == 4 && parts[3] == "results") {
      if (auto bad = only({"GET"})) return answer(*bad);
      json history = json::array();
      for (const auto& r : daemon.History(id)) history.push_back(RunObject(r));
      return answer(Json(200, {{"id", id},
                               {"last", session->last ? RunObject(*session->last) : json(nullptr)},
                               {"history", history}}));
    }
    if (parts.size() == 4 && parts[3] == "run") {
      if (auto bad = only({"POST"})) return answer(*bad);
      const std::string mode = query.count("mode")                          ? query["mode"]
                               : session->config.settings.run_in_background ? "background"
                                                                            : "foreground";
      if (mode == "foreground") return {std::nullopt, id};
      if (mode != "background") {
        return answer(Problem(
            400, fmt::format("mode '{}': use foreground (wait for the result) or background "
                             "(a job to poll)",
                             mode)));
      }
      const std::string job = jobs.Add(id);
      auto started = daemon.RunNow(id, [&jobs, job](const RunResult& r) { jobs.Finish(job, r); });
      if (!started) return answer(Problem(503, started.error().message));
      return answer(Json(202, {{"job", job}, {"session", id}, {"poll", "/api/jobs/" + job}}));
    }
    return answer(Problem(404, fmt::format("no such resource: {}", request.target)));
  }
  if (what == "jobs" && parts.size() == 3) {
    if (auto bad = only({"GET"})) return answer(*bad);
    auto job = jobs.Get(parts[2]);
    if (!job) return answer(Problem(404, fmt::format("no job '{}'", parts[2])));
    json j{{"job", job->id}, {"session", job->session}, {"state", job->state}};
    j["result"] = job->result ? RunObject(*job->result) : json(nullptr);
    j["progress"] = nullptr;
    if (!job->result) {
      if (auto s = daemon.Session(job->session); s && s->running)
        j["progress"] = ProgressObject(*s);
    }
    return answer(Json(200, j));
  }
  if (what == "responders" && parts.size() == 2) {
    if (auto bad = only({"GET", "POST"})) return answer(*bad);
    if (m == "POST") {
      std::optional<HttpResponse> problem;
      json body = ParseBody(request, problem);
      if (problem) return answer(*problem);
      if (auto refused = Change(daemon, [&](json& changes) -> std::optional<HttpResponse> {
            changes["reflectors"].push_back(body);
            return std::nullopt;
          })) {
        return answer(*refused);
      }
      return answer(Json(201, body));
    }
    json list = json::array();
    for (const auto& r : daemon.Responders()) list.push_back(ResponderObject(r));
    return answer(Json(200, list));
  }
  if (what == "responders" && parts.size() == 3) {
    if (auto bad = only({"GET", "PUT", "DELETE"})) return answer(*bad);
    const std::string& rid = parts[2];
    std::optional<ResponderView> found;
    for (auto& r : daemon.Responders()) {
      if (r.config.id == rid) found = r;
    }
    if (!found)
      return answer(
          Problem(404, fmt::format("no responder '{}' (GET /api/responders lists them)", rid)));
    if (m == "GET") return answer(Json(200, ResponderObject(*found)));
    // PUT: the responder with the body's keys changed (listen, kind, allow, name).
    json replacement;
    if (m == "PUT") {
      std::optional<HttpResponse> problem;
      json body = ParseBody(request, problem);
      if (problem) return answer(*problem);
      const auto& c = found->config;
      json allow = json::array();
      for (const auto& p : c.allow) allow.push_back(p.ToString());
      replacement = {
          {"listen", measure::FormatEndpoint(c.listen) + (c.device.empty() ? "" : "@" + c.device)},
          {"name", c.name},
          {"kind", KindName(c.kind)},
          {"allow", allow}};
      for (auto& [key, value] : body.items()) replacement[key] = value;
    }
    if (auto refused = Change(daemon, [&](json& changes) -> std::optional<HttpResponse> {
          bool own = false;
          if (changes.contains("reflectors")) {
            auto& list = changes["reflectors"];
            for (auto it = list.begin(); it != list.end(); ++it) {
              auto e = measure::ParseEndpoint(it->value("listen", ""), 862);
              if (e && fmt::format("responder:{}", measure::FormatEndpoint(*e)) == rid) {
                list.erase(it);
                own = true;
                break;
              }
            }
          }
          if (!own) changes["deleted_reflectors"].push_back(rid);
          if (!replacement.is_null()) changes["reflectors"].push_back(replacement);
          return std::nullopt;
        })) {
      return answer(*refused);
    }
    if (!replacement.is_null()) return answer(Json(200, replacement));
    return answer(Json(200, {{"deleted", rid}}));
  }
  if ((what == "sla" || what == "ranking") && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    json out = json::object();
    for (const auto& [cls, ranking] : daemon.Rankings()) {
      if (query.count("class") && query["class"] != cls) continue;
      json list = json::array();
      for (const auto& v : ranking) list.push_back(VerdictObject(v));
      out[cls] = list;
    }
    if (query.count("class") && out.empty()) {
      return answer(Problem(404, fmt::format("no SLA class '{}'", query["class"])));
    }
    return answer(Json(200, out));
  }
  if (what == "paths" && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    json out = json::object();
    const auto policy = daemon.config().analysis.policy;
    for (const auto& [cls, a] : daemon.Paths()) {
      std::string sla;
      for (const auto& tc : policy.classes) {
        if (tc.name == cls) sla = tc.sla_class;
      }
      out[cls] = {{"to", a.to},     {"rule", a.rule},   {"since", FormatTime(a.since)},
                  {"path", a.path}, {"sla_class", sla}, {"damping", json::array()}};
    }
    for (const auto& d : daemon.Damping()) {
      if (!out.contains(d.traffic_class)) continue;
      out[d.traffic_class]["damping"].push_back({{"tunnel", d.tunnel},
                                                 {"penalty", d.penalty},
                                                 {"suppressed", d.suppressed},
                                                 {"failures", d.failures}});
    }
    return answer(Json(200, out));
  }
  if (what == "changes" && parts.size() == 2) {
    if (auto bad = only({"GET", "DELETE"})) return answer(*bad);
    json before = ChangesObject(daemon.config());
    if (m == "DELETE") {
      if (auto refused = Change(daemon, [](json& changes) -> std::optional<HttpResponse> {
            changes = json::object();
            return std::nullopt;
          })) {
        return answer(*refused);
      }
      spdlog::info("lineup run: {} changes made through the API were reset; the file applies",
                   before["count"].get<std::size_t>());
      return answer(Json(200, {{"reset", before["count"]}, {"changes", before["changes"]}}));
    }
    return answer(Json(200, before));
  }
  if (what == "tunnels" && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    return answer(Json(200, Tunnels(daemon)));
  }
  if (what == "dscp" && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    json out = json::array();
    for (const auto& d : measure::DscpNames())
      out.push_back({{"name", d.name}, {"value", d.value}});
    return answer(Json(200, out));
  }
  if (what == "report" && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    return answer(Report(daemon, query));
  }
  if ((what == "events" || what == "decisions") && parts.size() == 2) {
    if (auto bad = only({"GET"})) return answer(*bad);
    std::size_t limit = 50;
    if (query.count("limit")) {
      try {
        limit = std::clamp<std::size_t>(std::stoul(query["limit"]), 1, 1000);
      } catch (const std::exception&) {
        return answer(Problem(400, "limit must be a number 1-1000"));
      }
    }
    return answer(
        Json(200, what == "events" ? LineEvents(daemon, limit) : Decisions(daemon, limit)));
  }
  return answer(Problem(404, fmt::format("no such resource: {}", request.target)));
}

}  // namespace

// ---------------------------------------------------------------- metrics

// ---------------------------------------------------------------- server

namespace {

class ApiServerImpl final : public ApiServer {
 public:
  ApiServerImpl(Daemon& daemon, std::string token)
      : daemon_(daemon), token_(std::move(token)), acceptor_(io_) {}
  ~ApiServerImpl() override { Stop(); }

  Result<void> Listen(const tcp::endpoint& at) {
    boost::system::error_code ec;
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Fail(ErrorCode::kIo,
                  fmt::format("the API cannot listen on {}: {}",
                              measure::FormatEndpoint({at.address(), at.port()}), ec.message()));
    }
    endpoint_ = acceptor_.local_endpoint(ec);
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  tcp::endpoint endpoint() const override { return endpoint_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::awaitable<void> Accept() {
    return net::AcceptLoop(
        acceptor_, daemon_.clock(), "lineup run: api", [this] { return stopped_.load(); },
        [this](tcp::socket socket) {
          asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
        });
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      parser.header_limit(16 << 10);
      // A client that sends no whole request for this long is closed.
      net::Timer idle(io_, daemon_.clock());
      idle.ExpiresAfter(kIdleTimeout);
      idle.AsyncWait([&socket](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignored;
          socket.close(ignored);
        }
      });
      co_await http::async_read(socket, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      idle.Cancel();
      if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
      if (ec) {
        if (socket.is_open()) {
          HttpResponse bad = Problem(400, fmt::format("malformed request: {}", ec.message()));
          co_await Write(socket, bad, false, 11);
        }
        break;
      }
      const auto& req = parser.get();
      if (req.version() >= 11 && req.find(http::field::host) == req.end()) {
        // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host.
        co_await Write(socket, Problem(400, "an HTTP/1.1 request needs a Host header"), false,
                       req.version());
        break;
      }
      HttpRequest request{std::string(req.method_string()), std::string(req.target()), req.body(),
                          std::string(req[http::field::authorization])};
      Routed routed = Route(daemon_, jobs_, request, token_);
      HttpResponse response;
      if (routed.response) {
        response = std::move(*routed.response);
      } else {
        response = co_await Foreground(*routed.foreground);
      }
      const bool keep = req.keep_alive();
      co_await Write(socket, response, keep, req.version());
      if (!keep || !socket.is_open()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  // Runs a session and waits for its result without blocking this thread.
  asio::awaitable<HttpResponse> Foreground(std::string id) {
    auto timer = std::make_shared<net::Timer>(io_, daemon_.clock());  // woken by the result
    auto result = std::make_shared<std::optional<RunResult>>();
    auto started = daemon_.RunNow(id, [this, timer, result](const RunResult& r) {
      asio::post(io_, [timer, result, r] {
        *result = r;
        timer->Cancel();
      });
    });
    if (!started)
      co_return Problem(started.error().code == ErrorCode::kNotFound ? 404 : 503,
                        started.error().message);
    boost::system::error_code ec;
    co_await timer->AsyncWait(asio::redirect_error(asio::use_awaitable, ec));
    if (!*result) co_return Problem(503, "the daemon stopped before the run ended");
    co_return HttpResponse{(*result)->error ? 502 : 200, "application/json", RunJson(**result)};
  }

  asio::awaitable<void> Write(tcp::socket& socket, const HttpResponse& r, bool keep,
                              unsigned version) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "lineup");
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(keep);
    res.body() = r.body;
    res.prepare_payload();
    boost::system::error_code ec;
    co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  Daemon& daemon_;
  std::string token_;
  Jobs jobs_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Daemon& daemon, const ApiConfig& config) {
  auto at = measure::ParseEndpoint(config.listen, 8862);
  if (!at)
    return Fail(ErrorCode::kInvalidArgument, fmt::format("api.listen: {}", at.error().message));
  std::string token;
  if (!config.token_file.empty()) {
    std::ifstream in(config.token_file);
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("api.token_file {}: cannot read a token from it (one line)",
                              config.token_file));
    }
  } else if (!at->address().is_loopback()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the API on {} needs api.token_file: only loopback is open without a token",
                    config.listen));
  }
  // A token, once configured, is asked for on loopback too.
  auto server = std::make_unique<ApiServerImpl>(daemon, token);
  if (auto ok = server->Listen(tcp::endpoint(at->address(), at->port())); !ok)
    return tl::unexpected(ok.error());
  return std::unique_ptr<ApiServer>(std::move(server));
}

}  // namespace lineup::daemon
