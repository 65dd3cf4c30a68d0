#include "daemon/config.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "analyzer/config.h"
#include "base/time_text.h"
#include "config/lineup_yaml.h"
#include "measure/dscp.h"

namespace lineup::daemon {
namespace {

using namespace std::chrono_literals;

// Names become log streams, metric labels, URL paths and YAML keys: valid
// UTF-8 without control characters, at most 128 bytes. Checked where the
// configuration is read, so a bad name from the file or the API is refused
// before anything reaches the log.
std::optional<std::string> NameProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 128) return fmt::format("is {} bytes long (at most 128)", name.size());
  std::size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return fmt::format("has a control character (0x{:02x}) at byte {}", c, i);
    }
    std::size_t follow = 0;
    if (c < 0x80) {
      follow = 0;
    } else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
      follow = 1;
    } else if ((c & 0xf0) == 0xe0) {
      follow = 2;
    } else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
      follow = 3;
    } else {
      return fmt::format("is not valid UTF-8 at byte {}", i);
    }
    if (i + follow >= name.size() && follow > 0) {  // cut short
      return fmt::format("is not valid UTF-8 at byte {}", i);
    }
    for (std::size_t k = 1; k <= follow; ++k) {
      if ((static_cast<unsigned char>(name[i + k]) & 0xc0) != 0x80) {
        return fmt::format("is not valid UTF-8 at byte {}", i);
      }
    }
    if (follow == 2) {  // no overlong forms, no UTF-16 surrogates
      const auto c1 = static_cast<unsigned char>(name[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) {
        return fmt::format("is not valid UTF-8 at byte {}", i);
      }
    } else if (follow == 3) {
      const auto c1 = static_cast<unsigned char>(name[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)) {
        return fmt::format("is not valid UTF-8 at byte {}", i);
      }
    }
    i += follow + 1;
  }
  return std::nullopt;
}

void CheckName(yaml::Node& where, std::string_view what, const std::string& name) {
  if (auto problem = NameProblem(name)) {
    where.Error(fmt::format("the {} name {}: use printable text", what, *problem));
  }
}

// `schedule: 30s`, `schedule: {every: 30s}` or `schedule: {at: ["*/5 * * * *", ...]}`.
std::optional<Schedule> ReadSchedule(yaml::Node& parent, std::string_view key) {
  auto node = parent.Child(key);
  if (!node) return std::nullopt;
  Schedule s;
  if (node->IsScalar()) {
    s.every = parent.Duration(key, 60s, 1s, 24h * 31);
    return s;
  }
  if (node->Has("every")) s.every = node->Duration("every", 60s, 1s, 24h * 31);
  for (const auto& text : node->Strings("at")) {
    auto cron = CronSpec::Parse(text);
    if (!cron) {
      node->ErrorAt("at", cron.error().message);
      continue;
    }
    s.at.push_back(std::move(*cron));
  }
  if (s.every > Nanos(0) && !s.at.empty()) node->Error("give 'every' or 'at', not both");
  if (!node->Has("every") && !node->Has("at"))
    node->Error("give 'every: DURATION' or 'at: [CRON, ...]'");
  node->CheckNoOtherKeys();
  return s;
}

