// Built as C++17: ns-3 3.37's headers do not compile as C++20.
#include "sim/netsim.h"

#include <ns3/core-module.h>
#include <ns3/fd-net-device-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

namespace lineup::sim::net {
namespace {

using namespace ns3;

constexpr std::uint16_t kTwampPort = 862;
constexpr std::uint16_t kDiscardPort = 9;

// A point-to-point channel whose delay varies per packet: base delay plus a
// uniform draw in [-jitter, +jitter] (never below zero). Packets keep their
// order unless reordering is allowed, as on a real link.
class JitterChannel : public PointToPointChannel {
 public:
  static TypeId GetTypeId() {
    static TypeId tid = TypeId("lineup::JitterChannel").SetParent<PointToPointChannel>();
    return tid;
  }
  void Configure(std::int64_t delay_ns, std::int64_t jitter_ns, bool reorder) {
    delay_ns_ = delay_ns;
    jitter_ns_ = jitter_ns;
    reorder_ = reorder;
  }
  void SetDelay(std::int64_t ns) { delay_ns_ = ns; }
  void SetJitter(std::int64_t ns) { jitter_ns_ = ns; }
  void SetStream(const Ptr<UniformRandomVariable>& rng) { rng_ = rng; }

  bool TransmitStart(Ptr<const Packet> p, Ptr<PointToPointNetDevice> src, Time txTime) override {
    const bool forward = GetPointToPointDevice(0) == src;
    Ptr<PointToPointNetDevice> dst = GetPointToPointDevice(forward ? 1 : 0);
    std::int64_t delay = delay_ns_;
    if (jitter_ns_ > 0) {
      delay += static_cast<std::int64_t>(rng_->GetValue(-double(jitter_ns_), double(jitter_ns_)));
    }
    delay = std::max<std::int64_t>(delay, 0);
    std::int64_t arrival = Simulator::Now().GetNanoSeconds() + txTime.GetNanoSeconds() + delay;
    std::int64_t& last = last_arrival_[forward ? 0 : 1];
    if (!reorder_) arrival = std::max(arrival, last);
    last = std::max(last, arrival);
    Simulator::ScheduleWithContext(dst->GetNode()->GetId(),
                                   NanoSeconds(arrival - Simulator::Now().GetNanoSeconds()),
                                   &PointToPointNetDevice::Receive, dst, p->Copy());
    return true;
  }

