// Boost 1.74's coroutine support needs <utility> first.
#include <utility>

// GCC 12 mistakes asio's coroutine frame allocator for a mismatched
// new/delete pair when it inlines a coroutine (a known false positive).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "net/twamp_client.h"

#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/time_text.h"
#include "net/timer.h"
#include "net/udp_io.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Run {
  Run(asio::io_context& io_, const Clock& clock_, TwampTestOptions options_)
      : io(io_),
        clock(clock_),
        options(std::move(options_)),
        socket(io_),
        deadline(io_, clock_),
        runner(io_, clock_) {}

  asio::io_context& io;
  const Clock& clock;
  TwampTestOptions options;
  tcp::socket socket;
  net::Timer deadline;
  SenderRunner runner;
  bool timed_out = false;
  std::string waiting_for;  // what the deadline guards, for the message
};

std::string Where(const TcpEndpoint& e) {
  return FormatEndpoint(UdpEndpoint(e.address(), e.port()));
}

// Arms the deadline: the socket is closed when `what` takes longer than `d`.
void Guard(const std::shared_ptr<Run>& run, Nanos d, std::string what) {
  run->waiting_for = std::move(what);
  run->deadline.ExpiresAfter(d);
  run->deadline.AsyncWait([run](const boost::system::error_code& ec) {
    if (ec) return;
    run->timed_out = true;
    boost::system::error_code ignored;
    run->socket.close(ignored);
  });
}

Error Failed(const std::shared_ptr<Run>& run, const boost::system::error_code& ec,
             const std::string& doing) {
  const std::string where = Where(run->options.server);
  if (run->timed_out) {
    return {ErrorCode::kUnavailable,
            fmt::format("{}: no answer while {} (timeout {})", where, run->waiting_for,
                        FormatDuration(run->options.reply_timeout))};
  }
  if (ec == asio::error::eof) {
    return {ErrorCode::kUnavailable,
            fmt::format("{}: the server closed the control connection while {}", where, doing)};
  }
  return {ErrorCode::kIo, fmt::format("{}: {} while {}", where, ec.message(), doing)};
}

asio::awaitable<Result<std::vector<std::byte>>> ReadExactly(std::shared_ptr<Run> run,
                                                            std::size_t length, std::string what) {
  std::vector<std::byte> bytes(length);
  boost::system::error_code ec;
  Guard(run, run->options.reply_timeout, "waiting for " + what);
  co_await asio::async_read(run->socket, asio::buffer(bytes),
                            asio::redirect_error(asio::use_awaitable, ec));
  run->deadline.Cancel();
  if (ec) co_return tl::unexpected(Failed(run, ec, "waiting for " + what));
  co_return bytes;
}

