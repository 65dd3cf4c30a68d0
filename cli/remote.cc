// The `lineup` subcommands that talk to a running `lineup run` over its REST
// API: sessions, add-session, edit-session, delete-session, run-session,
// results, schedule, responders, changes, paths. Tables for people, --json for
// programs; the API's error messages are shown as they are.
#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "measure/endpoint.h"

namespace lineup::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

struct Remote {
  std::string api = "127.0.0.1:8862";
  std::string token_file;
  bool json_output = false;
};

// json's null constructor allocates nothing but is not declared noexcept.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct Answer {
  int status = 0;
  json body;
  std::string error;  // transport problem
};

Answer Call(const Remote& r, http::verb method, const std::string& target,
            const json& body = nullptr) {
  Answer a;
  auto at = measure::ParseEndpoint(r.api, 8862);
  if (!at) {
    a.error = "--api: " + at.error().message;
    return a;
  }
  std::string token;
  if (!r.token_file.empty()) {
    std::ifstream in(r.token_file);
    std::getline(in, token);
  } else if (const char* env = std::getenv("LINEUP_TOKEN")) {
    token = env;
  }
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({at->address(), at->port()});
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, r.api);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.is_null()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body.dump();
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    a.status = static_cast<int>(res.result_int());
    a.body = json::parse(res.body(), nullptr, false);
  } catch (const std::exception& e) {
    a.error = fmt::format(
        "cannot reach lineup run's API at {}: {} (is lineup run running? --api ADDRESS:PORT)",
        r.api, e.what());
  }
  return a;
}

// Prints the API's error and returns the exit code (2 for mistakes, 1 for the rest).
int Report(const Answer& a, const std::string& command) {
  if (!a.error.empty()) {
    std::cerr << "lineup " << command << ": " << a.error << "\n";
    return 1;
  }
  if (a.status >= 200 && a.status < 300) return 0;
  std::string message = a.body.is_object() ? a.body.value("error", "") : "";
  if (a.body.is_object() && a.body.contains("errors")) {
    // Validation: each problem with its field, as a form would show it.
    message.clear();
    for (const auto& e : a.body["errors"]) {
      const std::string field = e.value("field", "");
      message += fmt::format("{}{}{}", message.empty() ? "" : "\n",
                             field.empty() ? "" : field + ": ", e.value("message", ""));
    }
  }
  if (message.empty()) message = fmt::format("HTTP {}", a.status);
  std::cerr << "lineup " << command << ": " << message << "\n";
  return a.status >= 400 && a.status < 500 ? 2 : 1;
}

// A run summary (docs/schema/run-summary.schema.json) counts nanoseconds and
// ratios; the tables show milliseconds and percent.
std::string Ms(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  return fmt::format("{:.3f}", j[key].get<double>() / 1e6);
}

std::string LossPercent(const json& run) {
  if (!run.is_object() || !run.contains("loss_ratio")) return "-";
  return fmt::format("{:.2f}", 100 * run["loss_ratio"].get<double>());
}

void PrintRun(const json& r) {
  std::cout << fmt::format("run {} ({}) {}: {} sent, {} received, loss {}%\n", r.value("run", 0),
                           r.value("trigger", ""), r.value("started", ""), r.value("sent", 0),
                           r.value("received", 0), LossPercent(r));
  if (r.contains("error")) std::cout << "  error: " << r["error"].get<std::string>() << "\n";
  std::cout << fmt::format("  (ms)            min       avg       max       p95\n");
  for (const char* d : {"outbound", "inbound", "round_trip"}) {
    if (!r.contains(d)) continue;
    const json& x = r[d];
    std::cout << fmt::format("  {:<12} {:>8} {:>9} {:>9} {:>9}\n", d, Ms(x, "min_ns"),
                             Ms(x, "mean_ns"), Ms(x, "max_ns"), Ms(x, "p95_ns"));
  }
  std::cout << fmt::format("  jitter {} ms\n",
                           Ms(r.value("round_trip", json::object()), "jitter_ns"));
}

int Show(const Remote& r, const Answer& a, const std::string& command,
         const std::function<void(const json&)>& table) {
  if (int code = Report(a, command); code != 0) return code;
  if (r.json_output) {
    std::cout << a.body.dump(2) << "\n";
  } else {
    table(a.body);
  }
  return 0;
}

