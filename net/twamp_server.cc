// Boost 1.74's coroutine support needs <utility> first.
#include <utility>

#include "net/twamp_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <list>
#include <map>
#include <set>

#include "base/time_text.h"
#include "net/accept_backoff.h"
#include "net/reflector_server.h"
#include "net/timer.h"
#include "net/udp_io.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using control::Block;

std::string Hex(const Block& b) {
  std::string s;
  for (auto x : b) s += fmt::format("{:02x}", std::to_integer<int>(x));
  return s;
}

std::string Format(const TcpEndpoint& e) {
  return FormatEndpoint(UdpEndpoint(e.address(), e.port()));
}

class TwampServerImpl;

struct TestSession {
  Block sid{};
  TcpEndpoint control_client;
  IpAddress client_address;
  UdpEndpoint sender, at;
  std::uint16_t port = 0;
  std::uint32_t mode = 0;
  Nanos timeout{0};
  std::string state = "accepted";
  std::unique_ptr<ReflectorServer> reflector;
  std::unique_ptr<net::Timer> timer;
  std::uint64_t seen = 0;  // packets received at the last REFWAIT check
};

struct Connection {
  Connection(tcp::socket s, const Clock& clock)
      : socket(std::move(s)), watchdog(socket.get_executor(), clock) {}
  tcp::socket socket;
  net::Timer watchdog;
  std::optional<control::ControlServer> core;
  TcpEndpoint client, server;
  IpAddress client_address;
  WallTime since;
  MonoTime last_activity;                 // a whole control message, or test packets
  std::optional<MonoTime> message_began;  // the first byte of a message not yet whole
  std::uint64_t test_packets = 0;         // of its sessions, at the last SERVWAIT check
  std::vector<Block> sids;                // this connection's sessions
  std::string device;                     // the listener's device or VRF, if bound
  bool closed = false;
};

class TwampServerImpl final : public TwampServer {
 public:
  TwampServerImpl(asio::io_context& io, const Clock& clock, TwampServerConfig config)
      : io_(io), clock_(clock), config_(std::move(config)), cursor_(config_.port_low) {}

  ~TwampServerImpl() override { Stop(); }

