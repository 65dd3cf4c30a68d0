#include "net/reflector_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <cstring>
#include <tuple>

#include "net/timer.h"
#include "net/udp_io.h"

namespace lineup::measure {

// Datagrams per recvmmsg/sendmmsg.
constexpr std::size_t kBatch = 32;

struct ReflectorBuffers {
  BatchReceiver receiver{kBatch};
  BatchSender sender{kBatch};
};

namespace {

namespace asio = boost::asio;

// The host's addresses now (getifaddrs), loopback included.
std::vector<IpAddress> HostAddresses() {
  std::vector<IpAddress> out{asio::ip::address_v4::loopback(), asio::ip::address_v6::loopback()};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(asio::ip::address_v4(ntohl(a->sin_addr.s_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), a->sin6_addr.s6_addr, bytes.size());
      out.push_back(asio::ip::address_v6(bytes, a->sin6_scope_id));
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

std::vector<UdpEndpoint> OwnEndpoints(const UdpEndpoint& listener) {
  if (!listener.address().is_unspecified()) return {listener};
  // A wildcard listener is reached on every address of the host (of its family).
  std::vector<UdpEndpoint> out;
  for (const auto& a : HostAddresses()) {
    if (a.is_v4() == listener.address().is_v4()) out.emplace_back(a, listener.port());
  }
  return out;
}

namespace {
using asio::ip::udp;

// Rounds of recvmmsg per readiness event before yielding to other handlers.
constexpr int kRoundsPerWakeup = 8;
constexpr auto kIdleSweepPeriod = std::chrono::seconds(10);

class ReflectorServerImpl;

struct Listener {
  Listener(asio::io_context& io, ReflectorConfig config) : socket(io), core(std::move(config)) {}
  udp::socket socket;
  ReflectorCore core;
  UdpEndpoint local;
};

class ReflectorServerImpl final : public ReflectorServer {
 public:
  ReflectorServerImpl(asio::io_context& io, const Clock& clock,
                      std::shared_ptr<ReflectorBuffers> buffers)
      : io_(io), clock_(clock), sweep_(io, clock), buffers_(std::move(buffers)) {}

  Result<void> Listen(const UdpEndpoint& endpoint, const ReflectorConfig& config) {
    auto listener = std::make_unique<Listener>(io_, config);
    boost::system::error_code ec;
    const bool v6 = endpoint.address().is_v6();
    listener->socket.open(v6 ? udp::v6() : udp::v4(), ec);
    if (!ec && v6) listener->socket.set_option(asio::ip::v6_only(true), ec);
    if (!ec) {
      if (auto bound = BindToDevice(listener->socket.native_handle(), config.device); !bound) {
        return Fail(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", FormatEndpoint(endpoint),
                                                bound.error().message));
      }
    }
    if (!ec) listener->socket.bind(endpoint, ec);
    if (ec) {
      return Fail(ErrorCode::kIo,
                  fmt::format("cannot listen on {}: {}{}", FormatEndpoint(endpoint), ec.message(),
                              endpoint.port() < 1024 && ec == asio::error::access_denied
                                  ? " (ports below 1024 need root or "
                                    "CAP_NET_BIND_SERVICE)"
                                  : ""));
    }
    listener->socket.non_blocking(true, ec);
    // The received TOS is needed only to copy it into the reply.
    const bool copy_tos = !config.reply_dscp.has_value();
    if (auto r = EnableReceiveMetadata(listener->socket.native_handle(), v6, copy_tos); !r) {
      return Fail(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", FormatEndpoint(endpoint),
                                              r.error().message));
    }
    // Replies leave with TTL 255 so the sender can count the hops back
    // (RFC 4656 §4.1.2 asks the same of senders); the TOS is set per reply.
    if (auto r = ApplySendOptions(listener->socket.native_handle(), v6, {0, 255, false}); !r) {
      return Fail(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", FormatEndpoint(endpoint),
                                              r.error().message));
    }
    // Room for bursts: a reflector that drops under load measures itself.
    listener->socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    listener->socket.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    listener->local = listener->socket.local_endpoint(ec);
    listeners_.push_back(std::move(listener));
    return {};
  }

  // Our own listeners never answer one another: a datagram "from" any of
  // them is a spoofed loop or a reflector's reply (measure/reflector.h).
  void NeverAnswerOneAnother() {
    std::vector<UdpEndpoint> own;
    for (const auto& l : listeners_) {
      for (auto& e : OwnEndpoints(l->local)) own.push_back(e);
    }
    for (auto& l : listeners_) l->core.NeverAnswer(own);
  }

  void Start() {
    for (auto& l : listeners_) Arm(*l);
    Sweep();
  }

  std::vector<ListenerStatus> Status() const override {
    std::vector<ListenerStatus> out;
    for (const auto& l : listeners_) {
      ListenerStatus s;
      s.local = l->local;
      s.counters = l->core.counters();
      s.active_senders = l->core.senders().size();
      using Entry = std::pair<const SenderKey, SenderState>;
      std::vector<const Entry*> all;
      all.reserve(l->core.senders().size());
      for (const auto& e : l->core.senders()) all.push_back(&e);
      const auto most = [](const Entry* a, const Entry* b) {
        return std::tuple(b->second.received, a->first.peer, a->first.ssid) <
               std::tuple(a->second.received, b->first.peer, b->first.ssid);
      };
      const std::size_t top = std::min(all.size(), ListenerStatus::kTopSenders);
      std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(top), all.end(),
                        most);
      for (std::size_t i = 0; i < top; ++i) s.senders.emplace_back(all[i]->first, all[i]->second);
      out.push_back(std::move(s));
    }
    return out;
  }

