// Built as C++17: ns-3 3.37's headers do not compile as C++20.
#include "sim/netsim.h"

#include <ns3/core-module.h>
#include <ns3/fd-net-device-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/traffic-control-module.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

namespace lineup::sim::net {
namespace {

using namespace ns3;

constexpr std::uint16_t kDiscardPort = 9;

// A value that moves linearly from `from` at t0 to `to` at t1 and then stays
// there: a timeline change with a ramp, or at once (t0 == t1).
class Ramped {
 public:
  explicit Ramped(double value = 0) : from_(value), to_(value) {}
  double At(std::int64_t t) const {
    if (t >= t1_) return to_;
    if (t <= t0_) return from_;
    return from_ + (to_ - from_) * double(t - t0_) / double(t1_ - t0_);
  }
  void Set(double value, std::int64_t now, std::int64_t ramp) {
    from_ = At(now);
    to_ = value;
    t0_ = now;
    t1_ = now + std::max<std::int64_t>(ramp, 0);
  }
  bool Rising(std::int64_t t) const { return t < t1_ && to_ > At(t); }

 private:
  double from_, to_;
  std::int64_t t0_ = 0, t1_ = 0;
};

std::int64_t NowNs() { return Simulator::Now().GetNanoSeconds(); }

// A point-to-point channel whose delay varies per packet: each direction's
// base delay plus an independent uniform draw in [-jitter, +jitter] (the sum
// never below zero). Packets may overtake each other, as with netem; with
// `reorder` off, a packet leaves no earlier than the one sent before it.
class JitterChannel : public PointToPointChannel {
 public:
  static TypeId GetTypeId() {
    static TypeId tid = TypeId("lineup::JitterChannel").SetParent<PointToPointChannel>();
    return tid;
  }
  void Configure(const net::Link& l) {
    delay_[0] = Ramped(double(l.forward.delay_ns));
    delay_[1] = Ramped(double(l.backward.delay_ns));
    jitter_[0] = Ramped(double(l.forward.jitter_ns));
    jitter_[1] = Ramped(double(l.backward.jitter_ns));
    reorder_ = l.reorder;
  }
  // Direction 0 is a to b.
  void Apply(int direction, const Change::Values& v, std::int64_t ramp) {
    if (v.delay_ns >= 0) delay_[direction].Set(double(v.delay_ns), NowNs(), ramp);
    if (v.jitter_ns >= 0) jitter_[direction].Set(double(v.jitter_ns), NowNs(), ramp);
  }
  void SetStream(const Ptr<UniformRandomVariable>& rng) { rng_ = rng; }

  bool TransmitStart(Ptr<const Packet> p, Ptr<PointToPointNetDevice> src, Time txTime) override {
    const int direction = GetPointToPointDevice(0) == src ? 0 : 1;
    Ptr<PointToPointNetDevice> dst = GetPointToPointDevice(1 - direction);
    const std::int64_t now = NowNs();
    double delay = delay_[direction].At(now);
    const double jitter = jitter_[direction].At(now);
    if (jitter > 0) delay += rng_->GetValue(-jitter, jitter);
    std::int64_t arrival =
        now + txTime.GetNanoSeconds() + std::max<std::int64_t>(std::llround(delay), 0);
    std::int64_t& last = last_arrival_[direction];
    if (!reorder_) arrival = std::max(arrival, last);
    last = std::max(last, arrival);
    Simulator::ScheduleWithContext(dst->GetNode()->GetId(), NanoSeconds(arrival - now),
                                   &PointToPointNetDevice::Receive, dst, p->Copy());
    return true;
  }

