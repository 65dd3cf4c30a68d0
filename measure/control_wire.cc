#include "measure/control_wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace lineup::measure::control {
namespace {

namespace ip = boost::asio::ip;

Result<void> CheckLength(std::size_t have, std::size_t need, const char* what, bool exact) {
  if (exact ? have == need : have >= need) return {};
  return Fail(exact ? ErrorCode::kMalformed : ErrorCode::kInvalidArgument,
              fmt::format("{}: {} octets, expected {}", what, have, need));
}

void PutBlock(ByteSpan out, std::size_t at, const Block& b) {
  std::copy(b.begin(), b.end(), out.subspan(at).begin());
}

Block GetBlock(ConstByteSpan in, std::size_t at) {
  Block b;
  std::copy_n(in.subspan(at).begin(), b.size(), b.begin());
  return b;
}

void PutTime(ByteSpan out, std::size_t at, NtpTimestamp t) { PutU64(out, at, t.Raw()); }
NtpTimestamp GetTime(ConstByteSpan in, std::size_t at) {
  return NtpTimestamp::FromRaw(GetU64(in, at));
}

void Zero(ByteSpan out, std::size_t length) { std::fill_n(out.begin(), length, std::byte{0}); }

Result<Accept> GetAccept(ConstByteSpan in, std::size_t at, const char* what) {
  const std::uint8_t v = GetU8(in, at);
  if (v > static_cast<std::uint8_t>(Accept::kTemporaryLimit)) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("{}: Accept value {} is not defined (0-5)", what, v));
  }
  return static_cast<Accept>(v);
}

Result<void> CheckCommand(ConstByteSpan in, Command expected, const char* what) {
  const std::uint8_t v = GetU8(in, 0);
  if (v != static_cast<std::uint8_t>(expected)) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("{}: command {}, expected {}", what, v, static_cast<int>(expected)));
  }
  return {};
}

// A 16-octet address field: IPv4 in the first four octets, the rest zero.
void PutAddress(ByteSpan out, std::size_t at, const ip::address& a) {
  std::fill_n(out.subspan(at).begin(), 16, std::byte{0});
  if (a.is_v4()) {
    PutU32(out, at, a.to_v4().to_uint());
  } else {
    const auto bytes = a.to_v6().to_bytes();
    for (std::size_t i = 0; i < 16; ++i) out[at + i] = std::byte{bytes[i]};
  }
}

ip::address GetAddress(ConstByteSpan in, std::size_t at, int version) {
  if (version == 4) return ip::address_v4(GetU32(in, at));
  ip::address_v6::bytes_type bytes;
  for (std::size_t i = 0; i < 16; ++i) bytes[i] = GetU8(in, at + i);
  return ip::address_v6(bytes);
}

}  // namespace

std::string SecurityModeName(std::uint32_t mode) {
  switch (mode & kSecurityModes) {
    case kUnauthenticated:
      return "unauthenticated";
    case kAuthenticated:
      return "authenticated";
    case kEncrypted:
      return "encrypted";
    case kMixed:
      return "mixed";
    default:
      return fmt::format("modes 0x{:x}", mode);
  }
}

std::string Describe(Accept accept) {
  switch (accept) {
    case Accept::kOk:
      return "accepted";
    case Accept::kFailure:
      return "failure, reason unspecified (1)";
    case Accept::kInternalError:
      return "internal error (2)";
    case Accept::kNotSupported:
      return "some aspect of the request is not supported (3)";
    case Accept::kPermanentLimit:
      return "cannot perform the request due to permanent resource limitations (4)";
    case Accept::kTemporaryLimit:
      return "cannot perform the request due to temporary resource limitations (5)";
  }
  return fmt::format("undefined Accept value {}", static_cast<int>(accept));
}

Result<std::uint8_t> DscpOfTypeP(std::uint32_t type_p) {
  if ((type_p >> 30) != 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("Type-P descriptor 0x{:08x} is not a DSCP (only the 00 form is supported)",
                    type_p));
  }
  if ((type_p & 0x00ffffffu) != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("Type-P descriptor 0x{:08x}: bits beyond the DSCP are set", type_p));
  }
  return static_cast<std::uint8_t>(type_p >> 24);
}

Result<std::size_t> Encode(const ServerGreeting& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kServerGreetingLength, "Server Greeting buffer", false);
      !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kServerGreetingLength);
  PutU32(out, 12, m.modes);
  PutBlock(out, 16, m.challenge);
  PutBlock(out, 32, m.salt);
  PutU32(out, 48, m.count);
  return kServerGreetingLength;
}

