// What an accept loop does when accept fails. Out of file descriptors
// (EMFILE, ENFILE) or memory, the listening socket stays readable, so a loop
// that retries at once spins at full CPU and logs every try (729k lines in
// 17 s once). It waits instead, 10 ms doubling to 1 s while the failures go
// on, and logs at most once per 10 s with the count of failures since.
// AcceptLoop is the accept loop of every TCP server here, built on it.
#pragma once

#include <utility>  // before Asio's coroutine headers (Boost 1.74)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"

namespace lineup::net {

class AcceptBackoff {
 public:
  static constexpr Nanos kFirstDelay = std::chrono::milliseconds(10);
  static constexpr Nanos kMaxDelay = std::chrono::seconds(1);
  static constexpr Nanos kLogInterval = std::chrono::seconds(10);

  explicit AcceptBackoff(const Clock& clock) : clock_(clock) {}

  struct Step {
    Nanos delay{0};                  // wait this long before accepting again
    std::optional<std::string> log;  // a line to log, at most once per kLogInterval
  };
  // An accept failed with `ec`.
  Step Failed(const boost::system::error_code& ec);
  // An accept succeeded: the next failure waits kFirstDelay again.
  void Succeeded() { delay_ = Nanos(0); }

  std::uint64_t failures() const { return failures_; }

 private:
  const Clock& clock_;
  Nanos delay_{0};
  std::uint64_t failures_ = 0;  // all of them
  std::uint64_t unlogged_ = 0;  // since the last log line
  std::optional<MonoTime> last_log_;
};

// Accepts on `acceptor` until it is closed or `stopped()` says so, handing
// each connection to `serve`. A failed accept pauses as AcceptBackoff says,
// is counted in `*failures` (when given) and logged, at most once per
// interval, as "`who`: accept failed: ...". The pause timer is made before
// the first accept: out of descriptors, it could not be made then.
boost::asio::awaitable<void> AcceptLoop(boost::asio::ip::tcp::acceptor& acceptor,
                                        const Clock& clock, std::string who,
                                        std::function<bool()> stopped,
                                        std::function<void(boost::asio::ip::tcp::socket)> serve,
                                        std::uint64_t* failures = nullptr);

}  // namespace lineup::net