 private:
  std::int64_t delay_ns_ = 0;
  std::int64_t jitter_ns_ = 0;
  bool reorder_ = false;
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
  void Configure(const Link& l) {
    loss_ = l.loss;
    to_bad_ = l.to_bad;
    to_good_ = l.to_good;
    loss_bad_ = l.loss_bad;
  }
  void SetLoss(double loss) { loss_ = loss; }
  void SetToBad(double p) { to_bad_ = p; }
  void SetStream(const Ptr<UniformRandomVariable>& rng) { rng_ = rng; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  bool DoCorrupt(Ptr<Packet>) override {
    if (to_bad_ > 0) {
      const double u = rng_->GetValue();
      bad_ = bad_ ? u >= to_good_ : u < to_bad_;
    } else {
      bad_ = false;
    }
    const double p = bad_ ? loss_bad_ : loss_;
    const bool drop = p > 0 && rng_->GetValue() < p;
    dropped_ += drop;
    return drop;
  }
  void DoReset() override { bad_ = false; }

  double loss_ = 0, to_bad_ = 0, to_good_ = 1, loss_bad_ = 1;
  bool bad_ = false;
  std::uint64_t dropped_ = 0;
  Ptr<UniformRandomVariable> rng_;
};

struct Built {
  Ptr<Node> a, b;
  Ipv4Address addr_a, addr_b;
  Ptr<JitterChannel> channel;
  Ptr<LossModel> loss_ab, loss_ba;
  Ptr<Socket> reflector;
  Ptr<Socket> cross;
  double cross_mbps = 0;
  EventId cross_event;
};

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

void SendCross(Built* link) {
  if (link->cross_mbps <= 0) return;
  constexpr std::uint32_t kSize = 1000;
  link->cross->SendTo(Create<Packet>(kSize), 0, InetSocketAddress(link->addr_b, kDiscardPort));
  const double seconds = kSize * 8.0 / (link->cross_mbps * 1e6);
  link->cross_event = Simulator::Schedule(Seconds(seconds), &SendCross, link);
}

// The underlay link between nodes a and b with its impairments: a jittered
// channel, loss models at both receivers, the /30 of LinkAddress(index).
Built BuildLink(const Link& l, std::size_t index, const Ptr<Node>& a, const Ptr<Node>& b_node,
                std::int64_t& next_stream) {
  Built b;
  b.a = a;
  b.b = b_node;
  auto da = CreateObject<PointToPointNetDevice>();
  auto db = CreateObject<PointToPointNetDevice>();
  for (auto [dev, node] : {std::pair{da, b.a}, std::pair{db, b.b}}) {
    dev->SetAddress(Mac48Address::Allocate());
    dev->SetDataRate(DataRate(static_cast<std::uint64_t>(l.rate_mbps * 1e6)));
    auto queue = CreateObject<DropTailQueue<Packet>>();
    queue->SetMaxSize(QueueSize("200p"));
    dev->SetQueue(queue);
    node->AddDevice(dev);
  }
  b.channel = CreateObject<JitterChannel>();
  b.channel->Configure(l.delay_ns, l.jitter_ns, l.reorder);
  b.channel->SetStream(Stream(next_stream));
  da->Attach(b.channel);
  db->Attach(b.channel);
  b.loss_ab = CreateObject<LossModel>();
  b.loss_ba = CreateObject<LossModel>();
  for (auto& m : {b.loss_ab, b.loss_ba}) {
    m->Configure(l);
    m->SetStream(Stream(next_stream));
  }
  db->SetReceiveErrorModel(b.loss_ab);
  da->SetReceiveErrorModel(b.loss_ba);
  Ipv4AddressHelper addresses;
  addresses.SetBase(Ipv4Address(LinkAddress(index, false) - 1), Ipv4Mask("255.255.255.252"));
  NetDeviceContainer pair;
  pair.Add(da);
  pair.Add(db);
  auto assigned = addresses.Assign(pair);
  b.addr_a = assigned.GetAddress(0);
  b.addr_b = assigned.GetAddress(1);
  b.cross = Socket::CreateSocket(b.a, UdpSocketFactory::GetTypeId());
  b.cross->Bind(InetSocketAddress(b.addr_a, 0));
  return b;
}

// The timeline of changes, and the progress callbacks (at each 1 % of the
// duration).
void ScheduleChanges(const Network& network, std::map<std::string, Built>& links,
                     const std::function<void(double)>& progress) {
  for (const auto& c : network.changes) {
    Built* link = &links.at(c.link);
    Simulator::Schedule(NanoSeconds(c.at_ns), [link, c]() {
      if (c.delay_ns >= 0) link->channel->SetDelay(c.delay_ns);
      if (c.jitter_ns >= 0) link->channel->SetJitter(c.jitter_ns);
      for (auto& m : {link->loss_ab, link->loss_ba}) {
        if (c.loss >= 0) m->SetLoss(c.loss);
        if (c.to_bad >= 0) m->SetToBad(c.to_bad);
      }
      if (c.cross_mbps >= 0) {
        const bool was_off = link->cross_mbps <= 0;
        link->cross_mbps = c.cross_mbps;
        if (was_off && c.cross_mbps > 0) SendCross(link);
      }
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

  // Reflectors: one per link that carries probes, answering at once (T2 = T3).
  for (auto& probe : probes) {
    Built& link = links.at(probe.link);
    if (link.reflector) continue;
    link.reflector = Socket::CreateSocket(link.b, UdpSocketFactory::GetTypeId());
    link.reflector->Bind(InetSocketAddress(link.addr_b, kTwampPort));
    link.reflector->SetIpRecvTtl(true);
    link.reflector->SetIpRecvTos(true);
    link.reflector->SetIpTtl(255);
    auto* reflect = &probe.reflect;
    link.reflector->SetRecvCallback([reflect](Ptr<Socket> socket) {
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
    senders.push_back(Sender{socket, InetSocketAddress(link.addr_b, kTwampPort), &probe});
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
  Simulator::Run();
  RunInfo info;
  info.packets_dropped = Dropped(links);
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
  Simulator::Destroy();
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(false));
  info.wall_seconds = std::chrono::duration<double>(host.Monotonic() - wall_start).count();
  if (progress) progress(1.0);
  return info;
}

}  // namespace lineup::sim::net
