#include "config/yaml_reader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/time_text.h"

namespace lineup::yaml {

constexpr std::size_t kMaxErrors = 25;

struct Diagnostics {
  std::string origin;
  std::vector<std::string> errors;
  std::vector<Problem> problems;
  std::size_t dropped = 0;

  void Add(const YAML::Mark& mark, const std::string& path, std::string_view message) {
    if (errors.size() >= kMaxErrors) {
      ++dropped;
      return;
    }
    std::string where = origin;
    if (!mark.is_null()) where += fmt::format(":{}:{}", mark.line + 1, mark.column + 1);
    errors.push_back(path.empty() ? fmt::format("{}: {}", where, message)
                                  : fmt::format("{}: {}: {}", where, path, message));
    problems.push_back({path, std::string(message)});
  }
};

namespace {

std::string Shown(const YAML::Node& n) {
  if (n.IsScalar()) return fmt::format("'{}'", n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

std::optional<double> ToNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Node::Node(const YAML::Node& node, std::string path, std::shared_ptr<Diagnostics> diagnostics)
    : node_(std::make_unique<YAML::Node>(node)),
      path_(std::move(path)),
      diagnostics_(std::move(diagnostics)) {}
Node::Node(const Node& other)
    : node_(std::make_unique<YAML::Node>(*other.node_)),
      path_(other.path_),
      diagnostics_(other.diagnostics_),
      read_(other.read_),
      said_not_a_map_(other.said_not_a_map_) {}
Node::Node(Node&&) noexcept = default;
Node::~Node() = default;

bool Node::IsScalar() const { return node_->IsScalar(); }
bool Node::IsMap() const { return node_->IsMap(); }
std::string Node::Scalar() const { return node_->IsScalar() ? node_->Scalar() : std::string(); }

int Node::Line() const { return node_->Mark().line + 1; }

bool Node::Has(std::string_view key) const {
  if (!node_->IsMap()) return false;
  const YAML::Node& n = *node_;
  return static_cast<bool>(n[std::string(key)]);
}

namespace {
// A key is the file's text: a control character in it is shown as \xNN, so
// a message (and the log line or terminal it goes to) holds none.
std::string ShownKey(std::string_view key) {
  std::string shown;
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      shown += fmt::format("\\x{:02x}", byte);
    } else {
      shown += c;
    }
  }
  return shown;
}
}  // namespace

std::string Node::KeyPath(std::string_view key) const {
  return path_.empty() ? ShownKey(key) : fmt::format("{}.{}", path_, ShownKey(key));
}

void Node::ErrorAtNode(const YAML::Node& where, const std::string& path, std::string_view message) {
  diagnostics_->Add(where.Mark(), path, message);
}

void Node::Error(std::string_view message) { ErrorAtNode(*node_, path_, message); }

void Node::ErrorAt(std::string_view key, std::string_view message) {
  read_.emplace(key);
  if (auto v = Get(key)) {
    ErrorAtNode(*v, KeyPath(key), message);
  } else {
    ErrorAtNode(*node_, KeyPath(key), message);
  }
}

std::optional<YAML::Node> Node::Get(std::string_view key) {
  read_.emplace(key);
  if (!node_->IsMap()) {
    // A list where settings belong (`daemon: [1, 2]`) would otherwise read
    // as every setting left at its default. (A scalar is some sections'
    // shorthand: they check IsScalar first.)
    if (node_->IsSequence() && !said_not_a_map_) {
      said_not_a_map_ = true;
      ErrorAtNode(*node_, path_,
                  fmt::format("expected a mapping (key: value lines), got {}", Shown(*node_)));
    }
    return std::nullopt;
  }
  const YAML::Node& n = *node_;
  YAML::Node v = n[std::string(key)];
  if (!v || v.IsNull()) return std::nullopt;
  return v;
}

std::string Node::String(std::string_view key, std::string fallback) {
  auto v = Get(key);
  if (!v) return fallback;
  if (!v->IsScalar()) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a text, got {}", Shown(*v)));
    return fallback;
  }
  return v->Scalar();
}

std::string Node::RequiredString(std::string_view key) {
  if (!Get(key)) {
    ErrorAtNode(*node_, path_, fmt::format("'{}' is required", key));
    return {};
  }
  std::string s = String(key);
  if (s.empty()) ErrorAt(key, "must not be empty");
  return s;
}

std::string Node::Choice(std::string_view key, std::initializer_list<std::string_view> choices,
                         std::string_view fallback) {
  auto v = Get(key);
  if (!v) return std::string(fallback);
  std::string s = String(key, std::string(fallback));
  for (auto c : choices) {
    if (s == c) return s;
  }
  std::string list;
  for (auto c : choices) list += list.empty() ? std::string(c) : fmt::format(", {}", c);
  ErrorAtNode(*v, KeyPath(key), fmt::format("expected one of {}, got {}", list, Shown(*v)));
  return std::string(fallback);
}

double Node::Number(std::string_view key, double fallback, double min, double max) {
  auto v = Get(key);
  if (!v) return fallback;
  const auto n = v->IsScalar() ? ToNumber(v->Scalar()) : std::nullopt;
  if (!n) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a number, got {}", Shown(*v)));
    return fallback;
  }
  if (*n < min || *n > max) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("{} is out of range: use {} to {}", *n, min, max));
    return fallback;
  }
  return *n;
}

