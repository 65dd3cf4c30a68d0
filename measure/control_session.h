// The TWAMP-Control state machines without I/O: the Server (Target) and the
// Control-Client (Initiator) take the bytes that arrived and return the
// bytes to send, so the same cores run over a socket, a fake transport in
// tests, or anything else. Encryption and HMACs (authenticated, encrypted
// and mixed modes) happen inside; the callers see plain messages.
//
// A control connection's life (RFC 5357 §3): Server Greeting -> Set-Up-
// Response -> Server-Start, then any number of rounds of Request-TW-Session
// (-> Accept-Session) ..., Start-Sessions -> Start-Ack, ..., Stop-Sessions
// with the exact number of sessions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "measure/control_crypto.h"
#include "measure/control_wire.h"

namespace lineup::measure::control {

namespace ip = boost::asio::ip;

// A test session as the server is asked for it, with the zero addresses of
// the request already replaced by the control connection's (the NAT case).
struct SessionRequest {
  ip::address sender;  // the Session-Sender
  std::uint16_t sender_port = 0;
  ip::address reflector;             // where the Session-Reflector should listen
  std::uint16_t reflector_port = 0;  // the client's wish; the server may pick another
  std::uint32_t padding_length = 0;
  std::uint8_t dscp = 0;
  WallTime start_time;
  Nanos timeout{0};  // REFWAIT after Stop-Sessions
  std::uint16_t octets_to_reflect = 0;
  std::uint32_t mode = 0;  // the connection's mode (test packets follow it)
};

// What the server's owner decided for a request.
struct SessionGrant {
  Accept accept = Accept::kOk;
  std::uint16_t port = 0;  // the test port really used
  std::uint16_t server_octets = 0;
};

struct ServerOptions {
  std::uint32_t modes = kUnauthenticated;  // offered in the greeting (plus reflect octets)
  Secrets secrets;                         // key identity -> shared secret
  std::uint32_t count = 1024;              // PBKDF2 iterations announced
  // When the server started: Server-Start's Start-Time (RFC 4656 §3.1); the
  // connection's own time when not given.
  std::optional<WallTime> started;
};

// Called by the server core; each returns what happened.
struct ServerHooks {
  std::function<SessionGrant(const SessionRequest&, const Block& sid)> open;
  std::function<void(const std::vector<Block>& sids)> start;
  std::function<void(const std::vector<Block>& sids)> stop;
};

class ControlServer {
 public:
  // `local`/`peer`: the control connection's addresses (for zero addresses
  // in requests and the SID).
  ControlServer(ServerOptions options, ServerHooks hooks, const Clock& clock,
                const ip::address& local, const ip::address& peer);

  // The Server Greeting, to send at once.
  [[nodiscard]] Result<std::vector<std::byte>> Greeting();
  // Bytes from the client: appends what to send to `out`. An error means the
  // connection must be closed (the message says why, for the log).
  [[nodiscard]] Result<void> Receive(ConstByteSpan in, std::vector<std::byte>& out);

  enum class State { kGreeting, kSetUp, kIdle, kRunning, kClosed };
  State state() const { return state_; }
  std::uint32_t mode() const { return mode_; }
  const std::string& key_id() const { return key_id_; }
  std::size_t sessions() const { return sids_.size(); }
  // Part of a message has come and not the rest.
  bool MidMessage() const { return !buffer_.empty(); }
  // The client's session keys (secure modes, after Set-Up-Response): test
  // sessions derive their own from these and their SID.
  const SessionKeys& keys() const { return keys_; }

 private:
  Result<void> OnSetUp(ByteSpan message, std::vector<std::byte>& out);
  Result<void> OnCommand(std::vector<std::byte>& out);
  Result<void> Send(std::vector<std::byte> message, bool hmac_field, std::vector<std::byte>& out);
  Block NewSid();

  ServerOptions options_;
  ServerHooks hooks_;
  const Clock& clock_;
  ip::address local_, peer_;
  State state_ = State::kGreeting;
  ServerGreeting greeting_;
  std::uint32_t mode_ = 0;
  std::string key_id_;
  SessionKeys keys_;
  std::optional<ControlCipher> send_, receive_;
  std::vector<std::byte> buffer_;  // received, not yet a whole message
  std::size_t decrypted_ = 0;      // bytes of buffer_ already decrypted
  std::vector<Block> sids_;        // accepted in this round
};

// The strongest mode both sides allow: encrypted, authenticated, mixed,
// unauthenticated; `wanted` limits it (0: any).
std::uint32_t ChooseMode(std::uint32_t offered, std::uint32_t wanted, bool have_secret);

struct ClientOptions {
  std::uint32_t mode = 0;  // 0: the strongest the server offers that we can do
  std::string key_id;      // with `secret`, for authenticated/encrypted/mixed
  std::string secret;
  bool reflect_octets = false;  // ask for RFC 6038 when offered
};

class ControlClient {
 public:
  explicit ControlClient(ClientOptions options);

  // Each step reads the server's message (exactly its length) and returns
  // what to send next (maybe nothing).
  [[nodiscard]] Result<std::vector<std::byte>> OnGreeting(ConstByteSpan greeting);
  [[nodiscard]] Result<void> OnServerStart(ByteSpan server_start);
  [[nodiscard]] Result<std::vector<std::byte>> RequestSession(const RequestTwSession& request);
  struct Accepted {
    std::uint16_t port = 0;
    Block sid{};
    std::uint16_t reflected_octets = 0;
    std::uint16_t server_octets = 0;
  };
  [[nodiscard]] Result<Accepted> OnAcceptSession(ByteSpan accept);
  [[nodiscard]] Result<std::vector<std::byte>> StartSessions();
  [[nodiscard]] Result<void> OnStartAck(ByteSpan ack);
  [[nodiscard]] Result<std::vector<std::byte>> StopSessions(std::uint32_t sessions);

  std::uint32_t mode() const { return mode_; }
  const ServerGreeting& greeting() const { return greeting_; }
  const SessionKeys& keys() const { return keys_; }

 private:
  Result<std::vector<std::byte>> Seal(std::vector<std::byte> message);
  Result<void> Open(ByteSpan message, bool hmac_field);

  ClientOptions options_;
  ServerGreeting greeting_;
  std::uint32_t mode_ = 0;
  SessionKeys keys_;
  Block client_iv_{};
  std::optional<ControlCipher> send_, receive_;
};

// Modes whose test packets are authenticated or encrypted (not mixed).
inline bool SecuresTest(std::uint32_t mode) { return (mode & (kAuthenticated | kEncrypted)) != 0; }

// Modes whose control connection is encrypted.
inline bool EncryptsControl(std::uint32_t mode) {
  return (mode & (kAuthenticated | kEncrypted | kMixed)) != 0;
}

}  // namespace lineup::measure::control
