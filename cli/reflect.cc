// `lineup reflect`: a TWAMP Light / STAMP Session-Reflector on any number of
// addresses, with counters on demand (SIGUSR1), periodically, and at exit.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <iostream>
#include <memory>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/serve.h"
#include "measure/dscp.h"
#include "net/clock_sync.h"
#include "net/reflector_server.h"

namespace lineup::cli {
namespace {

namespace asio = boost::asio;

struct ReflectOptions {
  std::vector<std::string> listen;
  bool twamp_light = false;
  bool stateless = false;
  std::string reply_dscp = "copy";
  std::vector<std::string> allow;
  bool allow_larger_reply = false;
  std::string idle_timeout = "60s";
  double max_rate = 10000;
  std::string stats_interval;
  std::string duration;
  bool json = false;
};

constexpr std::string_view kCommand = "reflect";

class Reporter {
 public:
  Reporter(const measure::ReflectorServer& server, bool json) : server_(server), json_(json) {}
  void Print() const {
    const auto status = server_.Status();
    if (json_) {
      std::cout << ReflectorJson(status).dump() << std::endl;
    } else {
      std::cout << ReflectorTable(status) << std::flush;
    }
  }

 private:
  const measure::ReflectorServer& server_;
  bool json_;
};

int Run(const ReflectOptions& o) {
  measure::ReflectorConfig config;
  config.format =
      o.twamp_light ? measure::ReflectorFormat::kTwampLight : measure::ReflectorFormat::kStamp;
  config.stateful = !o.stateless;
  if (o.reply_dscp != "copy") {
    auto dscp = measure::ParseDscp(o.reply_dscp);
    if (!dscp) return Fail(kCommand, "--reply-dscp: " + dscp.error().message + " (or 'copy')");
    config.reply_dscp = *dscp;
  }
  for (const auto& text : o.allow) {
    auto prefix = measure::Prefix::Parse(text);
    if (!prefix) return Fail(kCommand, "--allow: " + prefix.error().message);
    config.allow.push_back(*prefix);
  }
  config.allow_larger_reply = o.allow_larger_reply;
  auto idle = ParseDuration(o.idle_timeout);
  if (!idle) return Fail(kCommand, "--idle-timeout: " + idle.error().message);
  config.sender_idle_timeout = *idle;
  config.max_replies_per_sender = o.max_rate;
  config.error_estimate = measure::LocalErrorEstimate();

  std::vector<measure::UdpEndpoint> endpoints;
  const std::vector<std::string> listen =
      o.listen.empty() ? std::vector<std::string>{"0.0.0.0", "::"} : o.listen;
  for (const auto& text : listen) {
    auto endpoint = measure::ParseEndpoint(text);
    if (!endpoint) return Fail(kCommand, "--listen: " + endpoint.error().message);
    endpoints.push_back(*endpoint);
  }

  asio::io_context io(1);  // one thread: lets Asio skip its internal locking
  RealClock clock;
  auto server = measure::ReflectorServer::Create(io, clock, endpoints, config);
  if (!server) return Fail(kCommand, server.error().message);
  Reporter reporter(**server, o.json);
  for (const auto& l : (*server)->Status()) {
    std::cout << "listening on " << measure::FormatEndpoint(l.local) << std::endl;
  }

  Nanos every{0};
  if (!o.stats_interval.empty()) {
    auto parsed = ParseDuration(o.stats_interval);
    if (!parsed || *parsed <= Nanos(0))
      return Fail(kCommand, "--stats-interval must be a positive duration");
    every = *parsed;
  }
  std::optional<Nanos> duration;
  if (!o.duration.empty()) {
    auto parsed = ParseDuration(o.duration);
    if (!parsed) return Fail(kCommand, "--duration: " + parsed.error().message);
    duration = *parsed;
  }
  RunPrintingStatus(io, clock, every, duration, [&] { reporter.Print(); });
  reporter.Print();
  return 0;
}

}  // namespace

void AddReflectCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ReflectOptions>();
  auto* cmd = app.add_subcommand(
      "reflect",
      "Answer TWAMP Light and STAMP test packets. Counters print at exit, on SIGUSR1 and every "
      "--stats-interval.");
  cmd->add_option("-l,--listen", o->listen,
                  "ADDRESS[:PORT] to listen on, repeatable (default 0.0.0.0:862 and [::]:862)");
  cmd->add_flag("--twamp-light", o->twamp_light,
                "Reply bytes 14-15 as MBZ (RFC 5357) instead of echoing the STAMP SSID; accepts "
                "packets shorter than 44 bytes");
  cmd->add_flag("--stateless", o->stateless,
                "Echo the sender's sequence number instead of numbering replies per sender");
  cmd->add_option("--reply-dscp", o->reply_dscp,
                  "DSCP of replies: 'copy' the received one, or 0-63/a name")
      ->capture_default_str();
  cmd->add_option("--allow", o->allow, "Only answer senders in this CIDR prefix (repeatable)");
  cmd->add_flag("--allow-larger-reply", o->allow_larger_reply,
                "Answer requests shorter than 41 bytes with a 41-byte reply (amplification)");
  cmd->add_option("--idle-timeout", o->idle_timeout,
                  "Forget a sender's numbering after this idle time")
      ->capture_default_str();
  cmd->add_option("--max-rate", o->max_rate,
                  "Replies per second to one sender (more are dropped as rate_limited; 0: no "
                  "limit)")
      ->capture_default_str();
  cmd->add_option("--stats-interval", o->stats_interval, "Print counters this often");
  cmd->add_option("--duration", o->duration,
                  "Stop after this long (default: until SIGINT/SIGTERM)");
  cmd->add_flag("--json", o->json, "Print counters as JSON lines");
  cmd->callback([o, &run] { run = [o] { return Run(*o); }; });
}

}  // namespace lineup::cli