 private:
  Ramped delay_[2], jitter_[2];
  bool reorder_ = true;
  std::int64_t last_arrival_[2] = {0, 0};
  Ptr<UniformRandomVariable> rng_;
};

// Bernoulli loss, or Gilbert-Elliott bursts: a good and a bad state, with
// per-packet transition probabilities, losing `loss_bad` of the packets in
// the bad state and `loss` in the good one.
class LossModel : public ErrorModel {
 public:
  static TypeId GetTypeId() {
    static TypeId tid = TypeId("lineup::LossModel").SetParent<ErrorModel>();
    return tid;
  }
  void Configure(const Impairment& i) {
    loss_ = Ramped(i.loss);
    to_bad_ = Ramped(i.to_bad);
    to_good_ = i.to_good;
    loss_bad_ = i.loss_bad;
  }
  void Apply(const Change::Values& v, std::int64_t ramp) {
    if (v.loss >= 0) loss_.Set(v.loss, NowNs(), ramp);
    if (v.to_bad >= 0) to_bad_.Set(v.to_bad, NowNs(), ramp);
  }
  void SetStream(const Ptr<UniformRandomVariable>& rng) { rng_ = rng; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool DoCorrupt(Ptr<Packet>) override {
    const std::int64_t now = NowNs();
    const double to_bad = to_bad_.At(now);
    if (to_bad > 0) {
      const double u = rng_->GetValue();
      bad_ = bad_ ? u >= to_good_ : u < to_bad;
    } else {
      bad_ = false;
    }
    const double p = bad_ ? loss_bad_ : loss_.At(now);
    const bool drop = p > 0 && rng_->GetValue() < p;
    dropped_ += drop;
    return drop;
  }
  void DoReset() override { bad_ = false; }

  Ramped loss_, to_bad_;
  double to_good_ = 1, loss_bad_ = 1;
  bool bad_ = false;
  std::uint64_t dropped_ = 0;
  Ptr<UniformRandomVariable> rng_;
};

struct Built {
  Ptr<Node> a, b;
  Ipv4Address addr_a, addr_b;
  Ptr<JitterChannel> channel;
  Ptr<LossModel> loss_ab, loss_ba;
  // Cross traffic from a to b: its rate in wire bits per second, its shape.
  Ptr<Socket> cross;
  Ramped cross_bps;     // the timeline's
  double load_bps = 0;  // the traffic classes placed on the link (SetLoad)
  bool cross_running = false;
  CrossPattern pattern = CrossPattern::kPoisson;
  std::uint32_t cross_bytes = 1000;
  std::int64_t on_ns = 0, off_ns = 0;
  std::int64_t cycle_origin = 0;  // kOnOff: an `on` starts here, every on + off
  Ptr<UniformRandomVariable> cross_rng;
  std::uint64_t cross_sent = 0;
  std::shared_ptr<std::uint64_t> queue_drops = std::make_shared<std::uint64_t>(0);
};

// Drop counters; by value, as the queues' "Drop" trace signatures are.
// NOLINTBEGIN(performance-unnecessary-value-param)
void CountDrop(std::uint64_t* n, Ptr<const Packet>) { ++*n; }
void CountDiscDrop(std::uint64_t* n, Ptr<const QueueDiscItem>) { ++*n; }
// NOLINTEND(performance-unnecessary-value-param)

Ptr<UniformRandomVariable> Stream(std::int64_t& next_stream) {
  auto rng = CreateObject<UniformRandomVariable>();
  rng->SetStream(next_stream++);
  return rng;
}

std::vector<std::uint8_t> Bytes(Ptr<Packet> p) {
  std::vector<std::uint8_t> out(p->GetSize());
  p->CopyData(out.data(), static_cast<std::uint32_t>(out.size()));
  return out;
}

void Tags(Ptr<Packet> p, int& ttl, int& tos) {
  SocketIpTtlTag ttl_tag;
  if (p->PeekPacketTag(ttl_tag)) ttl = ttl_tag.GetTtl();
  SocketIpTosTag tos_tag;
  if (p->PeekPacketTag(tos_tag)) tos = tos_tag.GetTos();
}

// A cross packet's IPv4 and UDP headers and the point-to-point framing.
constexpr std::uint32_t kCrossOverhead = 20 + 8 + 2;

// The gap to the next cross packet at the rate in force (0: none).
double CrossGapSeconds(Built* link) {
  const double bps = link->cross_bps.At(NowNs()) + link->load_bps;
  if (bps <= 0) return 0;
  const double mean = link->cross_bytes * 8.0 / bps;
  if (link->pattern != CrossPattern::kPoisson) return mean;
  return -mean * std::log1p(-link->cross_rng->GetValue());
}

// Sends one cross packet and schedules the next: one pending event per link.
void SendCross(Built* link) {
  const std::int64_t now = NowNs();
  if (link->cross_bps.At(now) + link->load_bps <= 0) {
    // Stopped, unless a ramp is on its way up from zero.
    if (link->cross_bps.Rising(now)) {
      Simulator::Schedule(MilliSeconds(1), &SendCross, link);
    } else {
      link->cross_running = false;
    }
    return;
  }
  if (link->pattern == CrossPattern::kOnOff) {
    const std::int64_t cycle = link->on_ns + link->off_ns;
    const std::int64_t into = (now - link->cycle_origin) % cycle;
    if (into >= link->on_ns) {
      Simulator::Schedule(NanoSeconds(cycle - into), &SendCross, link);
      return;
    }
  }
  link->cross->SendTo(Create<Packet>(link->cross_bytes - kCrossOverhead), 0,
                      InetSocketAddress(link->addr_b, kDiscardPort));
  ++link->cross_sent;
  Simulator::Schedule(Seconds(CrossGapSeconds(link)), &SendCross, link);
}

// Starts a stopped source that has something to send, at a random point of
// its first gap (so that seeds differ in phase too).
void Kick(Built* link) {
  const std::int64_t now = NowNs();
  if (link->cross_running) return;
  const double gap = CrossGapSeconds(link);
  if (gap <= 0 && !link->cross_bps.Rising(now)) return;
  link->cross_running = true;
  const double first = gap > 0 ? gap * link->cross_rng->GetValue() : 0.001;
  Simulator::Schedule(Seconds(first), &SendCross, link);
}

// A change of the timeline's cross rate.
void SetCross(Built* link, double mbps, std::int64_t ramp) {
  link->cross_bps.Set(mbps * 1e6, NowNs(), ramp);
  Kick(link);
}

// The links of the run in progress, for SetLoad.
std::map<std::string, Built>* running_links = nullptr;

const char* QueueDiscType(QueueDiscipline d) {
  switch (d) {
    case QueueDiscipline::kFqCoDel:
      return "ns3::FqCoDelQueueDisc";
    case QueueDiscipline::kCoDel:
      return "ns3::CoDelQueueDisc";
    case QueueDiscipline::kRed:
      return "ns3::RedQueueDisc";
    case QueueDiscipline::kPie:
      return "ns3::PieQueueDisc";
    case QueueDiscipline::kDropTail:
      break;
  }
  return nullptr;
}

// The underlay link between nodes a and b with its impairments: a jittered
// channel, loss models at both receivers, the queues, the /30 of
// LinkAddress(index).
Built BuildLink(const Link& l, std::size_t index, const Ptr<Node>& a, const Ptr<Node>& b_node,
                std::int64_t& next_stream) {
  Built b;
  b.a = a;
  b.b = b_node;
  const char* disc = QueueDiscType(l.queue);
  const std::string size = std::to_string(l.queue_packets) + "p";
  auto da = CreateObject<PointToPointNetDevice>();
  auto db = CreateObject<PointToPointNetDevice>();
  for (auto [dev, node] : {std::pair{da, b.a}, std::pair{db, b.b}}) {
    dev->SetAddress(Mac48Address::Allocate());
    dev->SetDataRate(DataRate(static_cast<std::uint64_t>(l.rate_mbps * 1e6)));
    auto queue = CreateObject<DropTailQueue<Packet>>();
    // Behind a queue disc the device holds one packet, and tells the disc
    // when it has room (flow control), so the disc's discipline decides.
    queue->SetMaxSize(QueueSize(disc != nullptr ? "1p" : size));
    dev->SetQueue(queue);
    queue->TraceConnectWithoutContext("Drop", MakeBoundCallback(&CountDrop, b.queue_drops.get()));
    if (disc != nullptr) {
      auto interface = CreateObject<NetDeviceQueueInterface>();
      interface->GetTxQueue(0)->ConnectQueueTraces(queue);
      dev->AggregateObject(interface);
    }
    node->AddDevice(dev);
  }
  b.channel = CreateObject<JitterChannel>();
  b.channel->Configure(l);
  b.channel->SetStream(Stream(next_stream));
  da->Attach(b.channel);
  db->Attach(b.channel);
  b.loss_ab = CreateObject<LossModel>();
  b.loss_ba = CreateObject<LossModel>();
  b.loss_ab->Configure(l.forward);
  b.loss_ba->Configure(l.backward);
  b.loss_ab->SetStream(Stream(next_stream));
  b.loss_ba->SetStream(Stream(next_stream));
  db->SetReceiveErrorModel(b.loss_ab);
  da->SetReceiveErrorModel(b.loss_ba);
  NetDeviceContainer pair;
  pair.Add(da);
  pair.Add(db);
  if (disc != nullptr) {
    TrafficControlHelper control;
    control.SetRootQueueDisc(disc, "MaxSize", QueueSizeValue(QueueSize(size)));
    const QueueDiscContainer discs = control.Install(pair);
    for (auto it = discs.Begin(); it != discs.End(); ++it) {
      (*it)->TraceConnectWithoutContext("Drop",
                                        MakeBoundCallback(&CountDiscDrop, b.queue_drops.get()));
    }
  }
  Ipv4AddressHelper addresses;
  addresses.SetBase(Ipv4Address(LinkAddress(index, false) - 1), Ipv4Mask("255.255.255.252"));
  auto assigned = addresses.Assign(pair);
  b.addr_a = assigned.GetAddress(0);
  b.addr_b = assigned.GetAddress(1);
  b.cross = Socket::CreateSocket(b.a, UdpSocketFactory::GetTypeId());
  b.cross->Bind(InetSocketAddress(b.addr_a, 0));
  b.pattern = l.cross_pattern;
  b.cross_bytes = std::max(l.cross_packet_bytes, kCrossOverhead + 1);
  b.on_ns = std::max<std::int64_t>(l.cross_on_ns, 1);
  b.off_ns = std::max<std::int64_t>(l.cross_off_ns, 0);
  b.cross_rng = Stream(next_stream);
  b.cycle_origin = -static_cast<std::int64_t>(b.cross_rng->GetValue() * double(b.on_ns + b.off_ns));
  return b;
}

// The timeline of changes, and the progress callbacks (at each 1 % of the
// duration).
void ScheduleChanges(const Network& network, std::map<std::string, Built>& links,
                     const std::function<void(double)>& progress) {
  for (const auto& c : network.changes) {
    Built* link = &links.at(c.link);
    Simulator::Schedule(NanoSeconds(c.at_ns), [link, c]() {
      link->channel->Apply(0, c.forward, c.ramp_ns);
      link->channel->Apply(1, c.backward, c.ramp_ns);
      link->loss_ab->Apply(c.forward, c.ramp_ns);
      link->loss_ba->Apply(c.backward, c.ramp_ns);
      if (c.cross_mbps >= 0) SetCross(link, c.cross_mbps, c.ramp_ns);
    });
  }
  if (progress) {
    for (int i = 1; i < 100; ++i) {
      Simulator::Schedule(NanoSeconds(network.duration_ns / 100 * i),
                          [&progress, i]() { progress(i / 100.0); });
    }
  }
}

std::uint64_t Dropped(const std::map<std::string, Built>& links) {
  std::uint64_t n = 0;
  for (auto& [name, link] : links) n += link.loss_ab->dropped() + link.loss_ba->dropped();
  return n;
}

class SimulatorClock final : public Clock, public TimerQueue {
 public:
  explicit SimulatorClock(WallTime epoch) : epoch_(epoch) {}
  WallTime Now() const override { return epoch_ + Nanos(Simulator::Now().GetNanoSeconds()); }
  MonoTime Monotonic() const override { return MonoTime(Nanos(Simulator::Now().GetNanoSeconds())); }
  TimerQueue* Timers() const override { return const_cast<SimulatorClock*>(this); }

