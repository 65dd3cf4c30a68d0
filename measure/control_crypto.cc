#include "measure/control_crypto.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lineup::measure::control {
namespace {

const unsigned char* U(const std::byte* p) { return reinterpret_cast<const unsigned char*>(p); }
unsigned char* U(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }

// AES-128-CBC over whole blocks, no padding, in place.
Result<void> Cbc(const Block& key, Block& iv, ByteSpan data, bool encrypt) {
  if (data.size() % 16 != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} octets are not whole AES blocks", data.size()));
  }
  if (data.empty()) return {};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return Fail(ErrorCode::kInternal, "cannot allocate a cipher context");
  Block next_iv{};
  // The chain continues from the last ciphertext block.
  if (!encrypt) std::copy_n(data.end() - 16, 16, next_iv.begin());
  int out_len = 0;
  const bool ok = EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), nullptr, U(key.data()), U(iv.data()),
                                    encrypt ? 1 : 0) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_CipherUpdate(ctx, U(data.data()), &out_len, U(data.data()),
                                   static_cast<int>(data.size())) == 1 &&
                  out_len == static_cast<int>(data.size());
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return Fail(ErrorCode::kInternal, "AES-128-CBC failed");
  if (encrypt) std::copy_n(data.end() - 16, 16, next_iv.begin());
  iv = next_iv;
  return {};
}

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

Result<Block> DeriveKey(std::string_view secret, const Block& salt, std::uint32_t count) {
  if (count == 0) return Fail(ErrorCode::kMalformed, "the greeting's Count is 0");
  Block key;
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), U(salt.data()), 16,
                        static_cast<int>(std::min<std::uint32_t>(count, 0x7fffffff)), EVP_sha1(),
                        16, U(key.data())) != 1) {
    return Fail(ErrorCode::kInternal, "PBKDF2 failed");
  }
  return key;
}

Result<std::array<std::byte, kTokenLength>> EncryptToken(const Block& derived_key,
                                                         const Block& challenge,
                                                         const SessionKeys& keys) {
  std::array<std::byte, kTokenLength> token;
  std::copy(challenge.begin(), challenge.end(), token.begin());
  std::copy(keys.aes.begin(), keys.aes.end(), token.begin() + 16);
  std::copy(keys.hmac.begin(), keys.hmac.end(), token.begin() + 32);
  Block iv{};
  if (auto ok = Cbc(derived_key, iv, token, true); !ok) return tl::unexpected(ok.error());
  return token;
}

Result<Token> DecryptToken(const Block& derived_key,
                           const std::array<std::byte, kTokenLength>& token) {
  auto plain = token;
  Block iv{};
  if (auto ok = Cbc(derived_key, iv, plain, false); !ok) return tl::unexpected(ok.error());
  Token t;
  std::copy_n(plain.begin(), 16, t.challenge.begin());
  std::copy_n(plain.begin() + 16, 16, t.keys.aes.begin());
  std::copy_n(plain.begin() + 32, 32, t.keys.hmac.begin());
  return t;
}

Block Hmac16(std::span<const std::byte> key, ConstByteSpan data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), U(data.data()), data.size(), digest,
       &length);
  Block out;
  std::copy_n(reinterpret_cast<const std::byte*>(digest), 16, out.begin());
  return out;
}

Result<void> RandomBytes(ByteSpan out) {
  if (RAND_bytes(U(out.data()), static_cast<int>(out.size())) != 1) {
    return Fail(ErrorCode::kInternal, "no random bytes from OpenSSL");
  }
  return {};
}

ControlCipher::ControlCipher(const SessionKeys& keys, const Block& iv) : keys_(keys), chain_(iv) {}

ControlCipher::~ControlCipher() {
  OPENSSL_cleanse(keys_.aes.data(), keys_.aes.size());
  OPENSSL_cleanse(keys_.hmac.data(), keys_.hmac.size());
}

Result<void> ControlCipher::Crypt(ByteSpan message, bool encrypt) {
  return Cbc(keys_.aes, chain_, message, encrypt);
}

Result<void> ControlCipher::Seal(ByteSpan message, bool hmac_field) {
  if (message.size() % 16 != 0 || (hmac_field && message.size() < 16)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("a {}-octet control message", message.size()));
  }
  const std::size_t text = hmac_field ? message.size() - 16 : message.size();
  pending_.insert(pending_.end(), message.begin(),
                  message.begin() + static_cast<std::ptrdiff_t>(text));
  if (hmac_field) {
    const Block digest = Hmac16(keys_.hmac, pending_);
    std::copy(digest.begin(), digest.end(), message.begin() + static_cast<std::ptrdiff_t>(text));
    pending_.clear();
  }
  return Crypt(message, true);
}

Result<void> ControlCipher::Open(ByteSpan message, bool hmac_field) {
  if (message.size() % 16 != 0 || (hmac_field && message.size() < 16)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("a {}-octet control message", message.size()));
  }
  if (auto ok = Crypt(message, false); !ok) return ok;
  const std::size_t text = hmac_field ? message.size() - 16 : message.size();
  pending_.insert(pending_.end(), message.begin(),
                  message.begin() + static_cast<std::ptrdiff_t>(text));
  if (hmac_field) {
    const Block digest = Hmac16(keys_.hmac, pending_);
    pending_.clear();
    if (CRYPTO_memcmp(digest.data(), message.data() + text, 16) != 0) {
      return Fail(ErrorCode::kMalformed,
                  "HMAC check failed: wrong shared secret or a corrupted control stream");
    }
  }
  return {};
}

Result<Secrets> ParseSecrets(std::string_view text, const std::string& origin) {
  Secrets secrets;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const auto space = trimmed.find_first_of(" \t");
    if (space == std::string::npos) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("{}:{}: '{}' has no secret: write IDENTITY SECRET", origin, number, trimmed));
    }
    const std::string id = trimmed.substr(0, space);
    std::string secret = Trim(std::string_view(trimmed).substr(space));
    if (id.size() > kKeyIdLength) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}:{}: identity '{}' is longer than 80 octets", origin, number, id));
    }
    if (secret.rfind("hex:", 0) == 0) {
      const std::string hex = secret.substr(4);
      if (hex.empty() || hex.size() % 2 != 0 ||
          hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return Fail(
            ErrorCode::kInvalidArgument,
            fmt::format(
                "{}:{}: the secret of '{}' is not an even number of hex digits after 'hex:'",
                origin, number, id));
      }
      secret.clear();
      for (std::size_t i = 0; i < hex.size(); i += 2) {
        secret.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
    }
    if (!secrets.emplace(id, secret).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}:{}: identity '{}' is given twice", origin, number, id));
    }
  }
  return secrets;
}

Result<Secrets> LoadSecrets(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot read the secrets file {}: {}", path, std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the secrets file {} is open to group or others (mode {:04o}): chmod 600 {}",
                    path, st.st_mode & 07777, path));
  }
  std::ifstream in(path);
  if (!in)
    return Fail(ErrorCode::kIo,
                fmt::format("cannot read the secrets file {}: {}", path, std::strerror(errno)));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseSecrets(text, path);
}

}  // namespace lineup::measure::control
