// Writes seed corpora for the binary fuzz targets into DIR/<target>/, made
// by the real encoders so they follow the formats as those change:
//   event_record    one record of each event type
//   control_server  a whole open-mode conversation, client to server
//                   (after the fuzz target's first byte, which picks the mode)
//   control_client  the server's side of it
//   test_packet     probes and replies in the open, STAMP and secure layouts
// The text targets take the repository's own files (scripts/fuzz).
// Usage: fuzz_seeds DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "fuzz/fuzz_keys.h"
#include "measure/control_session.h"
#include "measure/control_wire.h"
#include "measure/reflector.h"
#include "measure/session.h"
#include "store/codec.h"

namespace fs = std::filesystem;
namespace c = lineup::measure::control;
namespace m = lineup::measure;

namespace {

void Write(const fs::path& dir, const std::string& name, const void* data, std::size_t size) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}

template <std::size_t I = 0>
void Records(const fs::path& dir) {
  if constexpr (I < std::variant_size_v<lineup::store::Payload>) {
    lineup::store::Event e;
    e.time = lineup::FromUnixNanos(1'795'000'000'000'000'000);
    e.stream = "line-a";
    e.payload.emplace<I>();
    std::string record;
    lineup::store::EncodeRecord(e, 3, record);
    Write(dir, "type-" + std::to_string(I), record.data(), record.size());
    Records<I + 1>(dir);
  }
}

void Append(std::vector<std::byte>& to, const std::vector<std::byte>& bytes) {
  to.insert(to.end(), bytes.begin(), bytes.end());
}

bool Conversation(const fs::path& server_dir, const fs::path& client_dir) {
  lineup::FakeClock clock(lineup::FromUnixNanos(1'795'000'000'000'000'000));
  c::ServerOptions options;  // open mode only
  const auto local = boost::asio::ip::make_address("127.0.0.1");
  c::ControlServer server(options, lineup::fuzz::AcceptingHooks(), clock, local, local);
  c::ControlClient client(c::ClientOptions{});
  std::vector<std::byte> to_server{std::byte(0)};  // the target's mode byte: open
  std::vector<std::byte> to_client;
  std::vector<std::byte> out;
  auto greeting = server.Greeting();
  if (!greeting) return false;
  Append(to_client, *greeting);
  auto setup = client.OnGreeting(*greeting);
  if (!setup || !server.Receive(*setup, out)) return false;
  Append(to_server, *setup);
  Append(to_client, out);
  if (!client.OnServerStart(out)) return false;
  c::RequestTwSession request;
  request.receiver = local;
  request.sender_port = 40000;
  request.receiver_port = 862;
  auto req = client.RequestSession(request);
  out.clear();
  if (!req || !server.Receive(*req, out)) return false;
  Append(to_server, *req);
  Append(to_client, out);
  if (!client.OnAcceptSession(out)) return false;
  auto start = client.StartSessions();
  out.clear();
  if (!start || !server.Receive(*start, out)) return false;
  Append(to_server, *start);
  Append(to_client, out);
  if (!client.OnStartAck(out)) return false;
  auto stop = client.StopSessions(1);
  if (!stop) return false;
  Append(to_server, *stop);
  Write(server_dir, "open-conversation", to_server.data(), to_server.size());
  Write(client_dir, "open-conversation", to_client.data(), to_client.size());
  return true;
}

void Packets(const fs::path& dir) {
  int n = 0;
  auto probe = [&](m::SessionConfig sc) {
    sc.destination = m::ParseEndpoint("127.0.0.1:862").value();
    sc.count = 1;
    m::SenderSession session(sc);
    std::vector<std::byte> bytes(sc.PacketLength());
    const std::size_t length = session.BuildProbe(lineup::FromUnixNanos(1'000'000), bytes);
    Write(dir, "probe-" + std::to_string(n++), bytes.data(), length);
    // and the reply a STAMP reflector gives it
    m::ReflectorConfig rc;
    rc.security = sc.security;
    m::ReflectorCore core(rc);
    std::vector<std::byte> reply(m::kMaxTestPacketLength);
    const m::ReceivedMeta meta{m::ParseEndpoint("127.0.0.1:40000").value(),
                               lineup::FromUnixNanos(2'000'000), 64, 0, false};
    if (auto plan = core.Reflect(std::span(bytes).first(length), meta, reply)) {
      Write(dir, "reply-" + std::to_string(n++), reply.data(), plan->length);
    }
  };
  m::SessionConfig open;
  open.padding = 27;
  probe(open);
  m::SessionConfig stamp;
  stamp.ssid = 0x1234;
  probe(stamp);
  m::SessionConfig authenticated;
  authenticated.security = lineup::fuzz::FuzzCipher(c::kAuthenticated);
  probe(authenticated);
  m::SessionConfig encrypted;
  encrypted.security = lineup::fuzz::FuzzCipher(c::kEncrypted);
  probe(encrypted);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  Records(dir / "event_record");
  if (!Conversation(dir / "control_server", dir / "control_client")) {
    std::fprintf(stderr, "fuzz_seeds: the open-mode conversation failed\n");
    return 1;
  }
  Packets(dir / "test_packet");
  return 0;
}
