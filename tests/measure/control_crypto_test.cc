// Known-answer tests for TWAMP-Control's cryptography. The expected values
// were computed independently of this code: PBKDF2 and HMAC with Python's
// hashlib/hmac, AES-128-CBC with the `openssl enc -nopad` command.
#include "measure/control_crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/store/temp_dir.h"

namespace lineup::measure::control {
namespace {

std::vector<std::byte> Hex(const std::string& hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

template <std::size_t N>
std::vector<std::byte> V(const std::array<std::byte, N>& a) {
  return {a.begin(), a.end()};
}

Block Sequence(int first) {
  Block b;
  for (int i = 0; i < 16; ++i) b[i] = static_cast<std::byte>(first + i);
  return b;
}

SessionKeys Keys() {
  SessionKeys k;
  k.aes = Sequence(0x30);
  for (int i = 0; i < 32; ++i) k.hmac[i] = static_cast<std::byte>(0x40 + i);
  return k;
}

TEST(ControlCryptoTest, KeyDerivationAndTokenMatchIndependentValues) {
  auto key = DeriveKey("correct horse", Sequence(0x10), 1024);
  ASSERT_TRUE(key);
  EXPECT_EQ(V(*key), Hex("144285bebd3e0ad2c75b7c58fa22c859"));

  auto token = EncryptToken(*key, Sequence(0x00), Keys());
  ASSERT_TRUE(token);
  EXPECT_EQ(V(*token), Hex("7c0f01623d9ca44b2dd620cc7c1ff9432a22a5e34e9eda29fa71d18d4ba4da32"
                           "e8574a9b4eb7e1c50957111ceb4f9821a541bd2771c89c35b5ed99b4636474d2"));
  auto back = DecryptToken(*key, *token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->challenge, Sequence(0x00));
  EXPECT_EQ(back->keys.aes, Keys().aes);
  EXPECT_EQ(back->keys.hmac, Keys().hmac);

  // Another secret gives another key: the server sees a challenge that does not match.
  auto wrong = DecryptToken(*DeriveKey("battery staple", Sequence(0x10), 1024), *token);
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->challenge, Sequence(0x00));
  EXPECT_FALSE(DeriveKey("x", Sequence(0), 0));
}

// The server's direction after Server-Start: its last block (Start-Time and
// MBZ) opens the CBC chain from Server-IV and counts towards the HMAC of
// the next message, Accept-Session.
TEST(ControlCryptoTest, TheControlStreamIsOneCbcChainWithHmacsOverThePlaintext) {
  std::vector<std::byte> start_block = Hex("e9a3f2a0800000000000000000000000");
  start_block.resize(16);
  std::vector<std::byte> accept = Hex("00004e20");
  for (int i = 1; i <= 16; ++i) accept.push_back(static_cast<std::byte>(i));
  accept.resize(48, std::byte{0});

  ControlCipher server(Keys(), Sequence(0x20));
  auto block = start_block;
  ASSERT_TRUE(server.Seal(block, false));
  auto message = accept;
  ASSERT_TRUE(server.Seal(message, true));
  std::vector<std::byte> wire = block;
  wire.insert(wire.end(), message.begin(), message.end());
  EXPECT_EQ(wire, Hex("c7356ccd16cedc6b992c809cf717a036d5198566d3cb030730bcefac0ec35dc9"
                      "9e9a2704b20b5be4415dfcd95ff2ba54412f845ea61440194c69afcfaa21c0c3"));

  ControlCipher client_side(Keys(), Sequence(0x20));
  ASSERT_TRUE(client_side.Open(block, false));
  EXPECT_EQ(block, start_block);
  ASSERT_TRUE(client_side.Open(message, true));
  EXPECT_EQ(std::vector<std::byte>(message.begin(), message.begin() + 32),
            std::vector<std::byte>(accept.begin(), accept.begin() + 32));
  EXPECT_EQ(std::vector<std::byte>(message.begin() + 32, message.end()),
            Hex("f8624c9dd785bbb5522a1c553e67e7e9"));

  // A flipped bit fails the HMAC check.
  ControlCipher server2(Keys(), Sequence(0x20));
  ControlCipher client2(Keys(), Sequence(0x20));
  auto m2 = accept;
  ASSERT_TRUE(server2.Seal(m2, true));
  m2[3] ^= std::byte{1};
  auto bad = client2.Open(m2, true);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("HMAC check failed"), std::string::npos);
  std::vector<std::byte> odd(20);
  EXPECT_FALSE(server2.Seal(odd, true));
}

TEST(ControlCryptoTest, SecretsFilesTakePassPhrasesAndHexAndMustBePrivate) {
  auto s = ParseSecrets("# lab keys\nedge-1  correct horse battery\nhub hex:00ff10\n\n", "keys");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->at("edge-1"), "correct horse battery");
  EXPECT_EQ(s->at("hub"), std::string("\x00\xff\x10", 3));
  auto bad_hex = ParseSecrets("hub hex:0g\n", "keys");
  ASSERT_FALSE(bad_hex);
  EXPECT_NE(bad_hex.error().message.find(
                "keys:1: the secret of 'hub' is not an even number of hex digits"),
            std::string::npos);
  EXPECT_FALSE(ParseSecrets("lonely\n", "keys"));
  EXPECT_FALSE(ParseSecrets("a x\na y\n", "keys"));

  testing::TempDir dir;
  const std::string path = dir / "twamp-keys";
  std::ofstream(path) << "edge-1 secret\n";
  chmod(path.c_str(), 0644);
  auto open = LoadSecrets(path);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("is open to group or others (mode 0644): chmod 600 " + path),
            std::string::npos)
      << open.error().message;
  chmod(path.c_str(), 0600);
  auto loaded = LoadSecrets(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->at("edge-1"), "secret");
  EXPECT_FALSE(LoadSecrets(dir / "missing"));
}

}  // namespace
}  // namespace lineup::measure::control
