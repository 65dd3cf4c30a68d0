// `lineup probe`: Session-Sender(s) against TWAMP Light / STAMP reflectors.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "measure/dscp.h"
#include "net/clock_sync.h"
#include "net/resolve.h"
#include "net/sender_runner.h"

namespace lineup::cli {
namespace {

struct ProbeOptions {
  std::vector<std::string> targets;
  std::uint32_t count = 10;
  std::string interval = "100ms";
  bool poisson = false;
  std::uint32_t padding = 30;
  std::string dscp = "0";
  unsigned ecn = 0;
  unsigned ttl = 255;
  bool dont_fragment = false;
  std::string source;
  std::string wait = "2s";
  unsigned ssid = 0;
  std::string reflector = "auto";
  std::uint64_t seed = 1;
  bool json = false;
  bool packets = false;
};

constexpr std::string_view kCommand = "probe";

Result<measure::SessionConfig> ToConfig(const ProbeOptions& o, const std::string& target,
                                        std::size_t index) {
  measure::SessionConfig c;
  auto destination = net::ResolveEndpoint(target);
  if (!destination) return tl::unexpected(destination.error());
  c.destination = *destination;
  if (!o.source.empty()) {
    auto source = measure::ParseEndpoint(o.source, 0);
    if (!source) return tl::unexpected(source.error());
    c.source = *source;
  }
  c.count = o.count;
  auto interval = DurationArg("probe", "-i", o.interval);
  if (!interval) return tl::unexpected(interval.error());
  c.interval = *interval;
  c.interval_kind = o.poisson ? measure::IntervalKind::kPoisson : measure::IntervalKind::kPeriodic;
  c.padding = o.padding;
  auto dscp = measure::ParseDscp(o.dscp);
  if (!dscp) return tl::unexpected(dscp.error());
  c.dscp = *dscp;
  if (o.ecn > 3) return lineup::Fail(ErrorCode::kInvalidArgument, "--ecn must be 0-3");
  c.ecn = static_cast<std::uint8_t>(o.ecn);
  if (o.ttl < 1 || o.ttl > 255) {
    return lineup::Fail(ErrorCode::kInvalidArgument,
                        fmt::format("--ttl {} is out of range 1-255", o.ttl));
  }
  c.ttl = static_cast<std::uint8_t>(o.ttl);
  c.dont_fragment = o.dont_fragment;
  auto wait = DurationArg("probe", "-w", o.wait);
  if (!wait) return tl::unexpected(wait.error());
  c.wait = *wait;
  if (o.ssid > 65535) return lineup::Fail(ErrorCode::kInvalidArgument, "--ssid must be 0-65535");
  c.ssid = static_cast<std::uint16_t>(o.ssid);
  if (o.reflector == "stateful") {
    c.reflector = measure::ReflectorNumbering::kStateful;
  } else if (o.reflector == "stateless") {
    c.reflector = measure::ReflectorNumbering::kStateless;
  } else if (o.reflector != "auto") {
    return lineup::Fail(ErrorCode::kInvalidArgument,
                        "--reflector must be auto, stateful or stateless");
  }
  c.seed = o.seed + index;
  c.error_estimate = measure::LocalErrorEstimate();
  if (auto valid = measure::Validate(c); !valid) return tl::unexpected(valid.error());
  return c;
}

int Run(const ProbeOptions& o) {
  std::vector<measure::SessionConfig> configs;
  for (std::size_t i = 0; i < o.targets.size(); ++i) {
    auto c = ToConfig(o, o.targets[i], i);
    if (!c) return Fail(kCommand, c.error().message);
    configs.push_back(std::move(*c));
  }
  boost::asio::io_context io(1);  // one thread: no internal locking
  RealClock clock;
  measure::SenderRunner runner(io, clock);
  std::vector<measure::SessionResult> results(configs.size());
  for (std::size_t i = 0; i < configs.size(); ++i) {
    auto started = runner.Start(
        configs[i], [&results, i](measure::SessionResult r) { results[i] = std::move(r); });
    // The network refused (no route, a blackhole): the measurement failed, 1;
    // a bad parameter stays a usage error, 2.
    if (!started) {
      return Fail(kCommand, started.error().message,
                  started.error().code == ErrorCode::kUnavailable ? 1 : 2);
    }
  }
  io.run();

  bool any_reply = false;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : results) {
    any_reply |= r.summary.received > 0;
    if (o.json) {
      all.push_back(SessionJson(r, o.packets));
    } else {
      std::cout << SessionTable(r);
      if (o.packets) std::cout << PacketTable(r);
    }
  }
  if (o.json) std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
  return any_reply ? 0 : 1;
}

}  // namespace

void AddProbeCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ProbeOptions>();
  auto* cmd = app.add_subcommand(
      "probe",
      "Send TWAMP-Test/STAMP probes to reflectors and report outbound, inbound and round-trip "
      "delay, jitter and loss. Exit 1 when no reply came back.");
  cmd->add_option("target", o->targets,
                  "Reflector ADDRESS[:PORT] (port 862 by default); several run at once")
      ->required();
  cmd->add_option("-c,--count", o->count, "Packets per session")->capture_default_str();
  cmd->add_option("-i,--interval", o->interval,
                  "Gap between packets (e.g. 20ms, 1s; a bare number is seconds)")
      ->capture_default_str();
  cmd->add_flag("--poisson", o->poisson, "Exponential gaps with --interval as the mean");
  cmd->add_option("-s,--padding", o->padding,
                  "Octets after the 14-byte header (27 or more; 30 makes a 44-byte STAMP packet)")
      ->capture_default_str();
  cmd->add_option("-D,--dscp", o->dscp, "DSCP 0-63 or a name (ef, af41, cs6, ...)")
      ->capture_default_str();
  cmd->add_option("--ecn", o->ecn, "ECN bits 0-3")->capture_default_str();
  cmd->add_option("--ttl", o->ttl, "TTL / Hop Limit 1-255")->capture_default_str();
  cmd->add_flag("--df,--dont-fragment", o->dont_fragment, "Set don't-fragment");
  cmd->add_option("-S,--source", o->source, "Local ADDRESS[:PORT] to send from (as twping's -S)");
  cmd->add_option("-w,--wait", o->wait, "How long to wait for replies after the last send")
      ->capture_default_str();
  cmd->add_option("--ssid", o->ssid, "STAMP Session-Sender Identifier (RFC 8972)")
      ->capture_default_str();
  cmd->add_option("--reflector", o->reflector,
                  "How the reflector numbers replies: auto, stateful or stateless")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for Poisson gaps")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON (durations in nanoseconds)");
  cmd->add_flag("--packets", o->packets, "Include every packet");
  cmd->callback([o, &run] { run = [o] { return Run(*o); }; });
}

}  // namespace lineup::cli
