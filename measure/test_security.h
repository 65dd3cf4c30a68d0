// Authenticated and encrypted TWAMP-Test packets (RFC 5357 §4.1.2 and
// §4.2.1, RFC 4656 §4.1.2 for the keys): the layouts as pure codecs over
// byte spans, and the per-session cipher that seals and opens them.
//
// Keys of a test session, from its SID and the control connection's session
// keys (both ends compute them; nothing more travels):
//   AES key  = AES-128-ECB, key SID, over the AES Session-key (one block)
//   HMAC key = AES-128-CBC, key SID, IV 0, over the HMAC Session-key (two blocks)
//
// On the wire (both directions):
//   authenticated: the first block (sequence number and MBZ) is encrypted
//     with AES-128-ECB; the HMAC covers that block's plaintext.
//   encrypted: the packet's fixed part (two blocks from the sender, six from
//     the reflector) is encrypted with AES-128-CBC, IV 0; the HMAC covers
//     that plaintext.
// The HMAC field is HMAC-SHA1 with the HMAC key, truncated to 16 octets,
// computed fresh for each packet. Padding is neither encrypted nor covered.
// The coverage is what the reference implementation (perfSONAR's twampd and
// twping) does, so the two interoperate in both modes.
#pragma once

#include <array>
#include <memory>

#include "measure/control_crypto.h"
#include "measure/wire.h"

namespace lineup::measure {

inline constexpr std::size_t kSecureSenderHeaderLength = 48;
inline constexpr std::size_t kSecureReflectorHeaderLength = 112;

// Session-Sender packet, authenticated and encrypted modes:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  0 |                        Sequence Number                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  4 |                        MBZ (12 octets)                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 16 |                          Timestamp                            |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 24 |        Error Estimate         |         MBZ (6 octets)        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 32 |                       HMAC (16 octets)                        |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// 48 .                        Packet Padding                         .
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The plaintext layout; `packet.length` >= 48 octets (the SSID is not used).
[[nodiscard]] Result<std::size_t> EncodeSecure(const SenderPacket& packet, ByteSpan out);
[[nodiscard]] Result<SenderPacket> DecodeSecureSenderPacket(ConstByteSpan in);

// Session-Reflector packet, authenticated and encrypted modes:
//
//  0 | Sequence Number (4)              | MBZ (12)                   |
// 16 | Timestamp (8)                    | Error Estimate (2) | MBZ (6)|
// 32 | Receive Timestamp (8)            | MBZ (8)                    |
// 48 | Sender Sequence Number (4)       | MBZ (12)                   |
// 64 | Sender Timestamp (8)             | Sender Error Est. (2) | MBZ (6) |
// 80 | Sender TTL (1)                   | MBZ (15)                   |
// 96 | HMAC (16)                                                     |
// 112. Packet Padding                                                .
[[nodiscard]] Result<std::size_t> EncodeSecure(const ReflectorPacket& packet, ByteSpan out);
[[nodiscard]] Result<ReflectorPacket> DecodeSecureReflectorPacket(ConstByteSpan in);
// Overwrites the Timestamp (bytes 16-23) of a plaintext reflector packet.
void PatchSecureTimestamp(ByteSpan plain, NtpTimestamp timestamp);

enum class TestSecurity : std::uint8_t { kAuthenticated, kEncrypted };

struct TestKeys {
  control::Block aes{};
  std::array<std::byte, 32> hmac{};
};
[[nodiscard]] Result<TestKeys> DeriveTestKeys(const control::Block& sid,
                                              const control::SessionKeys& session);

enum class PacketKind : std::uint8_t { kSender, kReflector };

// One test session's cipher, shared by what sends and what receives its
// packets on one thread.
class TestCipher {
 public:
  [[nodiscard]] static Result<std::shared_ptr<TestCipher>> Create(const TestKeys& keys,
                                                                  TestSecurity security);
  ~TestCipher();
  TestCipher(const TestCipher&) = delete;
  TestCipher& operator=(const TestCipher&) = delete;

  TestSecurity security() const { return security_; }
  static std::size_t HeaderLength(PacketKind kind) {
    return kind == PacketKind::kSender ? kSecureSenderHeaderLength : kSecureReflectorHeaderLength;
  }

  // A plaintext packet (the layouts above) becomes what goes on the wire: the
  // HMAC field is filled, then the covered blocks are encrypted, in place.
  [[nodiscard]] Result<void> Seal(ByteSpan packet, PacketKind kind);
  // The reverse; an HMAC that does not match is a kMalformed error (the
  // packet was not sent by the session's peer, or was changed on the way).
  [[nodiscard]] Result<void> Open(ByteSpan packet, PacketKind kind);

 private:
  TestCipher(const TestKeys& keys, TestSecurity security);
  std::size_t Covered(PacketKind kind) const;
  Result<void> Blocks(ByteSpan data, bool encrypt);

  TestKeys keys_;
  TestSecurity security_;
  struct Contexts;
  std::unique_ptr<Contexts> contexts_;
};

// The cipher of a test session of a control connection in `mode` (which
// must be authenticated or encrypted).
[[nodiscard]] Result<std::shared_ptr<TestCipher>> CreateTestCipher(
    const control::Block& sid, const control::SessionKeys& session, std::uint32_t mode);

}  // namespace lineup::measure
