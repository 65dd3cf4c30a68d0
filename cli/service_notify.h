// Telling systemd how `lineup run` is doing (sd_notify(3), libsystemd): READY
// once it measures and serves, RELOADING/READY around a SIGHUP, STOPPING at
// the end, a STATUS line, and the watchdog's keep-alive while the daemon
// answers. Without $NOTIFY_SOCKET (not started by systemd) it does nothing.
#pragma once

#include <string>

#include "base/clock.h"

namespace lineup::cli {

class ServiceNotifier {
 public:
  ServiceNotifier();
  void Ready(const std::string& status);
  void Reloading();
  void Stopping();
  // Call often (the main loop's tick) after checking that the daemon answers:
  // sends WATCHDOG=1 every half of WatchdogSec.
  void Alive(MonoTime now);
  bool watchdog() const { return interval_ > Nanos(0); }

 private:
  Nanos interval_{0};
  MonoTime next_{};
};

}  // namespace lineup::cli
