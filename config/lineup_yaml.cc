#include "config/lineup_yaml.h"

namespace lineup::config {
namespace {

struct Owned {
  std::string_view key;
  Part part;
};

// `tunnels` is the analyzer's section: it reads it in every pass; the others
// read their own keys of each tunnel.
constexpr Owned kSections[] = {
    {"sla_classes", kAnalyzer}, {"analyzer", kAnalyzer},
    {"tunnels", kAnalyzer},     {"traffic_classes", kAutoflow},
    {"policy", kAutoflow},      {"hubs", kAutoflow},
    {"sessions", kDaemon},      {"reflectors", kDaemon},
    {"api_changes", kDaemon},   {"daemon", kDaemon},
};

constexpr Owned kTunnelKeys[] = {
    {"site", kAnalyzer},      {"sessions", kAnalyzer}, {"peer", kAutoflow},    {"local", kDaemon},
    {"remote", kDaemon},      {"interface", kDaemon},  {"responder", kDaemon}, {"probes", kDaemon},
    {"description", kDaemon},  // a note for people: read by nobody, accepted everywhere
};

template <std::size_t N>
void Skip(yaml::Node& node, const Owned (&table)[N], unsigned reading) {
  for (const auto& o : table) {
    if ((reading & o.part) == 0) node.Ignore({o.key});
  }
}

}  // namespace

std::vector<std::string_view> SectionsOf(Part part) {
  std::vector<std::string_view> out;
  for (const auto& o : kSections) {
    if (o.part == part) out.push_back(o.key);
  }
  return out;
}

void SkipSectionsOfOthers(yaml::Node& root, unsigned reading) { Skip(root, kSections, reading); }

void SkipTunnelKeysOfOthers(yaml::Node& tunnel, unsigned reading) {
  Skip(tunnel, kTunnelKeys, reading);
}

}  // namespace lineup::config