SenderTemplate ReadTemplate(const std::string& name, yaml::Node& n) {
  SenderTemplate t;
  t.name = name;
  auto& s = t.session;
  s.count = static_cast<std::uint32_t>(n.Integer("count", 10, 1, 100'000'000));
  s.interval = n.Duration("interval", 100ms, 10us, 1h);
  s.interval_kind = n.Choice("spacing", {"periodic", "poisson"}, "periodic") == "poisson"
                        ? measure::IntervalKind::kPoisson
                        : measure::IntervalKind::kPeriodic;
  s.padding = static_cast<std::uint32_t>(n.Integer("padding", 30, 0, 65000));
  if (n.Has("dscp")) {
    const std::string text = n.String("dscp");
    auto dscp = measure::ParseDscp(text);
    if (dscp) {
      s.dscp = *dscp;
    } else {
      n.ErrorAt("dscp", dscp.error().message);
    }
  }
  s.ecn = static_cast<std::uint8_t>(n.Integer("ecn", 0, 0, 3));
  s.ttl = static_cast<std::uint8_t>(n.Integer("ttl", 255, 1, 255));
  s.dont_fragment = n.Bool("dont_fragment", false);
  s.wait = n.Duration("wait", 2s, 0s, 10min);
  s.ssid = static_cast<std::uint16_t>(n.Integer("ssid", 0, 0, 65535));
  t.protocol = n.Choice("protocol", {"light", "twamp"}, "light") == "twamp" ? Protocol::kTwamp
                                                                            : Protocol::kLight;
  t.port = static_cast<std::uint16_t>(n.Integer("port", 862, 1, 65535));
  const std::string mode =
      n.Choice("mode", {"any", "unauthenticated", "authenticated", "encrypted", "mixed"}, "any");
  using namespace measure::control;
  const std::uint32_t unauthenticated = kUnauthenticated, authenticated = kAuthenticated,
                      encrypted = kEncrypted, mixed = kMixed;
  t.mode = mode == "unauthenticated" ? unauthenticated
           : mode == "authenticated" ? authenticated
           : mode == "encrypted"     ? encrypted
           : mode == "mixed"         ? mixed
                                     : 0u;
  t.key_id = n.String("key_id");
  if (t.protocol == Protocol::kLight && (n.Has("mode") || n.Has("key_id"))) {
    n.Error("'mode' and 'key_id' are for full TWAMP sessions: add 'protocol: twamp'");
  }
  if (t.mode != 0 && t.mode != measure::control::kUnauthenticated && t.key_id.empty()) {
    n.ErrorAt("mode",
              fmt::format("mode {} needs a key_id (with its secret in daemon.secrets)", mode));
  }
  t.schedule = ReadSchedule(n, "schedule");
  t.run_in_background =
      n.Choice("run_mode", {"foreground", "background"}, "foreground") == "background";
  return t;
}

ResponderKind ReadKind(yaml::Node& n) {
  const std::string kind = n.Choice("kind", {"stamp", "light", "twamp"}, "stamp");
  return kind == "twamp"   ? ResponderKind::kTwamp
         : kind == "light" ? ResponderKind::kTwampLight
                           : ResponderKind::kStamp;
}

std::vector<measure::Prefix> ReadAllow(yaml::Node& n) {
  std::vector<measure::Prefix> out;
  for (const auto& p : n.Strings("allow")) {
    if (auto prefix = measure::Prefix::Parse(p); prefix) {
      out.push_back(*prefix);
    } else {
      n.ErrorAt("allow", prefix.error().message);
    }
  }
  return out;
}

Result<measure::IpAddress> Address(yaml::Node& n, std::string_view key) {
  const std::string text = n.String(key);
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(text, ec);
  if (ec)
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a numeric IPv4 or IPv6 address", text));
  return a;
}

// Checks a session's parameters with its ends known, reporting at `where`.
void CheckSession(const SenderSession& s, yaml::Node& where) {
  measure::SessionConfig c = s.settings.session;
  c.destination = s.remote;
  c.source = s.local;
  c.negotiated = s.settings.protocol == Protocol::kTwamp;
  c.name = s.name;
  if (auto ok = measure::Validate(c); !ok) where.Error(ok.error().message);
}