  Id Schedule(MonoTime at, std::function<void()> fire) override {
    const Id id = next_id_++;
    const std::int64_t delay = std::max<std::int64_t>(
        0, at.time_since_epoch().count() - Simulator::Now().GetNanoSeconds());
    events_[id] = Simulator::Schedule(NanoSeconds(delay), [this, id, fire = std::move(fire)]() {
      events_.erase(id);
      fire();
    });
    return id;
  }
  void Cancel(Id id) override {
    const auto it = events_.find(id);
    if (it == events_.end()) return;
    Simulator::Cancel(it->second);
    events_.erase(it);
  }

 private:
  WallTime epoch_;
  Id next_id_ = 1;
  std::map<Id, EventId> events_;
};

}  // namespace

void SetLoad(const std::string& link, double mbps) {
  if (running_links == nullptr) return;
  const auto it = running_links->find(link);
  if (it == running_links->end()) return;
  it->second.load_bps = std::max(mbps, 0.0) * 1e6;
  Kick(&it->second);
}

std::unique_ptr<Clock> MakeSimulatorClock(WallTime epoch) {
  return std::make_unique<SimulatorClock>(epoch);
}

RunInfo Run(const Network& network, std::vector<Probe>& probes,
            const std::function<void(double)>& progress) {
  const RealClock host;  // how long the run takes on this machine
  const MonoTime wall_start = host.Monotonic();
  GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::DefaultSimulatorImpl"));
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(network.seed);
  std::int64_t next_stream = 0;

  std::map<std::string, Ptr<Node>> places;
  auto place = [&](const std::string& name) {
    auto& node = places[name];
    if (!node) node = CreateObject<Node>();
    return node;
  };
  for (const auto& l : network.links) {
    place(l.a);
    place(l.b);
  }
  NodeContainer all;
  for (auto& [name, node] : places) all.Add(node);
  InternetStackHelper stack;
  stack.Install(all);

  std::map<std::string, Built> links;
  std::size_t index = 0;
  for (const auto& l : network.links)
    links[l.name] = BuildLink(l, index++, place(l.a), place(l.b), next_stream);

  // Reflectors: one per link and port that carries probes, answering at
  // once (T2 = T3).
  std::map<std::pair<std::string, std::uint16_t>, Ptr<Socket>> reflectors;
  for (auto& probe : probes) {
    Built& link = links.at(probe.link);
    Ptr<Socket>& reflector = reflectors[{probe.link, probe.port}];
    if (reflector) continue;
    reflector = Socket::CreateSocket(link.b, UdpSocketFactory::GetTypeId());
    reflector->Bind(InetSocketAddress(link.addr_b, probe.port));
    reflector->SetIpRecvTtl(true);
    reflector->SetIpRecvTos(true);
    reflector->SetIpTtl(255);
    auto* reflect = &probe.reflect;
    reflector->SetRecvCallback([reflect](Ptr<Socket> socket) {
      Address from;
      while (Ptr<Packet> p = socket->RecvFrom(from)) {
        int ttl = -1, tos = -1;
        Tags(p, ttl, tos);
        const auto in = Bytes(p);
        std::vector<std::uint8_t> out(std::max<std::size_t>(in.size(), 44) + 64);
        const std::size_t n = (*reflect)(Simulator::Now().GetNanoSeconds(), in.data(), in.size(),
                                         ttl, tos, out.data(), out.size());
        if (n > 0)
          socket->SendTo(Create<Packet>(out.data(), static_cast<std::uint32_t>(n)), 0, from);
      }
    });
  }

  // Senders: one socket per probe, packets on their schedule.
  SimulatorClock clock{WallTime{}};
  struct Sender {
    Ptr<Socket> socket;
    InetSocketAddress to;
    Probe* probe;
  };
  std::vector<Sender> senders;
  senders.reserve(probes.size());
  for (auto& probe : probes) {
    Built& link = links.at(probe.link);
    auto socket = Socket::CreateSocket(link.a, UdpSocketFactory::GetTypeId());
    socket->Bind(InetSocketAddress(link.addr_a, 0));
    socket->SetIpTtl(255);
    socket->SetIpTos(probe.tos);
    socket->SetIpRecvTtl(true);
    socket->SetIpRecvTos(true);
    auto* on_reply = &probe.on_reply;
    socket->SetRecvCallback([on_reply](Ptr<Socket> s) {
      Address from;
      while (Ptr<Packet> p = s->RecvFrom(from)) {
        int ttl = -1, tos = -1;
        Tags(p, ttl, tos);
        const auto data = Bytes(p);
        (*on_reply)(Simulator::Now().GetNanoSeconds(), data.data(), data.size(), ttl, tos);
      }
    });
    senders.push_back(Sender{socket, InetSocketAddress(link.addr_b, probe.port), &probe});
  }
  // Each send sets the timer of the next one: one pending event per probe,
  // however long the run.
  std::function<void(Sender*, std::uint32_t)> send_from = [&](Sender* sender, std::uint32_t i) {
    const Probe& probe = *sender->probe;
    const std::int64_t at = probe.start_ns + static_cast<std::int64_t>(i) * probe.interval_ns;
    if (i >= probe.count || at >= network.duration_ns) return;
    clock.Schedule(MonoTime(Nanos(at)), [&, sender, i]() {
      std::uint8_t buffer[2048];
      const std::size_t n =
          sender->probe->build(clock.Monotonic().time_since_epoch().count(), buffer, sizeof buffer);
      if (n > 0) {
        sender->socket->SendTo(Create<Packet>(buffer, static_cast<std::uint32_t>(n)), 0,
                               sender->to);
      }
      send_from(sender, i + 1);
    });
  };
  for (auto& sender : senders) send_from(&sender, 0);

  ScheduleChanges(network, links, progress);
  Simulator::Stop(NanoSeconds(network.duration_ns));
  running_links = &links;
  Simulator::Run();
  running_links = nullptr;
  RunInfo info;
  info.packets_dropped = Dropped(links);
  for (auto& [name, link] : links) {
    info.queue_drops += *link.queue_drops;
    info.cross_packets += link.cross_sent;
  }
  Simulator::Destroy();
  info.wall_seconds = std::chrono::duration<double>(host.Monotonic() - wall_start).count();
  if (progress) progress(1.0);
  return info;
}

RunInfo Emulate(const Network& network, const std::vector<TapPair>& taps,
                const std::function<void(double)>& progress, const std::function<bool()>& stopped) {
  const RealClock host;  // how long the run takes on this machine
  const MonoTime wall_start = host.Monotonic();
  GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::RealtimeSimulatorImpl"));
  // ns-3 forwards real IP packets: their header checksums must be right.
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(network.seed);
  std::int64_t next_stream = 0;

  InternetStackHelper stack;
  stack.SetIpv6StackInstall(false);
  Ipv4StaticRoutingHelper routing;
  std::map<std::string, Built> links;
  for (std::size_t i = 0; i < network.links.size() && i < taps.size(); ++i) {
    const Link& l = network.links[i];
    // One router per end of each link, so that a link's traffic can only
    // take that link, even between places joined by several.
    auto ra = CreateObject<Node>();
    auto rb = CreateObject<Node>();
    stack.Install(ra);
    stack.Install(rb);
    Built& b = links[l.name] = BuildLink(l, i, ra, rb, next_stream);
    for (const bool b_end : {false, true}) {
      Ptr<Node> node = b_end ? rb : ra;
      auto device = CreateObject<FdNetDevice>();
      device->SetAddress(Mac48Address::Allocate());
      node->AddDevice(device);
      device->SetFileDescriptor(dup(b_end ? taps[i].b : taps[i].a));
      auto ipv4 = node->GetObject<Ipv4>();
      const std::uint32_t interface = ipv4->AddInterface(device);
      ipv4->AddAddress(interface, Ipv4InterfaceAddress(Ipv4Address(EmulatedGateway(i, b_end)),
                                                       Ipv4Mask("255.255.255.0")));
      ipv4->SetUp(interface);
      // The far end's /24 is across the link.
      routing.GetStaticRouting(ipv4)->AddNetworkRouteTo(Ipv4Address(EmulatedHost(i, !b_end) - 1),
                                                        Ipv4Mask("255.255.255.0"),
                                                        b_end ? b.addr_a : b.addr_b, 1);
    }
  }
  ScheduleChanges(network, links, progress);
  std::function<void()> poll = [&]() {
    if (stopped && stopped()) {
      Simulator::Stop();
      return;
    }
    Simulator::Schedule(MilliSeconds(100), poll);
  };
  Simulator::Schedule(MilliSeconds(100), poll);
  Simulator::Stop(NanoSeconds(network.duration_ns));
  Simulator::Run();
  RunInfo info;
  info.packets_dropped = Dropped(links);
  for (auto& [name, link] : links) {
    info.queue_drops += *link.queue_drops;
    info.cross_packets += link.cross_sent;
  }
  Simulator::Destroy();
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(false));
  info.wall_seconds = std::chrono::duration<double>(host.Monotonic() - wall_start).count();
  if (progress) progress(1.0);
  return info;
}

}  // namespace lineup::sim::net
