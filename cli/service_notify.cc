#include "cli/service_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace lineup::cli {

ServiceNotifier::ServiceNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    interval_ = std::chrono::microseconds(usec / 2);
  }
}

void ServiceNotifier::Ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void ServiceNotifier::Reloading() { sd_notify(0, "RELOADING=1"); }

void ServiceNotifier::Stopping() { sd_notify(0, "STOPPING=1"); }

void ServiceNotifier::Alive(MonoTime now) {
  if (interval_ <= Nanos(0) || now < next_) return;
  sd_notify(0, "WATCHDOG=1");
  next_ = now + interval_;
}

}  // namespace lineup::cli
