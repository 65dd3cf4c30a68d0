#include "net/sender_runner.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <cerrno>
#include <queue>
#include <unordered_set>

#include "net/timer.h"
#include "net/udp_io.h"

namespace lineup::measure {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using SteadyTime = MonoTime;

class Session;

// One timer for the sends of every session on a thread. It wakes when the
// earliest send is due, never before; a send due within its slack after
// that (at most 1 ms, and a tenth of the session's interval) goes out in the
// same wakeup: thousands of sessions then cost a wakeup per slack period
// rather than one per probe. T1 is read when the packet really leaves, so
// the slack shifts the schedule, never a figure.
class Pacer {
 public:
  Pacer(asio::io_context& io, const Clock& clock) : timer_(io, clock) {}

  void Schedule(const std::shared_ptr<Session>& session, SteadyTime at, Nanos slack) {
    const SteadyTime earliest = at - std::chrono::duration_cast<SteadyTime::duration>(slack);
    due_.push(Due{at, earliest, order_++, session});
    if (!firing_ && at < armed_) Arm(at);
  }

 private:
  struct Due {
    SteadyTime at;
    SteadyTime earliest;
    std::uint64_t order;  // ties keep scheduling order
    std::weak_ptr<Session> session;
  };
  struct Later {
    bool operator()(const Due& a, const Due& b) const {
      return std::tie(a.at, a.order) > std::tie(b.at, b.order);
    }
  };

  void Arm(SteadyTime when) {
    armed_ = when;
    timer_.ExpiresAt(when);
    timer_.AsyncWait([this](boost::system::error_code ec) {
      if (!ec) Fire();
    });
  }

  void Fire();

  net::Timer timer_;
  std::priority_queue<Due, std::vector<Due>, Later> due_;
  SteadyTime armed_ = SteadyTime::max();
  std::uint64_t order_ = 0;
  bool firing_ = false;  // Fire arms once at its end, not per rescheduled session
};

// What sessions share with their runner; kept alive by every session, so a
// runner destroyed before its sessions end leaves nothing dangling.
struct Shared {
  Shared(asio::io_context& io, const Clock& c) : clock(c), pacer(io, c) {}
  const Clock& clock;
  BatchReceiver receiver{8};  // one per thread: sessions never drain at once
  Pacer pacer;
  std::unordered_set<Session*> active;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& io, std::shared_ptr<Shared> shared, SessionConfig config,
          SenderRunner::OnDone done)
      : shared_(std::move(shared)),
        clock_(shared_->clock),
        receiver_(shared_->receiver),
        socket_(io),
        timer_(io, clock_),
        core_(std::move(config)),
        buffer_(core_.config().PacketLength()),
        done_(std::move(done)) {}

  // Opens and binds the socket, or takes `bound` as it is.
  Result<void> Open(std::optional<udp::socket> bound) {
    const SessionConfig& c = core_.config();
    const bool v6 = c.destination.address().is_v6();
    boost::system::error_code ec;
    if (bound) {
      socket_ = std::move(*bound);
    } else {
      socket_.open(v6 ? udp::v6() : udp::v4(), ec);
      if (ec) {
        return Fail(ErrorCode::kIo, fmt::format("cannot open a UDP socket: {}", ec.message()));
      }
      if (auto on_device = BindToDevice(socket_.native_handle(), c.device); !on_device) {
        return on_device;
      }
      if (c.source) socket_.bind(*c.source, ec);
      if (ec) {
        return Fail(ErrorCode::kIo, fmt::format("cannot bind the source {}: {}",
                                                FormatEndpoint(*c.source), ec.message()));
      }
    }
    socket_.connect(c.destination, ec);
    if (ec) {
      // The kernel's routing verdict, in words an operator can act on.
      const std::string address = c.destination.address().to_string();
      std::string hint;
      if (ec == boost::asio::error::network_unreachable ||
          ec == boost::asio::error::host_unreachable)
        hint = fmt::format(": no route to it (see 'ip route get {}')", address);
      else if (ec == boost::asio::error::invalid_argument)
        hint = fmt::format(
            ": its route refuses traffic (a blackhole, unreachable or prohibit "
            "route? see 'ip route get {}')",
            address);
      return Fail(
          ErrorCode::kUnavailable,
          fmt::format("cannot reach {}: {}{}", FormatEndpoint(c.destination), ec.message(), hint));
    }
    socket_.non_blocking(true, ec);
    const int fd = socket_.native_handle();
    SendOptions options{static_cast<std::uint8_t>(c.dscp << 2 | c.ecn), c.ttl, c.dont_fragment};
    if (auto r = ApplySendOptions(fd, v6, options); !r) return r;
    if (auto r = EnableReceiveMetadata(fd, v6); !r) return r;
    result_.local = socket_.local_endpoint(ec);
    return {};
  }

