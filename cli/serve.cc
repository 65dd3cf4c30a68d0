#include "cli/serve.h"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>

namespace lineup::cli {

void RunPrintingStatus(boost::asio::io_context& io, Nanos every, std::optional<Nanos> duration,
                       const std::function<void()>& print) {
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
  asio::steady_timer periodic(io);
  std::function<void()> arm_periodic = [&] {
    periodic.expires_after(every);
    periodic.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      print();
      arm_periodic();
    });
  };
  if (every > Nanos(0)) arm_periodic();
  asio::steady_timer deadline(io);
  if (duration) {
    deadline.expires_after(*duration);
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) io.stop();
    });
  }
  io.run();
}

}  // namespace lineup::cli
