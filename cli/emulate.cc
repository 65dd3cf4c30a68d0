// `lineup emulate SCENARIO`: the scenario's tunnels between real network
// namespaces, impaired by ns-3 in real time, for real `lineup` processes to
// measure (see docs/sim.md, "Emulation").
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "base/time_text.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "sim/emulation.h"

namespace lineup::cli {
namespace {

struct EmulateOptions {
  std::string scenario;
  std::string prefix = "lu";
  std::string duration;  // instead of the scenario's
  bool quiet = false;
};

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop = true; }

constexpr std::string_view kCommand = "emulate";

int Emulate(const EmulateOptions& o) {
  auto scenario = sim::LoadScenario(o.scenario);
  if (!scenario) return Fail(kCommand, scenario.error().message);
  Nanos duration = scenario->duration;
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d || *d <= Nanos(0))
      return Fail(kCommand, fmt::format("--for {}: give a duration such as 10m", o.duration));
    duration = *d;
  }
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  auto lab = sim::Lab::Create(*scenario, o.prefix);
  if (!lab) return Fail(kCommand, lab.error().message);
  const auto& tunnels = (*lab)->tunnels();
  std::cout << fmt::format(
      "{} ({}): {} tunnels between {} namespaces, impaired by ns-3 in real time for {}\n",
      scenario->name, scenario->origin, tunnels.size(), (*lab)->namespaces().size(),
      FormatDuration(duration));
  std::cout << fmt::format("  {:<14} {:<10} {:<28} {}\n", "tunnel", "device", "sender side (site)",
                           "reflector side (peer)");
  for (const auto& t : tunnels) {
    std::cout << fmt::format("  {:<14} {:<10} {:<28} {}\n", t.name, t.device,
                             t.sender_namespace + " " + t.sender_address,
                             t.reflector_namespace + " " + t.reflector_address);
  }
  if (!tunnels.empty()) {
    const auto& t = tunnels.front();
    std::cout << fmt::format(
        "measure one:\n  ip netns exec {} lineup reflect -l {} &\n  ip netns exec {} lineup probe "
        "{} -c 100 "
        "-i 20ms\n",
        t.reflector_namespace, t.reflector_address, t.sender_namespace, t.reflector_address);
  }
  std::cout << "ready (Ctrl-C stops and removes the namespaces)" << std::endl;

  const bool show = !o.quiet && isatty(STDERR_FILENO) != 0;
  std::function<void(double)> progress;
  if (show) {
    progress = [duration](double share) {
      std::cerr << fmt::format("\r{} of {}\033[K",
                               FormatElapsed(Nanos(static_cast<std::int64_t>(
                                   share * static_cast<double>(duration.count())))),
                               FormatDuration(duration))
                << std::flush;
    };
  }
  auto ran = (*lab)->Run(duration, progress, g_stop);
  if (show) std::cerr << "\r\033[K" << std::flush;
  lab->reset();
  if (!ran) return Fail(kCommand, ran.error().message);
  std::cout << fmt::format(
      "stopped after {:.1f} s; {} packets dropped by the loss models; namespaces removed\n",
      ran->wall_seconds, ran->packets_dropped);
  return 0;
}

}  // namespace

void AddEmulateCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<EmulateOptions>();
  auto* cmd = app.add_subcommand("emulate",
                                 "Build a scenario's tunnels between network namespaces, impaired "
                                 "by ns-3 in real time (root)");
  cmd->add_option("scenario", o->scenario, "The scenario file (see scenarios/ and docs/sim.md)")
      ->required();
  cmd->add_option("--prefix", o->prefix, "Namespaces are PREFIX-SITE (default lu)");
  cmd->add_option("--for", o->duration, "Run this long instead of the scenario's duration");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress line");
  cmd->callback([&run, o]() { run = [o]() { return Emulate(*o); }; });
}

}  // namespace lineup::cli
