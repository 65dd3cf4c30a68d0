#include "cli/serve.h"

#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "net/timer.h"

namespace lineup::cli {

void RunPrintingStatus(boost::asio::io_context& io, const Clock& clock, Nanos every,
                       std::optional<Nanos> duration, const std::function<void()>& print) {
  namespace asio = boost::asio;
  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](boost::system::error_code, int) { io.stop(); });
  asio::signal_set show(io, SIGUSR1);
  std::function<void()> arm_show = [&] {
    show.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      print();
      arm_show();
    });
  };
  arm_show();
  net::Timer periodic(io, clock);
  std::function<void()> arm_periodic = [&] {
    periodic.ExpiresAfter(every);
    periodic.AsyncWait([&](boost::system::error_code ec) {
      if (ec) return;
      print();
      arm_periodic();
    });
  };
  if (every > Nanos(0)) arm_periodic();
  net::Timer deadline(io, clock);
  if (duration) {
    deadline.ExpiresAfter(*duration);
    deadline.AsyncWait([&](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
  }
  io.run();
}

}  // namespace lineup::cli
