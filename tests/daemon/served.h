// A daemon for tests, with its API (and the web page) on a loopback port of
// its own, stopped when it goes.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>

#include "daemon/api.h"

namespace lineup::daemon {

// A daemon on `yaml` (its API's token file kept, the port chosen by the system).
struct Served {
  RealClock clock;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<ApiServer> server;
  std::string base;   // "http://127.0.0.1:PORT/"
  std::string error;  // why it does not run
  ~Served() {
    if (server) server->Stop();
    if (daemon) daemon->Stop();
  }
};

inline std::unique_ptr<Served> Serve(const std::string& yaml, const std::string& origin) {
  auto served = std::make_unique<Served>();
  auto config = ParseDaemonConfig(yaml, origin);
  if (!config) {
    served->error = config.error().message;
    return served;
  }
  auto started = Daemon::Start(*config, served->clock);
  if (!started) {
    served->error = started.error().message;
    return served;
  }
  served->daemon = std::move(*started);
  ApiConfig api = config->api;  // the token file, if any
  api.listen = "127.0.0.1:0";
  auto server = ApiServer::Start(*served->daemon, api);
  if (!server) {
    served->error = server.error().message;
    return served;
  }
  served->server = std::move(*server);
  served->base = fmt::format("http://127.0.0.1:{}/", served->server->endpoint().port());
  return served;
}

}  // namespace lineup::daemon
