// One datagram into everything that takes test packets: the decoders of the
// plain and secure layouts, the reflector core in each format (STAMP, TWAMP
// Light) and in the secure modes, and the sender's receive path. Besides
// the sanitizers it checks what must hold for any input: a reflector never
// answers with more bytes than it got (unless larger replies are allowed)
// and its counters add up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/fuzz_keys.h"
#include "measure/reflector.h"
#include "measure/session.h"
#include "measure/test_security.h"
#include "measure/wire.h"

namespace m = lineup::measure;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const lineup::ConstByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  (void)m::DecodeSenderPacket(in);
  (void)m::DecodeReflectorPacket(in);
  (void)m::DecodeSecureSenderPacket(in);
  (void)m::DecodeSecureReflectorPacket(in);

  static const auto authenticated = lineup::fuzz::FuzzCipher(m::control::kAuthenticated);
  static const auto encrypted = lineup::fuzz::FuzzCipher(m::control::kEncrypted);
  m::SessionConfig sc;
  sc.destination = m::ParseEndpoint("127.0.0.1:862").value();
  sc.count = 8;
  m::SenderSession session(sc);
  std::vector<std::byte> probe(sc.PacketLength());
  for (std::uint32_t i = 0; i < sc.count; ++i) session.BuildProbe(lineup::FromUnixNanos(i), probe);

  const m::ReceivedMeta meta{m::ParseEndpoint("127.0.0.1:40000").value(),
                             lineup::FromUnixNanos(1'000'000'000), 64, 0, false};
  static std::vector<std::byte> reply(m::kMaxTestPacketLength);
  for (int variant = 0; variant < 4; ++variant) {
    m::ReflectorConfig rc;
    rc.format = variant == 1 ? m::ReflectorFormat::kTwampLight : m::ReflectorFormat::kStamp;
    if (variant == 2) rc.security = authenticated;
    if (variant == 3) rc.security = encrypted;
    m::ReflectorCore core(rc);
    for (int again = 0; again < 2; ++again) {                // the second meets the sender's state
      std::vector<std::byte> request(in.begin(), in.end());  // a cipher opens in place
      if (auto plan = core.Reflect(request, meta, reply)) {
        Require(plan->length >= m::kReflectorHeaderLength);
        Require(plan->length <= reply.size());
        // Never an amplifier. (The secure layouts answer 112 octets to a
        // 78-octet probe, RFC 5357 §4.2.1, but only to one whose HMAC holds.)
        if (variant < 2) Require(plan->length <= size);
        if (variant < 2) {
          session.OnDatagram(std::span(reply).first(plan->length), meta.receive_time, 64, 0);
        }
      }
    }
    const auto& c = core.counters();
    Require(c.received == c.reflected + c.DroppedTotal());
  }
  session.OnDatagram(in, lineup::FromUnixNanos(2'000'000'000), -1, -1);
  const auto s = session.Summarize();
  Require(s.received <= s.sent);
  return 0;
}
