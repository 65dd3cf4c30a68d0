#include "store/events.h"

#include <algorithm>

namespace lineup::store {

const char* ToString(EventType type) {
  switch (type) {
    case EventType::kSessionConfigured:
      return "session_configured";
    case EventType::kSessionDeleted:
      return "session_deleted";
    case EventType::kProbeSample:
      return "probe_sample";
    case EventType::kRunSummary:
      return "run_summary";
    case EventType::kSlaViolated:
      return "sla_violated";
    case EventType::kSlaRecovered:
      return "sla_recovered";
    case EventType::kTunnelDown:
      return "tunnel_down";
    case EventType::kTunnelUp:
      return "tunnel_up";
    case EventType::kRankingChanged:
      return "ranking_changed";
    case EventType::kPathSwitched:
      return "path_switched";
    case EventType::kPolicyChanged:
      return "policy_changed";
    case EventType::kSessionFault:
      return "session_fault";
    case EventType::kSessionRecovered:
      return "session_recovered";
  }
  return "unknown";
}

std::string SettingsWord(std::string_view settings, std::string_view key) {
  std::size_t at = 0;
  while (at < settings.size()) {
    const std::size_t end = std::min(settings.find(' ', at), settings.size());
    const std::string_view word = settings.substr(at, end - at);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=') {
      return std::string(word.substr(key.size() + 1));
    }
    at = end + 1;
  }
  return "";
}

EventType TypeOf(const Payload& payload) {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kType; }, payload);
}

}  // namespace lineup::store
