// TWAMP-Control message codecs (RFC 5357 §3, with the connection set-up of
// RFC 4656 §3.1, the modes of RFC 5618 and RFC 6038). Pure functions over
// byte spans: each message has a fixed length, Encode writes exactly that
// many bytes, Decode reads exactly that many. The HMAC fields are carried,
// not computed: the cipher (control_crypto.h) fills and checks them over the
// plaintext, and encrypts every block after Server-Start's Server-IV.
//
// Fields marked MBZ are written as zero and ignored on receipt, so a peer
// that puts something there still interoperates; values that change the
// meaning (command numbers, IP version, Accept codes) are checked.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/ntp.h"
#include "base/result.h"

namespace lineup::measure::control {

using Block = std::array<std::byte, 16>;  // one AES block: challenge, salt, IV, SID, HMAC

// Modes (RFC 4656 §3.1; bit 3 RFC 5618; bits 4-6 RFC 5938, RFC 6038).
enum Mode : std::uint32_t {
  kUnauthenticated = 1,
  kAuthenticated = 2,
  kEncrypted = 4,
  kMixed = 8,                      // encrypted control, unauthenticated test
  kIndividualSessionControl = 16,  // RFC 5938 (not offered)
  kReflectOctets = 32,             // RFC 6038
  kSymmetricalSize = 64,           // RFC 6038
};
inline constexpr std::uint32_t kSecurityModes =
    kUnauthenticated | kAuthenticated | kEncrypted | kMixed;
// "unauthenticated", "authenticated", "encrypted", "mixed", or the bits in hex.
std::string SecurityModeName(std::uint32_t mode);

// The Accept field (RFC 4656 §3.3).
enum class Accept : std::uint8_t {
  kOk = 0,
  kFailure = 1,
  kInternalError = 2,
  kNotSupported = 3,
  kPermanentLimit = 4,
  kTemporaryLimit = 5,
};
// What the value means for an operator: "failure, reason unspecified", ...
std::string Describe(Accept accept);

// Command numbers (RFC 5357 §3.4).
enum class Command : std::uint8_t {
  kStartSessions = 2,
  kStopSessions = 3,
  kRequestTwSession = 5,
};

inline constexpr std::size_t kServerGreetingLength = 64;
inline constexpr std::size_t kSetUpResponseLength = 164;
inline constexpr std::size_t kServerStartLength = 48;
inline constexpr std::size_t kRequestTwSessionLength = 112;
inline constexpr std::size_t kAcceptSessionLength = 48;
inline constexpr std::size_t kStartSessionsLength = 32;
inline constexpr std::size_t kStartAckLength = 32;
inline constexpr std::size_t kStopSessionsLength = 32;
inline constexpr std::size_t kKeyIdLength = 80;
inline constexpr std::size_t kTokenLength = 64;

//  0: Unused (12) | 12: Modes (4) | 16: Challenge (16) | 32: Salt (16) |
// 48: Count (4) | 52: MBZ (12)
struct ServerGreeting {
  std::uint32_t modes = 0;  // 0: the server will not talk to this client
  Block challenge{};
  Block salt{};
  std::uint32_t count = 0;  // PBKDF2 iterations, at least 1024
};

//  0: Mode (4) | 4: KeyID (80, UTF-8, zero padded) | 84: Token (64) |
// 148: Client-IV (16)
struct SetUpResponse {
  std::uint32_t mode = 0;
  std::string key_id;  // at most 80 octets
  std::array<std::byte, kTokenLength> token{};
  Block client_iv{};
};

//  0: MBZ (15) | 15: Accept | 16: Server-IV (16) | 32: Start-Time (8) |
// 40: MBZ (8). The last 16 octets are the first encrypted block.
struct ServerStart {
  Accept accept = Accept::kOk;
  Block server_iv{};
  NtpTimestamp start_time;
};

//  0: 5 | 1: MBZ (4 bits) IPVN (4 bits) | 2: Conf-Sender | 3: Conf-Receiver |
//  4: Number of Schedule Slots | 8: Number of Packets | 12: Sender Port |
// 14: Receiver Port | 16: Sender Address (16) | 32: Receiver Address (16) |
// 48: SID (16) | 64: Padding Length | 68: Start Time (8) | 76: Timeout (8) |
// 84: Type-P Descriptor | 88: Octets to be reflected (2) | 90: Length of
// padding to reflect (2) (RFC 6038; MBZ otherwise) | 92: MBZ (4) |
// 96: HMAC (16)
struct RequestTwSession {
  boost::asio::ip::address sender;    // unspecified (zero): the control connection's
  boost::asio::ip::address receiver;  // both of the same family
  std::uint16_t sender_port = 0;
  std::uint16_t receiver_port = 0;  // the port the client would like the reflector on
  Block sid{};                      // MBZ in a request
  std::uint32_t padding_length = 0;
  NtpTimestamp start_time;
  NtpTimestamp timeout;  // how long the reflector keeps answering after Stop-Sessions
  std::uint32_t type_p = 0;
  std::uint16_t octets_to_reflect = 0;   // RFC 6038
  std::uint16_t padding_to_reflect = 0;  // RFC 6038
  Block hmac{};
};

// Type-P Descriptor (RFC 4656 §3.5, RFC 7750): when its first two bits are
// 00, the next six bits are the DSCP, so DSCP 46 is 0x2e000000; the
// remaining 24 bits are zero. (01 would carry a PHB ID, which we refuse.)
inline std::uint32_t TypePForDscp(std::uint8_t dscp) { return (dscp & 0x3fu) << 24; }
// The DSCP a Type-P asks for, or an error for a form we do not carry out.
[[nodiscard]] Result<std::uint8_t> DscpOfTypeP(std::uint32_t type_p);

//  0: Accept | 1: MBZ | 2: Port | 4: SID (16) | 20: Reflected octets (2) |
// 22: Server octets (2) (RFC 6038) | 24: MBZ (8) | 32: HMAC (16)
struct AcceptSession {
  Accept accept = Accept::kOk;
  std::uint16_t port = 0;
  Block sid{};
  std::uint16_t reflected_octets = 0;
  std::uint16_t server_octets = 0;
  Block hmac{};
};

//  0: 2 | 1: MBZ (15) | 16: HMAC (16)
struct StartSessions {
  Block hmac{};
};

//  0: Accept | 1: MBZ (15) | 16: HMAC (16)
struct StartAck {
  Accept accept = Accept::kOk;
  Block hmac{};
};

//  0: 3 | 1: Accept | 2: MBZ (2) | 4: Number of Sessions | 8: MBZ (8) |
// 16: HMAC (16)
struct StopSessions {
  Accept accept = Accept::kOk;
  std::uint32_t sessions = 0;
  Block hmac{};
};

// Encoders: `out` must hold the message's length; they return it.
[[nodiscard]] Result<std::size_t> Encode(const ServerGreeting& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const SetUpResponse& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const ServerStart& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const RequestTwSession& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const AcceptSession& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const StartSessions& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const StartAck& m, ByteSpan out);
[[nodiscard]] Result<std::size_t> Encode(const StopSessions& m, ByteSpan out);

// Decoders: `in` must be exactly the message's length.
[[nodiscard]] Result<ServerGreeting> DecodeServerGreeting(ConstByteSpan in);
[[nodiscard]] Result<SetUpResponse> DecodeSetUpResponse(ConstByteSpan in);
[[nodiscard]] Result<ServerStart> DecodeServerStart(ConstByteSpan in);
[[nodiscard]] Result<RequestTwSession> DecodeRequestTwSession(ConstByteSpan in);
[[nodiscard]] Result<AcceptSession> DecodeAcceptSession(ConstByteSpan in);
[[nodiscard]] Result<StartSessions> DecodeStartSessions(ConstByteSpan in);
[[nodiscard]] Result<StartAck> DecodeStartAck(ConstByteSpan in);
[[nodiscard]] Result<StopSessions> DecodeStopSessions(ConstByteSpan in);

// The command in the first byte of a client message, or an error naming it.
[[nodiscard]] Result<Command> PeekCommand(ConstByteSpan first_block);
// The length of a client message with this command.
std::size_t CommandLength(Command command);

}  // namespace lineup::measure::control
