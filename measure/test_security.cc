#include "measure/test_security.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

namespace lineup::measure {
namespace {

constexpr std::size_t kBlock = 16;
// Sender layout.
constexpr std::size_t kSequenceAt = 0;
constexpr std::size_t kTimestampAt = 16;
constexpr std::size_t kErrorEstimateAt = 24;
constexpr std::size_t kSenderHmacAt = 32;
// Reflector layout (sequence, timestamp and error estimate as above).
constexpr std::size_t kReceiveTimestampAt = 32;
constexpr std::size_t kSenderSequenceAt = 48;
constexpr std::size_t kSenderTimestampAt = 64;
constexpr std::size_t kSenderErrorEstimateAt = 72;
constexpr std::size_t kSenderTtlAt = 80;
constexpr std::size_t kReflectorHmacAt = 96;
static_assert(kSenderHmacAt + kBlock == kSecureSenderHeaderLength);
static_assert(kReflectorHmacAt + kBlock == kSecureReflectorHeaderLength);

const unsigned char* U(const std::byte* p) { return reinterpret_cast<const unsigned char*>(p); }
unsigned char* U(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

Result<void> CheckLength(std::size_t length, std::size_t minimum, std::size_t room,
                         const char* what) {
  if (length < minimum || length > kMaxTestPacketLength) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} length {} is outside [{}, {}]", what,
                                                         length, minimum, kMaxTestPacketLength));
  }
  if (room < length) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} of {} bytes does not fit a {}-byte buffer", what, length, room));
  }
  return {};
}

Result<void> CheckDecodeLength(std::size_t length, std::size_t minimum, const char* what) {
  if (length < minimum) {
    return Fail(
        ErrorCode::kMalformed,
        fmt::format("{} of {} bytes is shorter than its {}-byte header", what, length, minimum));
  }
  return {};
}

// AES-128 on single blocks; CBC is chained by hand so one context serves
// ECB (one block, IV 0) and CBC alike.
Result<void> AesBlock(EVP_CIPHER_CTX* ctx, const std::byte* in, std::byte* out) {
  int n = 0;
  if (EVP_CipherUpdate(ctx, U(out), &n, U(in), static_cast<int>(kBlock)) != 1 ||
      n != static_cast<int>(kBlock)) {
    return Fail(ErrorCode::kInternal, "AES-128 failed");
  }
  return {};
}

EVP_CIPHER_CTX* NewContext(const control::Block& key, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  if (EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), nullptr, U(key.data()), nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

Result<std::size_t> EncodeSecure(const SenderPacket& packet, ByteSpan out) {
  if (auto ok = CheckLength(packet.length, kSecureSenderHeaderLength, out.size(),
                            "an authenticated sender packet");
      !ok) {
    return tl::unexpected(ok.error());
  }
  std::fill_n(out.begin(), kSecureSenderHeaderLength, std::byte{0});
  PutU32(out, kSequenceAt, packet.sequence);
  PutU64(out, kTimestampAt, packet.timestamp.Raw());
  PutU16(out, kErrorEstimateAt, packet.error_estimate.Pack());
  std::fill(out.begin() + kSecureSenderHeaderLength,
            out.begin() + static_cast<std::ptrdiff_t>(packet.length), std::byte{0});
  return packet.length;
}

Result<SenderPacket> DecodeSecureSenderPacket(ConstByteSpan in) {
  if (auto ok =
          CheckDecodeLength(in.size(), kSecureSenderHeaderLength, "an authenticated sender packet");
      !ok) {
    return tl::unexpected(ok.error());
  }
  SenderPacket p;
  p.sequence = GetU32(in, kSequenceAt);
  p.timestamp = NtpTimestamp::FromRaw(GetU64(in, kTimestampAt));
  p.error_estimate = ErrorEstimate::Unpack(GetU16(in, kErrorEstimateAt));
  p.length = in.size();
  return p;
}

Result<std::size_t> EncodeSecure(const ReflectorPacket& packet, ByteSpan out) {
  if (auto ok = CheckLength(packet.length, kSecureReflectorHeaderLength, out.size(),
                            "an authenticated reflector packet");
      !ok) {
    return tl::unexpected(ok.error());
  }
  std::fill_n(out.begin(), kSecureReflectorHeaderLength, std::byte{0});
  PutU32(out, kSequenceAt, packet.sequence);
  PutU64(out, kTimestampAt, packet.timestamp.Raw());
  PutU16(out, kErrorEstimateAt, packet.error_estimate.Pack());
  PutU64(out, kReceiveTimestampAt, packet.receive_timestamp.Raw());
  PutU32(out, kSenderSequenceAt, packet.sender_sequence);
  PutU64(out, kSenderTimestampAt, packet.sender_timestamp.Raw());
  PutU16(out, kSenderErrorEstimateAt, packet.sender_error_estimate.Pack());
  PutU8(out, kSenderTtlAt, packet.sender_ttl);
  std::fill(out.begin() + kSecureReflectorHeaderLength,
            out.begin() + static_cast<std::ptrdiff_t>(packet.length), std::byte{0});
  return packet.length;
}

Result<ReflectorPacket> DecodeSecureReflectorPacket(ConstByteSpan in) {
  if (auto ok = CheckDecodeLength(in.size(), kSecureReflectorHeaderLength,
                                  "an authenticated reflector packet");
      !ok) {
    return tl::unexpected(ok.error());
  }
  ReflectorPacket p;
  p.sequence = GetU32(in, kSequenceAt);
  p.timestamp = NtpTimestamp::FromRaw(GetU64(in, kTimestampAt));
  p.error_estimate = ErrorEstimate::Unpack(GetU16(in, kErrorEstimateAt));
  p.receive_timestamp = NtpTimestamp::FromRaw(GetU64(in, kReceiveTimestampAt));
  p.sender_sequence = GetU32(in, kSenderSequenceAt);
  p.sender_timestamp = NtpTimestamp::FromRaw(GetU64(in, kSenderTimestampAt));
  p.sender_error_estimate = ErrorEstimate::Unpack(GetU16(in, kSenderErrorEstimateAt));
  p.sender_ttl = GetU8(in, kSenderTtlAt);
  p.length = in.size();
  return p;
}

void PatchSecureTimestamp(ByteSpan plain, NtpTimestamp timestamp) {
  if (plain.size() >= kTimestampAt + 8) PutU64(plain, kTimestampAt, timestamp.Raw());
}

Result<TestKeys> DeriveTestKeys(const control::Block& sid, const control::SessionKeys& session) {
  EVP_CIPHER_CTX* ctx = NewContext(sid, true);
  if (ctx == nullptr)
    return Fail(ErrorCode::kInternal, "cannot set up AES-128 for the test session keys");
  TestKeys keys;
  // The AES key: one ECB block. The HMAC key: two CBC blocks from IV 0.
  auto ok = AesBlock(ctx, session.aes.data(), keys.aes.data());
  control::Block chained{};
  for (std::size_t b = 0; ok && b < 2; ++b) {
    for (std::size_t i = 0; i < kBlock; ++i) chained[i] ^= session.hmac[b * kBlock + i];
    ok = AesBlock(ctx, chained.data(), keys.hmac.data() + b * kBlock);
    std::copy_n(keys.hmac.begin() + static_cast<std::ptrdiff_t>(b * kBlock), kBlock,
                chained.begin());
  }
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return tl::unexpected(ok.error());
  return keys;
}

struct TestCipher::Contexts {
  EVP_CIPHER_CTX* encrypt = nullptr;
  EVP_CIPHER_CTX* decrypt = nullptr;
  ~Contexts() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
  }
};

