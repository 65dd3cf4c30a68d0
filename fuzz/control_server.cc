// A client's bytes into the TWAMP-Control server's state machine, in each
// mode it can offer (open, authenticated, encrypted, mixed): whole, and in
// small pieces as TCP may deliver them. Seeds (fuzz_seeds) hold a whole
// open-mode conversation, so mutations reach the session requests and the
// Start/Stop commands.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/clock.h"
#include "fuzz/fuzz_keys.h"
#include "measure/control_session.h"

namespace c = lineup::measure::control;

namespace {

void Converse(std::uint32_t modes, lineup::ConstByteSpan in, std::size_t piece) {
  lineup::FakeClock clock(lineup::FromUnixNanos(1'795'000'000'000'000'000));
  c::ServerOptions options;
  options.modes = modes;
  options.secrets = {{"fuzz", "a shared secret"}};
  const auto local = boost::asio::ip::make_address("127.0.0.1");
  c::ControlServer server(options, lineup::fuzz::AcceptingHooks(), clock, local, local);
  if (!server.Greeting()) return;
  std::vector<std::byte> out;
  for (std::size_t at = 0; at < in.size(); at += piece) {
    out.clear();
    if (!server.Receive(in.subspan(at, std::min(piece, in.size() - at)), out)) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const lineup::ConstByteSpan in(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  const std::uint32_t modes[] = {c::kUnauthenticated, c::kAuthenticated, c::kEncrypted, c::kMixed};
  // The first byte picks the mode and the size of the pieces.
  const std::uint32_t mode = modes[data[0] % 4];
  Converse(mode, in, in.size() + 1);
  Converse(mode, in, 1 + (data[0] >> 2) % 48);
  return 0;
}