  void Begin(Nanos start_delay) {
    result_.started = clock_.Now();
    next_send_ = clock_.Monotonic() + start_delay;
    ArmReceive();
    ScheduleSend();
  }

 private:
  void ScheduleSend() {
    const Nanos slack = std::min<Nanos>(std::chrono::milliseconds(1), core_.config().interval / 10);
    shared_->pacer.Schedule(shared_from_this(), next_send_, slack);
  }

 public:
  void SendOne() {
    if (finished_) return;
    const std::size_t length = core_.BuildProbe(clock_.Now(), buffer_);
    if (::send(socket_.native_handle(), buffer_.data(), length, 0) < 0) {
      if (errno == ECONNREFUSED) {
        ++result_.icmp_errors;
      } else {
        ++result_.send_errors;
      }
    }
    if (core_.AllSent()) {
      timer_.ExpiresAfter(core_.config().wait);
      timer_.AsyncWait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->Finish();
      });
      return;
    }
    next_send_ += core_.NextGap();
    ScheduleSend();
  }

 private:
  void ArmReceive() {
    socket_.async_wait(udp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec || self->finished_) return;
                         self->Drain();
                         if (!self->finished_) self->ArmReceive();
                       });
  }

  void Drain() {
    for (;;) {
      auto n = receiver_.Receive(socket_.native_handle(), clock_);
      if (!n) {  // a pending ICMP error on the connected socket
        ++result_.icmp_errors;
        continue;
      }
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) {
        const DatagramMeta& m = receiver_.meta(i);
        core_.OnDatagram(receiver_.data(i), m.receive_time, m.ttl, m.tos);
      }
      // A short batch emptied the queue: no need for a call that finds nothing
      // (edge-triggered readiness will wake us for anything that comes later).
      if (*n < receiver_.capacity()) break;
    }
    // Everything answered: no need to sit out the wait.
    if (core_.AllSent() && core_.recorder().answered() == core_.config().count) {
      Finish();
    }
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    core_.Close();
    boost::system::error_code ec;
    timer_.Cancel();
    socket_.close(ec);
    result_.finished = clock_.Now();
    result_.config = core_.config();
    result_.summary = core_.Summarize();
    result_.packets = core_.recorder().packets();
    auto done = std::move(done_);
    shared_->active.erase(this);
    if (done) done(std::move(result_));
  }

  std::shared_ptr<Shared> shared_;
  const Clock& clock_;
  BatchReceiver& receiver_;
  udp::socket socket_;
  net::Timer timer_;
  SenderSession core_;
  std::vector<std::byte> buffer_;
  SenderRunner::OnDone done_;
  SessionResult result_;
  SteadyTime next_send_;
  bool finished_ = false;
};

}  // namespace

void Pacer::Fire() {
  armed_ = SteadyTime::max();
  firing_ = true;
  const SteadyTime now = timer_.clock().Monotonic();
  while (!due_.empty() && due_.top().earliest <= now) {
    auto session = due_.top().session.lock();
    due_.pop();
    if (session) session->SendOne();  // may Schedule() the session's next send
  }
  firing_ = false;
  if (!due_.empty()) Arm(due_.top().at);
}

struct SenderRunner::State {
  State(asio::io_context& io_context, const Clock& clock)
      : io(io_context), shared(std::make_shared<Shared>(io_context, clock)) {}
  asio::io_context& io;
  std::shared_ptr<Shared> shared;
};

SenderRunner::SenderRunner(asio::io_context& io, const Clock& clock)
    : state_(std::make_unique<State>(io, clock)) {
  RaiseFileLimit();
}

SenderRunner::~SenderRunner() = default;

std::size_t SenderRunner::active() const { return state_->shared->active.size(); }

Result<void> SenderRunner::Start(SessionConfig config, OnDone done, Nanos start_delay) {
  return StartOn(std::move(config), std::nullopt, std::move(done), start_delay);
}

Result<void> SenderRunner::Start(SessionConfig config, udp::socket bound, OnDone done,
                                 Nanos start_delay) {
  return StartOn(std::move(config), std::optional<udp::socket>(std::move(bound)), std::move(done),
                 start_delay);
}

Result<void> SenderRunner::StartOn(SessionConfig config, std::optional<udp::socket> bound,
                                   OnDone done, Nanos start_delay) {
  if (auto valid = Validate(config); !valid) return valid;
  auto session =
      std::make_shared<Session>(state_->io, state_->shared, std::move(config), std::move(done));
  if (auto opened = session->Open(std::move(bound)); !opened) return opened;
  state_->shared->active.insert(session.get());
  session->Begin(start_delay);
  return {};
}

}  // namespace lineup::measure
