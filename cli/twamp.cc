// `lineup twamp-server`: the TWAMP Server and Session-Reflector (Target).
// `lineup twping`: the Control-Client and Session-Sender (Initiator), in the
// spirit of twping.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <iostream>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/serve.h"
#include "measure/dscp.h"
#include "net/clock_sync.h"
#include "net/resolve.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"

namespace lineup::cli {
namespace {

namespace asio = boost::asio;
namespace control = measure::control;

Result<std::uint32_t> ParseModes(const std::string& text) {
  std::uint32_t modes = 0;
  std::size_t from = 0;
  while (from <= text.size()) {
    const auto comma = text.find(',', from);
    const std::string word =
        text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    // twping's -A letters: O(pen), A(uthenticated), E(ncrypted), M(ixed).
    if (!word.empty() && word.find_first_not_of("OAEM") == std::string::npos) {
      for (const char letter : word) {
        modes |= letter == 'O'   ? control::kUnauthenticated
                 : letter == 'A' ? control::kAuthenticated
                 : letter == 'E' ? control::kEncrypted
                                 : control::kMixed;
      }
    } else if (word == "unauthenticated" || word == "open") {
      modes |= control::kUnauthenticated;
    } else if (word == "authenticated") {
      modes |= control::kAuthenticated;
    } else if (word == "encrypted") {
      modes |= control::kEncrypted;
    } else if (word == "mixed") {
      modes |= control::kMixed;
    } else {
      return lineup::Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("'{}' is not a mode: use unauthenticated, authenticated, encrypted or "
                      "mixed (or twping's letters O, A, E, M)",
                      word));
    }
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return modes;
}

// ------------------------------------------------------------ twamp-server

struct ServerOptions {
  std::vector<std::string> listen;
  std::string modes = "unauthenticated,authenticated,encrypted,mixed";
  std::string secrets;
  std::uint32_t count = 1024;
  std::vector<std::string> allow;
  std::size_t max_connections = 1024, max_connections_per_client = 256;
  std::size_t max_sessions = 4096, max_sessions_per_client = 1024;
  std::string test_ports = "20000-29999";
  std::string servwait = "900s", refwait = "900s";
  std::string status_interval, duration;
  bool allow_third_party_senders = false;
};

int RunServer(const ServerOptions& o) {
  measure::TwampServerConfig config;
  const std::vector<std::string> listen =
      o.listen.empty() ? std::vector<std::string>{"0.0.0.0", "[::]"} : o.listen;
  for (const auto& text : listen) {
    auto l = measure::ParseTwampListen(text);
    if (!l) return Fail("twamp-server", "--listen " + text + ": " + l.error().message);
    config.listen.push_back(*l);
  }
  auto modes = ParseModes(o.modes);
  if (!modes) return Fail("twamp-server", "--modes: " + modes.error().message);
  config.modes = *modes | control::kReflectOctets;
  if (!o.secrets.empty()) {
    auto secrets = control::LoadSecrets(o.secrets);
    if (!secrets) return Fail("twamp-server", secrets.error().message);
    config.secrets = std::move(*secrets);
  } else if ((*modes & control::kUnauthenticated) == 0) {
    return Fail(
        "twamp-server",
        "authenticated, encrypted and mixed modes need --secrets FILE (lines of IDENTITY SECRET)");
  } else {
    // Without secrets only the unauthenticated mode can be served.
    if (o.modes != ServerOptions{}.modes && (*modes & ~control::kUnauthenticated) != 0) {
      std::cerr << "lineup twamp-server: no --secrets: offering the unauthenticated mode only\n";
    }
    config.modes = control::kUnauthenticated | control::kReflectOctets;
  }
  config.count = o.count;
  for (const auto& text : o.allow) {
    auto p = measure::Prefix::Parse(text);
    if (!p) return Fail("twamp-server", "--allow: " + p.error().message);
    config.allow.push_back(*p);
  }
  config.max_connections = o.max_connections;
  config.max_connections_per_client = o.max_connections_per_client;
  config.max_sessions = o.max_sessions;
  config.max_sessions_per_client = o.max_sessions_per_client;
  config.allow_third_party_senders = o.allow_third_party_senders;
  unsigned low = 0, high = 0;
  if (std::sscanf(o.test_ports.c_str(), "%u-%u", &low, &high) != 2 || low == 0 || high > 65535 ||
      low > high) {
    return Fail("twamp-server",
                fmt::format("--test-ports '{}': give LOW-HIGH, such as 20000-29999", o.test_ports));
  }
  config.port_low = static_cast<std::uint16_t>(low);
  config.port_high = static_cast<std::uint16_t>(high);
  for (auto [text, target, name] : {std::tuple{&o.servwait, &config.servwait, "--servwait"},
                                    std::tuple{&o.refwait, &config.refwait, "--refwait"}}) {
    auto d = ParseDuration(*text);
    if (!d || *d <= Nanos(0))
      return Fail("twamp-server", fmt::format("{} '{}': give a positive duration", name, *text));
    *target = *d;
  }
  config.reflector.error_estimate = measure::LocalErrorEstimate();

  asio::io_context io(1);
  RealClock clock;
  auto server = measure::TwampServer::Create(io, clock, std::move(config));
  if (!server) return Fail("twamp-server", server.error().message);
  for (const auto& e : (*server)->Status().listening) {
    std::cout << "listening on "
              << measure::FormatEndpoint(measure::UdpEndpoint(e.address(), e.port())) << std::endl;
  }
  auto print = [&] {
    std::cout << measure::FormatTwampServerStatus((*server)->Status()) << std::flush;
  };
  Nanos every{0};
  if (!o.status_interval.empty()) {
    auto d = ParseDuration(o.status_interval);
    if (!d || *d <= Nanos(0))
      return Fail("twamp-server", "--status-interval must be a positive duration");
    every = *d;
  }
  std::optional<Nanos> duration;
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d) return Fail("twamp-server", "--duration: " + d.error().message);
    duration = *d;
  }
  RunPrintingStatus(io, clock, every, duration, print);
  print();
  (*server)->Stop();
  return 0;
}

