#include "store/events.h"

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
  }
  return "unknown";
}

EventType TypeOf(const Payload& payload) {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kType; }, payload);
}

}  // namespace lineup::store
