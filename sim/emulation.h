// Emulation mode: a scenario's links between real network namespaces. Each
// place of the scenario (a site or peer) becomes a namespace; each tunnel a
// tap device in the namespaces at its two ends, joined through ns-3 in real
// time with the tunnel's delay, jitter, loss and timeline. Real `lineup`
// processes started in the namespaces (`ip netns exec NS lineup ...`) then
// exchange real packets across the simulated tunnels. Needs root; kernel
// `tc netem` is not needed.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace lineup::sim {

// A tunnel as the namespaces see it.
struct EmulatedTunnel {
  std::string name;
  std::string device;                                 // the tap's name in both namespaces
  std::string sender_namespace, reflector_namespace;  // the scenario's site and peer
  std::string sender_address, reflector_address;      // on the taps
};

class Lab {
 public:
  // Creates the namespaces `PREFIX-PLACE` and the taps. Refuses without root,
  // without /dev/net/tun or `ip`, or when a namespace of that name exists.
  [[nodiscard]] static Result<std::unique_ptr<Lab>> Create(const Scenario& scenario,
                                                           const std::string& prefix);
  ~Lab();  // removes the namespaces and with them the taps
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const std::vector<EmulatedTunnel>& tunnels() const { return tunnels_; }
  const std::vector<std::string>& namespaces() const { return namespaces_; }

  // Runs the scenario's network in real time for `duration` (the scenario's
  // when zero), or until `stop` is set. `progress` gets the share done.
  [[nodiscard]] Result<net::RunInfo> Run(Nanos duration,
                                         const std::function<void(double)>& progress,
                                         const std::atomic<bool>& stop);

 private:
  explicit Lab(const Scenario& scenario) : scenario_(scenario) {}

  const Scenario& scenario_;
  std::vector<std::string> namespaces_;
  std::vector<EmulatedTunnel> tunnels_;
  std::vector<net::TapPair> taps_;
};

// Why emulation cannot run here, or empty when it can (root, /dev/net/tun,
// `ip` with network namespaces).
std::string EmulationUnavailable();

}  // namespace lineup::sim