Result<DaemonConfig> FromDocument(Result<yaml::Document> doc, std::string_view text) {
  if (!doc) return tl::unexpected(doc.error());
  auto root = doc->Root();
  DaemonConfig config;
  config.text = std::string(text);
  config.analysis.analysis = analyzer::ReadAnalyzerConfig(root);
  config.analysis.policy = autoflow::ReadPolicy(root, config.analysis.analysis);
  config.analysis.text = config.text;

  if (auto d = root.Child("daemon")) {
    config.log_dir = d->String("log_dir", config.log_dir);
    if (auto r = d->Child("retention")) {
      config.retention_age = r->Duration("max_age", 0s, 0s, 24h * 3650);
      config.retention_bytes = static_cast<std::uint64_t>(r->Integer("max_size_mb", 0, 0, 1 << 30))
                               << 20;
      r->CheckNoOtherKeys();
    }
    config.secrets_file = d->String("secrets");
    config.actuator = d->String("actuator", config.actuator);
    if (auto a = d->Child("api")) {
      config.api.listen = a->String("listen", config.api.listen);
      config.api.token_file = a->String("token_file");
      if (auto e = measure::ParseEndpoint(config.api.listen, 8862); !e) {
        a->ErrorAt("listen", e.error().message);
      } else if (!e->address().is_loopback() && config.api.token_file.empty()) {
        a->ErrorAt("listen",
                   fmt::format("{} is not a loopback address: give api.token_file (a bearer token)",
                               config.api.listen));
      }
      a->CheckNoOtherKeys();
    }
    if (auto s = ReadSchedule(*d, "schedule")) config.global_schedule = std::move(*s);
    const auto pen = static_cast<std::uint32_t>(
        d->Integer("ipfix_enterprise", kDocumentationPen, 1, 0xFFFFFFFF));
    for (auto& c : d->List("collectors")) {
      CollectorConfig collector;
      collector.tcp = c.Choice("transport", {"udp", "tcp"}, "udp") == "tcp";
      collector.template_refresh = c.Duration("template_refresh", 60s, 1s, 24h);
      collector.observation_domain =
          static_cast<std::uint32_t>(c.Integer("observation_domain", 1, 0, 0xFFFFFFFF));
      collector.pen = pen;
      if (auto e = measure::ParseEndpoint(c.RequiredString("address"), 4739); e) {
        collector.address = *e;
        config.collectors.push_back(collector);
      } else {
        c.ErrorAt("address", e.error().message);
      }
      c.CheckNoOtherKeys();
    }
    d->CheckNoOtherKeys();
  }
  if (config.global_schedule.Empty()) config.global_schedule.every = 60s;

  // Templates and explicit sessions.
  std::set<std::string> ids;
  auto add = [&](SenderSession s, yaml::Node& where) {
    s.id = SessionId(s.local, s.remote);
    if (!ids.insert(s.id).second) {
      where.Error(
          fmt::format("another session already runs from {} to {}: {}",
                      measure::FormatEndpoint(s.local), measure::FormatEndpoint(s.remote),
                      s.tunnel.empty() || s.name.find('/') == std::string::npos
                          ? "give this one its own source port (from: ADDRESS:PORT)"
                          : "give the templates different ports (port: N), or list each once"));
      return;
    }
    CheckSession(s, where);
    if (!s.tunnel.empty()) config.analysis.analysis.tunnel_of_session.emplace(s.name, s.tunnel);
    config.senders.push_back(std::move(s));
  };
  // Changes made through the API: sessions added or replaced, sessions and
  // reflectors removed.
  std::set<std::string> deleted, deleted_reflectors;
  std::vector<std::pair<std::string, yaml::Node>> api_sessions;
  std::vector<yaml::Node> api_reflectors;
  if (auto changes = root.Child("api_changes"); changes && changes->IsMap()) {
    for (const auto& name : changes->Strings("deleted")) deleted.insert(name);
    for (const auto& id : changes->Strings("deleted_reflectors")) deleted_reflectors.insert(id);
    api_sessions = changes->Entries("sessions");
    api_reflectors = changes->List("reflectors");
    changes->CheckNoOtherKeys();
  }
  std::set<std::string> replaced;
  for (const auto& [name, n] : api_sessions) replaced.insert(name);

  std::vector<std::pair<std::string, yaml::Node>> explicit_sessions;
  for (auto& [name, n] : api_sessions) {
    CheckName(n, "session", name);
    if (!n.IsMap()) {
      n.Error("expected a mapping of session parameters");
      continue;
    }
    if (!n.Has("to")) n.Error("give 'to': the address (and port) of the far end");
    auto t = ReadTemplate(name, n);
    n.Ignore({"to", "from", "tunnel", "interface", "ip"});
    n.CheckNoOtherKeys();
    explicit_sessions.emplace_back(name, n);
    config.templates[name] = std::move(t);
  }
  for (auto& [name, n] : root.Entries("sessions")) {
    CheckName(n, "session", name);
    if (!n.IsMap()) {
      n.Error("expected a mapping of session parameters");
      continue;
    }
    auto t = ReadTemplate(name, n);
    if (n.Has("to") && replaced.count(name) == 0 && deleted.count(name) == 0)
      explicit_sessions.emplace_back(name, n);
    n.Ignore({"to", "from", "tunnel", "interface", "ip"});
    n.CheckNoOtherKeys();
    config.templates.emplace(name, std::move(t));
  }
  for (auto& [name, n] : explicit_sessions) {
    SenderSession s;
    s.name = name;
    s.settings = config.templates.at(name);
    if (!n.Has("to")) continue;  // reported above
    auto to = measure::ParseEndpoint(n.String("to"), s.settings.port);
    if (!to) {
      n.ErrorAt("to", to.error().message);
      continue;
    }
    s.remote = *to;
    // `ip: 6` (or 4) asks for that family: the ends must be of it.
    if (n.Has("ip")) {
      const bool v6 = n.Choice("ip", {"4", "6"}, "4") == "6";
      if (v6 != to->address().is_v6()) {
        n.ErrorAt("to", fmt::format("{} is an IPv{} address, but ip: {} asks for IPv{}",
                                    to->address().to_string(), to->address().is_v6() ? 6 : 4,
                                    v6 ? 6 : 4, v6 ? 6 : 4));
        continue;
      }
    }
    const std::string from = n.String("from");
    if (from.empty()) {
      s.local = measure::UdpEndpoint(to->address().is_v6()
                                         ? measure::IpAddress(boost::asio::ip::address_v6::any())
                                         : measure::IpAddress(boost::asio::ip::address_v4::any()),
                                     0);
    } else if (auto f = measure::ParseEndpoint(from, 0); f) {
      s.local = *f;
    } else {
      n.ErrorAt("from", f.error().message);
      continue;
    }
    s.tunnel = n.String("tunnel");
    s.device = n.String("interface");
    add(std::move(s), n);
  }

  // Tunnels: responders on their local address, probes to their remote one.
  for (auto& [name, t] : root.Entries("tunnels")) {
    CheckName(t, "tunnel", name);
    if (!t.IsMap()) continue;  // reported by the analyzer's reader
    config::SkipTunnelKeysOfOthers(t, config::kDaemon);
    const std::string device = t.String("interface");
    std::optional<measure::IpAddress> local, remote;
    if (t.Has("local")) {
      if (auto a = Address(t, "local"); a)
        local = *a;
      else
        t.ErrorAt("local", a.error().message);
    }
    if (t.Has("remote")) {
      if (auto a = Address(t, "remote"); a)
        remote = *a;
      else
        t.ErrorAt("remote", a.error().message);
    }
    if (auto r = t.Child("responder"); r && (!r->IsScalar() || t.Bool("responder", false))) {
      Responder responder;
      responder.name = name;
      responder.device = device;
      std::uint16_t port = 862;
      if (r->IsMap()) {
        port = static_cast<std::uint16_t>(r->Integer("port", 862, 1, 65535));
        responder.kind = ReadKind(*r);
        responder.allow = ReadAllow(*r);
        r->CheckNoOtherKeys();
      }
      if (!local) {
        t.ErrorAt("responder", "a responder listens on the tunnel's local address: give 'local'");
      } else {
        responder.listen = measure::UdpEndpoint(*local, port);
        config.responders.push_back(std::move(responder));
      }
    }
    for (const auto& probe : t.Strings("probes")) {
      auto it = config.templates.find(probe);
      if (it == config.templates.end()) {
        t.ErrorAt("probes",
                  fmt::format("no session '{}' in 'sessions' to use as a template", probe));
        continue;
      }
      if (!remote) {
        t.ErrorAt("probes", "probes go to the tunnel's remote address: give 'remote'");
        break;
      }
      std::string session_name = fmt::format("{}/{}", name, probe);
      if (deleted.count(session_name) != 0 || replaced.count(session_name) != 0) continue;
      SenderSession s;
      s.name = std::move(session_name);
      s.tunnel = name;
      s.device = device;
      s.settings = it->second;
      s.remote = measure::UdpEndpoint(*remote, it->second.port);
      s.local = measure::UdpEndpoint(
          local ? *local
                : (remote->is_v6() ? measure::IpAddress(boost::asio::ip::address_v6::any())
                                   : measure::IpAddress(boost::asio::ip::address_v4::any())),
          0);
      add(std::move(s), t);
    }
  }

  // Extra responders on any address: the file's, less those deleted through
  // the API, then the API's own (a deletion is of a responder of the file; one
  // added again through the API listens, whatever was deleted before).
  auto read_responder = [&](yaml::Node& r) {
    Responder responder;
    const std::string listen = r.RequiredString("listen");
    auto at = listen.rfind('@');
    responder.device = at == std::string::npos ? "" : listen.substr(at + 1);
    auto e = measure::ParseEndpoint(listen.substr(0, at), 862);
    if (!e) {
      r.ErrorAt("listen", e.error().message);
      return;
    }
    responder.listen = *e;
    responder.name = r.String("name", measure::FormatEndpoint(*e));
    if (auto problem = NameProblem(responder.name)) {
      r.ErrorAt("name", fmt::format("the responder name {}: use printable text", *problem));
    }
    responder.kind = ReadKind(r);
    responder.allow = ReadAllow(r);
    r.CheckNoOtherKeys();
    responder.id = fmt::format("responder:{}", measure::FormatEndpoint(responder.listen));
    config.responders.push_back(std::move(responder));
  };
  for (auto& r : root.List("reflectors")) read_responder(r);
  for (auto& r : config.responders)  // the tunnels' responders too
    r.id = fmt::format("responder:{}", measure::FormatEndpoint(r.listen));
  std::erase_if(config.responders,
                [&](const Responder& r) { return deleted_reflectors.count(r.id) != 0; });
  for (auto& r : api_reflectors) read_responder(r);
  std::set<std::string> listening;
  for (auto& r : config.responders) {
    if (!listening.insert(r.id).second) {
      root.Error(fmt::format("two responders listen on {}", measure::FormatEndpoint(r.listen)));
    }
  }
  root.CheckNoOtherKeys();
  config.api_changes = ApiChangesOf(text);
  if (auto status = doc->Status(); !status) return tl::unexpected(status.error());
  return config;
}

}  // namespace