void AddRemoteOptions(CLI::App* cmd, Remote& r) {
  cmd->add_option("--api", r.api, "lineup run's API address")->capture_default_str();
  cmd->add_option("--token-file", r.token_file,
                  "Bearer token (or LINEUP_TOKEN) for an API that has api.token_file");
  cmd->add_flag("--json", r.json_output, "Print the API's JSON");
}

// Session parameters as options, for add-session and edit-session.
struct SessionArgs {
  std::string to, from, tunnel, interval, wait, dscp, protocol, mode, key_id, every, at;
  std::optional<unsigned> count, padding, ttl;
  bool df = false, no_df = false;
  json Body() const {
    json b = json::object();
    auto put = [&](const char* key, const std::string& v) {
      if (!v.empty()) b[key] = v;
    };
    put("to", to);
    put("from", from);
    put("tunnel", tunnel);
    put("interval", interval);
    put("wait", wait);
    put("protocol", protocol);
    put("mode", mode);
    put("key_id", key_id);
    if (!dscp.empty()) b["dscp"] = dscp;
    if (count) b["count"] = *count;
    if (padding) b["padding"] = *padding;
    if (ttl) b["ttl"] = *ttl;
    if (df) b["dont_fragment"] = true;
    if (no_df) b["dont_fragment"] = false;
    if (!every.empty()) b["schedule"] = {{"every", every}};
    if (!at.empty()) b["schedule"] = {{"at", json::array({at})}};
    return b;
  }
};

void AddSessionOptions(CLI::App* cmd, SessionArgs& s) {
  cmd->add_option("--to", s.to, "Far end ADDRESS[:PORT]");
  cmd->add_option("--from", s.from, "Local ADDRESS[:PORT]");
  cmd->add_option("--tunnel", s.tunnel, "The tunnel it measures");
  cmd->add_option("-c,--count", s.count, "Packets per run");
  cmd->add_option("-i,--interval", s.interval, "Gap between packets (e.g. 20ms)");
  cmd->add_option("--padding", s.padding, "Octets after the sender header");
  cmd->add_option("--dscp", s.dscp, "DSCP 0-63 or a name (ef, af41, cs5, ...)");
  cmd->add_option("--ttl", s.ttl, "TTL / Hop Limit 1-255");
  cmd->add_flag("--df", s.df, "Set don't-fragment");
  cmd->add_flag("--no-df", s.no_df, "Clear don't-fragment");
  cmd->add_option("-w,--wait", s.wait, "Wait for late replies");
  cmd->add_option("--protocol", s.protocol,
                  "light (TWAMP Light/STAMP) or twamp (full, with TWAMP-Control)");
  cmd->add_option("--mode", s.mode,
                  "Full TWAMP mode: unauthenticated, authenticated, encrypted, mixed");
  cmd->add_option("--key-id", s.key_id, "Key identity (its secret in daemon.secrets)");
  cmd->add_option("--every", s.every, "Own schedule: every DURATION");
  cmd->add_option("--at", s.at, "Own schedule: cron times 'MIN HOUR DOM MON DOW'");
}

void SessionsTable(const json& list) {
  std::cout << fmt::format("{:<34} {:<18} {:<10} {:>6} {:>9} {:<20} {:>9} {:>8} {:>6}\n", "id",
                           "name", "tunnel", "count", "interval", "schedule", "rtt ms", "loss %",
                           "runs");
  for (const auto& s : list) {
    const json& last = s["last"];
    std::cout << fmt::format("{:<34} {:<18} {:<10} {:>6} {:>7.1f}ms {:<20} {:>9} {:>8} {:>6}\n",
                             s.value("id", ""), s.value("name", ""), s.value("tunnel", ""),
                             s.value("count", 0), s.value("interval_ms", 0.0),
                             s.value("schedule", "").substr(0, 20),
                             last.is_object() ? Ms(last["round_trip"], "mean_ns") : "-",
                             LossPercent(last), s.value("runs", 0));
  }
}

}  // namespace