  Result<void> Listen() {
    for (const auto& l : config_.listen) {
      auto acceptor = std::make_unique<tcp::acceptor>(io_);
      boost::system::error_code ec;
      const bool v6 = l.endpoint.address().is_v6();
      acceptor->open(v6 ? tcp::v6() : tcp::v4(), ec);
      if (!ec && v6) acceptor->set_option(asio::ip::v6_only(true), ec);
      if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) {
        if (auto bound = BindToDevice(acceptor->native_handle(), l.device); !bound) {
          return Fail(ErrorCode::kIo, fmt::format("cannot listen on {}: {}", Format(l.endpoint),
                                                  bound.error().message));
        }
      }
      if (!ec) acceptor->bind(l.endpoint, ec);
      if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        return Fail(ErrorCode::kIo,
                    fmt::format("cannot listen on {}: {}{}", Format(l.endpoint), ec.message(),
                                l.endpoint.port() < 1024 && ec == asio::error::access_denied
                                    ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                                    : ""));
      }
      listening_.push_back(acceptor->local_endpoint(ec));
      acceptors_.push_back(std::move(acceptor));
    }
    for (std::size_t i = 0; i < acceptors_.size(); ++i) {
      asio::co_spawn(io_, Accept(*acceptors_[i], config_.listen[i].device), asio::detached);
    }
    return {};
  }

  TwampServerStatus Status() const override {
    TwampServerStatus s;
    s.listening = listening_;
    s.counters = counters_;
    for (const auto& c : connections_) {
      if (c->closed) continue;
      ControlConnectionStatus cs;
      cs.client = c->client;
      cs.server = c->server;
      cs.since = c->since;
      cs.sessions = c->sids.size();
      if (c->core) {
        switch (c->core->state()) {
          case control::ControlServer::State::kSetUp:
            cs.state = "set-up";
            break;
          case control::ControlServer::State::kIdle:
            cs.state = "idle";
            break;
          case control::ControlServer::State::kRunning:
            cs.state = "running";
            break;
          default:
            cs.state = "closing";
        }
        cs.mode = c->core->mode() == 0 ? "-" : control::SecurityModeName(c->core->mode());
        cs.key_id = c->core->key_id();
      }
      s.connections.push_back(cs);
    }
    for (const auto& [sid, t] : sessions_) {
      TestSessionStatus ts;
      ts.sid = Hex(sid);
      ts.control_client = t->control_client;
      ts.sender = t->sender;
      ts.reflector = t->at;
      ts.state = t->state;
      ts.mode = control::SecurityModeName(t->mode);
      if (t->reflector) {
        for (const auto& l : t->reflector->Status()) {
          ts.received += l.counters.received;
          ts.reflected += l.counters.reflected;
          ts.dropped += l.counters.DroppedTotal();
        }
      }
      s.sessions.push_back(ts);
    }
    return s;
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ec;
    for (auto& a : acceptors_) a->close(ec);
    for (auto& c : connections_) Close(*c);
    for (auto& [sid, t] : sessions_) {
      if (t->reflector) t->reflector->Stop();
      if (t->timer) t->timer->Cancel();
    }
    sessions_.clear();
  }

 private:
  // `device`: the listener's; the test sessions of its connections bind to it
  // too, so their packets stay in the same routing instance.
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, const std::string& device) {
    return net::AcceptLoop(
        acceptor, clock_, "twamp server", [this] { return stopped_; },
        [this, device](tcp::socket socket) {
          auto connection = std::make_shared<Connection>(std::move(socket), clock_);
          connection->device = device;
          asio::co_spawn(io_, Serve(connection), asio::detached);
        },
        &counters_.accept_failures);
  }

  std::size_t ConnectionsFrom(const IpAddress& a) const {
    std::size_t n = 0;
    for (const auto& c : connections_) n += !c->closed && c->client_address == a;
    return n;
  }

  std::size_t SessionsFrom(const IpAddress& a) const {
    std::size_t n = 0;
    for (const auto& [sid, t] : sessions_) n += t->client_address == a;
    return n;
  }

  void Close(Connection& c) {
    if (c.closed) return;
    c.closed = true;
    boost::system::error_code ec;
    c.socket.shutdown(tcp::socket::shutdown_both, ec);
    c.socket.close(ec);
    c.watchdog.Cancel();
    for (const auto& sid : c.sids) Remove(sid);
    c.sids.clear();
  }

  void Remove(const Block& sid) {
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    if (it->second->reflector) it->second->reflector->Stop();
    if (it->second->timer) it->second->timer->Cancel();
    used_ports_.erase(it->second->port);
    // Handlers still queued for this session's sockets hold no reference to
    // it; the object goes once they ran.
    retired_.push_back(std::move(it->second));
    sessions_.erase(it);
    if (retired_.size() > 64) retired_.pop_front();
  }

  // Test packets received by a connection's sessions so far.
  std::uint64_t TestPacketsOf(const Connection& c) const {
    std::uint64_t n = 0;
    for (const auto& sid : c.sids) {
      auto it = sessions_.find(sid);
      if (it == sessions_.end() || !it->second->reflector) continue;
      for (const auto& l : it->second->reflector->Status()) n += l.counters.received;
    }
    return n;
  }

  // SERVWAIT: a connection with no whole control message and no test packet
  // of its sessions for that long is closed (RFC 5357 §3.1 counts both). A
  // message begun must be whole within message_deadline: a byte now and then
  // is not activity.
  asio::awaitable<void> Watch(std::shared_ptr<Connection> c) {
    while (!c->closed) {
      MonoTime due = c->last_activity + config_.servwait;
      if (c->message_began) due = std::min(due, *c->message_began + config_.message_deadline);
      c->watchdog.ExpiresAt(due);
      boost::system::error_code ec;
      co_await c->watchdog.AsyncWait(asio::redirect_error(asio::use_awaitable, ec));
      if (c->closed) co_return;
      const MonoTime now = clock_.Monotonic();
      if (c->message_began && now >= *c->message_began + config_.message_deadline) {
        ++counters_.closed_idle;
        spdlog::info(
            "twamp server: {} began a control message and did not finish it within {}: "
            "closed",
            Format(c->client), FormatDuration(config_.message_deadline));
        Close(*c);
        co_return;
      }
      if (now < c->last_activity + config_.servwait) continue;
      if (const std::uint64_t packets = TestPacketsOf(*c); packets != c->test_packets) {
        c->test_packets = packets;  // its test sessions are busy: that is activity
        c->last_activity = now;
        continue;
      }
      ++counters_.closed_idle;
      spdlog::info("twamp server: {} idle for {}: closed", Format(c->client),
                   FormatDuration(config_.servwait));
      Close(*c);
      co_return;
    }
  }

  asio::awaitable<void> Write(Connection& c, const std::vector<std::byte>& bytes) {
    boost::system::error_code ec;
    co_await asio::async_write(c.socket, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) Close(c);
  }

  asio::awaitable<void> Serve(std::shared_ptr<Connection> c) {
    boost::system::error_code ec;
    c->client = c->socket.remote_endpoint(ec);
    c->server = c->socket.local_endpoint(ec);
    if (ec) co_return;
    c->client_address = Unmapped(c->client.address());
    if (!config_.allow.empty() &&
        std::none_of(config_.allow.begin(), config_.allow.end(),
                     [&](const Prefix& p) { return p.Contains(c->client_address); })) {
      ++counters_.refused_not_allowed;
      spdlog::info("twamp server: {} is not in the allow-list: closed", Format(c->client));
      c->socket.close(ec);
      co_return;
    }
    c->since = clock_.Now();
    c->last_activity = clock_.Monotonic();
    const bool over = connections_.size() >= config_.max_connections ||
                      ConnectionsFrom(c->client_address) >= config_.max_connections_per_client;
    connections_.push_back(c);
    control::ServerOptions options{over ? 0u : config_.modes, config_.secrets, config_.count,
                                   started_};
    Connection* raw = c.get();
    control::ServerHooks hooks{
        [this, raw](const control::SessionRequest& r, const Block& sid) {
          return Open(*raw, r, sid);
        },
        [this, raw](const std::vector<Block>& sids) { Started(*raw, sids); },
        [this, raw](const std::vector<Block>& sids) { Stopped(*raw, sids); }};
    c->core.emplace(std::move(options), std::move(hooks), clock_, Unmapped(c->server.address()),
                    c->client_address);
    auto greeting = c->core->Greeting();
    if (!greeting) {
      Close(*c);
      co_return;
    }
    if (over) {
      // Modes 0: the server will not serve this client now (RFC 4656 §3.1).
      ++counters_.refused_limit;
      co_await Write(*c, *greeting);
      Close(*c);
      Forget(c);
      co_return;
    }
    ++counters_.connections;
    asio::co_spawn(io_, Watch(c), asio::detached);
    co_await Write(*c, *greeting);
    std::array<std::byte, 4096> buffer;
    std::vector<std::byte> out;
    while (!c->closed) {
      const std::size_t n = co_await c->socket.async_read_some(
          asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || c->closed) break;
      out.clear();
      auto received = c->core->Receive(std::span(buffer).first(n), out);
      const MonoTime now = clock_.Monotonic();
      if (!c->core->MidMessage()) {
        c->last_activity = now;  // every message is whole
        c->message_began.reset();
      } else if (!c->message_began) {
        c->message_began = now;
        c->watchdog.ExpiresAt(now + config_.message_deadline);  // Watch re-arms for it
      }
      if (!out.empty()) co_await Write(*c, out);
      if (!received) {
        ++counters_.closed_protocol;
        spdlog::warn("twamp server: {}: {}; connection closed", Format(c->client),
                     received.error().message);
        break;
      }
    }
    Close(*c);
    Forget(c);
  }

  void Forget(const std::shared_ptr<Connection>& c) { connections_.remove(c); }

  // The ports this server listens on at `address`: its test sessions' and
  // its control listeners'.
  std::set<std::uint16_t> OwnPortsAt(const IpAddress& address) const {
    const IpAddress a = Unmapped(address);
    std::set<std::uint16_t> out;
    for (const auto& [sid, t] : sessions_) {
      if (Unmapped(t->at.address()) == a) out.insert(t->port);
    }
    for (const auto& l : listening_) {
      if (Unmapped(l.address()) == a || l.address().is_unspecified()) out.insert(l.port());
    }
    return out;
  }

  // Whether a live session's sender is this address and port: a test port
  // given there would answer it, and it would answer the test port.
  bool NamedAsSender(const IpAddress& address, std::uint16_t port) const {
    const IpAddress a = Unmapped(address);
    return std::any_of(sessions_.begin(), sessions_.end(), [&](const auto& kv) {
      return kv.second->sender.port() == port && Unmapped(kv.second->sender.address()) == a;
    });
  }

  std::optional<std::uint16_t> NextPort(std::uint16_t wanted, const IpAddress& at) {
    const std::uint32_t range =
        static_cast<std::uint32_t>(config_.port_high - config_.port_low) + 1;
    auto free = [&](std::uint16_t p) { return used_ports_.count(p) == 0 && !NamedAsSender(at, p); };
    if (wanted >= config_.port_low && wanted <= config_.port_high && free(wanted)) return wanted;
    for (std::uint32_t i = 0; i < range; ++i) {
      const std::uint16_t p = cursor_;
      cursor_ =
          cursor_ >= config_.port_high ? config_.port_low : static_cast<std::uint16_t>(cursor_ + 1);
      if (free(p)) return p;
    }
    return std::nullopt;
  }

  control::SessionGrant Open(Connection& c, const control::SessionRequest& r, const Block& sid) {
    control::SessionGrant grant;
    auto refuse = [&](control::Accept accept, const std::string& why) {
      ++counters_.sessions_refused;
      spdlog::info("twamp server: {}: session refused: {}", Format(c.client), why);
      grant.accept = accept;
      return grant;
    };
    if (sessions_.size() >= config_.max_sessions) {
      return refuse(control::Accept::kTemporaryLimit,
                    fmt::format("{} sessions run (the limit)", sessions_.size()));
    }
    if (SessionsFrom(c.client_address) >= config_.max_sessions_per_client) {
      return refuse(control::Accept::kTemporaryLimit,
                    fmt::format("{} runs {} sessions (the limit per client)",
                                c.client_address.to_string(), config_.max_sessions_per_client));
    }
    const std::string loop_or_aim =
        RefuseTestEndpoints(r.sender, r.sender_port, r.reflector, c.client_address,
                            {config_.allow_third_party_senders, OwnPortsAt(r.reflector)});
    if (!loop_or_aim.empty()) return refuse(control::Accept::kNotSupported, loop_or_aim);
    ReflectorConfig rc = config_.reflector;
    rc.format = ReflectorFormat::kTwampLight;
    // The negotiated sender alone: its address and port, one sender's state.
    rc.only_sender = UdpEndpoint(Unmapped(r.sender), r.sender_port);
    rc.stateful = true;
    rc.reply_dscp = r.dscp;
    rc.allow.clear();
    if (auto only = Prefix::Parse(Unmapped(r.sender).to_string()); only) rc.allow.push_back(*only);
    rc.sender_idle_timeout = config_.refwait + r.timeout;
    rc.device = c.device;
    // Negotiated: a probe shorter than the reply header is still answered
    // (RFC 5357 senders may send 14 octets; the reflector adds its fields).
    rc.allow_larger_reply = true;
    if (control::SecuresTest(r.mode)) {
      auto cipher = CreateTestCipher(sid, c.core->keys(), r.mode);
      if (!cipher) return refuse(control::Accept::kInternalError, cipher.error().message);
      rc.security = std::move(*cipher);
    }
    const IpAddress at = Unmapped(r.reflector);
    const std::uint32_t range =
        static_cast<std::uint32_t>(config_.port_high - config_.port_low) + 1;
    for (std::uint32_t attempt = 0; attempt < std::min<std::uint32_t>(range, 64); ++attempt) {
      auto port = NextPort(attempt == 0 ? r.reflector_port : 0, at);
      if (!port) break;
      auto reflector = ReflectorServer::Create(io_, clock_, {UdpEndpoint(at, *port)}, rc, buffers_);
      if (!reflector) {
        used_ports_.insert(*port);  // taken by someone else; skip it from now on
        if (reflector.error().message.find("in use") == std::string::npos) {
          used_ports_.erase(*port);
          return refuse(control::Accept::kFailure, reflector.error().message);
        }
        continue;
      }
      auto t = std::make_unique<TestSession>();
      t->sid = sid;
      t->control_client = c.client;
      t->client_address = c.client_address;
      t->sender = UdpEndpoint(Unmapped(r.sender), r.sender_port);
      t->at = UdpEndpoint(at, *port);
      t->port = *port;
      t->mode = r.mode;
      t->timeout = std::min<Nanos>(r.timeout, std::chrono::seconds(60));
      t->reflector = std::move(*reflector);
      used_ports_.insert(*port);
      sessions_[sid] = std::move(t);
      c.sids.push_back(sid);
      ++counters_.sessions;
      grant.port = *port;
      return grant;
    }
    return refuse(control::Accept::kTemporaryLimit,
                  fmt::format("no free test port in {}-{}", config_.port_low, config_.port_high));
  }

  void Started(Connection&, const std::vector<Block>& sids) {
    for (const auto& sid : sids) {
      auto it = sessions_.find(sid);
      if (it == sessions_.end()) continue;
      it->second->state = "running";
      it->second->timer = std::make_unique<net::Timer>(io_, clock_);
      ArmRefwait(sid);
    }
  }

  // REFWAIT: a running session that received nothing for that long ends.
  void ArmRefwait(const Block& sid) {
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    TestSession& t = *it->second;
    t.timer->ExpiresAfter(config_.refwait);
    t.timer->AsyncWait([this, sid](const boost::system::error_code& ec) {
      if (ec) return;
      auto found = sessions_.find(sid);
      if (found == sessions_.end()) return;
      TestSession& s = *found->second;
      std::uint64_t received = 0;
      for (const auto& l : s.reflector->Status()) received += l.counters.received;
      if (received == s.seen) {
        ++counters_.sessions_idle;
        spdlog::info("twamp server: session {} received nothing for {}: ended", Hex(sid),
                     FormatDuration(config_.refwait));
        for (auto& c : connections_) std::erase(c->sids, sid);
        Remove(sid);
        return;
      }
      s.seen = received;
      ArmRefwait(sid);
    });
  }

  void Stopped(Connection& c, const std::vector<Block>& sids) {
    for (const auto& sid : sids) {
      auto it = sessions_.find(sid);
      if (it == sessions_.end()) continue;
      TestSession& t = *it->second;
      t.state = "stopping";
      std::erase(c.sids, sid);
      // Late packets are still reflected for the session's Timeout.
      if (!t.timer) t.timer = std::make_unique<net::Timer>(io_, clock_);
      t.timer->ExpiresAfter(t.timeout);
      t.timer->AsyncWait([this, sid](const boost::system::error_code& ec) {
        if (!ec) Remove(sid);
      });
    }
  }

  asio::io_context& io_;
  const Clock& clock_;
  TwampServerConfig config_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<TcpEndpoint> listening_;
  WallTime started_ = clock_.Now();  // Server-Start's Start-Time on every connection
  std::list<std::shared_ptr<Connection>> connections_;
  std::map<Block, std::unique_ptr<TestSession>> sessions_;
  std::list<std::unique_ptr<TestSession>> retired_;
  std::set<std::uint16_t> used_ports_;
  std::uint16_t cursor_;
  // One set of batch buffers for every test session's reflector (same thread).
  std::shared_ptr<ReflectorBuffers> buffers_ = MakeReflectorBuffers();
  TwampServerCounters counters_;
  bool stopped_ = false;
};

}  // namespace

