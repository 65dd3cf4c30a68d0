// The `lineup run` daemon's configuration: one lineup.yaml that also holds
// the analyzer's SLA classes and the controller's policy. This part reads
// `daemon` (log, API, global schedule), the daemon's keys of `tunnels`
// (local and remote address, device, responder, probes), `sessions` (sender
// templates and explicit senders) and `reflectors` (extra responders). Every
// problem is reported at once with file:line:column and the field; see
// docs/daemon.md and docs/examples/lineup.yaml.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "autoflow/policy.h"
#include "daemon/schedule.h"
#include "export/ipfix.h"
#include "measure/control_wire.h"
#include "measure/endpoint.h"
#include "measure/session.h"

namespace lineup::daemon {

enum class Protocol {
  kLight,  // TWAMP Light / STAMP: test packets only
  kTwamp,  // full TWAMP: a TWAMP-Control connection negotiates each run
};

// Every parameter of a sender session but its two ends.
struct SenderTemplate {
  std::string name;
  measure::SessionConfig session;  // count, interval, padding, DSCP, TTL, DF, wait, ...
  Protocol protocol = Protocol::kLight;
  std::uint16_t port = 862;          // the responder's (Light) or the control port (full TWAMP)
  std::uint32_t mode = 0;            // full TWAMP: 0 = the strongest both allow
  std::string key_id;                // full TWAMP secure modes, from daemon.secrets
  std::optional<Schedule> schedule;  // nullopt: the global schedule
  bool run_in_background = false;    // how a run on demand goes by default (run_mode)
  bool operator==(const SenderTemplate&) const = default;
};

// A sender session as the daemon runs it.
struct SenderSession {
  std::string id;      // from local and remote address and port (SessionId)
  std::string name;    // the stream in the log: "TUNNEL/TEMPLATE" or the session's own name
  std::string tunnel;  // what it measures (empty: itself)
  std::string device;  // interface or VRF to send through
  measure::UdpEndpoint local, remote;
  SenderTemplate settings;
  // The same run: a reload restarts a session whose configuration changed.
  bool operator==(const SenderSession&) const = default;
};

enum class ResponderKind { kStamp, kTwampLight, kTwamp };

struct Responder {
  std::string id;    // "responder:ADDRESS:PORT"
  std::string name;  // the tunnel's name, or the reflector's own
  ResponderKind kind = ResponderKind::kStamp;
  measure::UdpEndpoint listen;  // full TWAMP: the TCP control port's address
  std::string device;
  std::vector<measure::Prefix> allow;
  bool operator==(const Responder&) const = default;
};

struct ApiConfig {
  std::string listen = "127.0.0.1:8862";
  std::string token_file;  // required when listening beyond loopback
};

struct DaemonConfig {
  std::string log_dir = "lineup-data/log";
  Nanos retention_age{0};             // probe samples older are trimmed; 0 keeps all
  std::uint64_t retention_bytes = 0;  // probe samples beyond are trimmed; 0 = no limit
  std::string secrets_file;           // key identities for full TWAMP secure modes
  std::string actuator = "record";    // see autoflow::MakeActuator
  ApiConfig api;
  std::vector<CollectorConfig> collectors;  // IPFIX export of every run's summary
  Schedule global_schedule;                 // sessions without their own
  std::map<std::string, SenderTemplate> templates;
  std::vector<SenderSession> senders;
  std::vector<Responder> responders;
  autoflow::LoadedConfig analysis;  // SLA classes, tunnels, policy (with sessions added)
  std::string text;                 // the effective document: the file, then the API's changes
  std::string file_text;            // the file as read
  // Changes made through the API, as JSON: {"sessions": {NAME: {...}},
  // "deleted": [NAME, ...], "reflectors": [{...}], "deleted_reflectors": [ID, ...]}.
  // They are part of the recorded document, so they survive a restart.
  std::string api_changes = "{}";
};

// "LOCALIP_LOCALPORT-REMOTEIP_REMOTEPORT": stable across restarts and
// reloads, and safe in a URL path.
std::string SessionId(const measure::UdpEndpoint& local, const measure::UdpEndpoint& remote);

[[nodiscard]] Result<DaemonConfig> LoadDaemonConfig(const std::string& path);
[[nodiscard]] Result<DaemonConfig> ParseDaemonConfig(std::string_view yaml,
                                                     std::string origin = "config");
// The same file with other API changes (validated like the file: an error
// names the field, e.g. "api_changes.sessions.x.dscp: ...").
[[nodiscard]] Result<DaemonConfig> WithApiChanges(const DaemonConfig& base,
                                                  const std::string& api_changes,
                                                  std::string origin = "api");
// The API changes recorded in an effective document ("{}" when none).
std::string ApiChangesOf(std::string_view effective_text);
// How many sessions and responders the API changes add, change or delete.
std::size_t CountApiChanges(const std::string& api_changes);

// A schedule as the configuration takes it: {"every": "10s"} or {"at": [CRON, ...]}.
nlohmann::json ScheduleJson(const Schedule& schedule);
// A session's parameters in the configuration's own words, durations exact:
// what the API stores for a changed session, and read back by the same
// reader as the file (a test holds the round trip to ==).
nlohmann::json SessionParamsJson(const SenderSession& session);

}  // namespace lineup::daemon
