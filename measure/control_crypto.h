// The cryptography of TWAMP-Control in authenticated, encrypted and mixed
// modes (RFC 4656 §3.1-3.2, RFC 5357 §3.1, RFC 5618), on OpenSSL's
// libcrypto:
//
//  - the shared secret of a key identity becomes a 16-octet AES key by
//    PBKDF2 with HMAC-SHA1, the greeting's Salt and Count;
//  - the client's Token (Challenge | AES Session-key | HMAC Session-key, 64
//    octets) travels encrypted with that key, AES-128-CBC, IV zero;
//  - after Server-Start's Server-IV, each direction of the control
//    connection is one AES-128-CBC stream under the AES Session-key (the
//    client's from Client-IV, the server's from Server-IV), and each message
//    with an HMAC field carries HMAC-SHA1 (HMAC Session-key, first 16
//    octets) over the plaintext sent in that direction since the previous
//    HMAC field (so Server-Start's last block counts towards the server's
//    first HMAC).
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "measure/control_wire.h"

namespace lineup::measure::control {

struct SessionKeys {
  Block aes{};
  std::array<std::byte, 32> hmac{};
};

// PBKDF2-HMAC-SHA1 (RFC 2898) of the shared secret: the key for the Token.
[[nodiscard]] Result<Block> DeriveKey(std::string_view secret, const Block& salt,
                                      std::uint32_t count);

[[nodiscard]] Result<std::array<std::byte, kTokenLength>> EncryptToken(const Block& derived_key,
                                                                       const Block& challenge,
                                                                       const SessionKeys& keys);
struct Token {
  Block challenge{};
  SessionKeys keys;
};
[[nodiscard]] Result<Token> DecryptToken(const Block& derived_key,
                                         const std::array<std::byte, kTokenLength>& token);

// HMAC-SHA1 truncated to its first 16 octets.
Block Hmac16(std::span<const std::byte> key, ConstByteSpan data);

// Cryptographically random bytes (challenges, salts, IVs, session keys).
[[nodiscard]] Result<void> RandomBytes(ByteSpan out);

// One direction of a control connection: the CBC chain and the running
// HMAC. Messages are whole 16-octet blocks; `hmac_field` says the last block
// is the message's HMAC field.
class ControlCipher {
 public:
  ControlCipher(const SessionKeys& keys, const Block& iv);
  ~ControlCipher();
  ControlCipher(const ControlCipher&) = delete;
  ControlCipher& operator=(const ControlCipher&) = delete;

  // Sending: fills the HMAC field (when there is one), then encrypts in place.
  [[nodiscard]] Result<void> Seal(ByteSpan message, bool hmac_field);
  // Receiving: decrypts in place and checks the HMAC field; a wrong HMAC is
  // an error (the connection must be closed: the chain is no longer shared).
  [[nodiscard]] Result<void> Open(ByteSpan message, bool hmac_field);

 private:
  Result<void> Crypt(ByteSpan message, bool encrypt);

  SessionKeys keys_;
  Block chain_;                     // the previous ciphertext block
  std::vector<std::byte> pending_;  // plaintext since the last HMAC field
};

// Key identities and their shared secrets, from a secrets file: one
// `IDENTITY SECRET` per line, `#` comments; the secret is the rest of the
// line, a pass-phrase, or `hex:` and its octets in hex. The file must not be
// readable by group or others.
using Secrets = std::map<std::string, std::string>;
[[nodiscard]] Result<Secrets> LoadSecrets(const std::string& path);
[[nodiscard]] Result<Secrets> ParseSecrets(std::string_view text, const std::string& origin);

}  // namespace lineup::measure::control
