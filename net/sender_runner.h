// Runs Session-Senders on real sockets: each session has its own connected
// UDP socket and timer on one io_context, so one thread carries thousands of
// sessions. Not thread-safe: call from the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "measure/session.h"

namespace lineup::measure {

class SenderRunner {
 public:
  using OnDone = std::function<void(SessionResult)>;

  SenderRunner(boost::asio::io_context& io, const Clock& clock);
  ~SenderRunner();
  SenderRunner(const SenderRunner&) = delete;
  SenderRunner& operator=(const SenderRunner&) = delete;

  // Validates, opens the socket and schedules the first probe after
  // `start_delay`. `done` runs once, on the io_context thread, when the
  // session has sent everything and waited for late replies (or earlier, when
  // every probe was answered).
  [[nodiscard]] Result<void> Start(SessionConfig config, OnDone done, Nanos start_delay = Nanos(0));
  // The same on a socket already open and bound (to the device, then to the
  // address and port a TWAMP-Control request named): a port given up between
  // the request and the start could be taken by another socket.
  [[nodiscard]] Result<void> Start(SessionConfig config, boost::asio::ip::udp::socket bound,
                                   OnDone done, Nanos start_delay = Nanos(0));

  std::size_t active() const;

 private:
  Result<void> StartOn(SessionConfig config, std::optional<boost::asio::ip::udp::socket> bound,
                       OnDone done, Nanos start_delay);
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lineup::measure