std::string SessionId(const measure::UdpEndpoint& local, const measure::UdpEndpoint& remote) {
  return fmt::format("{}_{}-{}_{}", local.address().to_string(), local.port(),
                     remote.address().to_string(), remote.port());
}

Result<DaemonConfig> ParseDaemonConfig(std::string_view yaml, std::string origin) {
  auto config = FromDocument(yaml::Document::Parse(yaml, std::move(origin)), yaml);
  if (config) config->file_text = std::string(yaml);
  return config;
}

namespace {
constexpr std::string_view kApiChangesKey = "\napi_changes: ";
constexpr std::string_view kApiChangesComment = "\n# Changes made through lineup run's API:";
}  // namespace

std::string ApiChangesOf(std::string_view text) {
  const auto at = text.rfind(kApiChangesKey);
  if (at == std::string_view::npos) return "{}";
  const auto start = at + kApiChangesKey.size();
  const auto end = text.find('\n', start);
  return std::string(
      text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

std::size_t CountApiChanges(const std::string& api_changes) {
  const auto changes = nlohmann::json::parse(api_changes, nullptr, false);
  if (changes.is_discarded() || !changes.is_object()) return 0;
  std::size_t n = 0;
  for (const char* key : {"sessions", "deleted", "reflectors", "deleted_reflectors"}) {
    if (changes.contains(key) && (changes[key].is_object() || changes[key].is_array()))
      n += changes[key].size();
  }
  return n;
}

Result<DaemonConfig> WithApiChanges(const DaemonConfig& base, const std::string& api_changes,
                                    std::string origin) {
  std::string file = base.file_text;
  if (file.find(kApiChangesKey) != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "the configuration file has its own 'api_changes' section: remove it (lineup run "
                "keeps the API's "
                "changes in the log)");
  }
  std::string text = file;
  if (api_changes != "{}" && !api_changes.empty()) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += std::string(kApiChangesComment.substr(1)) + std::string(kApiChangesKey) + api_changes +
            "\n";
  }
  auto config = FromDocument(yaml::Document::Parse(text, std::move(origin)), text);
  if (!config) return config;
  config->file_text = file;
  if (config->log_dir != base.log_dir)
    config->log_dir = base.log_dir;  // a command-line override stays
  config->api = base.api;
  return config;
}

