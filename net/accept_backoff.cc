#include "net/accept_backoff.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/timer.h"

namespace lineup::net {

AcceptBackoff::Step AcceptBackoff::Failed(const boost::system::error_code& ec) {
  ++failures_;
  ++unlogged_;
  delay_ = delay_ == Nanos(0) ? kFirstDelay : std::min(delay_ * 2, kMaxDelay);
  Step step;
  step.delay = delay_;
  const MonoTime now = clock_.Monotonic();
  if (!last_log_ || now - *last_log_ >= kLogInterval) {
    step.log = fmt::format(
        "accept failed: {} ({} time{} since the last report); pausing up to {} ms between tries "
        "(out of file descriptors? raise LimitNOFILE= or ulimit -n)",
        ec.message(), unlogged_, unlogged_ == 1 ? "" : "s",
        std::chrono::duration_cast<std::chrono::milliseconds>(kMaxDelay).count());
    last_log_ = now;
    unlogged_ = 0;
  }
  return step;
}

boost::asio::awaitable<void> AcceptLoop(boost::asio::ip::tcp::acceptor& acceptor,
                                        const Clock& clock, std::string who,
                                        std::function<bool()> stopped,
                                        std::function<void(boost::asio::ip::tcp::socket)> serve,
                                        std::uint64_t* failures) {
  namespace asio = boost::asio;
  AcceptBackoff backoff(clock);
  Timer pause(acceptor.get_executor(), clock);
  for (;;) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped()) co_return;
      if (failures != nullptr) ++*failures;
      const auto step = backoff.Failed(ec);
      if (step.log) spdlog::warn("{}: {}", who, *step.log);
      pause.ExpiresAfter(step.delay);
      co_await pause.AsyncWait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped()) co_return;
      continue;
    }
    backoff.Succeeded();
    serve(std::move(socket));
  }
}

}  // namespace lineup::net