Result<ServerGreeting> DecodeServerGreeting(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kServerGreetingLength, "Server Greeting", true); !ok) {
    return tl::unexpected(ok.error());
  }
  ServerGreeting m;
  m.modes = GetU32(in, 12);
  m.challenge = GetBlock(in, 16);
  m.salt = GetBlock(in, 32);
  m.count = GetU32(in, 48);
  return m;
}

Result<std::size_t> Encode(const SetUpResponse& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kSetUpResponseLength, "Set-Up-Response buffer", false);
      !ok) {
    return tl::unexpected(ok.error());
  }
  if (m.key_id.size() > kKeyIdLength) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("key identity '{}' is {} octets; at most 80 fit", m.key_id, m.key_id.size()));
  }
  Zero(out, kSetUpResponseLength);
  PutU32(out, 0, m.mode);
  for (std::size_t i = 0; i < m.key_id.size(); ++i)
    out[4 + i] = static_cast<std::byte>(m.key_id[i]);
  std::copy(m.token.begin(), m.token.end(), out.begin() + 84);
  PutBlock(out, 148, m.client_iv);
  return kSetUpResponseLength;
}

Result<SetUpResponse> DecodeSetUpResponse(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kSetUpResponseLength, "Set-Up-Response", true); !ok) {
    return tl::unexpected(ok.error());
  }
  SetUpResponse m;
  m.mode = GetU32(in, 0);
  std::size_t end = 4;
  while (end < 4 + kKeyIdLength && in[end] != std::byte{0}) ++end;
  for (std::size_t i = 4; i < end; ++i) m.key_id.push_back(static_cast<char>(in[i]));
  std::copy_n(in.begin() + 84, kTokenLength, m.token.begin());
  m.client_iv = GetBlock(in, 148);
  return m;
}

Result<std::size_t> Encode(const ServerStart& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kServerStartLength, "Server-Start buffer", false); !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kServerStartLength);
  PutU8(out, 15, static_cast<std::uint8_t>(m.accept));
  PutBlock(out, 16, m.server_iv);
  PutTime(out, 32, m.start_time);
  return kServerStartLength;
}

Result<ServerStart> DecodeServerStart(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kServerStartLength, "Server-Start", true); !ok) {
    return tl::unexpected(ok.error());
  }
  ServerStart m;
  auto accept = GetAccept(in, 15, "Server-Start");
  if (!accept) return tl::unexpected(accept.error());
  m.accept = *accept;
  m.server_iv = GetBlock(in, 16);
  m.start_time = GetTime(in, 32);
  return m;
}

Result<std::size_t> Encode(const RequestTwSession& m, ByteSpan out) {
  if (auto ok =
          CheckLength(out.size(), kRequestTwSessionLength, "Request-TW-Session buffer", false);
      !ok) {
    return tl::unexpected(ok.error());
  }
  if (m.sender.is_v4() != m.receiver.is_v4()) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("Request-TW-Session: sender {} and receiver {} are of different IP versions",
                    m.sender.to_string(), m.receiver.to_string()));
  }
  Zero(out, kRequestTwSessionLength);
  PutU8(out, 0, static_cast<std::uint8_t>(Command::kRequestTwSession));
  PutU8(out, 1, m.receiver.is_v4() ? 4 : 6);
  PutU16(out, 12, m.sender_port);
  PutU16(out, 14, m.receiver_port);
  PutAddress(out, 16, m.sender);
  PutAddress(out, 32, m.receiver);
  PutBlock(out, 48, m.sid);
  PutU32(out, 64, m.padding_length);
  PutTime(out, 68, m.start_time);
  PutTime(out, 76, m.timeout);
  PutU32(out, 84, m.type_p);
  PutU16(out, 88, m.octets_to_reflect);
  PutU16(out, 90, m.padding_to_reflect);
  PutBlock(out, 96, m.hmac);
  return kRequestTwSessionLength;
}

Result<RequestTwSession> DecodeRequestTwSession(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kRequestTwSessionLength, "Request-TW-Session", true); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = CheckCommand(in, Command::kRequestTwSession, "Request-TW-Session"); !ok) {
    return tl::unexpected(ok.error());
  }
  const int version = GetU8(in, 1) & 0x0f;
  if (version != 4 && version != 6) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("Request-TW-Session: IP version {} (expected 4 or 6)", version));
  }
  RequestTwSession m;
  m.sender_port = GetU16(in, 12);
  m.receiver_port = GetU16(in, 14);
  m.sender = GetAddress(in, 16, version);
  m.receiver = GetAddress(in, 32, version);
  m.sid = GetBlock(in, 48);
  m.padding_length = GetU32(in, 64);
  m.start_time = GetTime(in, 68);
  m.timeout = GetTime(in, 76);
  m.type_p = GetU32(in, 84);
  m.octets_to_reflect = GetU16(in, 88);
  m.padding_to_reflect = GetU16(in, 90);
  m.hmac = GetBlock(in, 96);
  return m;
}