// ------------------------------------------------------------------ twping

struct PingOptions {
  std::string target;
  std::string mode;
  std::string key_id;
  std::string secrets;
  std::uint32_t count = 100;
  std::string interval = "100ms";
  std::optional<std::uint32_t> padding;  // default: symmetric for the mode
  std::string dscp = "0";
  unsigned ttl = 255;
  bool dont_fragment = false;
  std::string wait = "2s";
  bool raw = false;
  bool machine = false;
  std::uint32_t sessions = 1;
  std::uint32_t tests = 1;
  std::string test_interval = "0s";
  std::string start_in = "0s";
  unsigned reflector_port = 0;
  bool reflect_octets = false;
  bool json = false;
  bool packets = false;
};

int RunPing(const PingOptions& o) {
  measure::TwampTestOptions t;
  auto server = net::ResolveEndpoint(o.target, measure::kDefaultTestPort);
  if (!server) return Fail("twping", server.error().message);
  t.server = measure::TcpEndpoint(server->address(), server->port());
  if (!o.mode.empty()) {
    auto mode = ParseModes(o.mode);
    if (!mode) return Fail("twping", "--mode: " + mode.error().message);
    t.control.mode = *mode;
  }
  if (!o.key_id.empty()) {
    if (o.secrets.empty())
      return Fail("twping", "--key-id needs --secrets FILE holding that identity's secret");
    auto secrets = control::LoadSecrets(o.secrets);
    if (!secrets) return Fail("twping", secrets.error().message);
    const auto it = secrets->find(o.key_id);
    if (it == secrets->end())
      return Fail("twping", fmt::format("{} has no secret for '{}'", o.secrets, o.key_id));
    t.control.key_id = o.key_id;
    t.control.secret = it->second;
  } else if ((t.control.mode & (control::kAuthenticated | control::kEncrypted | control::kMixed)) !=
             0) {
    return Fail("twping", fmt::format("--mode {} needs --key-id and --secrets", o.mode));
  }
  t.control.reflect_octets = o.reflect_octets;
  auto& s = t.session;
  s.count = o.count;
  auto interval = DurationArg("twping", "-i", o.interval);
  if (!interval) return Fail("twping", "--interval: " + interval.error().message);
  s.interval = *interval;
  if (o.json && (o.raw || o.machine)) {
    return Fail("twping", "--json prints everything already: give it without -R or -M");
  }
  t.symmetric_padding = !o.padding;
  s.padding = o.padding.value_or(s.padding);
  auto dscp = measure::ParseDscp(o.dscp);
  if (!dscp) return Fail("twping", "--dscp: " + dscp.error().message);
  s.dscp = *dscp;
  if (o.ttl < 1 || o.ttl > 255)
    return Fail("twping", fmt::format("--ttl {} is out of range 1-255", o.ttl));
  s.ttl = static_cast<std::uint8_t>(o.ttl);
  s.dont_fragment = o.dont_fragment;
  auto wait = DurationArg("twping", "-w", o.wait);
  if (!wait) return Fail("twping", "--wait: " + wait.error().message);
  s.wait = *wait;
  s.error_estimate = measure::LocalErrorEstimate();
  t.sessions = o.sessions;
  t.tests = o.tests;
  auto gap = ParseDuration(o.test_interval);
  if (!gap) return Fail("twping", "--test-interval: " + gap.error().message);
  t.test_interval = *gap;
  auto start_in = ParseDuration(o.start_in);
  if (!start_in || *start_in < Nanos(0) || *start_in > std::chrono::hours(24)) {
    return Fail("twping", fmt::format("--start-in '{}': give a duration up to 24h", o.start_in));
  }
  t.start_delay = *start_in;
  if (o.reflector_port > 65535) return Fail("twping", "--reflector-port must be 0-65535");
  t.reflector_port = static_cast<std::uint16_t>(o.reflector_port);

  asio::io_context io(1);
  RealClock clock;
  std::optional<Result<measure::TwampTestResult>> result;
  measure::RunTwampTest(io, clock, t,
                        [&](Result<measure::TwampTestResult> r) { result = std::move(r); });
  io.run();
  if (!result) return Fail("twping", "the test did not finish");
  if (!*result) {
    std::cerr << "lineup twping: " << result->error().message << "\n";
    return 1;
  }
  const auto& r = **result;
  bool any_reply = false;
  nlohmann::json tests = nlohmann::json::array();
  for (std::size_t i = 0; i < r.tests.size(); ++i) {
    nlohmann::json sessions = nlohmann::json::array();
    if (!o.json && !o.raw && !o.machine) {
      std::cout << fmt::format("TWAMP test {}/{} with {} ({} mode)\n", i + 1, r.tests.size(),
                               o.target, control::SecurityModeName(r.mode));
    }
    for (const auto& session : r.tests[i]) {
      any_reply |= session.summary.received > 0;
      if (o.json) {
        sessions.push_back(SessionJson(session, o.packets));
      } else if (o.raw || o.machine) {
        if (o.raw) std::cout << RawPacketLines(session);
        if (o.machine) std::cout << MachineSummary(session);
      } else {
        std::cout << SessionTable(session);
        if (o.packets) std::cout << PacketTable(session);
      }
    }
    tests.push_back(sessions);
  }
  if (o.json) {
    nlohmann::json j{{"server", o.target},
                     {"mode", control::SecurityModeName(r.mode)},
                     {"reflect_octets", (r.mode & control::kReflectOctets) != 0},
                     {"test_ports", r.ports},
                     {"tests", tests}};
    std::cout << j.dump(2) << "\n";
  }
  if (r.closed_mid_test) {
    std::cerr << "lineup twping: " << *r.closed_mid_test << "\n";
    return 1;
  }
  return any_reply ? 0 : 1;
}

}  // namespace

