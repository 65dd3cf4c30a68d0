// A server's bytes into the TWAMP-Control client, message by message as the
// client reads them (greeting, Server-Start, Accept-Session, Start-Ack),
// with the client willing to use any mode and holding a secret.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "measure/control_session.h"
#include "measure/control_wire.h"

namespace c = lineup::measure::control;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> in(reinterpret_cast<const std::byte*>(data),
                            reinterpret_cast<const std::byte*>(data) + size);
  // The greeting's Count (bytes 48-51: PBKDF2 iterations, up to 2^24 taken)
  // is held under 2^16 here, or most inputs would spend their time hashing.
  if (in.size() >= 52) in[48] = in[49] = std::byte(0);
  std::size_t at = 0;
  // The next `n` bytes, or nothing when the input is shorter.
  auto next = [&](std::size_t n) -> std::optional<lineup::ByteSpan> {
    if (in.size() - at < n) return std::nullopt;
    lineup::ByteSpan s(in.data() + at, n);
    at += n;
    return s;
  };
  c::ClientOptions options;
  options.key_id = "fuzz";
  options.secret = "a shared secret";
  options.reflect_octets = true;
  c::ControlClient client(options);
  auto greeting = next(c::kServerGreetingLength);
  if (!greeting || !client.OnGreeting(*greeting)) return 0;
  auto start = next(c::kServerStartLength);
  if (!start || !client.OnServerStart(*start)) return 0;
  c::RequestTwSession request;
  request.receiver = boost::asio::ip::make_address("127.0.0.1");
  request.sender_port = 40000;
  request.receiver_port = 862;
  if (!client.RequestSession(request)) return 0;
  auto accept = next(c::kAcceptSessionLength);
  if (!accept || !client.OnAcceptSession(*accept)) return 0;
  if (!client.StartSessions()) return 0;
  auto ack = next(c::kStartAckLength);
  if (!ack || !client.OnStartAck(*ack)) return 0;
  (void)client.StopSessions(1);
  return 0;
}