std::int64_t Node::Integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                           std::int64_t max) {
  auto v = Get(key);
  if (!v) return fallback;
  const std::string s = v->IsScalar() ? v->Scalar() : std::string();
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a whole number, got {}", Shown(*v)));
    return fallback;
  }
  if (n < min || n > max) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("{} is out of range: use {} to {}", n, min, max));
    return fallback;
  }
  return n;
}

bool Node::Bool(std::string_view key, bool fallback) {
  auto v = Get(key);
  if (!v) return fallback;
  const std::string s = v->IsScalar() ? v->Scalar() : std::string();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  ErrorAtNode(*v, KeyPath(key), fmt::format("expected true or false, got {}", Shown(*v)));
  return fallback;
}

Nanos Node::Duration(std::string_view key, Nanos fallback, Nanos min, Nanos max) {
  auto v = Get(key);
  if (!v) return fallback;
  auto d = v->IsScalar() ? ParseDuration(v->Scalar())
                         : Result<Nanos>(Fail(ErrorCode::kInvalidArgument, "not a duration"));
  if (!d) {
    ErrorAtNode(*v, KeyPath(key),
                fmt::format("expected a duration such as 100ms, 30s or 5m, got {}", Shown(*v)));
    return fallback;
  }
  // A bare number is read as seconds elsewhere (command lines, as twping
  // does), but in a file "delay: 10" is as likely meant as 10 ms: a unit is
  // required (0 needs none).
  if (const std::string& text = v->Scalar(); *d != Nanos(0) && HasNoUnit(text)) {
    ErrorAtNode(*v, KeyPath(key),
                fmt::format("{} has no unit: write {}s, {}ms or another unit (ns, us, ms, s, m, "
                            "h, d)",
                            text, text, text));
    return fallback;
  }
  if (*d < min || *d > max) {
    ErrorAtNode(*v, KeyPath(key),
                fmt::format("{} is out of range: use {} to {}", v->Scalar(), FormatDuration(min),
                            FormatDuration(max)));
    return fallback;
  }
  return *d;
}

std::vector<std::string> Node::Strings(std::string_view key) {
  auto v = Get(key);
  if (!v) return {};
  if (v->IsScalar()) return {v->Scalar()};
  std::vector<std::string> out;
  if (!v->IsSequence()) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a list of texts, got {}", Shown(*v)));
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const YAML::Node item = (*v)[i];
    if (!item.IsScalar()) {
      ErrorAtNode(item, fmt::format("{}[{}]", KeyPath(key), i),
                  fmt::format("expected a text, got {}", Shown(item)));
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::vector<Node> Node::List(std::string_view key) {
  auto v = Get(key);
  std::vector<Node> out;
  if (!v) return out;
  if (!v->IsSequence()) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a list, got {}", Shown(*v)));
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const YAML::Node item = (*v)[i];
    const std::string path = fmt::format("{}[{}]", KeyPath(key), i);
    if (!item.IsMap()) {
      ErrorAtNode(item, path,
                  fmt::format("expected a mapping (key: value lines), got {}", Shown(item)));
      continue;
    }
    out.emplace_back(item, path, diagnostics_);
  }
  return out;
}

std::optional<Node> Node::Child(std::string_view key) {
  auto v = Get(key);
  if (!v) return std::nullopt;
  return Node(*v, KeyPath(key), diagnostics_);
}

std::vector<std::pair<std::string, Node>> Node::Entries(std::string_view key) {
  auto v = Get(key);
  std::vector<std::pair<std::string, Node>> out;
  if (!v) return out;
  if (!v->IsMap()) {
    ErrorAtNode(*v, KeyPath(key), fmt::format("expected a mapping of names, got {}", Shown(*v)));
    return out;
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
    out.emplace_back(
        name, Node(it->second, fmt::format("{}.{}", KeyPath(key), ShownKey(name)), diagnostics_));
  }
  return out;
}

void Node::Ignore(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) read_.emplace(k);
}

