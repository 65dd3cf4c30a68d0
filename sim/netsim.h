// The ns-3 side of the harness behind a plain interface. ns-3 3.37's headers
// only compile as C++17, so everything that includes them lives in
// netsim.cc, built as C++17; this header is valid C++17 and C++20 and holds
// no ns-3 type. The TWAMP protocol cores stay on the C++20 side and are
// reached through the callbacks below: no second implementation of TWAMP.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"

namespace lineup::sim::net {

// Link i of a Network gets the IPv4 subnet 10.0.0.0 + 4i /30: its end `a`
// has host 1 of it, its end `b` host 2.
inline std::uint32_t LinkAddress(std::size_t index, bool b_end) {
  return (10u << 24) + static_cast<std::uint32_t>(index) * 4 + (b_end ? 2 : 1);
}

// What one direction of a link does to each packet.
struct Impairment {
  std::int64_t delay_ns = 10'000'000;
  // Uniform in [-jitter, +jitter] per packet, independently (the sum kept
  // >= 0): the mean one-way delay stays `delay` while jitter <= delay.
  std::int64_t jitter_ns = 0;
  double loss = 0;  // Bernoulli
  // Gilbert-Elliott bursts (off when to_bad == 0): per packet, good -> bad with
  // probability to_bad, bad -> good with to_good; in bad, loss_bad is lost.
  double to_bad = 0, to_good = 1, loss_bad = 1;
};

// The queue in front of each end of a link. kDropTail is the device's own
// FIFO of `packets`; the others are ns-3 queue discs of that size in front of
// a one-packet device queue.
enum class QueueDiscipline { kDropTail, kFqCoDel, kCoDel, kRed, kPie };

// The shape of a link's cross traffic (from a to b), whose rate is set by
// the timeline: kConstant sends at even gaps, kPoisson at exponential gaps
// (the same mean), kOnOff at the rate during `on`, then nothing for `off`.
enum class CrossPattern { kConstant, kPoisson, kOnOff };

// A tunnel as an underlay link between two places, with its impairments.
struct Link {
  std::string name;
  std::string a, b;  // the places at its ends (the sender sits at a)
  double rate_mbps = 100;
  Impairment forward, backward;  // a to b, b to a
  // Jitter reorders packets, as netem does by default; false keeps them in
  // order (a packet waits for the one before it: the mean delay then grows
  // with the jitter and the probe rate).
  bool reorder = true;
  QueueDiscipline queue = QueueDiscipline::kDropTail;
  std::uint32_t queue_packets = 200;
  CrossPattern cross_pattern = CrossPattern::kPoisson;
  std::uint32_t cross_packet_bytes = 1000;  // on the wire (IP header and link framing included)
  std::int64_t cross_on_ns = 1'000'000'000, cross_off_ns = 1'000'000'000;  // kOnOff
};

// A change of a link at a time; values < 0 are left as they are.
struct Change {
  std::int64_t at_ns = 0;
  std::string link;
  // Over this long (> 0), each value moves linearly from the one in force at
  // `at_ns` to the one given; 0: at once.
  std::int64_t ramp_ns = 0;
  struct Values {
    std::int64_t delay_ns = -1;
    std::int64_t jitter_ns = -1;
    double loss = -1;
    double to_bad = -1;
  };
  Values forward, backward;
  double cross_mbps = -1;  // cross traffic from a to b, in wire bits (0 stops it)
};

// A TWAMP session over a link: the sender at `a`, the reflector at `b`.
struct Probe {
  std::string link;
  std::int64_t start_ns = 0;
  std::int64_t interval_ns = 100'000'000;
  std::uint32_t count = 10;
  std::uint8_t tos = 0;
  std::uint16_t port = 862;  // the reflector's UDP port at the link's far end
  // Builds the next test packet at simulated time t (ns since the start);
  // returns its length.
  std::function<std::size_t(std::int64_t t_ns, std::uint8_t* out, std::size_t capacity)> build;
  // A reply arrived at t with the received TTL and TOS.
  std::function<void(std::int64_t t_ns, const std::uint8_t* data, std::size_t length, int ttl,
                     int tos)>
      on_reply;
  // The reflector: builds the reply to a request received at t_ns (T2);
  // returns its length (0: dropped) and writes the time it stamps as T3.
  std::function<std::size_t(std::int64_t t_ns, const std::uint8_t* in, std::size_t length, int ttl,
                            int tos, std::uint8_t* out, std::size_t capacity)>
      reflect;
};

struct Network {
  std::vector<Link> links;
  std::vector<Change> changes;
  std::int64_t duration_ns = 60'000'000'000;
  std::uint32_t seed = 1;  // ns-3's RngRun: independent runs per seed
};

struct RunInfo {
  double wall_seconds = 0;
  std::uint64_t packets_dropped = 0;  // by the loss models
  std::uint64_t queue_drops = 0;      // by the queues (full, or their discipline)
  std::uint64_t cross_packets = 0;    // cross traffic sent
};

// The ns-3 simulator as the time source: wall time is `epoch` plus the
// simulated time, monotonic time is the simulated time, and timers are
// simulator events. Valid while the simulator runs (inside Run, or between a
// test's own Simulator::Run and Destroy); the probes of Run are scheduled on
// it.
std::unique_ptr<Clock> MakeSimulatorClock(WallTime epoch);

// During Run, from its callbacks: the traffic of the classes the controller
// placed on `link`, in wire Mbit/s from a to b, added to the timeline's
// cross traffic (and shaped like it). Outside a run it does nothing.
void SetLoad(const std::string& link, double mbps);

// Runs the simulation to the end. `progress` gets the simulated share done.
RunInfo Run(const Network& network, std::vector<Probe>& probes,
            const std::function<void(double)>& progress);

// Emulation: the links join real hosts (network namespaces) through tap
// devices. Link i's end a is the kernel address EmulatedHost(i, false)/24
// on a tap, with ns-3's router for that end at EmulatedGateway(i, false) in
// the same /24; likewise for end b. ns-3 routes between the two /24s over
// the impaired link, in real time.
constexpr std::size_t kMaxEmulatedLinks = 250;
inline std::uint32_t EmulatedHost(std::size_t index, bool b_end) {
  return (10u << 24) + ((b_end ? 2u : 1u) << 16) + (static_cast<std::uint32_t>(index) << 8) + 1;
}
inline std::uint32_t EmulatedGateway(std::size_t index, bool b_end) {
  return EmulatedHost(index, b_end) + 253;
}

// The tap descriptors (IFF_TAP | IFF_NO_PI) of each link's ends, in the
// order of Network::links. Emulate takes copies; the caller keeps its own.
struct TapPair {
  int a = -1, b = -1;
};

// Runs the network in real time until its duration ends or `stopped`
// (polled every 100 ms) returns true.
RunInfo Emulate(const Network& network, const std::vector<TapPair>& taps,
                const std::function<void(double)>& progress, const std::function<bool()>& stopped);

}  // namespace lineup::sim::net