TestCipher::TestCipher(const TestKeys& keys, TestSecurity security)
    : keys_(keys), security_(security), contexts_(std::make_unique<Contexts>()) {}

TestCipher::~TestCipher() { OPENSSL_cleanse(&keys_, sizeof keys_); }

Result<std::shared_ptr<TestCipher>> TestCipher::Create(const TestKeys& keys,
                                                       TestSecurity security) {
  std::shared_ptr<TestCipher> cipher(new TestCipher(keys, security));
  cipher->contexts_->encrypt = NewContext(keys.aes, true);
  cipher->contexts_->decrypt = NewContext(keys.aes, false);
  if (cipher->contexts_->encrypt == nullptr || cipher->contexts_->decrypt == nullptr) {
    return Fail(ErrorCode::kInternal, "cannot set up AES-128 for a test session");
  }
  return cipher;
}

std::size_t TestCipher::Covered(PacketKind kind) const {
  if (security_ == TestSecurity::kAuthenticated) return kBlock;
  return kind == PacketKind::kSender ? 2 * kBlock : 6 * kBlock;
}

// CBC from IV 0 over whole blocks, in place (for one block that is ECB).
Result<void> TestCipher::Blocks(ByteSpan data, bool encrypt) {
  control::Block previous{};
  for (std::size_t at = 0; at < data.size(); at += kBlock) {
    std::byte* block = data.data() + at;
    if (encrypt) {
      for (std::size_t i = 0; i < kBlock; ++i) block[i] ^= previous[i];
      if (auto ok = AesBlock(contexts_->encrypt, block, block); !ok) return ok;
      std::copy_n(block, kBlock, previous.begin());
    } else {
      control::Block cipher_text;
      std::copy_n(block, kBlock, cipher_text.begin());
      if (auto ok = AesBlock(contexts_->decrypt, block, block); !ok) return ok;
      for (std::size_t i = 0; i < kBlock; ++i) block[i] ^= previous[i];
      previous = cipher_text;
    }
  }
  return {};
}

Result<void> TestCipher::Seal(ByteSpan packet, PacketKind kind) {
  const std::size_t header = HeaderLength(kind);
  if (packet.size() < header) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("a packet of {} bytes is shorter than its {}-byte header",
                            packet.size(), header));
  }
  const std::size_t covered = Covered(kind);
  const control::Block mac = control::Hmac16(keys_.hmac, packet.first(covered));
  std::copy(mac.begin(), mac.end(), packet.begin() + static_cast<std::ptrdiff_t>(header - kBlock));
  return Blocks(packet.first(covered), true);
}

Result<void> TestCipher::Open(ByteSpan packet, PacketKind kind) {
  const std::size_t header = HeaderLength(kind);
  if (packet.size() < header) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("a packet of {} bytes is shorter than its {}-byte header",
                            packet.size(), header));
  }
  const std::size_t covered = Covered(kind);
  if (auto ok = Blocks(packet.first(covered), false); !ok) return ok;
  const control::Block mac = control::Hmac16(keys_.hmac, packet.first(covered));
  if (CRYPTO_memcmp(mac.data(), packet.data() + (header - kBlock), kBlock) != 0) {
    return Fail(ErrorCode::kMalformed,
                "the test packet's HMAC does not match (another key, or changed on the way)");
  }
  return {};
}

Result<std::shared_ptr<TestCipher>> CreateTestCipher(const control::Block& sid,
                                                     const control::SessionKeys& session,
                                                     std::uint32_t mode) {
  auto keys = DeriveTestKeys(sid, session);
  if (!keys) return tl::unexpected(keys.error());
  return TestCipher::Create(*keys, (mode & control::kEncrypted) != 0
                                       ? TestSecurity::kEncrypted
                                       : TestSecurity::kAuthenticated);
}

}  // namespace lineup::measure
