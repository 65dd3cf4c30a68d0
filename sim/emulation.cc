#include "sim/emulation.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/address_v4.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

extern char** environ;

namespace lineup::sim {
namespace {

namespace fs = std::filesystem;

std::string Address(std::uint32_t host) { return boost::asio::ip::address_v4(host).to_string(); }

// Runs `ip ARGS...`; on failure, the command and what it printed.
Result<void> Ip(const std::vector<std::string>& args) {
  std::vector<std::string> words{"ip"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Fail(ErrorCode::kIo, std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, "ip", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  std::string said;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    said.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  const std::string command = fmt::format("{}", fmt::join(words, " "));
  if (spawned != 0) {
    return Fail(ErrorCode::kUnavailable, fmt::format("cannot run '{}': {} (install iproute2)",
                                                     command, std::strerror(spawned)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!said.empty() && said.back() == '\n') said.pop_back();
  return Fail(ErrorCode::kIo, fmt::format("'{}' failed: {}", command, said));
}

// Opens a tap named `device` inside the namespace `ns`: the calling thread
// enters it, creates the tap there and comes back.
Result<int> OpenTap(const std::string& ns, const std::string& device) {
  const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0)
    return Fail(ErrorCode::kIo,
                fmt::format("cannot open this thread's namespace: {}", std::strerror(errno)));
  const int target = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    close(home);
    return Fail(ErrorCode::kIo,
                fmt::format("cannot open namespace {}: {}", ns, std::strerror(errno)));
  }
  std::string failure;
  int tap = -1;
  if (setns(target, CLONE_NEWNET) != 0) {
    failure = fmt::format("cannot enter namespace {}: {}", ns, std::strerror(errno));
  } else {
    tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    ifreq request{};
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
    if (tap < 0) {
      failure = fmt::format("cannot open /dev/net/tun: {}", std::strerror(errno));
    } else if (ioctl(tap, TUNSETIFF, &request) != 0) {
      failure = fmt::format("cannot create tap {} in {}: {}", device, ns, std::strerror(errno));
      close(tap);
      tap = -1;
    }
    if (setns(home, CLONE_NEWNET) != 0) {
      // This thread would stay in the lab's namespace: nothing sane is left.
      std::perror("lineup: cannot return to the original network namespace");
      std::abort();
    }
  }
  close(target);
  close(home);
  if (tap < 0) return Fail(ErrorCode::kIo, failure);
  return tap;
}

// A name the kernel accepts for a device: the tunnel's when it fits.
std::string DeviceName(const std::string& tunnel, std::size_t index) {
  const bool fits =
      !tunnel.empty() && tunnel.size() < IFNAMSIZ &&
      tunnel.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == std::string::npos;
  return fits ? tunnel : fmt::format("tun{}", index);
}

std::string NamespaceName(const std::string& prefix, const std::string& place) {
  std::string name = prefix + "-" + place;
  for (char& c : name) {
    if (c == '/' || c == ' ' || c == '>' || c == '\0') c = '_';
  }
  return name;
}

}  // namespace

std::string EmulationUnavailable() {
  if (geteuid() != 0) return "emulation needs root (it creates network namespaces and tap devices)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    return "emulation needs /dev/net/tun (load the tun module)";
  if (!Ip({"netns", "list"}))
    return "emulation needs `ip` with network namespaces (install iproute2)";
  return {};
}

Result<std::unique_ptr<Lab>> Lab::Create(const Scenario& scenario, const std::string& prefix) {
  if (auto why = EmulationUnavailable(); !why.empty()) {
    return Fail(ErrorCode::kUnavailable, why + "; `lineup sim` runs the same scenario without it");
  }
  const auto& links = scenario.network.links;
  if (links.size() > net::kMaxEmulatedLinks) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: {} tunnels; emulation takes at most {}", scenario.origin,
                            links.size(), net::kMaxEmulatedLinks));
  }
  std::unique_ptr<Lab> lab(new Lab(scenario));
  std::set<std::string> places;
  for (const auto& l : links) {
    places.insert(l.a);
    places.insert(l.b);
  }
  for (const auto& place : places) {
    const std::string ns = NamespaceName(prefix, place);
    if (fs::exists("/run/netns/" + ns)) {
      return Fail(ErrorCode::kConflict,
                  fmt::format("network namespace {} exists: remove it (ip netns del {}) or choose "
                              "another --prefix",
                              ns, ns));
    }
    if (auto made = Ip({"netns", "add", ns}); !made) return tl::unexpected(made.error());
    lab->namespaces_.push_back(ns);
    if (auto up = Ip({"-n", ns, "link", "set", "lo", "up"}); !up) return tl::unexpected(up.error());
  }
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    EmulatedTunnel t;
    t.name = l.name;
    t.device = DeviceName(l.name, i);
    t.sender_namespace = NamespaceName(prefix, l.a);
    t.reflector_namespace = NamespaceName(prefix, l.b);
    t.sender_address = Address(net::EmulatedHost(i, false));
    t.reflector_address = Address(net::EmulatedHost(i, true));
    net::TapPair pair;
    for (const bool b_end : {false, true}) {
      const std::string& ns = b_end ? t.reflector_namespace : t.sender_namespace;
      auto tap = OpenTap(ns, t.device);
      if (!tap) return tl::unexpected(tap.error());
      (b_end ? pair.b : pair.a) = *tap;
      const std::string host = Address(net::EmulatedHost(i, b_end)) + "/24";
      const std::string far = Address(net::EmulatedHost(i, !b_end) - 1) + "/24";
      const std::string gateway = Address(net::EmulatedGateway(i, b_end));
      for (const auto& args : std::vector<std::vector<std::string>>{
               {"-n", ns, "link", "set", t.device, "up"},
               {"-n", ns, "addr", "add", host, "dev", t.device},
               {"-n", ns, "route", "add", far, "via", gateway, "dev", t.device}}) {
        if (auto done = Ip(args); !done) {
          close(*tap);
          return tl::unexpected(done.error());
        }
      }
    }
    lab->taps_.push_back(pair);
    lab->tunnels_.push_back(std::move(t));
  }
  return lab;
}

Lab::~Lab() {
  for (auto& pair : taps_) {
    close(pair.a);
    close(pair.b);
  }
  for (const auto& ns : namespaces_) (void)Ip({"netns", "del", ns});
}

Result<net::RunInfo> Lab::Run(Nanos duration, const std::function<void(double)>& progress,
                              const std::atomic<bool>& stop) {
  net::Network network = scenario_.network;
  if (duration > Nanos(0)) network.duration_ns = duration.count();
  return net::Emulate(network, taps_, progress, [&stop] { return stop.load(); });
}

}  // namespace lineup::sim