Result<DaemonConfig> LoadDaemonConfig(const std::string& path) {
  if (auto ok = yaml::CheckConfigurationFile(path); !ok) return tl::unexpected(ok.error());
  std::ifstream in(path);
  if (!in)
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  if (yaml::HoldsNoSettings(text.str())) {
    // At SIGHUP an empty file would remove every session and responder.
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} holds no settings (empty, or comments only): write the sessions, "
                            "tunnels and reflectors to run (docs/daemon.md), or run without -c "
                            "for the embedded default",
                            path));
  }
  if (text.str().find("\napi_changes:") != std::string::npos ||
      text.str().rfind("api_changes:", 0) == 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format(
            "{}: 'api_changes' is kept by lineup run in its log, not in the file: remove it",
            path));
  }
  return ParseDaemonConfig(text.str(), path);
}

// A schedule as the configuration takes it, in words people type: {"every": "10s"} or {"at": [CRON,
// ...]}.
nlohmann::json ScheduleJson(const Schedule& schedule) {
  if (schedule.every > Nanos(0)) return {{"every", FormatDuration(schedule.every)}};
  nlohmann::json at = nlohmann::json::array();
  for (const auto& c : schedule.at) at.push_back(c.text());
  return {{"at", at}};
}

// A session's parameters in the configuration's own words (what the API
// stores for a changed session; durations exact).
nlohmann::json SessionParamsJson(const SenderSession& s) {
  const auto& p = s.settings.session;
  nlohmann::json j{
      {"to", measure::FormatEndpoint(s.remote)},
      {"count", p.count},
      {"interval", fmt::format("{}ns", p.interval.count())},
      {"spacing", p.interval_kind == measure::IntervalKind::kPoisson ? "poisson" : "periodic"},
      {"padding", p.padding},
      {"dscp", p.dscp},
      {"ecn", p.ecn},
      {"ttl", p.ttl},
      {"dont_fragment", p.dont_fragment},
      {"wait", fmt::format("{}ns", p.wait.count())},
      {"ssid", p.ssid},
      {"protocol", s.settings.protocol == Protocol::kTwamp ? "twamp" : "light"}};
  if (!s.local.address().is_unspecified() || s.local.port() != 0)
    j["from"] = measure::FormatEndpoint(s.local);
  if (!s.tunnel.empty()) j["tunnel"] = s.tunnel;
  if (!s.device.empty()) j["interface"] = s.device;
  if (s.settings.protocol == Protocol::kTwamp) {
    const std::uint32_t m = s.settings.mode;
    if (m != 0) {
      j["mode"] = m == measure::control::kUnauthenticated ? "unauthenticated"
                  : m == measure::control::kAuthenticated ? "authenticated"
                  : m == measure::control::kEncrypted     ? "encrypted"
                                                          : "mixed";
    }
    if (!s.settings.key_id.empty()) j["key_id"] = s.settings.key_id;
  }
  if (s.settings.schedule) j["schedule"] = ScheduleJson(*s.settings.schedule);
  if (s.settings.run_in_background) j["run_mode"] = "background";
  return j;
}

}  // namespace lineup::daemon