void Node::CheckNoOtherKeys() {
  if (!node_->IsMap()) return;
  std::string known;
  for (const auto& k : read_) known += known.empty() ? k : ", " + k;
  std::set<std::string> seen;
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (!seen.insert(key).second) {
      ErrorAtNode(it->first, KeyPath(key), "given twice: keep one (the first one would be used)");
      continue;
    }
    if (read_.count(key) != 0) continue;
    ErrorAtNode(it->first, KeyPath(key),
                fmt::format("unknown key (known here: {})", known.empty() ? "none" : known));
  }
}

Document::Document(std::unique_ptr<YAML::Node> root, std::shared_ptr<Diagnostics> diagnostics)
    : root_(std::move(root)), diagnostics_(std::move(diagnostics)) {}
Document::Document(Document&&) noexcept = default;
Document::~Document() = default;

Result<void> CheckConfigurationFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("'{}' is a directory: give the configuration file (such as {}/lineup.yaml)",
                    path, path));
  }
  return {};
}

bool HoldsNoSettings(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line.substr(first) != "---" &&
        line.substr(first) != "...") {
      return false;
    }
    at = end + 1;
  }
  return true;
}

namespace {

// Where each document of a YAML stream begins; nothing else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// How many documents `text` holds, counted without YAML::LoadAll: in
// yaml-cpp 0.7 (Debian bookworm's) LoadAll loops forever, adding a null
// document per turn until memory runs out, on a token its parser cannot
// place, such as a stray ',' or '}' (fixed upstream in 0.8, PR 1319; found
// here by fuzz/daemon_config.cc). A document that begins where the one
// before it began is that case: the parser did not move, and the text is
// not valid YAML there. Throws YAML::ParserException for it, as yaml-cpp
// does for the errors it sees.
std::size_t CountDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts documents;
  while (parser.HandleNextDocument(documents)) {
    const auto& s = documents.starts;
    if (s.size() >= 2 && s[s.size() - 1].pos == s[s.size() - 2].pos) {
      const auto at = static_cast<std::size_t>(s.back().pos);
      throw YAML::ParserException(
          s.back(), at < text.size() ? fmt::format("unexpected '{}'", text[at]) : "unexpected end");
    }
    if (s.size() > 1000) break;  // "more than one" is all the caller asks
  }
  return documents.starts.size();
}

}  // namespace

Result<Document> Document::Parse(std::string_view text, std::string origin) {
  auto diagnostics = std::make_shared<Diagnostics>();
  diagnostics->origin = std::move(origin);
  try {
    const std::string whole(text);
    if (const std::size_t documents = CountDocuments(whole); documents > 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: holds {} YAML documents ('---' separates them): give one",
                              diagnostics->origin, documents));
    }
    auto root = std::make_unique<YAML::Node>(YAML::Load(whole));
    if (!root->IsMap() && !root->IsNull()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: expected a mapping of settings (key: value lines) at the top",
                              diagnostics->origin));
    }
    if (root->IsNull()) *root = YAML::Node(YAML::NodeType::Map);
    return Document(std::move(root), std::move(diagnostics));
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}:{}:{}: not valid YAML: {}", diagnostics->origin, e.mark.line + 1,
                            e.mark.column + 1, e.msg));
  }
}

Result<Document> Document::Load(const std::string& path) {
  if (auto ok = CheckConfigurationFile(path); !ok) return tl::unexpected(ok.error());
  std::ifstream in(path);
  if (!in) {
    return Fail(ErrorCode::kNotFound, fmt::format("cannot read the configuration file '{}': {}",
                                                  path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

std::string Document::Subset(std::initializer_list<std::string_view> keys) const {
  YAML::Node subset(YAML::NodeType::Map);
  for (auto key : keys) {
    const YAML::Node& root = *root_;
    if (YAML::Node v = root[std::string(key)]) subset[std::string(key)] = v;
  }
  YAML::Emitter out;
  out << subset;
  return std::string(out.c_str()) + "\n";
}

Node Document::Root() { return Node(*root_, "", diagnostics_); }

Result<void> Document::Status() const {
  if (diagnostics_->errors.empty()) return {};
  std::string message;
  for (const auto& e : diagnostics_->errors) message += (message.empty() ? "" : "\n") + e;
  if (diagnostics_->dropped > 0) {
    message += fmt::format("\n... and {} more errors", diagnostics_->dropped);
  }
  return tl::unexpected(Error{ErrorCode::kInvalidArgument, message, diagnostics_->problems});
}

}  // namespace lineup::yaml