  void Stop() override {
    stopped_ = true;
    sweep_.Cancel();
    for (auto& l : listeners_) {
      boost::system::error_code ec;
      l->socket.close(ec);
    }
  }

 private:
  void Arm(Listener& l) {
    l.socket.async_wait(udp::socket::wait_read, [this, &l](boost::system::error_code ec) {
      if (ec || stopped_) return;
      Drain(l);
      Arm(l);
    });
  }

  void Drain(Listener& l) {
    const int fd = l.socket.native_handle();
    BatchReceiver& receiver = buffers_->receiver;
    BatchSender& sender = buffers_->sender;
    for (int round = 0; round < kRoundsPerWakeup; ++round) {
      auto n = receiver.Receive(fd, clock_);
      if (!n) {
        spdlog::warn("reflector {}: {}", FormatEndpoint(l.local), n.error().message);
        return;
      }
      if (*n == 0) return;
      for (std::size_t i = 0; i < *n; ++i) {
        const DatagramMeta& m = receiver.meta(i);
        const ReceivedMeta meta{m.peer, m.receive_time, m.ttl, m.tos, m.truncated};
        if (auto plan = l.core.Reflect(receiver.data(i), meta, sender.NextBuffer())) {
          sender.Commit(m.peer, plan->length, plan->tos);
        }
      }
      // T3 as late as possible: one clock read right before the batch leaves.
      const NtpTimestamp t3 = ToNtp(clock_.Now());
      for (std::size_t i = 0; i < sender.size(); ++i) l.core.Stamp(sender.queued(i), t3);
      const std::size_t refused = sender.Flush(fd);
      for (std::size_t i = 0; i < refused; ++i) l.core.CountSendFailure();
      if (*n < kBatch) return;
    }
  }

  void Sweep() {
    sweep_.ExpiresAfter(kIdleSweepPeriod);
    sweep_.AsyncWait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      const WallTime now = clock_.Now();
      for (auto& l : listeners_) l->core.ForgetIdleSenders(now);
      Sweep();
    });
  }

  asio::io_context& io_;
  const Clock& clock_;
  net::Timer sweep_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::shared_ptr<ReflectorBuffers> buffers_;
  bool stopped_ = false;
};

}  // namespace

std::shared_ptr<ReflectorBuffers> MakeReflectorBuffers() {
  return std::make_shared<ReflectorBuffers>();
}

Result<std::unique_ptr<ReflectorServer>> ReflectorServer::Create(
    asio::io_context& io, const Clock& clock, const std::vector<UdpEndpoint>& listen,
    const ReflectorConfig& config, std::shared_ptr<ReflectorBuffers> buffers) {
  if (auto valid = Validate(config); !valid) return tl::unexpected(valid.error());
  if (listen.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a reflector needs at least one address to listen on");
  }
  auto server = std::make_unique<ReflectorServerImpl>(
      io, clock, buffers ? std::move(buffers) : MakeReflectorBuffers());
  for (const auto& endpoint : listen) {
    if (auto r = server->Listen(endpoint, config); !r) return tl::unexpected(r.error());
  }
  server->NeverAnswerOneAnother();
  server->Start();
  return std::unique_ptr<ReflectorServer>(std::move(server));
}

}  // namespace lineup::measure
