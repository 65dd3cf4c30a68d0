// Reading configuration documents (YAML) with errors that point at the place
// and say what is expected:
//
//   sla.yaml:12:16: sla_classes[1].latency_ms.enter: expected a number, got 'fast'
//
// Readers pull typed values with their allowed range; a value out of range or
// of the wrong type is recorded and a fallback returned, so one pass finds
// every problem in the file. Keys nobody read are reported as unknown (typos
// do not pass silently). The document's Status() is the verdict.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace YAML {
class Node;
}

namespace lineup::yaml {

struct Diagnostics;

// A mapping in the document (or a scalar used as a shorthand for one).
class Node {
 public:
  Node(const YAML::Node& node, std::string path, std::shared_ptr<Diagnostics> diagnostics);
  Node(const Node&);
  Node(Node&&) noexcept;
  Node& operator=(const Node&) = delete;
  ~Node();

  bool Has(std::string_view key) const;
  const std::string& path() const { return path_; }
  // Where the node starts in the text, from 1 (0 when unknown).
  int Line() const;
  bool IsScalar() const;
  bool IsMap() const;

  // Values of keys; a missing key gives the fallback, a required one an error.
  std::string String(std::string_view key, std::string fallback = {});
  std::string RequiredString(std::string_view key);
  // One of `choices`, e.g. {"round_trip", "outbound", "inbound"}.
  std::string Choice(std::string_view key, std::initializer_list<std::string_view> choices,
                     std::string_view fallback);
  double Number(std::string_view key, double fallback, double min, double max);
  std::int64_t Integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool Bool(std::string_view key, bool fallback);
  // "100ms", "1.5s", "2m" (see base/time_text.h).
  Nanos Duration(std::string_view key, Nanos fallback, Nanos min, Nanos max);
  // A list of strings, or one string.
  std::vector<std::string> Strings(std::string_view key);
  // A list of mappings.
  std::vector<Node> List(std::string_view key);
  // The value of a key as a node (a mapping or a scalar), if present.
  std::optional<Node> Child(std::string_view key);
  // The text of this node when it is a scalar.
  std::string Scalar() const;
  // Pairs of a mapping whose keys are names (e.g. tunnels by name).
  std::vector<std::pair<std::string, Node>> Entries(std::string_view key);

  // Marks keys as read by someone else (sections another part owns).
  void Ignore(std::initializer_list<std::string_view> keys);
  // Records an error at this node, or at one of its keys.
  void Error(std::string_view message);
  void ErrorAt(std::string_view key, std::string_view message);
  // Records every key of this mapping nobody asked for.
  void CheckNoOtherKeys();

 private:
  std::optional<YAML::Node> Get(std::string_view key);
  std::string KeyPath(std::string_view key) const;
  void ErrorAtNode(const YAML::Node& where, const std::string& path, std::string_view message);

  std::unique_ptr<YAML::Node> node_;
  std::string path_;
  std::shared_ptr<Diagnostics> diagnostics_;
  std::set<std::string, std::less<>> read_;
  bool said_not_a_map_ = false;
};

// Whether `path` can be a configuration file at all (not a directory).
[[nodiscard]] Result<void> CheckConfigurationFile(const std::string& path);
// Whether YAML text has nothing but blank lines, comments and document
// markers: an empty file.
bool HoldsNoSettings(std::string_view text);

class Document {
 public:
  // Parses YAML text; `origin` names it in errors (a file name).
  [[nodiscard]] static Result<Document> Parse(std::string_view text, std::string origin);
  [[nodiscard]] static Result<Document> Load(const std::string& path);
  Document(Document&&) noexcept;
  ~Document();

  // The top-level mapping (an empty document reads as an empty mapping).
  Node Root();
  // The YAML text of the given top-level sections only (to record a part).
  std::string Subset(std::initializer_list<std::string_view> keys) const;
  // Every error recorded so far, one per line, or success.
  [[nodiscard]] Result<void> Status() const;

 private:
  Document(std::unique_ptr<YAML::Node> root, std::shared_ptr<Diagnostics> diagnostics);
  std::unique_ptr<YAML::Node> root_;
  std::shared_ptr<Diagnostics> diagnostics_;
};

}  // namespace lineup::yaml
