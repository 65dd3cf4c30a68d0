// The TWAMP Server and Session-Reflector (the Target) on real sockets: TCP
// listeners for TWAMP-Control (port 862 by default, IPv4 and IPv6, each
// optionally bound to a device or VRF), the ControlServer core per
// connection, and one UDP Session-Reflector per accepted test session on a
// port from a configured range. Everything runs on one io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "measure/control_session.h"
#include "measure/reflector.h"

namespace lineup::measure {

using TcpEndpoint = boost::asio::ip::tcp::endpoint;

struct TwampListen {
  TcpEndpoint endpoint;
  std::string device;  // SO_BINDTODEVICE (an interface or a VRF); empty: none
};
// "ADDRESS[:PORT][@DEVICE]", IPv6 in brackets; the port defaults to 862.
[[nodiscard]] Result<TwampListen> ParseTwampListen(std::string_view text);

struct TwampServerConfig {
  std::vector<TwampListen> listen;
  std::uint32_t modes = control::kUnauthenticated | control::kAuthenticated | control::kEncrypted |
                        control::kMixed | control::kReflectOctets;
  control::Secrets secrets;    // needed for the authenticated, encrypted and mixed modes
  std::uint32_t count = 1024;  // PBKDF2 iterations in the greeting
  std::vector<Prefix> allow;   // control clients; empty: everyone
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_client = 256;
  std::size_t max_sessions = 4096;
  std::size_t max_sessions_per_client = 1024;
  std::uint16_t port_low = 20000, port_high = 29999;  // test session ports
  Nanos servwait = std::chrono::seconds(900);         // idle control connection
  Nanos refwait = std::chrono::seconds(900);          // test session without packets
  Nanos message_deadline = std::chrono::seconds(60);  // a control message begun, to be whole
  ReflectorConfig reflector;                          // error estimate and the like
  // Let a client name another host than itself as the Session-Sender (RFC
  // 5357 allows it; off, replies could be aimed at anyone).
  bool allow_third_party_senders = false;
};
[[nodiscard]] Result<void> Validate(const TwampServerConfig& config);

struct ControlConnectionStatus {
  TcpEndpoint client, server;
  std::string state;  // "set-up", "idle", "running"
  std::string mode;   // "unauthenticated", ...
  std::string key_id;
  std::size_t sessions = 0;
  WallTime since;
};

struct TestSessionStatus {
  std::string sid;  // hex
  TcpEndpoint control_client;
  UdpEndpoint sender, reflector;
  std::string state;  // "accepted", "running", "stopping"
  std::string mode;
  std::uint64_t received = 0, reflected = 0, dropped = 0;
};

struct TwampServerCounters {
  std::uint64_t connections = 0;          // accepted and greeted
  std::uint64_t refused_not_allowed = 0;  // outside the allow-list: closed before the greeting
  std::uint64_t refused_limit = 0;        // greeted with Modes 0
  std::uint64_t closed_protocol = 0;      // garbage, wrong HMAC, wrong secret, ...
  std::uint64_t closed_idle = 0;          // SERVWAIT
  std::uint64_t sessions = 0;             // accepted
  std::uint64_t sessions_refused = 0;
  std::uint64_t sessions_idle = 0;    // REFWAIT
  std::uint64_t accept_failures = 0;  // out of descriptors and the like (net/accept_backoff.h)
};

struct TwampServerStatus {
  std::vector<TcpEndpoint> listening;
  std::vector<ControlConnectionStatus> connections;
  std::vector<TestSessionStatus> sessions;
  TwampServerCounters counters;
};

class TwampServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<TwampServer>> Create(boost::asio::io_context& io,
                                                                   const Clock& clock,
                                                                   TwampServerConfig config);
  virtual ~TwampServer() = default;
  // From the io_context's thread (or once it stopped).
  virtual TwampServerStatus Status() const = 0;
  // Closes the listeners, the connections and the sessions.
  virtual void Stop() = 0;
};

// The live table, like the `show twamp server` views of routers.
std::string FormatTwampServerStatus(const TwampServerStatus& status);

}  // namespace lineup::measure
