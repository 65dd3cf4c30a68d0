// The analyzer's part of lineup.yaml: SLA classes, tunnels (which sessions
// measure them, which site they belong to) and the analyzer's settings. See
// docs/analyzer.md for the format; docs/examples/lineup.yaml is a full example.
#pragma once

#include <string>
#include <string_view>

#include "analyzer/analyzer.h"
#include "config/yaml_reader.h"

namespace lineup::analyzer {

// Reads `sla_classes`, `tunnels` and `analyzer` from the top of a document.
// Errors are recorded in the document (see yaml::Document::Status); classes
// are also checked with Validate. With no `sla_classes`, the default classes.
AnalyzerConfig ReadAnalyzerConfig(yaml::Node& root);

// A whole file: the sections above, other known lineup.yaml sections ignored,
// anything else an error.
[[nodiscard]] Result<AnalyzerConfig> LoadAnalyzerConfig(const std::string& path);
[[nodiscard]] Result<AnalyzerConfig> ParseAnalyzerConfig(std::string_view yaml,
                                                         std::string origin = "config");

// voice, video, business and bulk, with figures from ITU-T G.114/Y.1541
// practice (documented in docs/analyzer.md).
std::vector<SlaClass> DefaultSlaClasses();

}  // namespace lineup::analyzer