asio::awaitable<Result<void>> WriteAll(std::shared_ptr<Run> run,
                                       const std::vector<std::byte>& bytes, std::string what) {
  boost::system::error_code ec;
  co_await asio::async_write(run->socket, asio::buffer(bytes),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return tl::unexpected(Failed(run, ec, "sending " + what));
  co_return Result<void>{};
}

// The Session-Sender's socket, bound now to a free port on the control
// connection's local address (and to the session's device): its port is the
// Request-TW-Session's Sender Port, and the socket is kept until the sender
// runs on it, so no other socket can take the port in between.
Result<asio::ip::udp::socket> SenderSocket(asio::io_context& io, const IpAddress& local,
                                           const std::string& device) {
  asio::ip::udp::socket socket(io);
  boost::system::error_code ec;
  socket.open(local.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
  if (ec) return Fail(ErrorCode::kIo, fmt::format("cannot open a UDP socket: {}", ec.message()));
  if (auto on_device = BindToDevice(socket.native_handle(), device); !on_device) {
    return tl::unexpected(on_device.error());
  }
  socket.bind(UdpEndpoint(local, 0), ec);
  if (ec) {
    return Fail(ErrorCode::kIo,
                fmt::format("cannot find a UDP port on {}: {}", local.to_string(), ec.message()));
  }
  return socket;
}

// The sender packets' padding: the session's, or as long as the replies in
// the accepted mode (the secure layouts answer 112 octets).
std::uint32_t PaddingFor(const TwampTestOptions& o, std::uint32_t mode) {
  if (!o.symmetric_padding) return o.session.padding;
  const std::size_t padding = control::SecuresTest(mode)
                                  ? kSecureReflectorHeaderLength - kSecureSenderHeaderLength
                                  : kStampMinLength - kSenderHeaderLength;
  return static_cast<std::uint32_t>(padding);
}

asio::awaitable<Result<TwampTestResult>> Test(std::shared_ptr<Run> run) {
  const auto& o = run->options;
  TwampTestResult result;
  boost::system::error_code ec;
  Guard(run, o.connect_timeout, "connecting");
  co_await run->socket.async_connect(o.server, asio::redirect_error(asio::use_awaitable, ec));
  run->deadline.Cancel();
  if (ec) {
    if (run->timed_out) {
      co_return Fail(ErrorCode::kUnavailable,
                     fmt::format("{}: no connection within {}", Where(o.server),
                                 FormatDuration(o.connect_timeout)));
    }
    co_return Fail(
        ErrorCode::kUnavailable,
        fmt::format(
            "cannot connect to {}: {}{}", Where(o.server), ec.message(),
            ec == asio::error::connection_refused ? " (is a TWAMP server listening there?)" : ""));
  }
  result.local = run->socket.local_endpoint(ec);
  control::ControlClient client(o.control);

  auto greeting = co_await ReadExactly(run, control::kServerGreetingLength, "the Server Greeting");
  if (!greeting) co_return tl::unexpected(greeting.error());
  auto setup = client.OnGreeting(*greeting);
  if (!setup)
    co_return Fail(setup.error().code,
                   fmt::format("{}: {}", Where(o.server), setup.error().message));
  if (auto w = co_await WriteAll(run, *setup, "Set-Up-Response"); !w)
    co_return tl::unexpected(w.error());
  auto start = co_await ReadExactly(run, control::kServerStartLength, "Server-Start");
  if (!start) co_return tl::unexpected(start.error());
  if (auto ok = client.OnServerStart(*start); !ok) {
    co_return Fail(ok.error().code, fmt::format("{}: {}", Where(o.server), ok.error().message));
  }
  result.mode = client.mode();
  const std::uint32_t padding = PaddingFor(o, client.mode());

  const IpAddress local = result.local.address();
  for (std::uint32_t test = 0; test < o.tests; ++test) {
    const MonoTime began = run->clock.Monotonic();
    const WallTime start_at = run->clock.Now() + o.start_delay;
    std::vector<SessionConfig> configs;
    std::vector<asio::ip::udp::socket> sockets;
    for (std::uint32_t i = 0; i < o.sessions; ++i) {
      auto socket = SenderSocket(run->io, local, o.session.device);
      if (!socket) co_return tl::unexpected(socket.error());
      const auto sender = socket->local_endpoint(ec);
      if (ec) co_return Fail(ErrorCode::kIo, fmt::format("a UDP socket: {}", ec.message()));
      control::RequestTwSession request;
      request.sender = sender.address();
      request.receiver = o.server.address();
      request.sender_port = sender.port();
      request.receiver_port = o.reflector_port;
      request.padding_length = padding;
      request.start_time = ToNtp(start_at);
      request.timeout = NtpTimestamp::FromRaw(static_cast<std::uint64_t>(
          std::chrono::duration<double>(o.session.wait).count() * 4294967296.0));
      request.type_p = control::TypePForDscp(o.session.dscp);
      auto bytes = client.RequestSession(request);
      if (!bytes) co_return tl::unexpected(bytes.error());
      if (auto w = co_await WriteAll(run, *bytes, "Request-TW-Session"); !w)
        co_return tl::unexpected(w.error());
      auto reply = co_await ReadExactly(run, control::kAcceptSessionLength, "Accept-Session");
      if (!reply) co_return tl::unexpected(reply.error());
      auto accepted = client.OnAcceptSession(*reply);
      if (!accepted) {
        co_return Fail(accepted.error().code,
                       fmt::format("{}: {}", Where(o.server), accepted.error().message));
      }
      SessionConfig c = o.session;
      c.padding = padding;
      c.destination = UdpEndpoint(o.server.address(), accepted->port);
      c.source = sender;
      c.reflector = ReflectorNumbering::kStateful;
      c.negotiated = true;
      if (control::SecuresTest(client.mode())) {
        auto cipher = CreateTestCipher(accepted->sid, client.keys(), client.mode());
        if (!cipher) co_return tl::unexpected(cipher.error());
        c.security = std::move(*cipher);
      }
      if (c.name.empty() || o.sessions > 1) {
        c.name = fmt::format("{}{}", FormatEndpoint(c.destination),
                             o.sessions > 1 ? fmt::format(" #{}", i + 1) : std::string());
      }
      result.ports.push_back(accepted->port);
      configs.push_back(std::move(c));
      sockets.push_back(std::move(*socket));
    }
    auto start_bytes = client.StartSessions();
    if (!start_bytes) co_return tl::unexpected(start_bytes.error());
    if (auto w = co_await WriteAll(run, *start_bytes, "Start-Sessions"); !w)
      co_return tl::unexpected(w.error());
    auto ack = co_await ReadExactly(run, control::kStartAckLength, "Start-Ack");
    if (!ack) co_return tl::unexpected(ack.error());
    if (auto ok = client.OnStartAck(*ack); !ok) {
      co_return Fail(ok.error().code, fmt::format("{}: {}", Where(o.server), ok.error().message));
    }
    if (o.on_started) o.on_started();

    // The senders, all at once; the control connection waits for them.
    auto results = std::make_shared<std::vector<SessionResult>>(configs.size());
    auto remaining = std::make_shared<std::size_t>(configs.size());
    net::Timer all_done(run->io, run->clock);  // never expires: woken when all are done
    const Nanos wait_for_start = std::max(Nanos(0), start_at - run->clock.Now());
    for (std::size_t i = 0; i < configs.size(); ++i) {
      auto started = run->runner.Start(
          configs[i], std::move(sockets[i]),
          [results, remaining, i, &all_done](SessionResult r) {
            (*results)[i] = std::move(r);
            if (--*remaining == 0) all_done.Cancel();
          },
          wait_for_start);
      if (!started) {
        (*results)[i].config = configs[i];
        (*results)[i].error = started.error();
        if (--*remaining == 0) all_done.Cancel();
      }
    }
    // The server says nothing during a test; a read that completes means it
    // closed the connection (SERVWAIT, REFWAIT, a restart): the results are
    // partial, and the caller must say so.
    auto closed_at = std::make_shared<std::optional<Nanos>>();
    auto byte = std::make_shared<std::array<std::byte, 1>>();
    const MonoTime test_began = run->clock.Monotonic();
    run->socket.async_read_some(asio::buffer(*byte), [closed_at, byte, run, test_began](
                                                         boost::system::error_code e, std::size_t) {
      if (e != asio::error::operation_aborted) *closed_at = run->clock.Monotonic() - test_began;
    });
    if (*remaining > 0) co_await all_done.AsyncWait(asio::redirect_error(asio::use_awaitable, ec));
    run->socket.cancel(ec);
    co_await asio::post(run->io, asio::use_awaitable);  // the read's handler has run
    if (*closed_at) {
      result.tests.push_back(std::move(*results));
      result.closed_mid_test = fmt::format(
          "{} closed the control connection {} into test {}: the results are partial (is its "
          "SERVWAIT or REFWAIT shorter than the test?)",
          Where(o.server), FormatElapsed(**closed_at), test + 1);
      break;
    }

    auto stop = client.StopSessions(static_cast<std::uint32_t>(configs.size()));
    if (!stop) co_return tl::unexpected(stop.error());
    if (auto w = co_await WriteAll(run, *stop, "Stop-Sessions"); !w)
      co_return tl::unexpected(w.error());
    result.tests.push_back(std::move(*results));

    if (test + 1 < o.tests) {
      net::Timer gap(run->io, run->clock);
      gap.ExpiresAt(began + o.test_interval);
      co_await gap.AsyncWait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  run->socket.shutdown(tcp::socket::shutdown_both, ec);
  run->socket.close(ec);
  co_return result;
}

}  // namespace

void RunTwampTest(boost::asio::io_context& io, const Clock& clock, TwampTestOptions options,
                  TwampTestDone done) {
  // The destination comes from Accept-Session; check the rest now.
  SessionConfig check = options.session;
  check.destination = UdpEndpoint(options.server.address(), kDefaultTestPort);
  check.negotiated = true;
  if (auto ok = Validate(check); !ok) {
    asio::post(io, [done = std::move(done), e = ok.error()] { done(tl::unexpected(e)); });
    return;
  }
  auto run = std::make_shared<Run>(io, clock, std::move(options));
  asio::co_spawn(io, Test(run),
                 [run, done = std::move(done)](const std::exception_ptr& error,
                                               Result<TwampTestResult> result) {
                   if (error) {
                     done(Fail(ErrorCode::kInternal, "the TWAMP test failed unexpectedly"));
                     return;
                   }
                   done(std::move(result));
                 });
}

}  // namespace lineup::measure