void AddRemoteCommands(CLI::App& app, Runner& run) {
  auto remote = std::make_shared<Remote>();
  auto args = std::make_shared<SessionArgs>();
  auto id = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto background = std::make_shared<bool>(false);
  auto global = std::make_shared<bool>(false);

  auto* sessions = app.add_subcommand(
      "sessions", "List a running lineup run's sender sessions with their last run");
  AddRemoteOptions(sessions, *remote);
  sessions->callback([&run, remote] {
    run = [remote] {
      return Show(*remote, Call(*remote, http::verb::get, "/api/sessions"), "sessions",
                  SessionsTable);
    };
  });

  auto* add = app.add_subcommand("add-session", "Add a sender session to a running lineup run");
  AddRemoteOptions(add, *remote);
  add->add_option("name", *name, "The session's name")->required();
  AddSessionOptions(add, *args);
  add->callback([&run, remote, args, name] {
    run = [remote, args, name] {
      json body = args->Body();
      body["name"] = *name;
      return Show(*remote, Call(*remote, http::verb::post, "/api/sessions", body), "add-session",
                  [](const json& s) { std::cout << "added " << s.value("id", "") << "\n"; });
    };
  });

  auto* edit = app.add_subcommand("edit-session",
                                  "Change a session's parameters (the others keep their values)");
  AddRemoteOptions(edit, *remote);
  edit->add_option("id", *id, "Session id (lineup sessions lists them)")->required();
  AddSessionOptions(edit, *args);
  edit->callback([&run, remote, args, id] {
    run = [remote, args, id] {
      return Show(*remote, Call(*remote, http::verb::put, "/api/sessions/" + *id, args->Body()),
                  "edit-session",
                  [](const json& s) { std::cout << "changed " << s.value("id", "") << "\n"; });
    };
  });

  auto* del = app.add_subcommand("delete-session", "Stop and remove a session");
  AddRemoteOptions(del, *remote);
  del->add_option("id", *id, "Session id")->required();
  del->callback([&run, remote, id] {
    run = [remote, id] {
      return Show(*remote, Call(*remote, http::verb::delete_, "/api/sessions/" + *id),
                  "delete-session", [&](const json&) { std::cout << "deleted " << *id << "\n"; });
    };
  });

  auto* now = app.add_subcommand(
      "run-session", "Run a session now: wait for its result, or --background for a job");
  AddRemoteOptions(now, *remote);
  now->add_option("id", *id, "Session id")->required();
  now->add_flag("--background", *background, "Start it and print the job to poll");
  now->callback([&run, remote, id, background] {
    run = [remote, id, background] {
      const std::string target =
          "/api/sessions/" + *id + "/run" + (*background ? "?mode=background" : "");
      return Show(*remote, Call(*remote, http::verb::post, target), "run-session",
                  [&](const json& j) {
                    if (*background) {
                      std::cout << fmt::format("started {}: poll {}\n", j.value("job", ""),
                                               j.value("poll", ""));
                    } else {
                      PrintRun(j);
                    }
                  });
    };
  });

  auto* results = app.add_subcommand("results", "A session's last run and its history");
  AddRemoteOptions(results, *remote);
  results->add_option("id", *id, "Session id")->required();
  results->callback([&run, remote, id] {
    run = [remote, id] {
      return Show(
          *remote, Call(*remote, http::verb::get, "/api/sessions/" + *id + "/results"), "results",
          [](const json& j) {
            std::cout << fmt::format("{:>5} {:<31} {:>6} {:>9} {:>9} {:>9} {:>8}\n", "run",
                                     "started", "sent", "rtt avg", "rtt p95", "jitter", "loss %");
            for (const auto& r : j["history"]) {
              std::cout << fmt::format(
                  "{:>5} {:<31} {:>6} {:>9} {:>9} {:>9} {:>8}\n", r.value("run", 0),
                  r.value("started", ""), r.value("sent", 0), Ms(r["round_trip"], "mean_ns"),
                  Ms(r["round_trip"], "p95_ns"), Ms(r["round_trip"], "jitter_ns"), LossPercent(r));
            }
          });
    };
  });

  auto* schedule = app.add_subcommand("schedule", "Give a session its own schedule, or --global");
  AddRemoteOptions(schedule, *remote);
  schedule->add_option("id", *id, "Session id")->required();
  schedule->add_option("--every", args->every, "Every DURATION");
  schedule->add_option("--at", args->at, "Cron times 'MIN HOUR DOM MON DOW'");
  schedule->add_flag("--global", *global, "Follow the global schedule");
  schedule->callback([&run, remote, id, args, global] {
    run = [remote, id, args, global] {
      json body = *global                ? json{{"global", true}}
                  : !args->every.empty() ? json{{"every", args->every}}
                  : !args->at.empty()    ? json{{"at", json::array({args->at})}}
                                         : json::object();
      if (body.empty()) {
        std::cerr << "lineup schedule: give --every DURATION, --at CRON or --global\n";
        return 2;
      }
      return Show(*remote,
                  Call(*remote, http::verb::put, "/api/sessions/" + *id + "/schedule", body),
                  "schedule", [](const json& j) {
                    std::cout << j.value("id", "") << ": " << j.value("schedule", "") << "\n";
                  });
    };
  });

  auto* responders =
      app.add_subcommand("responders", "A running lineup run's responders and their counters");
  AddRemoteOptions(responders, *remote);
  responders->callback([&run, remote] {
    run = [remote] {
      return Show(*remote, Call(*remote, http::verb::get, "/api/responders"), "responders",
                  [](const json& list) {
                    std::cout << fmt::format("{:<28} {:<12} {:<6} {:>10} {:>10} {:>8}\n", "id",
                                             "name", "kind", "received", "reflected", "dropped");
                    for (const auto& r : list) {
                      std::uint64_t dropped = 0;
                      for (const auto& [reason, n] : r["dropped"].items())
                        dropped += n.get<std::uint64_t>();
                      std::cout << fmt::format("{:<28} {:<12} {:<6} {:>10} {:>10} {:>8}\n",
                                               r.value("id", ""), r.value("name", ""),
                                               r.value("kind", ""), r.value("received", 0),
                                               r.value("reflected", 0), dropped);
                      if (r.contains("server_table"))
                        std::cout << r["server_table"].get<std::string>();
                    }
                  });
    };
  });

  auto reset = std::make_shared<bool>(false);
  auto* changes = app.add_subcommand(
      "changes",
      "What was changed through the API on top of the configuration file (kept over SIGHUP and "
      "restarts); --reset drops it all, so the file applies as written");
  AddRemoteOptions(changes, *remote);
  changes->add_flag("--reset", *reset, "Drop every change made through the API");
  changes->callback([&run, remote, reset] {
    run = [remote, reset] {
      auto print = [](const json& list) {
        for (const auto& c : list) {
          const std::string what = c.contains("name") ? c.value("name", "") : c.value("id", "");
          std::cout << fmt::format("  {:<9} {:<8} {}{}\n", c.value("kind", ""),
                                   c.value("change", ""), what,
                                   c.contains("params") ? " " + c["params"].dump() : "");
        }
      };
      if (*reset) {
        return Show(*remote, Call(*remote, http::verb::delete_, "/api/changes"), "changes",
                    [&](const json& j) {
                      std::cout << fmt::format(
                          "reset {} changes made through the API; the file applies\n",
                          j.value("reset", 0));
                      print(j.value("changes", json::array()));
                    });
      }
      return Show(*remote, Call(*remote, http::verb::get, "/api/changes"), "changes",
                  [&](const json& j) {
                    if (j.value("count", 0) == 0) {
                      std::cout << "no changes made through the API: the file applies as written\n";
                      return;
                    }
                    std::cout << fmt::format(
                        "{} changes made through the API, on top of the file (lineup changes "
                        "--reset drops them):\n",
                        j.value("count", 0));
                    print(j.value("changes", json::array()));
                  });
    };
  });

  auto* paths =
      app.add_subcommand("paths", "Per traffic class: the current line, and the SLA ranking");
  AddRemoteOptions(paths, *remote);
  paths->callback([&run, remote] {
    run = [remote] {
      auto p = Call(*remote, http::verb::get, "/api/paths");
      if (int code = Report(p, "paths"); code != 0) return code;
      auto sla = Call(*remote, http::verb::get, "/api/sla");
      if (int code = Report(sla, "paths"); code != 0) return code;
      if (remote->json_output) {
        std::cout << json{{"paths", p.body}, {"sla", sla.body}}.dump(2) << "\n";
        return 0;
      }
      for (const auto& [cls, a] : p.body.items()) {
        std::cout << fmt::format("{:<10} -> {:<12} ({}, since {})\n", cls, a.value("to", ""),
                                 a.value("rule", ""), a.value("since", ""));
      }
      for (const auto& [cls, ranking] : sla.body.items()) {
        std::string line;
        for (const auto& v : ranking) {
          if (!v.value("judged", false)) continue;
          line += fmt::format("{}{} {:.2f}{}", line.empty() ? "" : " > ", v.value("tunnel", ""),
                              v.value("score", 0.0),
                              v.value("down", false)       ? " (down)"
                              : v.value("compliant", true) ? ""
                                                           : " (out of SLA)");
        }
        std::cout << fmt::format("  {:<10} {}\n", cls, line.empty() ? "(not judged yet)" : line);
      }
      return 0;
    };
  });
}

}  // namespace lineup::cli