Result<TwampListen> ParseTwampListen(std::string_view text) {
  TwampListen l;
  const auto at = text.rfind('@');
  if (at != std::string_view::npos) {
    l.device = std::string(text.substr(at + 1));
    text = text.substr(0, at);
    if (l.device.empty() || l.device.size() >= 16) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}': a device name has 1-15 characters", l.device));
    }
  }
  auto endpoint = ParseEndpoint(text, kDefaultTestPort);
  if (!endpoint) return tl::unexpected(endpoint.error());
  l.endpoint = TcpEndpoint(endpoint->address(), endpoint->port());
  return l;
}

Result<void> Validate(const TwampServerConfig& c) {
  if (c.listen.empty())
    return Fail(ErrorCode::kInvalidArgument, "the TWAMP server needs a listen address");
  if (c.port_low == 0 || c.port_low > c.port_high) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("test port range {}-{}: give LOW-HIGH with 0 < LOW <= HIGH", c.port_low,
                            c.port_high));
  }
  if ((c.modes & control::kSecurityModes) == 0) {
    return Fail(ErrorCode::kInvalidArgument, "the TWAMP server offers no mode");
  }
  if ((c.modes & (control::kAuthenticated | control::kEncrypted | control::kMixed)) != 0 &&
      c.secrets.empty() && (c.modes & control::kUnauthenticated) == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "authenticated, encrypted and mixed modes need a secrets file (--secrets)");
  }
  if (c.servwait <= Nanos(0) || c.refwait <= Nanos(0) || c.message_deadline <= Nanos(0)) {
    return Fail(ErrorCode::kInvalidArgument,
                "SERVWAIT, REFWAIT and the control message deadline must be positive");
  }
  return Validate(c.reflector);
}