Result<std::size_t> Encode(const AcceptSession& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kAcceptSessionLength, "Accept-Session buffer", false);
      !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kAcceptSessionLength);
  PutU8(out, 0, static_cast<std::uint8_t>(m.accept));
  PutU16(out, 2, m.port);
  PutBlock(out, 4, m.sid);
  PutU16(out, 20, m.reflected_octets);
  PutU16(out, 22, m.server_octets);
  PutBlock(out, 32, m.hmac);
  return kAcceptSessionLength;
}

Result<AcceptSession> DecodeAcceptSession(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kAcceptSessionLength, "Accept-Session", true); !ok) {
    return tl::unexpected(ok.error());
  }
  AcceptSession m;
  auto accept = GetAccept(in, 0, "Accept-Session");
  if (!accept) return tl::unexpected(accept.error());
  m.accept = *accept;
  m.port = GetU16(in, 2);
  m.sid = GetBlock(in, 4);
  m.reflected_octets = GetU16(in, 20);
  m.server_octets = GetU16(in, 22);
  m.hmac = GetBlock(in, 32);
  return m;
}

Result<std::size_t> Encode(const StartSessions& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kStartSessionsLength, "Start-Sessions buffer", false);
      !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kStartSessionsLength);
  PutU8(out, 0, static_cast<std::uint8_t>(Command::kStartSessions));
  PutBlock(out, 16, m.hmac);
  return kStartSessionsLength;
}

Result<StartSessions> DecodeStartSessions(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kStartSessionsLength, "Start-Sessions", true); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = CheckCommand(in, Command::kStartSessions, "Start-Sessions"); !ok) {
    return tl::unexpected(ok.error());
  }
  return StartSessions{GetBlock(in, 16)};
}

Result<std::size_t> Encode(const StartAck& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kStartAckLength, "Start-Ack buffer", false); !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kStartAckLength);
  PutU8(out, 0, static_cast<std::uint8_t>(m.accept));
  PutBlock(out, 16, m.hmac);
  return kStartAckLength;
}

Result<StartAck> DecodeStartAck(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kStartAckLength, "Start-Ack", true); !ok) {
    return tl::unexpected(ok.error());
  }
  auto accept = GetAccept(in, 0, "Start-Ack");
  if (!accept) return tl::unexpected(accept.error());
  return StartAck{*accept, GetBlock(in, 16)};
}

Result<std::size_t> Encode(const StopSessions& m, ByteSpan out) {
  if (auto ok = CheckLength(out.size(), kStopSessionsLength, "Stop-Sessions buffer", false); !ok) {
    return tl::unexpected(ok.error());
  }
  Zero(out, kStopSessionsLength);
  PutU8(out, 0, static_cast<std::uint8_t>(Command::kStopSessions));
  PutU8(out, 1, static_cast<std::uint8_t>(m.accept));
  PutU32(out, 4, m.sessions);
  PutBlock(out, 16, m.hmac);
  return kStopSessionsLength;
}

Result<StopSessions> DecodeStopSessions(ConstByteSpan in) {
  if (auto ok = CheckLength(in.size(), kStopSessionsLength, "Stop-Sessions", true); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = CheckCommand(in, Command::kStopSessions, "Stop-Sessions"); !ok) {
    return tl::unexpected(ok.error());
  }
  auto accept = GetAccept(in, 1, "Stop-Sessions");
  if (!accept) return tl::unexpected(accept.error());
  StopSessions m;
  m.accept = *accept;
  m.sessions = GetU32(in, 4);
  m.hmac = GetBlock(in, 16);
  return m;
}

Result<Command> PeekCommand(ConstByteSpan first_block) {
  if (first_block.empty()) return Fail(ErrorCode::kMalformed, "empty control message");
  const std::uint8_t v = GetU8(first_block, 0);
  switch (v) {
    case 2:
      return Command::kStartSessions;
    case 3:
      return Command::kStopSessions;
    case 5:
      return Command::kRequestTwSession;
    case 1:
      return Fail(ErrorCode::kMalformed, "command 1 (OWAMP Request-Session) is not TWAMP");
    case 4:
      return Fail(ErrorCode::kMalformed, "command 4 (OWAMP Fetch-Session) is not TWAMP");
    default:
      return Fail(ErrorCode::kMalformed, fmt::format("unknown control command {}", v));
  }
}

std::size_t CommandLength(Command command) {
  switch (command) {
    case Command::kStartSessions:
      return kStartSessionsLength;
    case Command::kStopSessions:
      return kStopSessionsLength;
    case Command::kRequestTwSession:
      return kRequestTwSessionLength;
  }
  return 0;
}

}  // namespace lineup::measure::control
