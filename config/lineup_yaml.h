// lineup.yaml is one file read by three parts: the analyzer (SLA classes,
// analysis settings, which sessions measure which tunnel and where it is),
// autoflow (traffic classes, the policy, hubs, a tunnel's far end) and the
// daemon (sessions, responders, its own section and the changes made
// through its API, a tunnel's addresses, interface and probes). This is the
// one place that knows which section and which tunnel key belongs to whom:
// a part reads its own keys and skips the others' through these functions,
// never by naming them, so a key nobody owns is reported with its place.
#pragma once

#include <string_view>
#include <vector>

#include "config/yaml_reader.h"

namespace lineup::config {

// The parts reading a document in one pass, as a set of bits: the daemon
// reads all three, `lineup autoflow -c` the analyzer's and autoflow's,
// `lineup analyze -c` the analyzer's alone.
enum Part : unsigned { kAnalyzer = 1, kAutoflow = 2, kDaemon = 4 };

// The top-level sections of lineup.yaml that `part` owns.
std::vector<std::string_view> SectionsOf(Part part);

// Marks the top-level sections of every part not in `reading` as read, so
// that CheckNoOtherKeys afterwards reports only sections nobody owns.
void SkipSectionsOfOthers(yaml::Node& root, unsigned reading);

// The same for the keys of one entry of `tunnels`, which several parts read.
void SkipTunnelKeysOfOthers(yaml::Node& tunnel, unsigned reading);

}  // namespace lineup::config