Result<std::unique_ptr<TwampServer>> TwampServer::Create(boost::asio::io_context& io,
                                                         const Clock& clock,
                                                         TwampServerConfig config) {
  if (auto ok = Validate(config); !ok) return tl::unexpected(ok.error());
  if (config.secrets.empty()) {
    config.modes &= ~(control::kAuthenticated | control::kEncrypted | control::kMixed);
  }
  auto server = std::make_unique<TwampServerImpl>(io, clock, std::move(config));
  if (auto ok = server->Listen(); !ok) return tl::unexpected(ok.error());
  return std::unique_ptr<TwampServer>(std::move(server));
}

std::string FormatTwampServerStatus(const TwampServerStatus& s) {
  std::string out = fmt::format("TWAMP server on {}: {} control connections, {} test sessions\n",
                                fmt::join(
                                    [&] {
                                      std::vector<std::string> v;
                                      for (const auto& e : s.listening) v.push_back(Format(e));
                                      return v;
                                    }(),
                                    ", "),
                                s.connections.size(), s.sessions.size());
  out += fmt::format("  {:<28} {:<28} {:<8} {:<16} {:<10} {}\n", "client", "server", "state",
                     "mode", "key id", "sessions");
  for (const auto& c : s.connections) {
    out +=
        fmt::format("  {:<28} {:<28} {:<8} {:<16} {:<10} {}\n", Format(c.client), Format(c.server),
                    c.state, c.mode, c.key_id.empty() ? "-" : c.key_id, c.sessions);
  }
  out += fmt::format("  {:<32} {:<28} {:<28} {:<9} {:>10} {:>10}\n", "session", "sender",
                     "reflector", "state", "received", "reflected");
  for (const auto& t : s.sessions) {
    out +=
        fmt::format("  {:<32} {:<28} {:<28} {:<9} {:>10} {:>10}\n", t.sid, FormatEndpoint(t.sender),
                    FormatEndpoint(t.reflector), t.state, t.received, t.reflected);
  }
  const auto& k = s.counters;
  out += fmt::format(
      "  connections {} (refused: {} not allowed, {} over limits; closed: {} protocol errors, {} "
      "idle); "
      "sessions {} ({} refused, {} ended idle)\n",
      k.connections, k.refused_not_allowed, k.refused_limit, k.closed_protocol, k.closed_idle,
      k.sessions, k.sessions_refused, k.sessions_idle);
  return out;
}

}  // namespace lineup::measure
