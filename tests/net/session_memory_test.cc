// What a full-TWAMP test session costs the server: the heap its thread holds
// for 500 live sessions of one client, while foreign senders try to fill
// every session's sender table. Its own executable, because it counts the
// heap by replacing operator new.
#include <utility>

#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/resource.h>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <future>
#include <new>
#include <thread>

#include "measure/wire.h"
#include "net/twamp_client.h"
#include "net/twamp_server.h"

namespace {
// Heap bytes allocated on the counted thread minus those it freed (bytes
// freed on other threads are not subtracted: the figure can only be high).
std::atomic<std::int64_t> g_live_bytes{0};
thread_local bool t_counted = false;

void* Allocate(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  if (t_counted) g_live_bytes += static_cast<std::int64_t>(::malloc_usable_size(p));
  return p;
}
void Release(void* p) noexcept {
  if (p == nullptr) return;
  if (t_counted) g_live_bytes -= static_cast<std::int64_t>(::malloc_usable_size(p));
  std::free(p);
}
}  // namespace

// NOLINTBEGIN(misc-new-delete-overloads,cert-dcl54-cpp,hicpp-new-delete-operators)
void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
// NOLINTEND(misc-new-delete-overloads,cert-dcl54-cpp,hicpp-new-delete-operators)

namespace lineup::measure {
namespace {

namespace asio = boost::asio;

constexpr std::uint32_t kSessions = 500;
constexpr int kIntruders = 64;  // foreign source ports, each sending to every session

// Raises the descriptor limit to what the test needs (a session is a socket
// on each side), or says why it cannot run.
bool EnoughDescriptors(rlim_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) return false;
  limit.rlim_cur = needed;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

// 500 negotiated sessions of one client stay under 64 KB of heap each on
// the server, with 64 other ports of the client's host sending to every one
// of them: a negotiated session keeps its one sender's state (the others are
// dropped as not negotiated), and the sessions share one set of batch
// buffers. Socket buffers are the kernel's, not counted here.
TEST(SessionMemoryTest, FiveHundredSessionsOfOneClientStayUnder64KbEach) {
  if (!EnoughDescriptors(2 * kSessions + kIntruders + 64)) {
    GTEST_SKIP() << "needs " << 2 * kSessions + kIntruders + 64 << " file descriptors";
  }
  RealClock clock;
  asio::io_context server_io;
  TwampServerConfig config;
  config.listen.push_back({TcpEndpoint(asio::ip::make_address("127.0.0.1"), 0), ""});
  config.port_low = 32000;
  config.port_high = 32999;
  auto created = TwampServer::Create(server_io, clock, config);
  ASSERT_TRUE(created) << created.error().message;
  auto server = std::move(*created);
  const TcpEndpoint endpoint = server->Status().listening.at(0);

  auto work = asio::make_work_guard(server_io);
  std::promise<std::int64_t> baseline;
  auto baseline_ready = baseline.get_future();
  std::thread server_thread([&] {
    t_counted = true;
    asio::post(server_io, [&] { baseline.set_value(g_live_bytes.load()); });
    server_io.run();
    t_counted = false;
  });
  const std::int64_t before = baseline_ready.get();

  // Asks the server thread for its status (it is not thread-safe).
  auto status = [&] {
    std::promise<TwampServerStatus> p;
    auto f = p.get_future();
    asio::post(server_io, [&] { p.set_value(server->Status()); });
    return f.get();
  };

  asio::io_context client_io;
  std::vector<std::unique_ptr<asio::ip::udp::socket>> intruders;
  std::int64_t during = 0;
  std::size_t live_sessions = 0;
  std::uint64_t dropped = 0;
  TwampTestOptions o;
  o.server = endpoint;
  o.sessions = kSessions;
  o.session.count = 4;
  o.session.interval = std::chrono::milliseconds(500);
  o.session.wait = std::chrono::milliseconds(500);
  o.on_started = [&] {
    const auto sessions = status().sessions;
    live_sessions = sessions.size();
    std::array<std::byte, 44> probe{};
    SenderPacket p;
    p.length = probe.size();
    for (int i = 0; i < kIntruders; ++i) {
      intruders.push_back(std::make_unique<asio::ip::udp::socket>(
          client_io, UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0)));
      for (const auto& s : sessions) {
        p.sequence = static_cast<std::uint32_t>(i);
        ASSERT_TRUE(Encode(p, probe));
        intruders.back()->send_to(asio::buffer(probe), s.reflector);
      }
    }
    // Until the server has drained them all (or 10 s).
    const std::uint64_t sent = std::uint64_t{kIntruders} * sessions.size();
    for (int i = 0; i < 500 && dropped < sent; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      dropped = 0;
      for (const auto& s : status().sessions) dropped += s.dropped;
    }
    during = g_live_bytes.load();
  };
  std::optional<Result<TwampTestResult>> result;
  RunTwampTest(client_io, clock, o, [&](Result<TwampTestResult> r) { result = std::move(r); });
  client_io.run();

  server_io.stop();
  server_thread.join();
  ASSERT_TRUE(result);
  ASSERT_TRUE(*result) << result->error().message;
  ASSERT_EQ(live_sessions, kSessions);
  // Every intruder's datagram reached its session and was dropped.
  EXPECT_EQ(dropped, std::uint64_t{kIntruders} * kSessions);
  const double per_session = static_cast<double>(during - before) / kSessions;
  RecordProperty("server_heap_bytes_per_session", static_cast<int>(per_session));
  std::printf("server heap per test session: %.0f bytes (%u sessions)\n", per_session, kSessions);
  EXPECT_LT(per_session, 64.0 * 1024);
  std::size_t answered = 0;
  // The senders themselves: all answered (a sender's port taken by another
  // socket between the request and the start once failed sessions here).
  for (const auto& s : (*result)->tests.at(0)) {
    EXPECT_FALSE(s.error) << s.error->message;
    answered += s.summary.received;
  }
  EXPECT_EQ(answered, std::size_t{kSessions} * o.session.count);
}

}  // namespace
}  // namespace lineup::measure