void AddTwampCommands(CLI::App& app, Runner& run) {
  auto so = std::make_shared<ServerOptions>();
  auto* server = app.add_subcommand(
      "twamp-server",
      "TWAMP Server and Session-Reflector (RFC 5357): control connections on TCP 862, test "
      "sessions on UDP. "
      "The connection and session table prints on SIGUSR1, every --status-interval and at exit.");
  server->add_option(
      "-l,--listen", so->listen,
      "ADDRESS[:PORT][@DEVICE] to listen on, repeatable (default 0.0.0.0:862 and [::]:862); "
      "@DEVICE binds to an interface or VRF");
  server->add_option("--modes", so->modes, "Modes offered, comma separated")->capture_default_str();
  server->add_option("--secrets", so->secrets,
                     "File of IDENTITY SECRET lines (mode 600) for the secure modes");
  server->add_option("--count", so->count, "PBKDF2 iterations announced in the greeting")
      ->capture_default_str();
  server->add_option("--allow", so->allow,
                     "Only serve control clients in this CIDR prefix (repeatable)");
  server->add_option("--max-connections", so->max_connections)->capture_default_str();
  server->add_option("--max-connections-per-client", so->max_connections_per_client)
      ->capture_default_str();
  server->add_option("--max-sessions", so->max_sessions)->capture_default_str();
  server->add_option("--max-sessions-per-client", so->max_sessions_per_client)
      ->capture_default_str();
  server->add_option("--test-ports", so->test_ports, "UDP port range for test sessions")
      ->capture_default_str();
  server->add_option("--servwait", so->servwait, "Close a control connection idle this long")
      ->capture_default_str();
  server->add_option("--refwait", so->refwait, "End a test session without packets this long")
      ->capture_default_str();
  server->add_flag("--allow-third-party-senders", so->allow_third_party_senders,
                   "Let a client name another host as the Session-Sender (RFC 5357 allows it; "
                   "off, replies go only to the control connection's peer)");
  server->add_option("--status-interval", so->status_interval, "Print the table this often");
  server->add_option("--duration", so->duration,
                     "Stop after this long (default: until SIGINT/SIGTERM)");
  server->callback([so, &run] { run = [so] { return RunServer(*so); }; });

  auto po = std::make_shared<PingOptions>();
  auto* ping = app.add_subcommand("twping",
                                  "Full TWAMP test against a TWAMP server: control connection, "
                                  "test sessions, outbound/inbound/round-trip "
                                  "delay, jitter and loss. Exit 1 when the test could not run or "
                                  "no reply came back, 2 on a usage error.");
  ping->add_option("target", po->target, "Server ADDRESS[:PORT] (TCP port 862 by default)")
      ->required();
  ping->add_option("-m,-A,--mode", po->mode,
                   "unauthenticated, authenticated, encrypted or mixed, or twping's letters "
                   "O, A, E, M (default: the strongest both allow)");
  ping->add_option("-u,--key-id", po->key_id, "Key identity for the secure modes (twping's user)");
  ping->add_option("-k,--secrets", po->secrets,
                   "File of IDENTITY SECRET lines (mode 600; twping's keyfile)");
  ping->add_option("-c,--count", po->count, "Packets per session")->capture_default_str();
  ping->add_option("-i,--interval", po->interval,
                   "Gap between packets (a bare number is seconds, as in twping)")
      ->capture_default_str();
  ping->add_option("-s,--padding", po->padding,
                   "Octets after the sender header (default: packets as long as the replies, "
                   "44 octets, or 112 in authenticated and encrypted modes)");
  ping->add_option("-D,--dscp", po->dscp, "DSCP 0-63 or a name (Type-P)")->capture_default_str();
  ping->add_option("--ttl", po->ttl, "TTL / Hop Limit 1-255")->capture_default_str();
  ping->add_flag("--df,--dont-fragment", po->dont_fragment, "Set don't-fragment");
  ping->add_option("-w,--wait", po->wait, "Wait for late replies (also the session Timeout)")
      ->capture_default_str();
  ping->add_option("--sessions", po->sessions, "Test sessions at once")->capture_default_str();
  ping->add_option("--tests", po->tests, "Tests on the same control connection")
      ->capture_default_str();
  ping->add_option("--test-interval", po->test_interval, "Between the starts of tests")
      ->capture_default_str();
  ping->add_option("-z,--start-in", po->start_in,
                   "Start Time of the sessions: this long after the request")
      ->capture_default_str();
  ping->add_option("--reflector-port", po->reflector_port,
                   "UDP port to ask the server for (0: its choice)");
  ping->add_flag("--reflect-octets", po->reflect_octets,
                 "Negotiate RFC 6038 reflect octets when offered");
  ping->add_flag("--json", po->json, "Print JSON (durations in nanoseconds)");
  ping->add_flag("--packets", po->packets, "Include every packet");
  ping->add_flag("-R,--raw", po->raw,
                 "Print every packet as one line of numbers: sequence, T1 T2 T3 T4 (Unix ns), "
                 "TTL at reflector, reply TTL; a lost packet has '-' for T2-T4");
  ping->add_flag("-M,--machine", po->machine,
                 "Print each session's summary as KEY VALUE lines (units in the keys)");
  ping->callback([po, &run] { run = [po] { return RunPing(*po); }; });
}

}  // namespace lineup::cli
