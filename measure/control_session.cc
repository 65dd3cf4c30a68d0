#include "measure/control_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace lineup::measure::control {
namespace {

constexpr std::uint32_t kMinCount = 1024;      // RFC 4656 §3.1
constexpr std::uint32_t kMaxCount = 1u << 24;  // more is a denial of service on the client
constexpr std::uint32_t kMaxPadding = 65000;

Nanos DurationOf(NtpTimestamp t) {
  return Nanos(
      static_cast<std::int64_t>(t.seconds) * 1'000'000'000 +
      static_cast<std::int64_t>((static_cast<std::uint64_t>(t.fraction) * 1'000'000'000) >> 32));
}

std::vector<std::byte> Buffer(std::size_t length) { return std::vector<std::byte>(length); }

template <typename Message>
Result<std::vector<std::byte>> Encoded(const Message& m, std::size_t length) {
  auto out = Buffer(length);
  auto n = Encode(m, out);
  if (!n) return tl::unexpected(n.error());
  return out;
}

std::string ModeList(std::uint32_t modes) {
  std::vector<std::string> names;
  for (std::uint32_t bit : {kUnauthenticated, kAuthenticated, kEncrypted, kMixed}) {
    if ((modes & bit) != 0) names.push_back(SecurityModeName(bit));
  }
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::uint32_t ChooseMode(std::uint32_t offered, std::uint32_t wanted, bool have_secret) {
  const std::uint32_t allowed = offered & (wanted == 0 ? kSecurityModes : wanted);
  for (std::uint32_t bit : {kEncrypted, kAuthenticated, kMixed}) {
    if ((allowed & bit) != 0 && have_secret) return bit;
  }
  return allowed & kUnauthenticated;
}

// ---------------------------------------------------------------- server

ControlServer::ControlServer(ServerOptions options, ServerHooks hooks, const Clock& clock,
                             const ip::address& local, const ip::address& peer)
    : options_(std::move(options)),
      hooks_(std::move(hooks)),
      clock_(clock),
      local_(local),
      peer_(peer) {}

Result<std::vector<std::byte>> ControlServer::Greeting() {
  if (state_ != State::kGreeting)
    return Fail(ErrorCode::kConflict, "the greeting was sent already");
  greeting_.modes = options_.modes;
  greeting_.count = std::max(options_.count, kMinCount);
  if (auto ok = RandomBytes(greeting_.challenge); !ok) return tl::unexpected(ok.error());
  if (auto ok = RandomBytes(greeting_.salt); !ok) return tl::unexpected(ok.error());
  state_ = State::kSetUp;
  return Encoded(greeting_, kServerGreetingLength);
}

Result<void> ControlServer::Send(std::vector<std::byte> message, bool hmac_field,
                                 std::vector<std::byte>& out) {
  if (send_) {
    if (auto ok = send_->Seal(message, hmac_field); !ok) return ok;
  }
  out.insert(out.end(), message.begin(), message.end());
  return {};
}

Block ControlServer::NewSid() {
  // RFC 4656 §3.5: the receiver's address (IPv6 folded to 4 octets), an
  // 8-octet timestamp, 4 random octets.
  Block sid{};
  std::uint32_t address = 0;
  if (local_.is_v4()) {
    address = local_.to_v4().to_uint();
  } else {
    const auto bytes = local_.to_v6().to_bytes();
    for (std::size_t i = 0; i < 16; ++i) address ^= std::uint32_t{bytes[i]} << (8 * (3 - i % 4));
  }
  PutU32(sid, 0, address);
  PutU64(sid, 4, ToNtp(clock_.Now()).Raw());
  (void)RandomBytes(std::span(sid).subspan(12));
  return sid;
}

Result<void> ControlServer::OnSetUp(ByteSpan message, std::vector<std::byte>& out) {
  auto setup = DecodeSetUpResponse(message);
  if (!setup) return tl::unexpected(setup.error());
  const std::uint32_t security = setup->mode & kSecurityModes;
  if (setup->mode == 0)
    return Fail(ErrorCode::kConflict, "the client accepted none of the offered modes");
  auto refuse = [&](Accept accept, std::string why) -> Result<void> {
    ServerStart start;
    start.accept = accept;
    auto bytes = Encoded(start, kServerStartLength);
    if (bytes) out.insert(out.end(), bytes->begin(), bytes->end());
    state_ = State::kClosed;
    return Fail(ErrorCode::kConflict, std::move(why));
  };
  if (std::popcount(security) != 1 || (security & options_.modes) == 0) {
    return refuse(Accept::kNotSupported, fmt::format("the client chose mode 0x{:x}; offered: {}",
                                                     setup->mode, ModeList(options_.modes)));
  }
  const std::uint32_t extras = setup->mode & ~kSecurityModes;
  if ((extras & ~(options_.modes & (kReflectOctets | kSymmetricalSize))) != 0) {
    return refuse(Accept::kNotSupported,
                  fmt::format("the client chose mode bits 0x{:x} that were not offered", extras));
  }
  mode_ = setup->mode;
  Block server_iv{};
  if (EncryptsControl(mode_)) {
    key_id_ = setup->key_id;
    const auto secret = options_.secrets.find(setup->key_id);
    if (secret == options_.secrets.end()) {
      return refuse(Accept::kFailure, fmt::format("unknown key identity '{}'", setup->key_id));
    }
    auto key = DeriveKey(secret->second, greeting_.salt, greeting_.count);
    if (!key) return refuse(Accept::kInternalError, key.error().message);
    auto token = DecryptToken(*key, setup->token);
    if (!token) return refuse(Accept::kInternalError, token.error().message);
    if (token->challenge != greeting_.challenge) {
      return refuse(
          Accept::kFailure,
          fmt::format("wrong shared secret for key identity '{}' (the challenge does not match)",
                      setup->key_id));
    }
    if (auto ok = RandomBytes(server_iv); !ok)
      return refuse(Accept::kInternalError, ok.error().message);
    receive_.emplace(token->keys, setup->client_iv);
    send_.emplace(token->keys, server_iv);
    keys_ = token->keys;
  }
  ServerStart start;
  start.accept = Accept::kOk;
  start.server_iv = server_iv;
  start.start_time = ToNtp(options_.started.value_or(clock_.Now()));
  auto bytes = Encoded(start, kServerStartLength);
  if (!bytes) return tl::unexpected(bytes.error());
  // Server-IV and what precedes it go in the clear; the last block opens the
  // server's CBC chain and counts towards its next HMAC.
  out.insert(out.end(), bytes->begin(), bytes->begin() + 32);
  if (auto ok = Send(std::vector<std::byte>(bytes->begin() + 32, bytes->end()), false, out); !ok)
    return ok;
  state_ = State::kIdle;
  return {};
}

Result<void> ControlServer::Receive(ConstByteSpan in, std::vector<std::byte>& out) {
  if (state_ == State::kGreeting)
    return Fail(ErrorCode::kConflict, "the client spoke before the greeting");
  if (state_ == State::kClosed) return Fail(ErrorCode::kConflict, "the connection is closed");
  buffer_.insert(buffer_.end(), in.begin(), in.end());
  for (;;) {
    if (state_ == State::kSetUp) {
      if (buffer_.size() < kSetUpResponseLength) return {};
      std::vector<std::byte> message(buffer_.begin(), buffer_.begin() + kSetUpResponseLength);
      buffer_.erase(buffer_.begin(), buffer_.begin() + kSetUpResponseLength);
      if (auto ok = OnSetUp(message, out); !ok) return ok;
      continue;
    }
    if (buffer_.size() < 16) return {};
    if (decrypted_ == 0) {
      if (receive_) {
        if (auto ok = receive_->Open(std::span(buffer_).first(16), false); !ok) return ok;
      }
      decrypted_ = 16;
    }
    auto command = PeekCommand(std::span(buffer_).first(16));
    if (!command) {
      state_ = State::kClosed;
      return tl::unexpected(command.error());
    }
    const std::size_t length = CommandLength(*command);
    if (buffer_.size() < length) return {};
    if (receive_) {
      if (auto ok = receive_->Open(std::span(buffer_).subspan(16, length - 16), true); !ok) {
        state_ = State::kClosed;
        return ok;
      }
    }
    if (auto ok = OnCommand(out); !ok) {
      state_ = State::kClosed;
      return ok;
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
    decrypted_ = 0;
  }
}

Result<void> ControlServer::OnCommand(std::vector<std::byte>& out) {
  const auto command = *PeekCommand(std::span(buffer_).first(16));
  const ConstByteSpan message = std::span(buffer_).first(CommandLength(command));
  switch (command) {
    case Command::kRequestTwSession: {
      if (state_ != State::kIdle)
        return Fail(ErrorCode::kMalformed, "Request-TW-Session while sessions run");
      auto request = DecodeRequestTwSession(message);
      if (!request) return tl::unexpected(request.error());
      SessionRequest r;
      r.sender = request->sender.is_unspecified() ? peer_ : request->sender;
      r.sender_port = request->sender_port;
      r.reflector = request->receiver.is_unspecified() ? local_ : request->receiver;
      r.reflector_port = request->receiver_port;
      r.padding_length = request->padding_length;
      r.start_time = FromNtp(request->start_time);
      r.timeout = DurationOf(request->timeout);
      r.mode = mode_;
      if ((mode_ & kReflectOctets) != 0) r.octets_to_reflect = request->octets_to_reflect;
      AcceptSession reply;
      auto dscp = DscpOfTypeP(request->type_p);
      if (!dscp || request->padding_length > kMaxPadding || !hooks_.open) {
        reply.accept = Accept::kNotSupported;
      } else {
        r.dscp = *dscp;
        const Block sid = NewSid();
        const SessionGrant grant = hooks_.open(r, sid);
        reply.accept = grant.accept;
        if (grant.accept == Accept::kOk) {
          reply.port = grant.port;
          reply.sid = sid;
          reply.reflected_octets = r.octets_to_reflect;
          reply.server_octets = grant.server_octets;
          sids_.push_back(sid);
        }
      }
      auto bytes = Encoded(reply, kAcceptSessionLength);
      if (!bytes) return tl::unexpected(bytes.error());
      return Send(std::move(*bytes), true, out);
    }
    case Command::kStartSessions: {
      if (state_ != State::kIdle)
        return Fail(ErrorCode::kMalformed, "Start-Sessions while sessions run");
      if (auto m = DecodeStartSessions(message); !m) return tl::unexpected(m.error());
      StartAck ack;
      ack.accept = sids_.empty() ? Accept::kFailure : Accept::kOk;
      auto bytes = Encoded(ack, kStartAckLength);
      if (!bytes) return tl::unexpected(bytes.error());
      if (auto ok = Send(std::move(*bytes), true, out); !ok) return ok;
      if (!sids_.empty()) {
        state_ = State::kRunning;
        if (hooks_.start) hooks_.start(sids_);
      }
      return {};
    }
    case Command::kStopSessions: {
      if (state_ != State::kRunning)
        return Fail(ErrorCode::kMalformed, "Stop-Sessions with no sessions running");
      auto stop = DecodeStopSessions(message);
      if (!stop) return tl::unexpected(stop.error());
      if (stop->sessions != sids_.size()) {
        return Fail(ErrorCode::kMalformed,
                    fmt::format("Stop-Sessions counts {} sessions; this connection runs {}",
                                stop->sessions, sids_.size()));
      }
      if (hooks_.stop) hooks_.stop(sids_);
      sids_.clear();
      state_ = State::kIdle;
      return {};
    }
  }
  return Fail(ErrorCode::kMalformed, "unknown command");
}

// ---------------------------------------------------------------- client

ControlClient::ControlClient(ClientOptions options) : options_(std::move(options)) {}

Result<std::vector<std::byte>> ControlClient::OnGreeting(ConstByteSpan bytes) {
  auto greeting = DecodeServerGreeting(bytes);
  if (!greeting) return tl::unexpected(greeting.error());
  greeting_ = *greeting;
  if ((greeting_.modes & kSecurityModes) == 0) {
    return Fail(ErrorCode::kConflict, "the server refuses this client (no mode in its greeting)");
  }
  const bool have_secret = !options_.key_id.empty();
  mode_ = ChooseMode(greeting_.modes, options_.mode, have_secret);
  if (mode_ == 0) {
    return Fail(
        ErrorCode::kConflict,
        fmt::format(
            "no common mode: the server offers {}; asked for {}{}", ModeList(greeting_.modes),
            options_.mode == 0 ? "any" : ModeList(options_.mode),
            have_secret ? "" : " (authenticated, encrypted and mixed need --key-id and a secret)"));
  }
  if (options_.reflect_octets) {
    mode_ |= greeting_.modes & (kReflectOctets | kSymmetricalSize);
  }
  SetUpResponse setup;
  setup.mode = mode_;
  if (EncryptsControl(mode_)) {
    if (greeting_.count < kMinCount || greeting_.count > kMaxCount) {
      return Fail(ErrorCode::kMalformed, fmt::format("the greeting's Count {} is outside {}-{}",
                                                     greeting_.count, kMinCount, kMaxCount));
    }
    auto key = DeriveKey(options_.secret, greeting_.salt, greeting_.count);
    if (!key) return tl::unexpected(key.error());
    if (auto ok = RandomBytes(keys_.aes); !ok) return tl::unexpected(ok.error());
    if (auto ok = RandomBytes(keys_.hmac); !ok) return tl::unexpected(ok.error());
    if (auto ok = RandomBytes(client_iv_); !ok) return tl::unexpected(ok.error());
    auto token = EncryptToken(*key, greeting_.challenge, keys_);
    if (!token) return tl::unexpected(token.error());
    setup.key_id = options_.key_id;
    setup.token = *token;
    setup.client_iv = client_iv_;
    send_.emplace(keys_, client_iv_);
  }
  return Encoded(setup, kSetUpResponseLength);
}

Result<void> ControlClient::OnServerStart(ByteSpan bytes) {
  auto start = DecodeServerStart(bytes);
  if (!start) return tl::unexpected(start.error());
  if (start->accept != Accept::kOk) {
    return Fail(ErrorCode::kConflict,
                fmt::format("the server refused the connection: {}{}", Describe(start->accept),
                            EncryptsControl(mode_) ? " (check the key identity and secret)" : ""));
  }
  if (EncryptsControl(mode_)) {
    receive_.emplace(keys_, start->server_iv);
    if (auto ok = receive_->Open(bytes.subspan(32), false); !ok) return ok;
  }
  return {};
}

Result<std::vector<std::byte>> ControlClient::Seal(std::vector<std::byte> message) {
  if (send_) {
    if (auto ok = send_->Seal(message, true); !ok) return tl::unexpected(ok.error());
  }
  return message;
}

Result<void> ControlClient::Open(ByteSpan message, bool hmac_field) {
  if (!receive_) return {};
  return receive_->Open(message, hmac_field);
}

Result<std::vector<std::byte>> ControlClient::RequestSession(const RequestTwSession& request) {
  auto bytes = Encoded(request, kRequestTwSessionLength);
  if (!bytes) return bytes;
  return Seal(std::move(*bytes));
}

Result<ControlClient::Accepted> ControlClient::OnAcceptSession(ByteSpan bytes) {
  if (auto ok = Open(bytes, true); !ok) return tl::unexpected(ok.error());
  auto accept = DecodeAcceptSession(bytes);
  if (!accept) return tl::unexpected(accept.error());
  if (accept->accept != Accept::kOk) {
    return Fail(ErrorCode::kConflict,
                fmt::format("the server refused the session: {}", Describe(accept->accept)));
  }
  return Accepted{accept->port, accept->sid, accept->reflected_octets, accept->server_octets};
}

Result<std::vector<std::byte>> ControlClient::StartSessions() {
  auto bytes = Encoded(control::StartSessions{}, kStartSessionsLength);
  if (!bytes) return bytes;
  return Seal(std::move(*bytes));
}

Result<void> ControlClient::OnStartAck(ByteSpan bytes) {
  if (auto ok = Open(bytes, true); !ok) return ok;
  auto ack = DecodeStartAck(bytes);
  if (!ack) return tl::unexpected(ack.error());
  if (ack->accept != Accept::kOk) {
    return Fail(ErrorCode::kConflict,
                fmt::format("the server did not start the sessions: {}", Describe(ack->accept)));
  }
  return {};
}

Result<std::vector<std::byte>> ControlClient::StopSessions(std::uint32_t sessions) {
  control::StopSessions stop;
  stop.sessions = sessions;
  auto bytes = Encoded(stop, kStopSessionsLength);
  if (!bytes) return bytes;
  return Seal(std::move(*bytes));
}

}  // namespace lineup::measure::control
